"""Decoding message bodies by media type: JSON, multipart/form-data, urlencoded forms.

Form fields are strings on the wire; they are turned into what the body schema describes:
repeated fields (or ``name[]``) into arrays (a scalar field repeated stays a list, so it fails
its type rather than silently keeping one of its values), JSON text into objects, numbers and
booleans into themselves. File parts become a ``<binary: N bytes>`` string, which a ``format: binary``
string schema accepts.
"""

from __future__ import annotations

import json
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import collapse_rfc2231_value
from typing import Any, cast
from urllib.parse import parse_qsl

from .shape import Shape, coerce, coerce_each

__all__ = [
    "DecodeError",
    "decode_form",
    "decode_json",
    "match_media_type",
    "media_kind",
    "parse_multipart",
]


class DecodeError(ValueError):
    """A body that cannot be decoded as its media type says; the message says why and where."""


def media_kind(media_type: str) -> str:
    """``json``, ``multipart``, ``form``, ``sse``, ``text`` or ``binary``.

    >>> media_kind("application/vnd.api+json; charset=utf-8")
    'json'
    """
    base = media_type.split(";", 1)[0].strip().lower()
    if base == "application/json" or base.endswith("+json") or base == "*/*":
        return "json"
    if base == "multipart/form-data":
        return "multipart"
    if base == "application/x-www-form-urlencoded":
        return "form"
    if base == "text/event-stream":
        return "sse"
    if base.startswith("text/"):
        return "text"
    return "binary"


def match_media_type(content_type: str, declared: list[str]) -> str | None:
    """The declared media type (a ``content`` key) that a Content-Type header matches.

    >>> match_media_type("application/json; charset=utf-8", ["application/json"])
    'application/json'
    """
    base = content_type.split(";", 1)[0].strip().lower()
    lowered = {d.split(";", 1)[0].strip().lower(): d for d in declared}
    if base in lowered:
        return lowered[base]
    major = base.split("/", 1)[0]
    for key, original in lowered.items():
        if key == f"{major}/*" or key == "*/*":
            return original
    return None


def decode_json(body: bytes | str) -> Any:
    """Parse a JSON body; errors say line and column.

    >>> decode_json(b'{"a": 1}')
    {'a': 1}
    """
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise DecodeError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except UnicodeDecodeError as exc:
        raise DecodeError(f"body is not UTF-8: {exc.reason} at byte {exc.start}") from None


def parse_multipart(body: bytes, content_type: str) -> list[tuple[str, bytes, str | None]]:
    """(name, value, filename) for each part of a multipart/form-data body.

    >>> parse_multipart(b'--b\\r\\nContent-Disposition: form-data; name="a"\\r\\n\\r\\n1\\r\\n--b--\\r\\n',
    ...                 "multipart/form-data; boundary=b")
    [('a', b'1', None)]
    """
    if "boundary=" not in content_type:
        raise DecodeError("multipart/form-data without a boundary parameter")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=compat32).parsebytes(head + body)  # 10x faster than HTTP
    if not message.is_multipart():
        raise DecodeError("multipart body has no parts")
    defects = [type(d).__name__ for d in message.defects]
    if "CloseBoundaryNotFoundDefect" in defects or "StartBoundaryNotFoundDefect" in defects:
        raise DecodeError(f"malformed multipart body ({', '.join(defects)})")
    parts: list[tuple[str, bytes, str | None]] = []
    for part in cast(list[Message], message.get_payload()):
        raw_name = part.get_param("name", header="content-disposition")
        name = collapse_rfc2231_value(raw_name) if raw_name is not None else None
        if not isinstance(name, str):
            raise DecodeError("multipart part without a name in Content-Disposition")
        payload = part.get_payload(decode=True)
        value = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        parts.append((name, value, filename))
    return parts


def decode_form(fields: list[tuple[str, bytes | str, str | None]], shape: Shape) -> dict[str, Any]:
    """Turn form fields (name, value, filename) into the object the body schema describes.

    >>> decode_form([("n", "2", None)], Shape(schemas, {"properties": {"n": {"type": "integer"}}}))  # doctest: +SKIP
    {'n': 2}
    """
    props = shape.properties()
    grouped: dict[str, list[tuple[bytes | str, str | None]]] = {}
    for name, value, filename in fields:
        key = name[:-2] if name.endswith("[]") and name[:-2] in props else name
        grouped.setdefault(key, []).append((value, filename))
    return {
        name: coerce_each(values, Shape(shape.schemas, props.get(name, {})), _field)
        for name, values in grouped.items()
    }


def _field(field: tuple[bytes | str, str | None], shape: Shape) -> Any:
    value, filename = field
    if filename is not None or shape.is_binary():
        size = len(value.encode() if isinstance(value, str) else value)
        return f"<binary: {size} bytes>"
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
    return coerce(text, shape)


def form_fields(body: bytes | str) -> list[tuple[str, bytes | str, str | None]]:
    """Fields of an application/x-www-form-urlencoded body."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    return [(k, v, None) for k, v in parse_qsl(text, keep_blank_values=True)]
