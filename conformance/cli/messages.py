"""Reading the instance files the CLI validates: a raw HTTP/1.1 message, or a bare body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import InputError

__all__ = ["Message", "parse_message"]

_REQUEST_LINE = re.compile(
    rb"^(GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE) (\S+)( HTTP/\d(\.\d)?)?\r?$", re.I
)
_STATUS_LINE = re.compile(rb"^HTTP/\d(\.\d)? (\d{3})( .*)?\r?$")


@dataclass
class Message:
    """A parsed instance file: request target or status, headers (lowercase keys), body bytes."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    target: str | None = None
    status: int | None = None


def parse_message(data: bytes, name: str, *, response: bool) -> Message:
    """Parse ``POST /v1/x HTTP/1.1`` / ``HTTP/1.1 200 OK`` messages; anything else is a bare body.

    >>> parse_message(b"HTTP/1.1 404 Not Found\\r\\ncontent-type: application/json\\r\\n\\r\\n{}", "r", response=True).status
    404
    """
    first, _, _ = data.partition(b"\n")
    match = (_STATUS_LINE if response else _REQUEST_LINE).match(first)
    if match is None:
        return Message(body=data)
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")
    headers: dict[str, str] = {}
    for number, line in enumerate(head.splitlines()[1:], start=2):
        if not line.strip():
            continue
        key, colon, value = line.partition(b":")
        if not colon:
            raise InputError(f"{name}:{number}: malformed header line {line[:60]!r}")
        headers[key.decode("latin-1").strip().lower()] = value.decode("latin-1").strip()
    if response:
        return Message(body=body, headers=headers, status=int(match.group(2)))
    return Message(
        body=body,
        headers=headers,
        method=match.group(1).decode().upper(),
        target=match.group(2).decode(),
    )
