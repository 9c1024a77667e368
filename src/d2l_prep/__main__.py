"""``python -m d2l_prep`` is ``python -m d2l_prep.save``."""

import sys

from d2l_prep.save import main

sys.exit(main())
