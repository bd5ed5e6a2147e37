"""``python -m tests.golden``: rewrite the golden outputs from the current code."""

from . import write

write()
