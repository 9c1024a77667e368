"""Turn a MyST markdown cell into Markdown that any Jupyter front end renders.

A page's prose is MyST: ``(label)=`` targets, ``{ref}``/``{term}``/``{doc}``/
``{numref}`` roles, ``:::{dropdown}`` fences and directives, which Jupyter,
JupyterLab, Colab and VS Code show as literal text.  This module parses the
cell with MyST's own parser (``myst_parser.parsers.mdit.create_md_parser``,
the parser Sphinx reads the page with), rewrites the MyST tokens into
CommonMark tokens and renders those back to Markdown with ``mdformat``:

- a target disappears; a role becomes a link whose text and address a
  ``resolve`` callback gives (the build resolves them as Sphinx does, into
  absolute addresses on the site), or plain text when it gives none;
- a dropdown becomes ``<details><summary>title</summary> … </details>``
  (closed: a solution stays hidden until the reader opens it);
- ``{code-block}`` becomes a fenced block, ``{math}`` and labeled ``$$``
  become ``$$ … $$`` (a top-level amsmath environment, ``\\begin{align}``,
  stays as written: Jupyter's MathJax typesets it, and inside ``$$`` it
  would be an error), an admonition a quote with its
  title in bold, ``{raw} html`` its HTML, a figure an image and its caption,
  ``{toctree}`` a list of links, ``{eval-rst}`` ``automodule`` a link to the
  module's documentation, a definition list bold terms and paragraphs;
  ``{index}`` entries (for the site's index) disappear.

Any other directive raises :class:`UnsupportedSyntax`, so that new syntax
never reaches a notebook as raw text.

The token renderers for math, tables and definition lists are written here:
mdformat's MyST and table plugins (``mdformat-myst``, ``mdformat-tables``)
pin ``mdformat < 0.8``, which needs ``markdown-it-py < 4``, while
``myst-parser`` 5 needs ``markdown-it-py >= 4.2``; and each renderer is a few
lines.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdformat.renderer import MDRenderer, RenderContext, RenderTreeNode

# (link text, absolute URL or None for plain text) of a role's text.
Resolve = Callable[[str, str], tuple[str, "str | None"]]
ROLES = {"ref", "numref", "doc", "term", "eq"}
# Roles whose content is shown as code or as its text.
LITERAL_ROLES = {"code", "samp", "file", "kbd", "command", "program"}
ADMONITIONS = {
    "note",
    "tip",
    "hint",
    "important",
    "warning",
    "caution",
    "attention",
    "danger",
    "error",
    "seealso",
    "admonition",
}
_DIRECTIVE = re.compile(r"^\{(?P<name>[a-z][\w-]*)\}\s*(?P<argument>.*)$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):(?:\s+(?P<value>.*))?$")
_AUTOMODULE = re.compile(r"^\.\.\s+automodule::\s+(?P<module>[\w.]+)", re.M)


class UnsupportedSyntax(ValueError):
    """A MyST construct with no Jupyter Markdown equivalent here."""


def parser(extensions: Sequence[str]) -> MarkdownIt:
    """MyST's markdown-it parser with the book's extensions."""
    from myst_parser.config.main import MdParserConfig  # noqa: PLC0415
    from myst_parser.parsers.mdit import create_md_parser  # noqa: PLC0415

    config = MdParserConfig(enable_extensions=set(extensions))
    return create_md_parser(config, MDRenderer)  # type: ignore[arg-type]


class Converter:
    """Converts the MyST markdown cells of one page.

    Parameters
    ----------
    extensions : sequence of str
        The MyST extensions the book enables (``myst_enable_extensions``).
    resolve : callable
        ``resolve(role, text)`` gives the link text and absolute address of a
        cross-reference role, or ``(text, None)`` for plain text.
    strings : mapping
        Words the output needs in the page's language: ``"module"``
        (a ``{}`` for the module's name) and ``"contents"``.
    """

    def __init__(
        self, extensions: Sequence[str], resolve: Resolve, strings: Mapping[str, str]
    ) -> None:
        self.md = parser(extensions)
        self.resolve = resolve
        self.strings = strings

    def convert(self, text: str) -> str:
        """The Jupyter Markdown of one MyST markdown cell ("" if nothing is left)."""
        tokens = self._blocks(self.md.parse(text))
        if not tokens:
            return ""
        options = {
            **self.md.options,
            "parser_extension": [_Renderers],
            "mdformat": {"number": True, "wrap": "keep"},
        }
        return MDRenderer().render(tokens, options, {}).rstrip("\n")

    # -- block level ------------------------------------------------------------
    def _blocks(self, tokens: list[Token]) -> list[Token]:
        result: list[Token] = []
        for token in tokens:
            if token.type in {"myst_target", "myst_line_comment", "myst_block_break"}:
                continue
            if token.type == "inline" and token.children is not None:
                token.children = self._inline(token.children)
            if token.type in {"fence", "colon_fence"}:
                result += self._directive(token)
            else:
                result.append(token)
        return result

    def _directive(self, token: Token) -> list[Token]:
        match = _DIRECTIVE.match(token.info.strip())
        if match is None:  # a plain fenced block
            if token.type == "colon_fence":
                raise UnsupportedSyntax(f"line {_line(token)}: a ':::' fence")
            return [token]
        name, argument = match["name"], match["argument"].strip()
        options, body = _split_options(token.content)
        if name in {"code-block", "code", "sourcecode"}:
            return [_fence(body, argument)]
        if name == "dropdown":
            summary = html.escape(argument or "Details")
            return [
                _html(f"<details><summary>{summary}</summary>\n"),
                *self._blocks(self.md.parse(body)),
                _html("</details>\n"),
            ]
        if name in ADMONITIONS:
            title = argument if name == "admonition" else argument or name.title()
            return self._admonition(title, body)
        if name == "math":
            return [_math_block(body)]
        if name == "raw":
            return [_html(body + "\n")] if argument.lower() == "html" else []
        if name == "index":  # entries of the site's index: nothing to show
            return []
        if name in {"figure", "image"}:
            return self._figure(argument, options, body)
        if name == "toctree":
            return self._toctree(body)
        if name == "eval-rst":
            return self._rst(body, token)
        raise UnsupportedSyntax(f"line {_line(token)}: the {{{name}}} directive")

    def _admonition(self, title: str, body: str) -> list[Token]:
        inner = self.md.parse(f"**{title}**\n\n{body}")
        return [
            Token("blockquote_open", "blockquote", 1, markup=">"),
            *self._blocks(inner),
            Token("blockquote_close", "blockquote", -1, markup=">"),
        ]

    def _figure(self, target: str, options: dict[str, str], body: str) -> list[Token]:
        url = self.resolve("image", target)[1] or target
        alt = options.get("alt", "").replace("]", "\\]")
        tokens = self.md.parse(f"![{alt}](<{url}>)\n")
        if body:
            tokens += self.md.parse(body)
        return self._blocks(tokens)

    def _toctree(self, body: str) -> list[Token]:
        entries = [
            line.strip()
            for line in body.splitlines()
            if line.strip() and line[0] != ":"
        ]
        if not entries:
            return []
        items = "".join(f"- {{doc}}`{entry}`\n" for entry in entries)
        heading = self.strings.get("contents", "")
        return self._blocks(
            self.md.parse(f"{heading}\n\n{items}" if heading else items)
        )

    def _rst(self, body: str, token: Token) -> list[Token]:
        modules = _AUTOMODULE.findall(body)
        if not modules:
            raise UnsupportedSyntax(
                f"line {_line(token)}: an {{eval-rst}} block other than automodule"
            )
        lines = []
        for module in modules:
            label, url = self.resolve("module", module)
            name = f"[`{label}`](<{url}>)" if url else f"`{label}`"
            lines.append(f"- {self.strings['module'].format(name)}\n")
        return self._blocks(self.md.parse("".join(lines)))

    # -- inline level -----------------------------------------------------------
    def _inline(self, children: list[Token]) -> list[Token]:
        result: list[Token] = []
        for child in children:
            if child.type != "myst_role":
                if child.children:
                    child.children = self._inline(child.children)
                result.append(child)
                continue
            role, content = child.meta["name"], child.content
            if role in LITERAL_ROLES:
                result.append(Token("code_inline", "code", 0, content=content))
            elif role == "math":
                result.append(Token("math_inline", "math", 0, content=content))
            elif role in ROLES:
                label, url = self.resolve(role, content)
                result += _link(label, url)
            else:
                raise UnsupportedSyntax(f"the {{{role}}} role")
        return result


def _line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 0


def _split_options(content: str) -> tuple[dict[str, str], str]:
    """A directive's ``:key: value`` options (or YAML block) and its body."""
    lines = content.splitlines()
    options: dict[str, str] = {}
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1) if "---" in lines[1:] else 0
        for line in lines[1:end]:
            key, _, value = line.partition(":")
            options[key.strip()] = value.strip()
        lines = lines[end + 1 :]
    else:
        while lines and (match := _OPTION.match(lines[0])):
            options[match["key"]] = (match["value"] or "").strip()
            lines = lines[1:]
    return options, "\n".join(lines).strip("\n")


