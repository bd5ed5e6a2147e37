"""What the plan asks each office to hand in, made from the standards and the data:

* :mod:`.adjustment` — the planned-exit adjustment 一微调 (附件1-1), :func:`adjust`;
* :mod:`.suspects` — suspected wrongful exits (疑似错退) and missed households (疑似漏评) as
  problem lists;
* :mod:`.summary` — the year-end summary, :func:`summarise`;
* :mod:`.sheets`, :mod:`.writing` — hand-out workbooks and JSON Lines.
"""

from __future__ import annotations

from .adjustment import DECISIONS, Adjustment, AdjustmentLine, adjust
from .planlist import read_plan_ids
from .summary import Summary, summarise
from .suspects import MISSED, WRONGFUL, Suspects, missed_households, suspects, wrongful_exits
from .verdicts import EXITED, Verdict, verdict

__all__ = [
    "DECISIONS",
    "EXITED",
    "MISSED",
    "WRONGFUL",
    "Adjustment",
    "AdjustmentLine",
    "Summary",
    "Suspects",
    "Verdict",
    "adjust",
    "missed_households",
    "read_plan_ids",
    "summarise",
    "suspects",
    "verdict",
    "wrongful_exits",
]
