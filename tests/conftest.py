"""Shared fixtures and Hypothesis profiles.

Profiles: ``ci`` (default; derandomized so CI runs are reproducible) and ``dev`` (more
examples, random). Choose with ``HYPOTHESIS_PROFILE=dev``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import fupin_rules as fr

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"


@pytest.fixture(scope="session")
def demo_lib() -> fr.Library:
    """The small fixture library (demo.household 2016 and its 2018 revision)."""
    return fr.load_library(FIXTURES / "lib", schemas=FIXTURES / "schemas")


@pytest.fixture(scope="session")
def bundled() -> fr.Library:
    """The bundled standards."""
    return fr.load_library()


@pytest.fixture
def demo_record() -> dict[str, object]:
    """A household that meets the demo standard of 2016."""
    return {
        "household_id": "H1",
        "division_code": "450101001001",
        "household_size": 2,
        "net_income": 8000,
        "housing_area": 30,
        "attribute": "04",
        "members": [
            {
                "id_number": "11010519491231002X",
                "birth_date": "1949-12-31",
                "enrolled": False,
                "relation": "01",
            },
            {
                "id_number": "440524188001010014",
                "birth_date": "2010-01-01",
                "enrolled": True,
                "relation": "03",
            },
        ],
    }
