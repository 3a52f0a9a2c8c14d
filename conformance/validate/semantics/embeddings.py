"""Rules: embeddings (``createEmbedding``) — one vector per input, indexed in order, of the asked
``dimensions`` and one length, unit-length values, in the asked ``encoding_format``.

A vector is read from either form the API sends: an array of numbers, or (``encoding_format:
base64``) a base64 string of little-endian float32. Fixers keep each item's form unless the
encoding rule asks for the other one; the usage total is ``rule.usage.total``'s (common.py).

>>> x = Exchange("createEmbedding", {"input": ["a", "b"], "dimensions": 4},
...              body={"data": [{"object": "embedding", "index": 0, "embedding": [3, 4]}]})
>>> [v.code for v in check(x)][:2]  # doctest: +SKIP
['rule.embeddings.count', 'rule.embeddings.dimensions']
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import math
import random
import struct
from collections.abc import Iterator
from typing import Any

from ..violation import WARNING
from .common import counted, is_int
from .exchange import Exchange
from .registry import Finding, rule

__all__ = ["decode_vector", "encode_vector", "input_count", "unit_vector"]

Obj = dict[str, Any]
_OPS = ("createEmbedding",)
_NORM_TOLERANCE = 0.01  # float32 rounding and 8-digit JSON floats stay far inside this
_FALLBACK_LENGTH = 8  # a vector made from nothing (an empty one, a string that is no base64)


def input_count(value: Any) -> int | None:
    """How many embeddings an ``input`` asks for: a string or a list of token ids is one input,
    a list of strings or of token-id lists one per item (None: not a form the API takes).

    >>> input_count("hi"), input_count(["a", "b"]), input_count([1, 2, 3]), input_count([[1], [2]])
    (1, 2, 1, 2)
    """
    if isinstance(value, str):
        return 1
    if isinstance(value, list) and value:
        return 1 if all(is_int(v) for v in value) else len(value)
    return None


def decode_vector(value: Any) -> list[float] | None:
    """The numbers of an embedding: an array of numbers, or a base64 string of little-endian
    float32 (None: neither — not base64, or not a whole number of float32).

    >>> decode_vector("AACAPwAAAL8=")
    [1.0, -0.5]
    """
    if isinstance(value, list):
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return [float(v) for v in value]
        return None
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) % 4:
        return None
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def encode_vector(vector: list[float]) -> str:
    """A vector as the API sends it for ``encoding_format: base64``.

    >>> encode_vector([1.0, -0.5])
    'AACAPwAAAL8='
    """
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


def unit_vector(values: list[float], length: int) -> list[float]:
    """``values`` repeated or cut to ``length`` and scaled to length 1, rounded as the API sends
    float arrays; a made-up direction when they are all zero, not finite, or none.

    >>> unit_vector([3.0, 4.0], 2)
    [0.6, 0.8]
    """
    finite = [v for v in values if math.isfinite(v)]
    if not any(finite):
        finite = [math.sin(i + 1.0) for i in range(max(length, 1))]
    out = [finite[i % len(finite)] for i in range(length)]
    norm = math.sqrt(sum(v * v for v in out))
    if norm == 0:
        out = [1.0] + [0.0] * (length - 1)
        norm = 1.0
    return [round(v / norm, 8) for v in out]


def _items(x: Exchange) -> list[tuple[int, Obj]]:
    data = x.body.get("data") if isinstance(x.body, dict) else None
    if not isinstance(data, list):
        return []
    return [(i, d) for i, d in enumerate(data) if isinstance(d, dict) and "embedding" in d]


def _vectors(x: Exchange) -> Iterator[tuple[int, Obj, list[float]]]:
    for i, item in _items(x):
        vector = decode_vector(item["embedding"])
        if vector is not None:
            yield i, item, vector


def _store(item: Obj, vector: list[float], base64_form: bool | None = None) -> None:
    """Put a vector back in its item, as a string when the item held one (or when asked)."""
    as_text = isinstance(item.get("embedding"), str) if base64_form is None else base64_form
    item["embedding"] = encode_vector(vector) if as_text else vector


def _target_length(x: Exchange) -> int:
    dims = x.asked("dimensions")
    if is_int(dims) and dims > 0:
        return int(dims)
    lengths = [len(v) for _, _, v in _vectors(x) if v]
    return lengths[0] if lengths else _FALLBACK_LENGTH


@rule("rule.embeddings.count", operations=_OPS, request=True, stream=False)
def embeddings_count(x: Exchange) -> Iterator[Finding]:
    """One embedding per input."""
    yield from counted(x, "data", input_count(x.asked("input")), "embeddings", "input")


@embeddings_count.fixer
def _fix_count(x: Exchange) -> None:
    expected = input_count(x.asked("input")) or 1
    data = x.body["data"]
    if data:
        x.body["data"] = [copy.deepcopy(data[i % len(data)]) for i in range(expected)]
    else:
        vector = unit_vector([], _target_length(x))
        base64_form = x.asked("encoding_format") == "base64"
        x.body["data"] = [{"object": "embedding", "index": 0} for _ in range(expected)]
        for item in x.body["data"]:
            _store(item, vector, base64_form)
    for i, item in enumerate(x.body["data"]):
        if isinstance(item, dict):
            item["index"] = i


@rule("rule.embeddings.index", operations=_OPS, stream=False)
def embeddings_index(x: Exchange) -> Iterator[Finding]:
    """Indexes are 0..n-1, in order."""
    for i, item in _items(x):
        if "index" in item and item["index"] != i:
            yield Finding(
                f"embedding {i} has index {item['index']!r}",
                f"/data/{i}/index",
                expected=i,
                actual=item["index"],
            )


@embeddings_index.fixer
def _fix_index(x: Exchange) -> None:
    for i, item in _items(x):
        item["index"] = i


@rule("rule.embeddings.dimensions", operations=_OPS, request=True, stream=False)
def embeddings_dimensions(x: Exchange) -> Iterator[Finding]:
    """Each vector has the asked ``dimensions``."""
    dims = x.asked("dimensions")
    if not is_int(dims):
        return
    for i, _, vector in _vectors(x):
        if len(vector) != dims:
            yield Finding(
                f"embedding {i} has {len(vector)} dimensions, {dims} were asked",
                f"/data/{i}/embedding",
                expected=dims,
                actual=len(vector),
                param="dimensions",
            )


@embeddings_dimensions.fixer
def _fix_dimensions(x: Exchange) -> None:
    length = _target_length(x)
    for _, item, vector in list(_vectors(x)):
        if len(vector) != length:
            _store(item, unit_vector(vector, length))


@rule("rule.embeddings.length", operations=_OPS, stream=False)
def embeddings_length(x: Exchange) -> Iterator[Finding]:
    """Every vector of an answer has one length (the first one's)."""
    first: int | None = None
    for i, _, vector in _vectors(x):
        if first is None:
            first = len(vector)
        elif len(vector) != first:
            yield Finding(
                f"embedding {i} has {len(vector)} values, embedding 0 has {first}",
                f"/data/{i}/embedding",
                expected=first,
                actual=len(vector),
            )


_fix_length = embeddings_length.fixer(_fix_dimensions)


def _bad_values(vector: list[float]) -> str | None:
    if not vector:
        return "has no value"
    if not all(math.isfinite(v) for v in vector):
        return "has a value that is not finite"
    outside = next((v for v in vector if not -1.0 <= v <= 1.0), None)
    if outside is not None:
        return f"has {outside!r}, outside [-1, 1]"
    if not any(vector):
        return "is all zeros"
    return None


@rule("rule.embeddings.values", operations=_OPS, stream=False)
def embeddings_values(x: Exchange) -> Iterator[Finding]:
    """Values are finite, within [-1, 1], not all zero (and there is at least one)."""
    for i, _, vector in _vectors(x):
        bad = _bad_values(vector)
        if bad is not None:
            yield Finding(f"embedding {i} {bad}", f"/data/{i}/embedding")


@embeddings_values.fixer
def _fix_values(x: Exchange) -> None:
    length = _target_length(x)
    for _, item, vector in list(_vectors(x)):
        if _bad_values(vector) is not None or not _unit(vector):
            _store(item, unit_vector(vector, len(vector) or length))


def _unit(vector: list[float]) -> bool:
    return abs(math.sqrt(sum(v * v for v in vector)) - 1.0) <= _NORM_TOLERANCE


@rule("rule.embeddings.norm", operations=_OPS, stream=False, severity=WARNING)
def embeddings_norm(x: Exchange) -> Iterator[Finding]:
    """Vectors are normalized to length 1 (as OpenAI documents; every real one is)."""
    for i, _, vector in _vectors(x):
        if _bad_values(vector) is None and not _unit(vector):
            norm = math.sqrt(sum(v * v for v in vector))
            yield Finding(
                f"embedding {i} has length {norm:.4g}, not 1",
                f"/data/{i}/embedding",
                expected=1.0,
                actual=round(norm, 6),
            )


_fix_norm = embeddings_norm.fixer(_fix_values)


def _inputs(value: Any) -> list[Any] | None:
    """The inputs of a request, one per embedding (see ``input_count``)."""
    count = input_count(value)
    if count is None:
        return None
    return [value] if count == 1 and not (isinstance(value, list) and len(value) == 1) else value


def _from_input(value: Any, length: int) -> list[float]:
    """A unit vector drawn from an input itself: the same input, the same vector."""
    digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).digest()
    rng = random.Random(digest)
    return unit_vector([rng.gauss(0.0, 1.0) for _ in range(max(length, 1))], length)


