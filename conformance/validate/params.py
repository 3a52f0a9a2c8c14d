"""Parameter deserialization per OpenAPI ``style``/``explode``, then coercion to schema types.

Path: simple, label, matrix. Query: form (exploded or not), spaceDelimited, pipeDelimited,
deepObject; ``name[]=a&name[]=b`` is accepted for arrays as the SDKs send it. Header: simple.
Cookie: form. Parameters with ``content`` are parsed as JSON.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..spec import Parameter
from .limits import DEFAULT, DecodeError, Limits, loads
from .shape import Shape, coerce, coerce_each

__all__ = ["MISSING", "deserialize"]

MISSING: Any = object()
_DELIMITER = {"spaceDelimited": " ", "pipeDelimited": "|"}


def _split_pairs(items: list[str]) -> dict[str, str]:
    return {items[i]: items[i + 1] if i + 1 < len(items) else "" for i in range(0, len(items), 2)}


def _pair(item: str) -> tuple[str, str]:
    key, _, value = item.partition("=")
    return key, value


def _from_string(raw: str, param: Parameter, shape: Shape, limits: Limits = DEFAULT) -> Any:
    """Deserialize one simple/label/matrix/form string value."""
    style = param.style
    if style == "label" and raw.startswith("."):
        raw = raw[1:]
        sep = "." if param.explode else ","
    elif style == "matrix" and raw.startswith(";"):
        raw = raw[1:]
        if raw.startswith(param.name + "=") and not (param.explode and "object" in shape.types):
            raw = raw[len(param.name) + 1 :]
        exploded_object = param.explode and shape.decodes_as("object")
        sep = ";" if exploded_object else f";{param.name}=" if param.explode else ","
    else:
        sep = _DELIMITER.get(style, ",")
    if shape.decodes_as("array"):
        item = Shape(shape.schemas, shape.items())
        return [coerce(v, item, limits) for v in raw.split(sep)] if raw else []
    if shape.decodes_as("object"):
        props = shape.properties()
        if param.explode:
            pairs = dict(_pair(p) for p in raw.split(sep))
        else:
            pairs = _split_pairs(raw.split(sep))
        return {
            k: coerce(v, Shape(shape.schemas, props.get(k, {})), limits) for k, v in pairs.items()
        }
    return coerce(raw, shape, limits)


def deserialize(param: Parameter, shape: Shape, source: Any, limits: Limits = DEFAULT) -> Any:
    """The value of a parameter, or ``MISSING``.

    ``source`` is, by location: path → the raw segment (``str``); query → a list of
    ``(name, value)`` pairs; header/cookie → a case-insensitive lookup (dict with lowercase keys
    for headers).

    >>> deserialize(limit_param, Shape(schemas, {"type": "integer"}), [("limit", "20")])  # doctest: +SKIP
    20
    """
    if param.location == "query":
        return _query(param, shape, source, limits)
    if param.location == "header":
        raw = source.get(param.name.lower(), MISSING)
    elif param.location == "cookie":
        raw = source.get(param.name, MISSING)
    else:
        raw = source
    if raw is MISSING or raw is None:
        return MISSING
    if param.content_type:
        try:
            return loads(raw, limits)
        except DecodeError:
            return raw
    return _from_string(str(raw), param, shape, limits)


def _reading(param: Parameter, shape: Shape) -> str:
    """How a query parameter is read from the pairs: ``content`` (one JSON value),
    ``deepObject`` (``name[key]``), ``array`` (``name`` or ``name[]``), ``form-object``
    (each property by its own name) or ``value`` (the last ``name``)."""
    if param.content_type:
        return "content"
    if param.style == "deepObject":
        return "deepObject"
    if shape.decodes_as("array"):
        return "array"
    if shape.decodes_as("object") and param.explode and param.style == "form":
        return "form-object"
    return "value"


def _query(
    param: Parameter, shape: Shape, pairs: list[tuple[str, str]], limits: Limits = DEFAULT
) -> Any:
    name = param.name
    values = [v for k, v in pairs if k == name]
    reading = _reading(param, shape)
    if reading == "content":
        if not values:
            return MISSING
        try:
            return loads(values[0], limits)
        except DecodeError:
            return values[0]
    if reading == "deepObject":
        prefix = name + "["
        entries: dict[str, list[str]] = {}
        for k, v in pairs:
            if k.startswith(prefix) and k.endswith("]"):
                entries.setdefault(k[len(prefix) : -1], []).append(v)
        if not entries:
            return MISSING
        props = shape.properties()
        return {
            k: coerce_each(
                vs, Shape(shape.schemas, props.get(k, {})), partial(coerce, limits=limits)
            )
            for k, vs in entries.items()
        }
    if reading == "array":
        if not values:
            values = [v for k, v in pairs if k == name + "[]"]
        if not values:
            return MISSING
        item = Shape(shape.schemas, shape.items())
        if param.explode and param.style == "form":
            return [coerce(v, item, limits) for v in values]
        sep = _DELIMITER.get(param.style, ",")
        return [coerce(v, item, limits) for v in values[-1].split(sep)] if values[-1] else []
    if reading == "form-object":
        props = shape.properties()
        found = {k: v for k, v in pairs if k in props}
        return (
            {k: coerce(v, Shape(shape.schemas, props[k]), limits) for k, v in found.items()}
            if found
            else MISSING
        )
    if not values:
        return MISSING
    return _from_string(values[-1], param, shape, limits)


def claims(param: Parameter, shape: Shape, name: str) -> bool:
    """Whether a query pair named ``name`` belongs to a query parameter (as :func:`deserialize`
    reads it: ``name``, ``name[]`` for arrays, ``name[key]`` for deepObject, each property of an
    exploded form object).

    >>> claims(metadata_param, shape, "metadata[team]")  # doctest: +SKIP
    True
    """
    if name == param.name:
        return True
    reading = _reading(param, shape)
    if reading == "deepObject":
        return name.startswith(param.name + "[") and name.endswith("]")
    if reading == "array":
        return name == param.name + "[]"
    return reading == "form-object" and name in shape.properties()
