"""Shared test helpers: where the specs are, and the values a strategy draws."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
from hypothesis import given, settings

SPECS = Path(__file__).resolve().parents[1].parent / "shared" / "specs"

# jsonschema-rs before 0.61.2 judges an integral float beyond 2**53 lying exactly on an integer
# bound to be outside it (-2**63 as -9.22e18 against int64's minimum). schemathesis 4.32 pins
# jsonschema-rs < 0.61, so that is the version installed beside it.
FLOAT_BOUND_BUG = tuple(int(p) for p in version("jsonschema-rs").split(".")[:3]) < (0, 61, 2)


def draw(strategy: st.SearchStrategy[Any], n: int, config: settings) -> list[Any]:
    """The values Hypothesis draws from ``strategy`` in a run of ``n`` examples under ``config``."""
    out: list[Any] = []

    @settings(config, max_examples=n)
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect()
    return out
