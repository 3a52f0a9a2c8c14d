"""Scalar and text strategies the compiler builds on: strings of any length, formats, exact
multiples, JSON-equality keys."""

from __future__ import annotations

import base64
import json
import math
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import hypothesis.strategies as st

__all__ = ["json_key", "long_text", "multiples", "string_format", "text", "within"]

_LONG = 256  # longer strings are a drawn chunk repeated: Hypothesis' buffer is a few KiB


def text(alphabet: st.SearchStrategy[str], low: int, high: int) -> st.SearchStrategy[str]:
    """Text of ``low`` to ``high`` characters (at most ``_LONG`` unless more are required), also
    when that is more than Hypothesis can draw at once: then a drawn chunk, repeated."""
    if low <= _LONG:
        return st.text(alphabet, min_size=low, max_size=min(high, _LONG))
    lengths = st.integers(low, min(high, low + _LONG))
    chunk = st.text(alphabet, min_size=1, max_size=16)
    return st.builds(lambda n, c: (c * (n // len(c) + 1))[:n], lengths, chunk)


def long_text(alphabet: st.SearchStrategy[str], length: int) -> st.SearchStrategy[str]:
    """Text of exactly ``length`` characters: a drawn chunk, repeated."""
    chunk = st.text(alphabet, min_size=1, max_size=16)
    return chunk.map(lambda c: (c * (length // len(c) + 1))[:length])


def multiples(multiple: Any, lo: Any, hi: Any, xlo: Any, xhi: Any) -> st.SearchStrategy[Any]:
    """Numbers that are multiples of a fractional ``multipleOf``, within the bounds, as the
    decimal they are written as (0.1 * 61 is 6.1, not 6.1000000000000005)."""
    step = Fraction(str(multiple))
    places = max(0, -int(Decimal(str(multiple)).as_tuple().exponent))
    low = max((v for v in (lo, xlo) if v is not None), default=None)
    high = min((v for v in (hi, xhi) if v is not None), default=None)
    first = math.ceil(Fraction(str(low)) / step) if low is not None else None
    last = math.floor(Fraction(str(high)) / step) if high is not None else None
    if first is None and last is None:
        first, last = -1000, 1000
    values = st.integers(first, last).map(lambda k: round(float(k * step), places))
    return values.filter(lambda v: (xlo is None or v > xlo) and (xhi is None or v < xhi))


def within(value: Any, low: Any, high: Any) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def json_key(value: Any) -> str:
    """Equality as JSON Schema's uniqueItems sees it: 1 and 1.0 are the same number."""

    def norm(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v

    return json.dumps(norm(value), sort_keys=True)


def string_format(fmt: str) -> st.SearchStrategy[str] | None:
    if fmt == "date-time":
        return st.datetimes(min_value=_dt(2020), max_value=_dt(2030)).map(
            lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    if fmt == "date":
        return st.dates(min_value=_dt(2020).date(), max_value=_dt(2030).date()).map(str)
    if fmt in ("uri", "url", "uri-reference"):
        return st.from_regex(r"\Ahttps://example\.com/[a-z0-9]{1,12}\Z")
    if fmt == "email":
        return st.from_regex(r"\A[a-z]{1,8}@example\.com\Z")
    if fmt == "uuid":
        return st.uuids().map(str)
    if fmt == "byte":
        return st.binary(max_size=24).map(lambda b: base64.b64encode(b).decode())
    if fmt == "binary":
        return st.binary(max_size=32).map(lambda b: b.decode("latin-1"))
    return None


def _dt(year: int) -> datetime:
    return datetime(year, 1, 1)
