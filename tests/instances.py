"""Deterministic random instances of converted (JSON Schema 2020-12) schemas, for tests.

``build`` walks a schema of a :class:`~conformance.schema.SchemaSet` and returns a value that is
*usually* valid; ``valid_instances`` keeps only what the reference validator accepts.
"""

from __future__ import annotations

import math
import random
import re
from typing import Any

from conformance.spec import Spec

__all__ = ["build", "response_locations", "valid_instances"]

SOFT_DEPTH = 8  # deeper than this: null where allowed, otherwise minimal values
HARD_DEPTH = 40  # give up (the validity filter drops what this produces)
_COMPOSED = ("$ref", "allOf", "anyOf", "oneOf", "not")
_ANNOTATIONS = ("default", "format", "x-conformance-discriminator")
_FORMATS = {"uri": "https://example.com/a", "date": "2024-05-01", "date-time": "2024-05-01T12:00Z"}
_WORDS = ("abc", "x", "hello world", "ID_42", "naïve", "a-b.c", "日本語", "🙂 ok")
_PIECE = re.compile(r"(\[[^\]]+\]|\\[.\-_]|[A-Za-z0-9_\-])(\{(\d+)(?:,(\d*))?\}|[+*?])?")


def response_locations(spec: Spec) -> list[str]:
    """Every response body schema and stream event schema of a spec (deduplicated, in order)."""
    found: dict[str, None] = {}
    for op in spec.operations:
        for response in op.responses.values():
            found.update((m.schema, None) for m in response.content.values() if m.schema)
        found.update((s.schema, None) for s in op.streams if s.schema)
    return list(found)


def _chars(atom: str) -> str:
    if not atom.startswith("["):
        return atom[-1]
    return re.sub(
        r"(.)-(.)", lambda m: "".join(map(chr, range(ord(m[1]), ord(m[2]) + 1))), atom[1:-1]
    )


def _from_pattern(pattern: str, rng: random.Random) -> str | None:
    """A string for a *simple* pattern (literals, classes, quantifiers, anchors), else None."""
    body, pos, out = pattern.removeprefix("^").removesuffix("$"), 0, ""
    while pos < len(body):
        m = _PIECE.match(body, pos)
        if m is None or m[1].startswith("[^"):
            return None
        quant, pos = m[2] or "?", m.end()
        if quant in "+*?":
            low, high = 1, 1 if quant == "?" else 6
        else:
            low = int(m[3])
            high = low if m[4] is None else int(m[4] or low + 6)
        out += "".join(rng.choice(_chars(m[1])) for _ in range(rng.randint(low, high)))
    return out if re.search(pattern, out) else None


def _string(schema: dict[str, Any], rng: random.Random) -> str:
    if isinstance(schema.get("pattern"), str):
        made = _from_pattern(schema["pattern"], rng)
        if made is not None:
            return made
    low = schema.get("minLength", 0)
    high = min(schema.get("maxLength", low + 12), low + 12)
    text = _FORMATS.get(schema.get("format", ""), rng.choice(_WORDS))
    if not low <= len(text) <= high:
        text = "".join(rng.choice("abcxyz") for _ in range(rng.randint(low, max(low, high))))
    return text


def _number(schema: dict[str, Any], rng: random.Random, integer: bool) -> int | float:
    """Within the bounds (exclusive ones too): a bound itself, anywhere (ints may exceed 64 bits)
    or a small value."""
    up, down = (math.ceil, math.floor) if integer else (float, float)
    lows = [up(schema["minimum"])] if "minimum" in schema else []
    highs = [down(schema["maximum"])] if "maximum" in schema else []
    if "exclusiveMinimum" in schema:
        x = schema["exclusiveMinimum"]
        lows.append(math.floor(x) + 1 if integer else math.nextafter(x, math.inf))
    if "exclusiveMaximum" in schema:
        x = schema["exclusiveMaximum"]
        highs.append(math.ceil(x) - 1 if integer else math.nextafter(x, -math.inf))
    low = max(lows) if lows else min([*highs, 0]) - 1000
    high = min(highs) if highs else max(low, 0) + 1000
    roll = rng.random()
    if low >= high or roll < 0.25:
        return rng.choice((low, high)) if low < high else low
    if roll < 0.5:
        return rng.randint(low, high) if integer else rng.uniform(low, high)
    return min(max(rng.randint(-5, 100), low), high)


class _Filler(str):
    """A value for a required property the schema part does not declare (others may)."""


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, _Filler) else value


