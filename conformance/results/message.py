"""``Request`` and ``Response``: an HTTP request and its answer as recorded.

Bodies are kept as the bytes that went over the wire (``None`` when they were not recorded;
``size`` is known either way). In JSON a body is written the most readable way that gives the
same bytes back: ``{"json": value}`` when ``json.dumps`` of the value reproduces them exactly
(``"style": "compact"`` for ``separators=(",", ":")`` and raw UTF-8, as httpx and JavaScript
write JSON), else ``{"text": "..."}`` for UTF-8, else ``{"base64": "..."}``. A response sent in
several chunks (an event stream, or a faulted answer) is ``{"chunks": [...]}``: each chunk its
text, or ``{"base64": ...}`` when it is not UTF-8 on its own (a cut inside a character), so the
pieces a client read are known exactly.

>>> r = Request("POST", "/v1/embeddings", headers={"content-type": "application/json"}, body=b'{"input": "hi"}')
>>> r.to_dict()["body"], r.json()
({'json': {'input': 'hi'}}, {'input': 'hi'})
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import sse
from ..validate.limits import DecodeError, loads

__all__ = ["Request", "Response", "decode_body", "encode_body"]

_STYLES = {
    "": {},
    "compact": {"separators": (",", ":"), "ensure_ascii": False},
}


def encode_body(raw: bytes) -> dict[str, Any]:
    """The JSON form of a body: ``{"json": ...}`` (with ``"style"`` unless ``json.dumps``'s own),
    ``{"text": ...}`` or ``{"base64": ...}`` — whichever gives exactly ``raw`` back.

    >>> encode_body(b'{"a":[1,"\\xc3\\xa9"]}'), encode_body(b"{'a': 1}"), encode_body(b"\\xff")
    ({'json': {'a': [1, 'é']}, 'style': 'compact'}, {'text': "{'a': 1}"}, {'base64': '/w=='})
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(raw).decode("ascii")}
    if text[:1] in '{["' or text[:1].isdigit() or text[:1] in "-tfn":
        try:  # within the decoder's limits: too deep, NaN, a lone surrogate stay text
            value = loads(text)
        except DecodeError:
            return {"text": text}
        # the style the text looks written in first: one encoding is enough for nearly all
        spaced = '": ' in text or '", ' in text or "}, " in text
        for style in ("", "compact") if spaced else ("compact", ""):
            if json.dumps(value, **_STYLES[style]) == text:  # type: ignore[arg-type]
                if style and (("," in text or ":" in text) or not text.isascii()):
                    return {"json": value, "style": style}
                return {"json": value}  # no separator, no escape: both styles write it so
    return {"text": text}


def decode_body(data: Mapping[str, Any]) -> bytes:
    """The bytes an :func:`encode_body` form stands for.

    >>> decode_body({"json": {"a": 1}}), decode_body({"json": {"a": 1}, "style": "compact"})
    (b'{"a": 1}', b'{"a":1}')
    """
    if "json" in data:
        options = _STYLES[str(data.get("style", ""))]
        return json.dumps(data["json"], **options).encode("utf-8")  # type: ignore[arg-type]
    if "text" in data:
        return str(data["text"]).encode("utf-8")
    return base64.b64decode(data["base64"])


def _chunk(raw: bytes) -> Any:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(raw).decode("ascii")}


def _unchunk(data: Any) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else base64.b64decode(data["base64"])


def _json_of(raw: bytes | None) -> Any:
    if raw is None:
        raise ValueError("the body was not recorded")
    return json.loads(raw)


