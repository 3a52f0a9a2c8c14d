"""The mock's HTTP/1.1 protocol: uvicorn's httptools protocol with the limits a hostile client needs.

httptools (llhttp) has no cap on a request head, and uvicorn has no timeout for reading one or
a body, nor an OpenAI-shaped answer for what it refuses. This subclass adds, per connection:

- a cap on the request head (request line and headers): past ``max_header_bytes`` unparsed,
  ``431`` and the connection closed — llhttp would otherwise grow one header value by repeated
  concatenation for as long as it is sent;
- ``header_timeout``: a connection must deliver a complete head within it, counted from its
  opening or from the first byte of its next request (otherwise ``408`` and closed; a connection
  that sent nothing is closed silently);
- ``body_timeout``: the whole body must arrive within it once the head is complete (``408``);
- ``max_connections``: when a connection opens while that many are open, the connection that
  has waited longest for its request head (a slow client's) is answered ``503`` and closed to make
  room; if none is waiting, the new one is answered ``503`` on its first request; a warning is
  logged (at most one a second);
- malformed HTTP answered with OpenAI's ``400`` envelope instead of uvicorn's ``text/plain``;
- a response without a length to an HTTP/1.0 client (an event stream) sent close-delimited, as
  HTTP/1.0 has no chunked encoding;
- each request refused here, and each one whose connection closes mid-head, recorded in the
  mock's request log (``conformance.mock.refusal``) before the answer is written.

Idle keep-alive connections are uvicorn's own ``timeout_keep_alive``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from . import refusal
from .apierror import error_response
from .message import MockResponse

if TYPE_CHECKING:
    from .core import Mock

__all__ = ["LimitedProtocol", "protocol_class"]

Message = MutableMapping[str, Any]
_logger = logging.getLogger("uvicorn.error")


def _closing(status: int, message: str) -> MockResponse:
    """OpenAI's error envelope with ``connection: close``: what a refusal sends."""
    return error_response(status, message, headers={"connection": "close"})


def _raw(response: MockResponse) -> bytes:
    """A whole HTTP/1.1 response: the head (with its content-length) and the body."""
    body = response.body
    head = [f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}"]
    head += [f"{name}: {value}" for name, value in response.headers.items()]
    head += [f"content-length: {len(body)}", "", ""]
    return "\r\n".join(head).encode("latin-1") + body


