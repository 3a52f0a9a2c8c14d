"""Small JSON values for the JSON Schemas a request carries (tool parameters, ``json_schema``
response formats): what a fixer writes where the model must answer in that shape, and the check
that an answer does.

>>> sample({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
{'city': 'text'}
>>> conforms({"city": 1}, {"type": "object", "properties": {"city": {"type": "string"}}})
False
"""

from __future__ import annotations

from typing import Any

import jsonschema

__all__ = ["conforms", "sample"]

_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def conforms(instance: Any, schema: Any) -> bool:
    """True when the instance is valid against the schema; also True when the schema itself is
    broken (it cannot say the answer is wrong).

    >>> conforms([1], {"type": "array", "items": {"type": "integer"}})
    True
    """
    if not isinstance(schema, (dict, bool)):
        return True
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        return bool(jsonschema.Draft202012Validator(schema).is_valid(instance))
    except Exception:  # a broken schema (bad $ref, bad keyword value) judges nothing
        return True


def sample(schema: Any) -> Any:
    """A small value valid against the schema (best effort: patterns are not honoured), made of
    the schema's first choices: ``const``, the first ``enum`` value, the first branch, every
    required property.

    >>> sample({"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 2})
    ['a', 'a']
    """
    return _sample(schema, schema, 0)


def _resolve(ref: str, root: Any) -> Any:
    if not ref.startswith("#"):
        return {}
    node = root
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return {}
        node = node[part]
    return node


def _sample(schema: Any, root: Any, depth: int) -> Any:
    if not isinstance(schema, dict) or depth > 12:
        return None if schema is False else {}
    if "$ref" in schema:
        return _sample(_resolve(str(schema["$ref"]), root), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            typed = [b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")]
            return _sample((typed or branches)[0], root, depth + 1)
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = _sample(part, root, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"] or kind
        kind = kinds[0] if kinds else None
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    return _typed(str(kind), schema, root, depth)


def _typed(kind: str, schema: dict[str, Any], root: Any, depth: int) -> Any:
    if kind == "object":
        properties = schema.get("properties") or {}
        required = [n for n in schema.get("required") or [] if isinstance(n, str)]
        return {n: _sample(properties.get(n, {}), root, depth + 1) for n in required}
    if kind == "array":
        low = schema.get("minItems")
        count = low if isinstance(low, int) else 0
        return [_sample(schema.get("items", {}), root, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        value = 0 if low is None or isinstance(low, bool) else low
        if "exclusiveMinimum" in schema and value == schema["exclusiveMinimum"]:
            value += 1
        if isinstance(high, (int, float)) and value > high:
            value = high
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    text = _FORMATS.get(str(schema.get("format")), "text")
    low = schema.get("minLength")
    if isinstance(low, int) and len(text) < low:
        text = text + "x" * (low - len(text))
    high = schema.get("maxLength")
    if isinstance(high, int) and len(text) > high:
        text = text[:high]
    return text
