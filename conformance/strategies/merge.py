"""Flattening converted schemas for generation: ``$ref`` resolved, ``allOf`` merged into one schema.

Generation needs one description of a value, not several that must all hold. ``merge`` folds
``allOf`` parts (and the ``$ref`` they contain) into a single schema: properties united (a
property declared twice becomes the merge of both), ``required`` united, bounds tightened, types
and enums intersected. A part's ``anyOf``/``oneOf`` is kept; when several parts carry one, the
first stays and the others are tried by the final validity filter.
"""

from __future__ import annotations

import math
from typing import Any

from ..schema import SchemaSet

__all__ = ["ALSO", "flatten", "merge"]

ALSO = "x-conformance-also"  # constraints merge() could not fold in: checked after generation
_ANNOTATIONS = ("description", "title", "default", "examples", "format", "deprecated")

_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


def flatten(
    schemas: SchemaSet, schema: Any, depth: int = 0, inlined: list[str] | None = None
) -> Any:
    """Resolve a top-level ``$ref`` chain and merge ``allOf`` (recursively), keeping the rest.

    >>> flatten(schemas, {"allOf": [{"type": "object", "required": ["a"]}, {"required": ["b"]}]})  # doctest: +SKIP
    {'type': 'object', 'required': ['a', 'b']}
    """
    if not isinstance(schema, dict) or depth > 16:
        return schema
    if "$ref" in schema:
        if inlined is not None:
            inlined.append(schema["$ref"])
        target = flatten(schemas, schemas.resolve(schema["$ref"]), depth + 1, inlined)
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        if not rest:
            return target
        return (
            merge([target, flatten(schemas, rest, depth + 1, inlined)])
            if isinstance(target, dict)
            else target
        )
    if "allOf" in schema:
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        parts = [flatten(schemas, p, depth + 1, inlined) for p in schema["allOf"]]
        if any(p is False for p in parts):
            return False
        return merge([rest, *[p for p in parts if isinstance(p, dict)]])
    return schema


def _intersect_types(a: Any, b: Any) -> Any:
    left = set(a) if isinstance(a, list) else {a}
    right = set(b) if isinstance(b, list) else {b}
    if "number" in left:
        left.add("integer")
    if "number" in right:
        right.add("integer")
    both = left & right
    if not both:
        return []
    ordered = [t for t in (a if isinstance(a, list) else [a]) if t in both]
    ordered += [t for t in both if t not in ordered]
    return ordered[0] if len(ordered) == 1 else ordered


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge flattened schemas that must all hold.

    >>> merge([{"type": "integer", "maximum": 5}, {"maximum": 3, "minimum": 1}])
    {'type': 'integer', 'maximum': 3, 'minimum': 1}
    """
    out: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key not in out:
                out[key] = dict(value) if key == "properties" else value
            elif key == "properties":
                for name, sub in value.items():
                    prev = out["properties"].get(name)
                    out["properties"][name] = sub if prev is None else {"allOf": [prev, sub]}
            elif key == "required":
                out[key] = list(dict.fromkeys([*out[key], *value]))
            elif key == "type":
                out[key] = _intersect_types(out[key], value)
            elif key == "enum":
                out[key] = [v for v in out[key] if v in value]
            elif key in _LOWER:
                out[key] = max(out[key], value)
            elif key in _UPPER:
                out[key] = min(out[key], value)
            elif key == "additionalProperties":
                if value is False or out[key] is False:
                    out[key] = False
            elif key in ("anyOf", "oneOf"):
                out.setdefault("allOf", []).append({key: value})
            elif key == "multipleOf" and _lcm(out[key], value) is not None:
                out[key] = _lcm(out[key], value)
            elif key in ("items", "additionalProperties", "contains", "propertyNames"):
                out[key] = {"allOf": [out[key], value]}
            elif key == "not":
                out[key] = {"anyOf": [out[key], value]}
            elif key == "uniqueItems":
                out[key] = bool(out[key] or value)
            elif out[key] != value and key not in _ANNOTATIONS:
                # two values that cannot be merged (two patterns…): generate for one, check both
                out.setdefault(ALSO, []).append({key: value})
    return out


def _lcm(a: Any, b: Any) -> Any:
    """The least common multiple of two integral ``multipleOf`` values (None otherwise)."""
    if all(isinstance(v, int) or (isinstance(v, float) and v.is_integer()) for v in (a, b)):
        return math.lcm(int(a), int(b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        big, small = max(a, b), min(a, b)
        ratio = big / small
        if abs(ratio - round(ratio)) < 1e-9:
            return big
    return None
