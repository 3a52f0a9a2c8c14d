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
  HTTP/1.0 has no chunked encoding.

Idle keep-alive connections are uvicorn's own ``timeout_keep_alive``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .apierror import error_response

__all__ = ["LimitedProtocol", "protocol_class"]

Message = MutableMapping[str, Any]
_logger = logging.getLogger("uvicorn.error")


def _raw(status: int, message: str) -> bytes:
    """A whole HTTP/1.1 response, OpenAI's error envelope, with ``connection: close``."""
    response = error_response(status, message)
    body = response.body
    head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
    head += [f"{name}: {value}" for name, value in response.headers.items()]
    head += [f"content-length: {len(body)}", "connection: close", "", ""]
    return "\r\n".join(head).encode("latin-1") + body


class LimitedProtocol(HttpToolsProtocol):
    """uvicorn's ``HttpToolsProtocol`` under the limits of a ``ServerLimits`` (``limits``)."""

    max_header_bytes = 64 * 1024
    header_timeout = 10.0
    body_timeout = 60.0
    max_connections = 1000
    # per server (each protocol_class): connections waiting for a request head, oldest first
    _waiting: ClassVar[dict[LimitedProtocol, None]] = {}
    _warned: ClassVar[float] = 0.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # waiting for (the rest of) a request head
        self._head_bytes = 0  # bytes received since the head began
        self._timer: asyncio.TimerHandle | None = None
        self._busy = False

    # timers
    def _arm(self, delay: float, callback: Callable[[], None]) -> None:
        self._disarm()
        self._timer = self.loop.call_later(delay, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _refuse(self, status: int, message: str) -> None:
        self._disarm()
        self._waiting.pop(self, None)  # closing: no longer a connection to make room from
        if not self.transport.is_closing():
            self.transport.write(_raw(status, message))
            self.transport.close()

    def _head_timed_out(self) -> None:
        self._timer = None
        if self._head_bytes == 0:
            self._waiting.pop(self, None)
            if not self.transport.is_closing():
                self.transport.close()  # nothing sent: an idle connection, closed silently
            return
        self._refuse(
            408, f"Request timeout: the request head did not arrive within {self.header_timeout}s."
        )

    def _body_timed_out(self) -> None:
        self._timer = None
        if self.cycle is not None and self.cycle.response_started:
            return  # answered already (a 413): the rest of the body does not matter
        self._refuse(
            408, f"Request timeout: the request body did not arrive within {self.body_timeout}s."
        )

    # protocol
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            # make room: close the connection that has waited longest for its request head (a
            # slow client's); when every one is busy with a request, this one gets the 503
            oldest = next(iter(self._waiting), None)
            if oldest is not None:
                oldest._refuse(503, "Too many connections to the mock; this one was the slowest.")
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
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > self.max_header_bytes:
            self._refuse(
                431,
                "Request header fields too large: the request line and headers exceed "
                f"{self.max_header_bytes} bytes.",
            )

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, f"We could not parse your request: {msg}")

    def on_headers_complete(self) -> None:
        self._waiting.pop(self, None)
        self._in_head = False
        self._head_bytes = 0
        self._arm(self.body_timeout, self._body_timed_out)
        previous = self.cycle
        app = self.app
        if self._busy:
            self.app = _busy
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


async def _busy(scope: Any, receive: Callable[[], Awaitable[Message]], send: Any) -> None:
    response = error_response(503, "Too many connections to the mock; retry later.")
    headers = [(k.encode(), v.encode()) for k, v in response.headers.items()]
    headers += [(b"content-length", str(len(response.body)).encode()), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


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
    *, max_header_bytes: int, header_timeout: float, body_timeout: float, max_connections: int
) -> type[LimitedProtocol]:
    """A ``LimitedProtocol`` subclass with these limits, for ``uvicorn.Config(http=...)``."""
    return type(
        "LimitedProtocol",
        (LimitedProtocol,),
        {
            "max_header_bytes": max_header_bytes,
            "header_timeout": header_timeout,
            "body_timeout": body_timeout,
            "max_connections": max_connections,
            "_waiting": {},
            "_warned": 0.0,
        },
    )
