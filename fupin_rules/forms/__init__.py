"""The plan's forms (附件3–9) as data: header maps over record schemas, Excel templates with
drop-downs and an example row, and filled templates read back with every row accounted for.

* :mod:`.catalog` — the forms of a library (:func:`forms`, :func:`find_form`);
* :mod:`.template` — :func:`write_template`;
* :mod:`.reading` — :func:`read_filled`.
"""

from __future__ import annotations

from .catalog import FORM_PREFIX, Column, Form, find_form, forms
from .reading import FilledForm, read_filled, records_of
from .template import example_record, form_rows, write_template

__all__ = [
    "FORM_PREFIX",
    "Column",
    "FilledForm",
    "Form",
    "example_record",
    "find_form",
    "form_rows",
    "forms",
    "read_filled",
    "records_of",
    "write_template",
]