def _object(
    ss: Any, schema: dict[str, Any], rng: random.Random, depth: int, force: frozenset[str]
) -> dict[str, Any]:
    props: dict[str, Any] = schema.get("properties") or {}
    required = [r for r in schema.get("required") or [] if isinstance(r, str)]
    optional = [] if depth > SOFT_DEPTH else [p for p in props if p not in required]
    chosen = required + [p for p in optional if p in force or rng.random() < 0.5]
    chosen = chosen[: max(len(required), schema.get("maxProperties", len(chosen)))]
    extra = schema.get("additionalProperties")
    out = {}
    for name in chosen:
        if name in props or isinstance(extra, dict):
            out[name] = build(ss, props.get(name, extra), rng, depth + 1)
        else:
            out[name] = _Filler(rng.choice(_WORDS))
    if not props and isinstance(extra, dict) and extra and depth <= SOFT_DEPTH:
        for i in range(rng.randint(0, 2)):
            out[f"key{i}"] = build(ss, extra, rng, depth + 1)
    return out


def _array(ss: Any, schema: dict[str, Any], rng: random.Random, depth: int) -> list[Any]:
    prefix = schema.get("prefixItems") or []
    low = schema.get("minItems", 0)
    high = low if depth > SOFT_DEPTH else max(low, min(schema.get("maxItems", 3), 3))
    count = max(rng.randint(low, high), len(prefix) if "items" in schema else 0)
    items = schema.get("items", {})
    return [build(ss, (prefix[i : i + 1] or [items])[0], rng, depth + 1) for i in range(count)]


def _kind(schema: dict[str, Any], rng: random.Random, depth: int) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        if "null" in kind and (depth > SOFT_DEPTH or len(kind) == 1 or rng.random() < 0.15):
            return "null"
        return rng.choice([k for k in kind if k != "null"])
    if kind is not None:
        return str(kind)
    if any(k in schema for k in ("properties", "required", "additionalProperties")):
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return rng.choice(("string", "integer", "boolean", "null", "object"))


def _pick(branches: list[Any], rng: random.Random, depth: int) -> Any:
    nulls = [b for b in branches if isinstance(b, dict) and b.get("type") == "null"]
    if nulls and (depth > SOFT_DEPTH or rng.random() < 0.15):
        return nulls[0]
    return rng.choice([b for b in branches if b not in nulls] or branches)


def build(
    ss: Any, schema: Any, rng: random.Random, depth: int = 0, force: frozenset[str] = frozenset()
) -> Any:
    """A random, usually valid, instance of a converted schema (``$ref`` resolved by ``ss``).

    ``force`` names properties that sibling ``allOf`` parts require: included where declared.
    """
    if schema is True or schema == {}:
        return rng.choice((None, 1, "any", [], {}))
    if not isinstance(schema, dict) or depth > HARD_DEPTH:
        return None
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        values = schema["enum"]
        return None if depth > SOFT_DEPTH and None in values else rng.choice(values)
    parts = [ss.resolve(schema["$ref"])] if "$ref" in schema else []
    parts += [p for p in schema.get("allOf", []) if p not in (True, {})]
    parts += [_pick(schema[k], rng, depth) for k in ("anyOf", "oneOf") if schema.get(k)]
    if parts:
        rest = {k: v for k, v in schema.items() if k not in _COMPOSED and k not in _ANNOTATIONS}
        parts = ([rest] if rest else []) + parts
        force = force.union(*(p.get("required", ()) for p in parts if isinstance(p, dict)))
        values = [build(ss, part, rng, depth, force) for part in parts]
        if not all(isinstance(v, dict) for v in values):
            return [v for v in values if not isinstance(v, dict)][-1]
        merged: dict[str, Any] = {}
        for value in values:  # a filler never overrides a value built from a declaration
            merged.update(
                (k, v) for k, v in value.items() if k not in merged or not isinstance(v, _Filler)
            )
        return merged
    kind = _kind(schema, rng, depth)
    if kind == "object":
        return _object(ss, schema, rng, depth, force)
    if kind == "array":
        return _array(ss, schema, rng, depth)
    if kind == "string":
        return _string(schema, rng)
    if kind in ("integer", "number"):
        return _number(schema, rng, integer=kind == "integer" or rng.random() < 0.3)
    return rng.random() < 0.5 if kind == "boolean" else None


def valid_instances(
    engine: Any, location: str, n: int, seed: int = 0, attempts: int = 0
) -> list[Any]:
    """Up to ``n`` built instances that the *reference* validator accepts (deterministic)."""
    # seeded by the spec-relative label: the same instances wherever the spec sits on disk
    rng = random.Random(f"{seed}:{engine.schemas.spec.label(location)}")
    ss = engine.schemas
    schema = ss.resolve(ss.ref(location))
    reference = engine.reference(location)
    found: list[Any] = []
    for _ in range(attempts or 4 * n):
        instance = _plain(build(ss, schema, rng))
        if reference.is_valid(instance):
            found.append(instance)
            if len(found) >= n:
                break
    return found
