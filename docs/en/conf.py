"""Configuration of the English book: everything is shared, see ../conf.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conf import *  # noqa: E402,F403
from conf import language_settings  # noqa: E402

globals().update(language_settings("en"))