@dataclass(frozen=True)
class Request:
    """A request as recorded: method, path (still percent-encoded) and raw query, headers
    (names lower-cased), body bytes (``None``: not recorded), ``origin`` (scheme://host:port)
    when known. Like ``httpx.Request`` it has ``url``, ``headers``, ``content`` and ``json()``.

    >>> Request("GET", "/v1/models", "limit=2", origin="http://127.0.0.1:8000").url
    'http://127.0.0.1:8000/v1/models?limit=2'
    """

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = b""
    size: int = -1  # bytes sent; -1: len(body)
    origin: str = ""

    def __post_init__(self) -> None:
        if self.size < 0:
            object.__setattr__(self, "size", len(self.body or b""))

    @property
    def url(self) -> str:
        """Origin, path and query: the URL as far as it is known."""
        return self.origin + self.path + (f"?{self.query}" if self.query else "")

    @property
    def content(self) -> bytes | None:
        """The body (as ``httpx.Request.content`` names it)."""
        return self.body

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (``""`` when not recorded)."""
        return (self.body or b"").decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON (``ValueError`` when it is not JSON or was not recorded)."""
        return _json_of(self.body)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (see the module's notes on bodies)."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "origin": self.origin,
            "headers": dict(self.headers),
            "size": self.size,
            "body": None if self.body is None else encode_body(self.body),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Request:
        """The request a :meth:`to_dict` form describes.

        >>> r = Request("POST", "/v1/x", body=b"\\x00"); Request.from_dict(r.to_dict()) == r
        True
        """
        body = data.get("body")
        return cls(
            data["method"],
            data["path"],
            data.get("query", ""),
            dict(data.get("headers") or {}),
            None if body is None else decode_body(body),
            data.get("size", -1),
            data.get("origin", ""),
        )


@dataclass(frozen=True)
class Response:
    """An answer as recorded: status, headers, the body as the chunks a client read (``None``:
    not recorded), whether it was an event stream, and how it was delivered (``delay`` before
    the head, ``interval`` between chunks, ``drop``: the connection closed after the chunks,
    ``pauses``: ``(index, seconds)``, a stall of that long more before chunk ``index`` — ``0``
    right after the head, ``len(chunks)`` before the end — as the mock's ``stall`` and
    ``stall-mid`` faults place them).

    >>> Response(200, {"content-type": "text/event-stream"}, (b"data: [DONE]\\n\\n",), stream=True).events[0].data
    '[DONE]'
    >>> Response(200, chunks=(b"{", b"}"), pauses=((1, 2.0),)).to_dict()["pauses"]
    [[1, 2.0]]
    """

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    chunks: tuple[bytes, ...] | None = ()
    stream: bool = False
    size: int = -1  # bytes sent; -1: the chunks' total
    delay: float = 0.0
    interval: float = 0.0
    drop: bool = False
    pauses: tuple[tuple[int, float], ...] = ()

    def __post_init__(self) -> None:
        if self.size < 0:
            object.__setattr__(self, "size", sum(len(c) for c in self.chunks or ()))

    @property
    def body(self) -> bytes | None:
        """The whole body, as a client that reads to the end gets it (``None``: not recorded)."""
        return None if self.chunks is None else b"".join(self.chunks)

    @property
    def content(self) -> bytes | None:
        """The body (as ``httpx.Response.content`` names it)."""
        return self.body

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (``""`` when not recorded)."""
        return (self.body or b"").decode("utf-8", "replace")

    @property
    def content_type(self) -> str:
        """The Content-Type header, ``""`` when absent."""
        return next((v for k, v in self.headers.items() if k.lower() == "content-type"), "")

    @property
    def events(self) -> list[sse.Event]:
        """A stream's events as ``conformance.sse`` parses them (``[]`` for a JSON answer)."""
        if not self.stream or self.chunks is None:
            return []
        return sse.parse(self.body or b"").events

    def json(self) -> Any:
        """The body parsed as JSON (``ValueError`` when it is not JSON or was not recorded)."""
        return _json_of(self.body)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: one body unless streamed or sent in several chunks."""
        if self.chunks is None:
            body: dict[str, Any] | None = None
        elif self.stream or len(self.chunks) > 1:
            body = {"chunks": [_chunk(c) for c in self.chunks]}
        else:
            body = encode_body(self.body or b"")
        return {
            "status": self.status,
            "headers": dict(self.headers),
            "stream": self.stream,
            "size": self.size,
            "body": body,
            "delay": self.delay,
            "interval": self.interval,
            "drop": self.drop,
            "pauses": [[index, seconds] for index, seconds in self.pauses],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Response:
        """The response a :meth:`to_dict` form describes (no ``pauses``, as in files written
        before they were recorded: none).

        >>> r = Response(200, chunks=(b"a", b"\\xe2"), stream=True); Response.from_dict(r.to_dict()) == r
        True
        """
        body = data.get("body")
        if body is None:
            chunks: tuple[bytes, ...] | None = None
        elif "chunks" in body:
            chunks = tuple(_unchunk(c) for c in body["chunks"])
        else:
            raw = decode_body(body)
            chunks = (raw,) if raw else ()
        return cls(
            data["status"],
            dict(data.get("headers") or {}),
            chunks,
            bool(data.get("stream", False)),
            data.get("size", -1),
            float(data.get("delay", 0.0)),
            float(data.get("interval", 0.0)),
            bool(data.get("drop", False)),
            tuple((int(index), float(seconds)) for index, seconds in data.get("pauses") or ()),
        )