def _html(content: str) -> Token:
    return Token("html_block", "", 0, content=content, block=True)


def _fence(content: str, language: str) -> Token:
    token = Token("fence", "code", 0, content=content + "\n", block=True)
    token.info, token.markup = language, "```"
    return token


def _math_block(content: str) -> Token:
    return Token("math_block", "math", 0, content=content.strip(), block=True)


def _link(label: str, url: str | None) -> list[Token]:
    text = Token("text", "", 0, content=label)
    if url is None:
        return [text]
    opening = Token("link_open", "a", 1, attrs={"href": url})
    return [opening, text, Token("link_close", "a", -1)]


# -- mdformat renderers for the tokens CommonMark lacks -----------------------------
def _math_inline(node: RenderTreeNode, context: RenderContext) -> str:
    return f"${node.content}$"


def _math_display(node: RenderTreeNode, context: RenderContext) -> str:
    return f"$${node.content.strip()}$$"


def _math_block_render(node: RenderTreeNode, context: RenderContext) -> str:
    return f"$$\n{node.content.strip()}\n$$"


def _amsmath(node: RenderTreeNode, context: RenderContext) -> str:
    return node.content.strip()


def _table(node: RenderTreeNode, context: RenderContext) -> str:
    rows: list[list[str]] = []
    aligns: list[str] = []
    for section in node.children:
        for row in section.children:
            cells = [cell.render(context).replace("|", "\\|") for cell in row.children]
            rows.append(cells)
            if not aligns:
                aligns = [str(cell.attrs.get("style", "")) for cell in row.children]
    rule = {"text-align:left": ":---", "text-align:right": "---:"}
    rule["text-align:center"] = ":---:"
    lines = [f"| {' | '.join(rows[0])} |"]
    lines.append(f"| {' | '.join(rule.get(a, '---') for a in aligns)} |")
    lines += [f"| {' | '.join(row)} |" for row in rows[1:]]
    return "\n".join(lines)


def _cell(node: RenderTreeNode, context: RenderContext) -> str:
    return "".join(child.render(context) for child in node.children)


def _definitions(node: RenderTreeNode, context: RenderContext) -> str:
    """A definition list as bold terms, each followed by its definition."""
    blocks = []
    for child in node.children:
        text = "".join(c.render(context) for c in child.children)
        blocks.append(f"**{text}**" if child.type == "dt" else text)
    return "\n\n".join(blocks)


def _children(node: RenderTreeNode, context: RenderContext) -> str:
    return "\n\n".join(child.render(context) for child in node.children)


class _Renderers:
    """An mdformat parser extension: renderers only (the parser is MyST's)."""

    RENDERERS: Mapping[str, Any] = {
        "math_inline": _math_inline,
        "math_inline_double": _math_display,
        "math_block": _math_block_render,
        "math_block_label": _math_block_render,
        "math_block_eqno": _math_block_render,
        "amsmath": _amsmath,
        "table": _table,
        "th": _cell,
        "td": _cell,
        "dl": _definitions,
        "dt": _cell,
        "dd": _children,
    }
