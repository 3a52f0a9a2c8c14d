"""One value from a Hypothesis strategy, outside ``@given``, deterministically for a seed.

The mock must answer the same request with the same response for the same seed, and answer
fast: ``@given`` and ``find`` are built for searching, not serving. This drives Hypothesis'
engine directly with a seeded random source (the way ``example()`` does internally), so each
draw costs one pass through the strategy.
"""

from __future__ import annotations

import random
from typing import Any, TypeVar

import hypothesis.strategies as st
from hypothesis.control import BuildContext
from hypothesis.errors import StopTest, UnsatisfiedAssumption
from hypothesis.internal.conjecture.data import ConjectureData

__all__ = ["draw"]

T = TypeVar("T")
_ATTEMPTS = 50


def draw(strategy: st.SearchStrategy[T], seed: int | str) -> T:
    """A value of ``strategy`` that depends only on ``seed``.

    >>> draw(st.integers(0, 10**6), seed=7) == draw(st.integers(0, 10**6), seed=7)
    True
    """
    rng = random.Random(seed)
    for _ in range(_ATTEMPTS):
        data = ConjectureData(random=rng)
        try:
            with BuildContext(data, wrapped_test=None):  # type: ignore[arg-type]
                value: Any = data.draw(strategy)
        except (StopTest, UnsatisfiedAssumption):
            continue  # a filter gave up on this random source: try the next one
        return value  # type: ignore[no-any-return]
    raise ValueError(f"no value drawn from {strategy!r} in {_ATTEMPTS} attempts")
