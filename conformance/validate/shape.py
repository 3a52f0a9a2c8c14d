"""What a converted schema expects, read through ``$ref`` and compositions: the types it allows,
its item schema, its property schemas. Used to turn strings (parameters, form fields) into the
values the schema is about before validating them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..schema import SchemaSet
from .limits import DEFAULT, DecodeError, Limits, loads, number

__all__ = ["Shape", "coerce", "coerce_each", "json_type"]

T = TypeVar("T")

_INT = re.compile(r"-?\d+", re.ASCII)
_NUM = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", re.ASCII)


class Shape:
    """A converted schema seen through refs and compositions.

    >>> Shape(schemas, {"type": ["integer", "null"]}).types  # doctest: +SKIP
    {'integer', 'null'}
    """

    def __init__(self, schemas: SchemaSet, schema: Any) -> None:
        self.schemas = schemas
        self.parts: list[dict[str, Any]] = []
        self._collect(schema, 0)

    def _collect(self, schema: Any, depth: int) -> None:
        if not isinstance(schema, dict) or depth > 12:
            return
        self.parts.append(schema)
        if isinstance(schema.get("$ref"), str):
            self._collect(self.schemas.resolve(schema["$ref"]), depth + 1)
        for key in ("allOf", "anyOf", "oneOf"):
            for branch in schema.get(key) or []:
                self._collect(branch, depth + 1)

    @property
    def types(self) -> set[str]:
        """JSON types any part allows (from ``type``, ``enum`` and ``const``)."""
        found: set[str] = set()
        for part in self.parts:
            kind = part.get("type")
            if isinstance(kind, str):
                found.add(kind)
            elif isinstance(kind, list):
                found.update(k for k in kind if isinstance(k, str))
            for value in [*(part.get("enum") or []), *([part["const"]] if "const" in part else [])]:
                found.add(json_type(value))
        return found

    def items(self) -> Any:
        """The first ``items`` schema found, or ``{}``."""
        for part in self.parts:
            if isinstance(part.get("items"), (dict, bool)):
                return part["items"]
        return {}

    def properties(self) -> dict[str, Any]:
        """Property schemas merged across parts."""
        props: dict[str, Any] = {}
        for part in self.parts:
            for name, sub in (part.get("properties") or {}).items():
                props.setdefault(name, sub)
        return props

    def decodes_as(self, kind: str) -> bool:
        """True when raw text is read as ``kind`` (``"array"``/``"object"``): the schema takes
        that type and no string, which would keep the text as it is.

        >>> Shape(schemas, {"type": "array", "items": {}}).decodes_as("array")  # doctest: +SKIP
        True
        """
        types = self.types
        return kind in types and "string" not in types

    def is_binary(self) -> bool:
        """True when the schema is a binary string (``format: binary``)."""
        return any(part.get("format") == "binary" for part in self.parts)


def json_type(value: Any) -> str:
    """The JSON Schema type name of a value (``integer`` for whole ints, not ``number``).

    >>> json_type(True), json_type(2), json_type(2.5)
    ('boolean', 'integer', 'number')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def coerce(raw: str, shape: Shape, limits: Limits = DEFAULT) -> Any:
    """A string from a URL, header or form field as the value the schema is about.

    A number longer than ``limits.digits`` or beyond a double raises ``DecodeError``.

    >>> coerce("20", Shape(schemas, {"type": "integer"}))  # doctest: +SKIP
    20
    """
    types = shape.types
    if not types or "string" in types:
        return raw
    if ("integer" in types and _INT.fullmatch(raw)) or ("number" in types and _NUM.fullmatch(raw)):
        return number(raw, limits)
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    if "null" in types and raw in ("null", ""):
        return None
    if types & {"object", "array"} and raw[:1] in ("{", "["):
        try:
            return loads(raw, limits)
        except DecodeError:
            return raw
    return raw


def coerce_each(sent: Sequence[T], shape: Shape, decode: Callable[[T, Shape], Any]) -> Any:
    """The value of a name sent once or more (form field, deepObject entry): an array's items,
    or one value; a non-array sent twice stays both values, a type error, not the last one.

    >>> coerce_each(["1", "2"], Shape(schemas, {"type": "integer"}), coerce)  # doctest: +SKIP
    [1, 2]
    """
    is_array = shape.decodes_as("array")
    target = Shape(shape.schemas, shape.items()) if is_array else shape
    decoded = [decode(one, target) for one in sent]
    return decoded if is_array or len(decoded) > 1 else decoded[0]
