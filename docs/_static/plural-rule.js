/* Sphinx's doctools.js compiles a translation catalog's plural rule with
   `new Function`, which the pages' Content-Security-Policy (no 'unsafe-eval')
   forbids.  Loaded after doctools.js and before translations.js, this reads
   the two rule forms Sphinx's catalogs use without evaluating code. */
"use strict";
Documentation.addTranslations = (catalog) => {
  Object.assign(Documentation.TRANSLATIONS, catalog.messages);
  const rule = String(catalog.plural_expr).replace(/\s+/g, "");
  if (/^\d+$/.test(rule)) {
    Documentation.PLURAL_EXPR = () => Number(rule);
  } else if (rule === "(n!=1)" || rule === "n!=1") {
    Documentation.PLURAL_EXPR = (n) => Number(n !== 1);
  } else {
    console.error(`plural-rule.js: unsupported plural rule ${catalog.plural_expr}`);
  }
  Documentation.LOCALE = catalog.locale;
};
