"""The 400 the mock answers an invalid request with, worded as OpenAI words it.

Read from each violation's code and structured fields (``param``, ``expected``), the spec
location of the failing keyword and the request body, never from the violation's message::

    Missing required parameter: 'messages[1].content[0].type'.     missing_required_parameter
    Invalid value: 'bogus'. Supported values are: 'system', 'user', and 'tool'.    invalid_value
    Invalid type for 'metadata.modified': expected a string, but got a boolean instead.
    Unknown parameter: 'quality'.                                  unknown_parameter

>>> rejection(spec, op, violations, request).body  # doctest: +SKIP
b'{"error":{"message":"Invalid value: \\'bogus\\'. Supported values are: ...'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..errors import ConformanceError
from ..spec import Operation, Spec
from ..spec.refs import escape, pointer_get
from ..validate import Violation
from ..validate.body import DecodeError, decode_json, media_kind
from ..validate.shape import json_type
from ..validate.violation import param_path
from .apierror import error_response
from .message import MockRequest, MockResponse

__all__ = ["rejection"]

JSON_HINT = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON.)"
)
# OpenAI's error.code by verdict code
_CODES = {
    "schema.required": "missing_required_parameter",
    "request.parameter-missing": "missing_required_parameter",
    "schema.type": "invalid_type",
    "schema.enum": "invalid_value",
    "schema.const": "invalid_value",
    "schema.additionalProperties": "unknown_parameter",
    "schema.unevaluatedProperties": "unknown_parameter",
    "undeclared.property": "unknown_parameter",
    "undeclared.query": "unknown_parameter",
}
_UNIONS = ("schema.oneOf", "schema.anyOf", "schema.discriminator")
_ARTICLE = {"integer": "an integer", "object": "an object", "array": "an array", "null": "null"}
_ABSENT = object()


def rejection(
    spec: Spec, op: Operation, errors: Sequence[Violation], request: MockRequest
) -> MockResponse:
    """The 400 for a request whose first error is ``errors[0]`` (the rest are counted).

    >>> rejection(mock.spec, op, [violation], request).status  # doctest: +SKIP
    400
    """
    first = errors[0]
    kind = media_kind(request.content_type.split(";")[0].strip()) if request.body else ""
    if first.code == "request.decode" and kind == "json" and first.where == "request.body":
        if not first.pointer:  # not JSON at all (the hint OpenAI gives)
            return error_response(400, JSON_HINT, operation=op.operation_id)
        # JSON text, but a value in it is not JSON (NaN, 1e400) or passes the mock's limits
        return error_response(
            400,
            f"We could not parse the JSON body of your request: {first.message}",
            param=param_path(first.pointer),
            operation=op.operation_id,
        )
    body = _body(request, kind)
    message, param, code = _explain(spec, first, body)
    more = len(errors) - 1
    if more:
        message += f" (and {more} more violation{'s' if more > 1 else ''})"
    return error_response(400, message, param=param, code=code, operation=op.operation_id)


def _explain(spec: Spec, violation: Violation, body: Any) -> tuple[str, str | None, str | None]:
    """(message, param, code) for one violation."""
    param = _param(violation)
    code = _CODES.get(violation.code)
    if violation.code in _UNIONS and violation.where == "request.body":
        tag = _tag(spec, violation, body)
        if tag is not None:
            name, sent, supported = tag
            param = param_path(_object_pointer(violation), name)
            if sent is _ABSENT:
                return (
                    f"Missing required parameter: '{param}'.",
                    param,
                    "missing_required_parameter",
                )
            return _invalid_value(sent, supported), param, "invalid_value"
    if code == "missing_required_parameter" and param:
        return f"Missing required parameter: '{param}'.", param, code
    if code == "unknown_parameter" and param:
        return f"Unknown parameter: '{param}'.", param, code
    if code == "invalid_value" and param and violation.where == "request.body":
        values = _node(spec, violation.schema_path)
        if violation.code == "schema.const":
            values = [values]
        sent = _at(body, violation.pointer)
        if isinstance(values, list) and sent is not _ABSENT:
            return _invalid_value(sent, values), param, code
    if code == "invalid_type" and param and violation.where == "request.body":
        expected = _node(spec, violation.schema_path)
        sent = _at(body, violation.pointer)
        if isinstance(expected, (str, list)) and sent is not _ABSENT:
            types = [expected] if isinstance(expected, str) else expected
            wanted = " or ".join(_a(t) for t in types if isinstance(t, str))
            return (
                f"Invalid type for '{param}': expected {wanted}, but got {_a(json_type(sent))} instead.",
                param,
                code,
            )
    if param:
        return f"Invalid '{param}': {violation.message}", param, code or "invalid_value"
    return violation.message, None, code


def _param(violation: Violation) -> str | None:
    """OpenAI's ``error.param`` for a violation: its structured ``param`` (a missing property,
    a parameter's name, a rule's field), else the path of its pointer (``messages[0].role``)."""
    return violation.param or param_path(violation.pointer)


def _invalid_value(sent: Any, supported: Sequence[Any]) -> str:
    shown = [_quote(v) for v in supported if v is not None]
    if not shown:
        return f"Invalid value: {_quote(sent)}."
    listed = " and ".join(shown) if len(shown) < 3 else ", ".join(shown[:-1]) + f", and {shown[-1]}"
    return f"Invalid value: {_quote(sent)}. Supported values are: {listed}."


def _quote(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else json.dumps(value)


def _a(kind: str) -> str:
    return _ARTICLE.get(kind, f"a {kind}")


def _body(request: MockRequest, kind: str) -> Any:
    """The JSON body, parsed again (only on this error path); ``None`` when not JSON."""
    if kind != "json":
        return None
    try:
        return decode_json(request.body)
    except (DecodeError, ValueError):
        return None


def _at(document: Any, pointer: str) -> Any:
    try:
        return pointer_get(document, pointer)
    except (KeyError, IndexError, TypeError, ValueError):
        return _ABSENT


def _object_pointer(violation: Violation) -> str:
    """The union's object: a discriminator verdict points at the tag, the others at the object."""
    if violation.code == "schema.discriminator":
        return violation.pointer.rsplit("/", 1)[0]
    return violation.pointer


