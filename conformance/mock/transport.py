"""The in-process adapter: a respx router that sends httpx traffic to ``Mock.handle``.

Every request an httpx client sends under ``base_url`` — sync or async, through
``httpx``/``httpcore`` or their ``httpx2``/``httpcore2`` fork that openai-python 3.x uses — is
turned into a ``MockRequest``; the ``MockResponse`` comes back as an ``httpx.Response`` that is
delivered as the mock says: the head after ``delay`` seconds, the body one chunk at a time with
``interval`` seconds between chunks (so a client iterating an SSE stream sees the events
arrive), and ``RemoteProtocolError`` after the last chunk when the connection is ``drop``-ped.
A delay or interval longer than the client's read timeout ends in ``ReadTimeout`` after the
timeout, as a real server that slow would.

Requests outside ``base_url`` fail with respx's ``AllMockedAssertionError`` (a test must not
reach the network by accident); with ``assert_all_mocked=False`` they pass through to the
network untouched.

>>> with mock_router(Mock("../shared/specs/openai-2.3.0.yaml")):  # doctest: +SKIP
...     openai.OpenAI(api_key="sk-test").models.list()
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import operator
import re
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, ClassVar

import anyio
import httpx
import respx
from respx.mocks import HTTPCoreMocker, Mocker
from respx.patterns import Lookup, Path, Pattern, parse_url_patterns

from .core import Mock
from .message import MockRequest, MockResponse

__all__ = [
    "DEFAULT_BASE_URL",
    "DROP_MESSAGE",
    "ChunkStream",
    "mock_router",
    "to_httpx_response",
    "to_mock_request",
]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DROP_MESSAGE = "peer closed connection without sending complete message body"
_TIMEOUT_MESSAGE = "The read operation timed out"


def to_mock_request(request: httpx.Request) -> MockRequest:
    """The ``MockRequest`` for an httpx request: its URL path (with the base path, still
    percent-encoded so ``%2F`` inside an id survives routing), raw query, headers (names
    lower-cased, repeated ones joined with ``", "``) and body.

    >>> to_mock_request(httpx.Request("GET", "https://api.openai.com/v1/models/ft%3Ao%2Fm?limit=2")).path
    '/v1/models/ft%3Ao%2Fm'
    """
    return MockRequest(
        request.method,
        request.url.raw_path.split(b"?", 1)[0].decode("ascii"),
        request.url.query.decode("ascii", "replace"),
        {name.lower(): value for name, value in request.headers.items()},
        request.read(),
    )


class ChunkStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that yields each chunk separately, pausing ``interval`` seconds between
    chunks (and ``pauses``' seconds before the chunks they name: a stall) and raising ``httpx.RemoteProtocolError`` after the last one when ``drop`` is set.

    ``delay`` is the pause before the head (the router waits it out, not the stream);
    ``read_timeout`` is the client's: a pause longer than it ends in ``httpx.ReadTimeout``.

    >>> list(ChunkStream((b"data: 1\\n\\n", b"data: 2\\n\\n")))
    [b'data: 1\\n\\n', b'data: 2\\n\\n']
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        *,
        delay: float = 0.0,
        interval: float = 0.0,
        drop: bool = False,
        read_timeout: float | None = None,
        pauses: Iterable[tuple[int, float]] = (),
    ) -> None:
        self.chunks = tuple(chunks)
        self.delay = delay
        self.interval = interval
        self.drop = drop
        self.read_timeout = read_timeout
        self.pauses: dict[int, float] = {}
        for index, seconds in pauses:  # a stall: more to wait before chunk ``index``
            self.pauses[index] = self.pauses.get(index, 0.0) + seconds

    def _waits(self) -> list[float]:
        """What to wait before each chunk, and before the end."""
        count = len(self.chunks)
        return [
            self.pauses.get(i, 0.0) + (self.interval if 0 < i < count else 0.0)
            for i in range(count + 1)
        ]

    def __iter__(self) -> Iterator[bytes]:
        waits = self._waits()
        for index, chunk in enumerate(self.chunks):
            if waits[index] > 0:
                _wait(waits[index], self.read_timeout)
            yield chunk
        if waits[-1] > 0 and not self.drop:
            _wait(waits[-1], self.read_timeout)
        if self.drop:
            raise httpx.RemoteProtocolError(DROP_MESSAGE)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        waits = self._waits()
        for index, chunk in enumerate(self.chunks):
            if waits[index] > 0:
                await _async_wait(waits[index], self.read_timeout)
            yield chunk
        if waits[-1] > 0 and not self.drop:
            await _async_wait(waits[-1], self.read_timeout)
        if self.drop:
            raise httpx.RemoteProtocolError(DROP_MESSAGE)

    def __repr__(self) -> str:
        return f"<ChunkStream [{len(self.chunks)} chunks{', drop' if self.drop else ''}]>"


def _wait(seconds: float, read_timeout: float | None, request: httpx.Request | None = None) -> None:
    """Sleep ``seconds``; when the client's read timeout is shorter, sleep that long and raise
    ``httpx.ReadTimeout`` (as the client would against a server that slow)."""
    if read_timeout is not None and seconds > read_timeout:
        time.sleep(read_timeout)
        raise httpx.ReadTimeout(_TIMEOUT_MESSAGE, request=request)
    time.sleep(seconds)


async def _async_wait(
    seconds: float, read_timeout: float | None, request: httpx.Request | None = None
) -> None:
    """``_wait`` for async clients (asyncio or trio, through anyio)."""
    if read_timeout is not None and seconds > read_timeout:
        await anyio.sleep(read_timeout)
        raise httpx.ReadTimeout(_TIMEOUT_MESSAGE, request=request)
    await anyio.sleep(seconds)


def to_httpx_response(
    response: MockResponse, request: httpx.Request | None = None
) -> httpx.Response:
    """The ``httpx.Response`` for a ``MockResponse``, its body a ``ChunkStream`` (not yet read).

    >>> to_httpx_response(MockResponse(200, {"content-type": "application/json"}, (b"{}",))).read()
    b'{}'
    """
    timeout = request.extensions.get("timeout", {}) if request is not None else {}
    return httpx.Response(
        response.status,
        headers=list(response.headers.items()),
        stream=ChunkStream(
            response.chunks,
            delay=response.delay,
            interval=response.interval,
            drop=response.drop,
            read_timeout=timeout.get("read"),
            pauses=response.pauses,
        ),
        request=request,
    )


class _Router(respx.MockRouter):
    """A respx router that waits out a ``ChunkStream``'s delay before handing over the head,
    and that also patches ``httpcore2`` (the transport under ``httpx2``) when it is installed."""

    def start(self) -> None:
        super().start()
        extra = _httpcore2_mocker()
        if extra is not None:
            extra.register(self)
            extra.start()

    def stop(self, clear: bool = True, reset: bool = True, quiet: bool = False) -> None:
        extra = _httpcore2_mocker()
        if extra is not None:
            extra.unregister(self)
        try:
            super().stop(clear=clear, reset=reset, quiet=quiet)
        finally:
            if extra is not None:
                extra.stop()

    def handler(self, request: httpx.Request) -> httpx.Response:
        response = super().handler(request)
        stream = response.stream
        if isinstance(stream, ChunkStream) and stream.delay > 0:
            _wait(stream.delay, stream.read_timeout, request)
        return response

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        response = await super().async_handler(request)
        stream = response.stream
        if isinstance(stream, ChunkStream) and stream.delay > 0:
            await _async_wait(stream.delay, stream.read_timeout, request)
        return response


def mock_router(
    mock: Mock, base_url: str = DEFAULT_BASE_URL, *, assert_all_mocked: bool = True
) -> respx.MockRouter:
    """A respx router (not started) that answers every httpx request under ``base_url`` with
    ``mock.handle``; use it as a context manager or decorator, as any ``respx.mock(...)``.

    The path handed to the mock is the URL path, base path included (``/v1/models``), as the
    spec's server URL has it. Requests elsewhere raise ``AllMockedAssertionError`` (unless
    another active respx router answers them) or, with ``assert_all_mocked=False``, go to the
    network (respx routers started after this one are then not asked). An exception inside
    ``mock.handle`` reaches the client's caller unchanged.

    >>> with mock_router(mock) as router:  # doctest: +SKIP
    ...     openai.OpenAI(api_key="sk-test").chat.completions.create(model="gpt-4o", messages=[...])
    """
    router = _Router(assert_all_called=False, assert_all_mocked=assert_all_mocked)

    def answer(request: httpx.Request) -> httpx.Response:
        return to_httpx_response(mock.handle(to_mock_request(request)), request)

    router.route(_base_pattern(base_url)).mock(side_effect=answer)
    if not assert_all_mocked:
        router.route().pass_through()
    return router


def _base_pattern(base_url: str) -> Pattern:
    """Scheme, host and port of ``base_url``, and its path as a whole-segment prefix
    (``/v1`` matches ``/v1`` and ``/v1/models``, not ``/v1beta``)."""
    patterns = parse_url_patterns(base_url, exact=False)
    prefix = httpx.URL(base_url).path.rstrip("/")
    patterns.pop(Path.key, None)
    if prefix:
        patterns[Path.key] = Path(re.compile(rf"^{re.escape(prefix)}(?:/|$)"), Lookup.REGEX)
    return functools.reduce(operator.and_, patterns.values())


# -- httpx2 / httpcore2 --------------------------------------------------------------------------

_HTTPCORE2 = "conformance-httpcore2"


@functools.cache
def _httpcore2_mocker() -> type[Mocker] | None:
    """respx's httpcore mocker, pointed at ``httpcore2``; ``None`` when it is not installed."""
    if importlib.util.find_spec("httpcore2") is None:
        return None
    existing = Mocker.registry.get(_HTTPCORE2)
    if existing is not None:  # pragma: no cover - only after a reload of this module
        return existing

    class HTTPCore2Mocker(HTTPCoreMocker):
        name = _HTTPCORE2
        targets: ClassVar[list[str]] = [
            target.replace("httpcore.", "httpcore2.", 1) for target in HTTPCoreMocker.targets
        ]

        @classmethod
        def _send_sync_request(cls, httpx_request: Any, **kwargs: Any) -> Any:
            with _httpcore2_errors():
                return super()._send_sync_request(httpx_request, **kwargs)  # type: ignore[no-untyped-call]

        @classmethod
        async def _send_async_request(cls, httpx_request: Any, **kwargs: Any) -> Any:
            with _httpcore2_errors():
                return await super()._send_async_request(httpx_request, **kwargs)  # type: ignore[no-untyped-call]

        @classmethod
        def from_sync_httpx_response(cls, httpx_response: Any, target: Any, **kwargs: Any) -> Any:
            import httpcore2

            return httpcore2.Response(
                status=httpx_response.status_code,
                headers=httpx_response.headers.raw,
                content=_Httpcore2Stream(httpx_response.stream),
                extensions=httpx_response.extensions,
            )

    return HTTPCore2Mocker


@contextlib.contextmanager
def _httpcore2_errors() -> Iterator[None]:
    """Re-raise an ``httpx`` transport error as the ``httpcore2`` error of the same name, which
    ``httpx2`` maps to its own (``httpx2.RemoteProtocolError``, ``httpx2.ReadTimeout``…)."""
    try:
        yield
    except httpx.TransportError as error:
        import httpcore2

        replacement = getattr(httpcore2, type(error).__name__, httpcore2.NetworkError)
        raise replacement(str(error)) from error


class _Httpcore2Stream:
    """A ``ChunkStream`` (or any httpx stream) as ``httpcore2`` content, errors translated."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpcore2_errors():
            yield from self.stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpcore2_errors():
            async for chunk in self.stream:
                yield chunk

    def close(self) -> None:
        if hasattr(self.stream, "close"):
            self.stream.close()

    async def aclose(self) -> None:
        if hasattr(self.stream, "aclose"):
            await self.stream.aclose()
