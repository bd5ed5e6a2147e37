"""The rule language: one meaning, stated once, and the backends that translate it.

* :mod:`.types` — the static types and the scope an expression is checked in;
* :mod:`.tree` — the checked expression tree, as frozen values;
* :mod:`.table` — per node kind, operator and function: its type rule, evaluation strategy
  (order, short-circuits, how a missing value makes it unknown) and run-time operation;
* :mod:`.runtime` — the run-time operations (exact decimals, dates, ID numbers);
* :mod:`.limits` — the bounds on expressions and on the values they compute;
* :mod:`.check` — text into a checked tree; :mod:`.expression` — :func:`compile_expression`;
* the backends: :mod:`.rows` (generated Python, used for every record), :mod:`.reference`
  (simpleeval, the reference interpreter) and :mod:`.columns` (numpy over whole columns;
  needs numpy, so it is not imported here); :mod:`.syntax` writes a tree back as text.

The language's definition is its documentation (docs/rule-language.md) and its conformance
suite (``tests/conformance/*.yaml``), which every backend must pass.
"""

from __future__ import annotations

from .expression import Expression, compile_expression
from .limits import MAX_DEPTH, MAX_LENGTH, MAX_LIST_ITEMS, MAX_MAGNITUDE, MAX_NODES, MAX_STRING
from .runtime import EXPLAINED, id_valid
from .table import FUNCTIONS, OPERATORS, Function, Strategy
from .types import ANY, BOOLEAN, DATE, NUMBER, STRING, Scope, Type

__all__ = [
    "ANY",
    "BOOLEAN",
    "DATE",
    "EXPLAINED",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_LIST_ITEMS",
    "MAX_MAGNITUDE",
    "MAX_NODES",
    "MAX_STRING",
    "NUMBER",
    "OPERATORS",
    "STRING",
    "Expression",
    "Function",
    "Scope",
    "Strategy",
    "Type",
    "compile_expression",
    "id_valid",
]