class LimitedProtocol(HttpToolsProtocol):
    """uvicorn's ``HttpToolsProtocol`` under the limits of a ``ServerLimits`` (``limits``)."""

    max_header_bytes = 64 * 1024
    header_timeout = 10.0
    body_timeout = 60.0
    max_connections = 1000
    mock: Mock | None = None  # whose request log records the refusals
    # per server (each protocol_class): connections waiting for a request head, oldest first
    _waiting: ClassVar[dict[LimitedProtocol, None]] = {}
    _warned: ClassVar[float] = 0.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # waiting for (the rest of) a request head
        self._head_bytes = 0  # bytes received since the head began
        self._timer: asyncio.TimerHandle | None = None
        self._busy = False
        self._began = 0.0  # unix seconds of the current request's first byte
        self._begun = False  # the parser has begun the current head (its url and headers)
        self._body_bytes = 0  # body bytes of the current request received
        self._refused = False  # a refusal was sent: the connection is closing

    # timers
    def _arm(self, delay: float, callback: Callable[[], None]) -> None:
        self._disarm()
        self._timer = self.loop.call_later(delay, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _refuse(self, status: int, message: str, why: str) -> None:
        self._disarm()
        self._waiting.pop(self, None)  # closing: no longer a connection to make room from
        if not self.transport.is_closing():
            response = _closing(status, message)
            self._record(why, response)  # recorded first: once a client has its answer, it is
            self._refused = True
            self.transport.write(_raw(response))
            self.transport.close()

    def _record(self, why: str, response: MockResponse | None) -> None:
        """Record the request in progress in the mock's log, as far as it arrived; nothing when
        no byte of one came, or when the mock answers it (its response started)."""
        mock = self.mock
        if mock is None:
            return
        if self._in_head:
            if self._head_bytes == 0:
                return  # no request began: nothing to record
            url = self.url if self._begun else b""
            method = ""
            if url and self.parser is not None:  # the url comes after the method: it is known
                try:
                    method = self.parser.get_method().decode("ascii", "replace")
                except Exception:  # not parsed as far as llhttp lets us see
                    method = ""
            path, _, query = url.decode("latin-1").partition("?")
            headers = refusal.header_dict(self.headers) if self._begun else {}
        else:
            if self.cycle is not None and self.cycle.response_started:
                return  # answered by the mock, which recorded it
            scope: Any = self.scope  # an ASGI scope takes extra keys; uvicorn's TypedDict not
            scope[refusal.REFUSED] = True
            method, path, query, headers = _requested(scope)
        refusal.record(
            mock,
            why,
            method=method,
            path=path,
            query=query,
            headers=headers,
            size=0 if self._in_head else self._body_bytes,
            response=response,
            started=self._began or None,
        )

    def _head_timed_out(self) -> None:
        self._timer = None
        if self._head_bytes == 0:
            self._waiting.pop(self, None)
            if not self.transport.is_closing():
                self.transport.close()  # nothing sent: an idle connection, closed silently
            return
        self._refuse(
            408,
            f"Request timeout: the request head did not arrive within {self.header_timeout}s.",
            refusal.note(
                "header timeout",
                f"{self._head_bytes} bytes of the head in {self.header_timeout}s",
            ),
        )

    def _body_timed_out(self) -> None:
        self._timer = None
        if self.cycle is not None and self.cycle.response_started:
            return  # answered already (a 413): the rest of the body does not matter
        self._refuse(
            408,
            f"Request timeout: the request body did not arrive within {self.body_timeout}s.",
            refusal.note(
                "body timeout", f"{self._body_bytes} bytes of the body in {self.body_timeout}s"
            ),
        )

    # protocol
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            # make room: close the connection that has waited longest for its request head (a
            # slow client's); when every one is busy with a request, this one gets the 503
            oldest = next(iter(self._waiting), None)
            if oldest is not None:
                oldest._refuse(
                    503,
                    "Too many connections to the mock; this one was the slowest.",
                    refusal.note(
                        "connection limit",
                        f"{self.max_connections} open; closed as the slowest to send its head",
                    ),
                )
                message = "Connection limit reached (%d open): closed the slowest to send its head."
            else:
                self._busy = True
                message = "Connection limit reached (%d open): answering 503."
            now = self.loop.time()
            if now - type(self)._warned > 1.0:  # at most one warning a second
                type(self)._warned = now
                _logger.warning(message, self.max_connections)
        self._wait()
        self._arm(self.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._waiting.pop(self, None)
        if self._in_head and self._head_bytes and not self._refused:
            # a body cut short is the app's to record (it knows what it read); a head, here
            self._record(
                f"the connection closed mid-head ({self._head_bytes} bytes of the head "
                "received): no answer sent",
                None,
            )
        super().connection_lost(exc)

    def _wait(self) -> None:
        """Mark this connection as waiting for a request head (the newest to)."""
        self._waiting.pop(self, None)
        self._waiting[self] = None

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self._in_head:
            if self._timer is None:  # the first byte of a request on a kept-alive connection
                self._wait()
                self._arm(self.header_timeout, self._head_timed_out)
            if self._head_bytes == 0:
                self._began = time.time()
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > self.max_header_bytes:
            self._refuse(
                431,
                "Request header fields too large: the request line and headers exceed "
                f"{self.max_header_bytes} bytes.",
                refusal.note(
                    "header too large",
                    f"{self._head_bytes} bytes of request line and headers received, "
                    f"limit {self.max_header_bytes}",
                ),
            )

    def send_400_response(self, msg: str) -> None:
        self._refuse(
            400,
            f"We could not parse your request: {msg}",
            refusal.note("malformed HTTP", "in the head" if self._in_head else "in the body"),
        )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._begun = True

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        super().on_body(body)

    def on_headers_complete(self) -> None:
        self._waiting.pop(self, None)
        self._in_head = False
        self._begun = False
        self._head_bytes = 0
        self._body_bytes = 0
        self._arm(self.body_timeout, self._body_timed_out)
        previous = self.cycle
        app = self.app
        if self._busy:
            self.app = self._busy_app
        try:
            super().on_headers_complete()
        finally:
            self.app = app
        cycle = self.cycle
        if cycle is not previous and cycle is not None and self.scope["http_version"] == "1.0":
            _close_delimited(cycle)

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_head = True
        super().on_message_complete()

    async def _busy_app(
        self, scope: Any, receive: Callable[[], Awaitable[Message]], send: Any
    ) -> None:
        """The app for a request on a connection past the limit: a 503, recorded first."""
        response = _closing(503, "Too many connections to the mock; retry later.")
        if self.mock is not None:
            method, path, query, headers = _requested(scope)
            refusal.record(
                self.mock,
                refusal.note("connection limit", f"{self.max_connections} open, every one busy"),
                method=method,
                path=path,
                query=query,
                headers=headers,
                response=response,
                started=self._began or None,
            )
        raw = [(k.encode(), v.encode()) for k, v in response.headers.items()]
        raw.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": 503, "headers": raw})
        await send({"type": "http.response.body", "body": response.body})


def _requested(scope: Any) -> tuple[str, str, str, dict[str, str]]:
    """Method, path (as sent), query and headers of a request whose head is complete."""
    raw_path = scope.get("raw_path") or scope["path"].encode("latin-1")
    path = raw_path.decode("latin-1").partition("?")[0]
    query = scope.get("query_string", b"").decode("latin-1")
    return scope["method"], path, query, refusal.header_dict(scope["headers"])


def _close_delimited(cycle: Any) -> None:
    """Make ``cycle`` (uvicorn's RequestResponseCycle for an HTTP/1.0 request) send a response
    without a length as raw bytes ended by closing the connection, instead of chunked."""
    original = cycle.send
    raw = False

    async def send(message: Message) -> None:
        nonlocal raw
        if message["type"] == "http.response.start":
            names = {name.lower() for name, _ in message.get("headers", [])}
            if not names & {b"content-length", b"transfer-encoding"}:
                raw = cycle.scope["method"] != "HEAD"
                cycle.chunked_encoding = False  # uvicorn adds chunked only when it is None
        elif raw and message["type"] == "http.response.body" and not cycle.response_complete:
            if cycle.flow.write_paused and not cycle.disconnected:
                await cycle.flow.drain()
            if cycle.disconnected:
                return
            cycle.transport.write(message.get("body", b""))
            if not message.get("more_body", False):
                cycle.response_complete = True
                cycle.message_event.set()
                cycle.transport.close()
                cycle.on_response()
            return
        await original(message)

    cycle.send = send


def protocol_class(
    *,
    max_header_bytes: int,
    header_timeout: float,
    body_timeout: float,
    max_connections: int,
    mock: Mock | None = None,
) -> type[LimitedProtocol]:
    """A ``LimitedProtocol`` subclass with these limits, for ``uvicorn.Config(http=...)``;
    what it refuses is recorded in ``mock``'s request log."""
    return type(
        "LimitedProtocol",
        (LimitedProtocol,),
        {
            "max_header_bytes": max_header_bytes,
            "header_timeout": header_timeout,
            "body_timeout": body_timeout,
            "max_connections": max_connections,
            "mock": mock,
            "_waiting": {},
            "_warned": 0.0,
        },
    )
