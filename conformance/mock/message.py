"""What goes into and comes out of the mock, free of any HTTP library.

A ``MockRequest`` is what a client sent; a ``MockResponse`` is what the mock answers, as the
byte chunks to write (one per SSE event for streams) plus how to write them: a delay before the
head, a pause between chunks, longer pauses before given chunks (a stall), and whether to drop
the connection after the last chunk. The
respx adapter and the ASGI app both render a ``MockResponse`` the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import parse_qsl

from ..validate import Violation

__all__ = ["MockRequest", "MockResponse"]


@dataclass(frozen=True)
class MockRequest:
    """One request as it arrived: method, path (no query, still percent-encoded), raw query
    string, headers, body.

    >>> MockRequest("GET", "/v1/models", headers={"authorization": "Bearer sk-test"})
    MockRequest(method='GET', path='/v1/models', query='', headers={'authorization': 'Bearer sk-test'}, body=b'')
    """

    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased
    body: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        object.__setattr__(self, "headers", {k.lower(): v for k, v in self.headers.items()})

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        """The query string as (name, value) pairs, in order."""
        return parse_qsl(self.query, keep_blank_values=True)

    @property
    def content_type(self) -> str:
        """The Content-Type header, ``""`` when absent."""
        return self.headers.get("content-type", "")


@dataclass(frozen=True)
class MockResponse:
    """One answer: status, headers and the body as chunks, with how to deliver them.

    ``chunks`` are written in order (an SSE stream has one chunk per event), each as a write of
    its own; ``delay`` seconds pass before the head is sent and ``interval`` seconds between
    chunks; ``pauses`` are ``(index, seconds)``: wait that long more before writing chunk
    ``index`` (``0``: right after the head; ``len(chunks)``: before ending the response);
    ``drop`` closes the connection without finishing the response once the chunks are written. ``operation`` and
    ``violations`` say what the request was and what was wrong with it (for the request log).

    >>> MockResponse(200, {"content-type": "application/json"}, (b'{"ok":true}',)).body
    b'{"ok":true}'
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    chunks: tuple[bytes, ...] = ()
    delay: float = 0.0
    interval: float = 0.0
    pauses: tuple[tuple[int, float], ...] = ()
    drop: bool = False
    stream: bool = False
    operation: str | None = None
    violations: tuple[Violation, ...] = ()
    faults: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def body(self) -> bytes:
        """The whole body, as a client that reads to the end would get it."""
        return b"".join(self.chunks)

    @property
    def content_type(self) -> str:
        """The Content-Type header, ``""`` when absent."""
        return self.headers.get("content-type", "")

    def with_(self, **changes: Any) -> MockResponse:
        """A copy with some fields changed (what faults use); ``dataclasses.replace`` without
        its per-call introspection, as the mock calls this a few times per request.

        >>> MockResponse(200).with_(status=404).status
        404
        """
        unknown = changes.keys() - _FIELDS
        if unknown:
            return replace(self, **changes)  # raises its TypeError
        copied = object.__new__(type(self))
        copied.__dict__.update(self.__dict__, **changes)
        return copied


_FIELDS = frozenset(f.name for f in fields(MockResponse))