def _repeats(x: Exchange) -> Iterator[tuple[int, int, Obj, list[float]]]:
    """(i, j, item, vector): embedding ``i`` equals the earlier ``j``, of another input (vectors
    of one dimension left out: there are only two unit ones)."""
    inputs = _inputs(x.asked("input"))
    if inputs is None:
        return
    first: dict[tuple[float, ...], int] = {}
    for i, item, vector in _vectors(x):
        if i >= len(inputs) or len(vector) < 2:
            break
        j = first.setdefault(tuple(round(v, 6) for v in vector), i)
        if j != i and inputs[j] != inputs[i]:
            yield i, j, item, vector


@rule("rule.embeddings.distinct", operations=_OPS, request=True, stream=False, severity=WARNING)
def embeddings_distinct(x: Exchange) -> Iterator[Finding]:
    """Different inputs get different vectors (equal ones make every similarity 1)."""
    for i, j, _, _ in _repeats(x):
        yield Finding(
            f"embedding {i} is embedding {j}'s vector, for a different input",
            f"/data/{i}/embedding",
        )


@embeddings_distinct.fixer
def _fix_distinct(x: Exchange) -> None:
    inputs = _inputs(x.asked("input")) or []
    for i, _, item, vector in list(_repeats(x)):
        _store(item, _from_input(inputs[i], len(vector)))


