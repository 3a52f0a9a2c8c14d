"""``MockApp``: the mock as a plain ASGI 3 application, for uvicorn or any ASGI server.

No framework in between: the body is read under ``mock.max_body``, ``mock.handle`` answers
in the event loop (it is CPU-bound and takes about a millisecond), and the ``MockResponse`` is
written as it says — the delay before the head, one body message per chunk with the interval
(and any stall) before it, and a dropped connection (the response is left unfinished) when
``drop`` is set.
A body refused as too large (``413``) and one the client stops sending (it closes the
connection mid-body) are recorded in the mock's request log all the same
(``conformance.mock.refusal``).

>>> app = MockApp(Mock("../shared/specs/openai-2.3.0.yaml"))  # doctest: +SKIP
>>> uvicorn.run(app, port=8000)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .apierror import error_response
from .core import Mock
from .message import MockRequest, MockResponse
from .refusal import REFUSED, header_dict, note, record

__all__ = ["HEALTH_PATH", "MockApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

HEALTH_PATH = "/__conformance__/health"
_HEALTH = json.dumps({"status": "ok"}).encode()
_JSON = [(b"content-type", b"application/json")]
# characters an HTTP header value must not carry (what uvicorn refuses after the head started)
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class MockApp:
    """An ASGI 3 application that serves ``mock`` over HTTP.

    Beyond the spec's paths it answers ``GET /__conformance__/health`` (and ``GET /`` when the
    spec has a base path such as ``/v1``) with ``200 {"status": "ok"}``. An unexpected error
    while answering becomes an OpenAI-style ``500 server_error``; the server keeps serving.

    >>> app = MockApp(mock)  # doctest: +SKIP
    """

    def __init__(self, mock: Mock) -> None:
        self.mock = mock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.time()
        headers = header_dict(scope["headers"])
        raw_path = scope.get("raw_path")
        # raw_path keeps %2F inside ids; the spec's router unquotes each parameter itself
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        if "?" in path:  # some servers leave the query in raw_path
            path = path.partition("?")[0]
        method = scope["method"]
        if method in ("GET", "HEAD") and self._extra(path):
            await _send_plain(send, 200, _JSON, _HEALTH)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        request = {"method": method, "path": path, "query": query, "headers": headers}
        limit = self.mock.max_body
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            response = _too_large(int(declared), limit)
            why = note("body too large", f"content-length {declared}, limit {limit}")
            record(self.mock, why, **request, response=response, started=started)
            await _render(send, response)
            return
        # chunks joined once at the end: linear (concatenating as they come was quadratic)
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                if not scope.get(REFUSED):  # else the server refused it, and recorded it
                    why = (
                        f"the client closed the connection mid-body ({size} bytes of the body "
                        "received): no answer sent"
                    )
                    record(self.mock, why, **request, size=size, started=started)
                return
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:  # refused at once, nothing more read or kept
                    response = _too_large(size, limit)
                    why = note("body too large", f"{size} bytes received, limit {limit}")
                    record(self.mock, why, **request, size=size, response=response, started=started)
                    await _render(send, response)
                    return
                chunks.append(chunk)
            more = message.get("more_body", False)
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        try:
            response = self.mock.handle(MockRequest(method, path, query, headers, body))
        except Exception as exc:
            response = error_response(
                500,
                f"The mock failed while answering {method} {path}: {type(exc).__name__}: {exc}",
                type="server_error",
            )
        await _render(send, response)

    def _extra(self, path: str) -> bool:
        """Is this one of the paths the app answers itself, outside the spec's base path?"""
        return path == HEALTH_PATH or (path == "/" and bool(self.mock.base_path))


def _too_large(size: int, limit: int) -> MockResponse:
    # connection: close — the rest of the body is not read, so the connection cannot be reused
    return error_response(
        413,
        f"Request body too large: at least {size} bytes (limit {limit}).",
        headers={"connection": "close"},
    )


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _header_list(response: MockResponse) -> list[tuple[bytes, bytes]]:
    out: list[tuple[bytes, bytes]] = []
    for name, value in response.headers.items():
        lower = name.lower()
        if lower in ("content-length", "transfer-encoding"):
            continue  # the app sets framing itself
        text = str(value)
        if _BAD_VALUE.search(text):
            text = _BAD_VALUE.sub("", text)
        try:
            encoded = text.encode("latin-1")
        except UnicodeEncodeError:
            encoded = text.encode("utf-8")
        out.append((lower.encode("latin-1"), encoded))
    return out


async def _send_plain(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    head = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _render(send: Send, response: MockResponse) -> None:
    """Write a ``MockResponse``: delay, head, chunks (with the interval and pauses), end — or
    drop.

    Each chunk is a body message of its own, so the server writes it to the socket at once (the
    socket has ``TCP_NODELAY``): with a pause between them (``split``), a client's reads see the
    pieces apart. A JSON body in several chunks keeps its ``content-length``.
    """
    if response.delay > 0:
        await asyncio.sleep(response.delay)
    headers = _header_list(response)
    chunks = response.chunks
    pauses: dict[int, float] = {}
    for index, seconds in response.pauses:
        pauses[index] = pauses.get(index, 0.0) + seconds
    if not response.stream and not response.drop:
        if len(chunks) <= 1 and not pauses:
            await _send_plain(send, response.status, headers, response.body)
            return
        headers.append((b"content-length", str(sum(map(len, chunks))).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    interval = response.interval
    for index, chunk in enumerate(chunks):
        wait = pauses.get(index, 0.0) + (interval if index else 0.0)
        if wait > 0:
            await asyncio.sleep(wait)
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    if response.drop:
        # Returning with the response unfinished makes the server close the connection: the
        # client sees a body cut short (an incomplete chunked read), as when a proxy drops.
        return
    last = pauses.get(len(chunks), 0.0)
    if last > 0:
        await asyncio.sleep(last)
    await send({"type": "http.response.body", "body": b"", "more_body": False})
