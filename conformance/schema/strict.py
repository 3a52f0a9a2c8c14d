"""Strict variant of converted schemas: properties the schema does not declare are errors.

``unevaluatedProperties: false`` is added at every *value position* (the root and each
property, item or additional-property schema), never inside composition branches or ``$ref``
targets, so properties declared by any branch, ``allOf`` part or referenced schema count as
declared. Free-form objects (no ``properties``, no ``additionalProperties``) get an explicit
``additionalProperties: true`` so that what they accept stays declared. Nothing inside ``not``
or ``if`` changes, so strictness never loosens anything.
"""

from __future__ import annotations

from typing import Any

__all__ = ["strict_schema"]

_OBJECT_KEYS = ("properties", "patternProperties", "additionalProperties", "unevaluatedProperties")
_COMPOSED = ("$ref", "allOf", "anyOf", "oneOf", "if", "not", "dependentSchemas")
_VALUE_ONE = ("additionalProperties", "items", "unevaluatedItems", "contains")
_BRANCH_ONE = ("then", "else")


def strict_schema(schema: Any, lenient_uri: str, strict_uri: str, value: bool = False) -> Any:
    """The strict form of a converted schema; refs move from the lenient to the strict document.

    >>> strict_schema({"type": "object", "properties": {"a": {"type": "object"}}}, "u", "s", True)
    {'type': 'object', 'properties': {'a': {'type': 'object', 'additionalProperties': True}}, \
'unevaluatedProperties': False}
    """
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, sub in schema.items():
        if key in ("properties", "patternProperties") and isinstance(sub, dict):
            out[key] = {n: strict_schema(s, lenient_uri, strict_uri, True) for n, s in sub.items()}
        elif key == "prefixItems" and isinstance(sub, list):
            out[key] = [strict_schema(s, lenient_uri, strict_uri, True) for s in sub]
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(sub, list):
            out[key] = [strict_schema(s, lenient_uri, strict_uri) for s in sub]
        elif key in _VALUE_ONE and isinstance(sub, dict):
            out[key] = strict_schema(sub, lenient_uri, strict_uri, True)
        elif key in _BRANCH_ONE and isinstance(sub, dict):
            out[key] = strict_schema(sub, lenient_uri, strict_uri)
        elif key == "$ref" and isinstance(sub, str) and sub.startswith(lenient_uri + "#"):
            out[key] = strict_uri + sub[len(lenient_uri) :]
        else:
            out[key] = sub
    leaf = not any(k in out for k in _OBJECT_KEYS) and not any(k in out for k in _COMPOSED)
    if leaf:
        out["additionalProperties"] = True
    elif value and not any(k in out for k in ("additionalProperties", "unevaluatedProperties")):
        out["unevaluatedProperties"] = False
    return out
