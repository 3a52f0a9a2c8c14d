"""Decoding message bodies by media type: JSON, multipart/form-data, urlencoded forms.

Form fields are strings on the wire; they are turned into what the body schema describes:
repeated fields (or ``name[]``) into arrays (a scalar field repeated stays a list, so it fails
its type rather than silently keeping one of its values), JSON text into objects, numbers and
booleans into themselves. File parts become a ``<binary: N bytes>`` string, which a ``format: binary``
string schema accepts.
"""

from __future__ import annotations

import binascii
import re
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, unquote

from .limits import DEFAULT, DecodeError, Limits, loads
from .shape import Shape, coerce, coerce_each

__all__ = [
    "DecodeError",
    "decode_form",
    "decode_json",
    "match_media_type",
    "media_kind",
    "parse_multipart",
]


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


def decode_json(body: bytes | str, limits: Limits = DEFAULT) -> Any:
    """Parse a JSON body within ``limits`` (see :mod:`.limits`); errors say line and column, or
    the JSON pointer of a value that is not JSON (NaN, 1e400, a number too long, too deep).

    >>> decode_json(b'{"a": 1}')
    {'a': 1}
    """
    return loads(body, limits)


def parse_multipart(body: bytes, content_type: str) -> list[tuple[str, bytes, str | None]]:
    """(name, value, filename) for each part of a multipart/form-data body (RFC 7578).

    One pass over the bytes, each part's value copied once: a preamble and an epilogue are
    ignored, a line that starts with the boundary but goes on is content, names and file names
    are unquoted (``filename*=UTF-8''…`` wins over ``filename``), base64 and quoted-printable
    transfer encodings are undone.

    >>> parse_multipart(b'--b\\r\\nContent-Disposition: form-data; name="a"\\r\\n\\r\\n1\\r\\n--b--\\r\\n',
    ...                 "multipart/form-data; boundary=b")
    [('a', b'1', None)]
    """
    boundary = _params(content_type).get("boundary")
    if not boundary:
        raise DecodeError("multipart/form-data without a boundary parameter")
    delimiter = b"\r\n--" + boundary.encode("utf-8", "replace")
    if _closes(body, len(delimiter) - 2) is not None and body.startswith(delimiter[2:]):
        at = len(delimiter) - 2  # the first delimiter opens the body: no preamble
    else:
        first = _next_delimiter(body, delimiter, 0)
        if first < 0:
            raise DecodeError(f"malformed multipart body: no boundary {boundary!r} in it")
        at = first + len(delimiter)
    parts: list[tuple[str, bytes, str | None]] = []
    while True:
        if _closes(body, at):  # the close delimiter; the epilogue is ignored
            if not parts:
                raise DecodeError("multipart body has no parts")
            return parts
        line = _after_blanks(body, at)  # the CRLF that ends the delimiter line
        end = _next_delimiter(body, delimiter, line)
        if end < 0:
            raise DecodeError(f"malformed multipart body: no close boundary {boundary!r}")
        head = body.find(b"\r\n\r\n", line, end + 4)
        if head < 0:
            raise DecodeError(f"malformed multipart body: no header end in part {len(parts) + 1}")
        headers = _part_headers(body[line + 2 : head])
        disposition = _params(headers.get("content-disposition", ""))
        name = disposition.get("name*") or disposition.get("name")
        if name is None:
            raise DecodeError("multipart part without a name in Content-Disposition")
        filename = disposition.get("filename*") or disposition.get("filename")
        value = body[head + 4 : end] if head + 4 < end else b""
        encoding = headers.get("content-transfer-encoding", "").strip().lower()
        parts.append((name, _transfer_decoded(value, encoding), filename))
        at = end + len(delimiter)


_BLANKS_CRLF = re.compile(rb"[ \t]*\r\n")


