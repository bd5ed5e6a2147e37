"""Issue 14: the 2017 certification tables as rule sets, and the ID checks they rely on.

The rule files carry their own examples (run by ``fupin-rules test``); these tests pin what the
examples cannot: the order of the versions in time, what ``diff`` shows between them, and the
behaviour of the language's ID functions on text with surrounding whitespace.
"""

from __future__ import annotations

import pytest

import fupin_rules as fr
from fupin_rules.language import runtime

VALID_ID = "11010519491231002X"


@pytest.mark.parametrize(
    "text",
    [VALID_ID + "\n", VALID_ID + " ", " " + VALID_ID, "\n" + VALID_ID, VALID_ID + "\r\n"],
)
def test_id_functions_refuse_surrounding_whitespace(text: str) -> None:
    """A trailing newline used to pass (``$`` matches before it); no whitespace passes now."""
    assert runtime.id_valid(VALID_ID)
    assert not runtime.id_valid(text)
    with pytest.raises(fr.EvaluationError):
        runtime.id_birth_date(text)
    with pytest.raises(fr.EvaluationError):
        runtime.id_sex(text)
