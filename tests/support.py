"""Shared test helpers: where the specs are, and the values a strategy draws."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hypothesis.strategies as st
from hypothesis import given, settings

SPECS = Path(__file__).resolve().parents[1].parent / "shared" / "specs"


def draw(strategy: st.SearchStrategy[Any], n: int, config: settings) -> list[Any]:
    """The values Hypothesis draws from ``strategy`` in a run of ``n`` examples under ``config``."""
    out: list[Any] = []

    @settings(config, max_examples=n)
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect()
    return out