def _asked_form(x: Exchange) -> str | None:
    """``base64``, ``float`` (asked, or the default), or None when the request is unknown."""
    if x.request is None:
        return None
    return "base64" if x.asked("encoding_format") == "base64" else "float"


@rule("rule.embeddings.encoding", operations=_OPS, stream=False)
def embeddings_encoding(x: Exchange) -> Iterator[Finding]:
    """``base64`` asked: base64 float32 strings; ``float`` or nothing asked: arrays. Whatever was
    asked, a string embedding must be base64 of a whole number of float32."""
    form = _asked_form(x)
    for i, item in _items(x):
        value = item["embedding"]
        if isinstance(value, str) and decode_vector(value) is None:
            yield Finding(
                f"embedding {i} is a string but not base64 of little-endian float32",
                f"/data/{i}/embedding",
                expected="base64 of float32",
                actual=value[:40],
            )
        elif form == "base64" and not isinstance(value, str):
            yield Finding(
                f"embedding {i} is an array, base64 was asked",
                f"/data/{i}/embedding",
                expected="base64",
                actual=type(value).__name__,
                param="encoding_format",
            )
        elif form == "float" and isinstance(value, str):
            yield Finding(
                f"embedding {i} is a base64 string, floats were asked",
                f"/data/{i}/embedding",
                expected="float",
                actual="base64",
                param="encoding_format",
            )


@embeddings_encoding.fixer
def _fix_encoding(x: Exchange) -> None:
    form = _asked_form(x)
    length = _target_length(x)
    for _, item in _items(x):
        vector = decode_vector(item["embedding"])
        if vector is None:
            vector = unit_vector([], length)
        base64_form = isinstance(item["embedding"], str) if form is None else form == "base64"
        _store(item, vector, base64_form)