def _closes(body: bytes, at: int) -> bool | None:
    """After a boundary at ``at``: True for the close delimiter (``--``), False for a part's
    (blanks, then CRLF), None when it is no delimiter (the boundary goes on: content)."""
    if body.startswith(b"--", at):
        return True
    return False if _BLANKS_CRLF.match(body, at) else None


def _after_blanks(body: bytes, at: int) -> int:
    match = _BLANKS_CRLF.match(body, at)
    assert match is not None  # only called after _closes said False
    return match.end() - 2


def _next_delimiter(body: bytes, delimiter: bytes, start: int) -> int:
    """Where the next delimiter (``CRLF--boundary`` then ``--`` or blanks and CRLF) begins at
    or after ``start``; -1 when none does. Each byte is looked at a bounded number of times."""
    while True:
        found = body.find(delimiter, start)
        if found < 0 or _closes(body, found + len(delimiter)) is not None:
            return found
        start = found + 1


_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_QUOTED_PAIR = re.compile(r"\\(.)")


def _params(value: str) -> dict[str, str]:
    """The parameters of a header value (``form-data; name="a"`` → ``{"name": "a"}``): names
    lower-cased, quoted strings unquoted, RFC 5987 values (``filename*=UTF-8''%C3%A9``) decoded.

    >>> _params('form-data; name="a;b"; filename*=UTF-8\\'\\'%C3%A9t%C3%A9')
    {'name': 'a;b', 'filename*': 'été'}
    """
    found: dict[str, str] = {}
    for match in _PARAM.finditer(";" + value.split(";", 1)[1] if ";" in value else ""):
        key, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) > 1:
            raw = _QUOTED_PAIR.sub(r"\1", raw[1:-1])
        if key.endswith("*"):
            charset, _, rest = raw.partition("'")
            _, _, encoded = rest.partition("'")
            try:
                raw = unquote(encoded, encoding=charset or "utf-8", errors="replace")
            except LookupError:  # an unknown charset
                raw = unquote(encoded, errors="replace")
        found.setdefault(key, raw)
    return found


def _part_headers(block: bytes) -> dict[str, str]:
    """A part's header lines by lower-cased name (folded lines unfolded)."""
    headers: dict[str, str] = {}
    name = None
    for line in block.decode("utf-8", "replace").split("\r\n"):
        if line[:1] in (" ", "\t") and name is not None:
            headers[name] += " " + line.strip()
            continue
        key, colon, value = line.partition(":")
        if not colon:
            raise DecodeError(f"malformed multipart body: header line {line[:40]!r}")
        name = key.strip().lower()
        headers[name] = value.strip()
    return headers


def _transfer_decoded(value: bytes, encoding: str) -> bytes:
    """A part's bytes with its (deprecated, RFC 7578 §4.7) transfer encoding undone."""
    try:
        if encoding == "base64":
            return binascii.a2b_base64(value)
        if encoding == "quoted-printable":
            return binascii.a2b_qp(value)
    except (binascii.Error, ValueError):
        raise DecodeError(f"multipart part is not valid {encoding}") from None
    return value


def decode_form(
    fields: list[tuple[str, bytes | str, str | None]], shape: Shape, limits: Limits = DEFAULT
) -> dict[str, Any]:
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
        name: coerce_each(
            values, Shape(shape.schemas, props.get(name, {})), partial(_field, limits)
        )
        for name, values in grouped.items()
    }


def _field(limits: Limits, field: tuple[bytes | str, str | None], shape: Shape) -> Any:
    value, filename = field
    if filename is not None or shape.is_binary():
        size = len(value.encode() if isinstance(value, str) else value)
        return f"<binary: {size} bytes>"
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
    return coerce(text, shape, limits)


def form_fields(body: bytes | str) -> list[tuple[str, bytes | str, str | None]]:
    """Fields of an application/x-www-form-urlencoded body."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    return [(k, v, None) for k, v in parse_qsl(text, keep_blank_values=True)]