def _location(spec: Spec, label: str) -> str:
    return spec.documents.root_uri + label if label.startswith("#") else label


def _node(spec: Spec, label: str) -> Any:
    """The spec node at a violation's ``schema_path`` (``None`` when it cannot be read)."""
    if not label:
        return None
    try:
        return spec.documents.get(_location(spec, label))
    except (ConformanceError, KeyError):
        return None


def _tag(spec: Spec, violation: Violation, body: Any) -> tuple[str, Any, list[Any]] | None:
    """For a failed oneOf/anyOf: the tag property every branch fixes by an enum or const, the
    value sent (``_ABSENT`` when missing) and the values the branches support, in their order
    — when the value sent is one no branch supports. ``None`` when the failure is elsewhere."""
    instance = _at(body, _object_pointer(violation))
    if not isinstance(instance, dict):
        return None
    location = _location(spec, violation.schema_path)
    node = _node(spec, violation.schema_path)
    if isinstance(node, dict):  # a verdict on the union schema, not on its keyword
        keyword = next((k for k in ("oneOf", "anyOf") if k in node), "")
        location += "/" + keyword
    branches = _node(spec, location)
    if not isinstance(branches, list) or not branches:
        return None
    tags = []
    try:
        for index, branch in enumerate(branches):
            tags.append(_tags(spec, branch, f"{location}/{index}"))
    except ConformanceError:
        return None
    for name in tags[0]:
        if not all(name in t for t in tags):
            continue
        supported = list(dict.fromkeys(v for t in tags for v in t[name][0]))
        sent = instance.get(name, _ABSENT)
        if sent is _ABSENT and all(t[name][1] for t in tags):
            return name, sent, supported
        if sent is not _ABSENT and sent not in supported:
            return name, sent, supported
    return None


def _tags(
    spec: Spec, node: Any, location: str, depth: int = 0
) -> dict[str, tuple[list[Any], bool]]:
    """The properties a schema fixes to an enum or const, with whether it requires them
    (through ``$ref`` and ``allOf``)."""
    location, node = spec.documents.deref(node, location)
    out: dict[str, tuple[list[Any], bool]] = {}
    if not isinstance(node, dict) or depth > 8:
        return out
    for index, part in enumerate(node.get("allOf") or []):
        out.update(_tags(spec, part, f"{location}/allOf/{index}", depth + 1))
    required = set(node.get("required") or [])
    for name, prop in (node.get("properties") or {}).items():
        _, prop = spec.documents.deref(prop, f"{location}/properties/{escape(name)}")
        if isinstance(prop, dict) and "const" in prop:
            out[name] = ([prop["const"]], name in required)
        elif isinstance(prop, dict) and isinstance(prop.get("enum"), list):
            out[name] = (list(prop["enum"]), name in required)
    return out
