"""Serving the mock over HTTP with uvicorn: in the foreground (``serve``) or a thread (``MockServer``).

Both bind the listening socket themselves, so a port in use is a one-line ``InputError`` and
``port=0`` picks a free port that is known before the server starts.

>>> with MockServer(Mock("../shared/specs/openai-2.3.0.yaml")) as server:  # doctest: +SKIP
...     httpx.get(server.base_url + "/models", headers={"authorization": "Bearer sk-x"})
<Response [200 OK]>
"""

from __future__ import annotations

import errno
import gc
import importlib.util
import logging
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from ..errors import InputError
from .app import MockApp
from .core import Mock
from .protocol import protocol_class

__all__ = ["MockServer", "ServerLimits", "bind", "default_connections", "serve"]


@dataclass(frozen=True)
class ServerLimits:
    """What the server lets one client do; every limit answers with OpenAI's error envelope.

    - ``max_header_bytes``: the request line and headers together (``431``; llhttp, the
      parser, has no such cap, so ``conformance.mock.protocol`` counts);
    - ``header_timeout``: seconds to deliver a complete head, from the connection's opening or
      the first byte of its next request (``408``; a connection that sent nothing is closed);
    - ``body_timeout``: seconds to deliver the whole body once the head is complete (``408``);
    - ``keep_alive``: seconds an idle connection is kept between requests (uvicorn's
      ``timeout_keep_alive``);
    - ``max_connections``: open connections; one more is answered ``503`` and closed (default
      1,000, or the soft descriptor limit less 64 when that is lower: ``default_connections``).

    >>> MockServer(mock, limits=ServerLimits(max_connections=100))  # doctest: +SKIP
    """

    max_header_bytes: int = 64 * 1024
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    keep_alive: float = 5.0
    max_connections: int = field(default_factory=lambda: default_connections())


def default_connections() -> int:
    """1,000, or the soft ``RLIMIT_NOFILE`` less 64 (for the log, the spec, the listener) when
    that is lower, so connections past the limit are refused before descriptors run out."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):  # no resource module (Windows)
        return 1000
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return 1000
    return max(1, min(1000, soft - 64))


# What uvicorn logs when the app leaves a response unfinished on purpose (the ``drop`` fault).
_DROPPED = "ASGI callable returned without completing response."


class _DropFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != _DROPPED


_DROP_FILTER = _DropFilter()


def _config(
    mock: Mock, log_level: str, log_config: Any, limits: ServerLimits | None = None
) -> uvicorn.Config:
    limits = limits or ServerLimits()
    config = uvicorn.Config(
        MockApp(mock),
        http=protocol_class(
            max_header_bytes=limits.max_header_bytes,
            header_timeout=limits.header_timeout,
            body_timeout=limits.body_timeout,
            max_connections=limits.max_connections,
            mock=mock,
        ),
        timeout_keep_alive=limits.keep_alive,  # type: ignore[arg-type]
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        lifespan="on",
        log_level=log_level,
        log_config=log_config,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    logger = logging.getLogger("uvicorn.error")
    if _DROP_FILTER not in logger.filters:
        logger.addFilter(_DROP_FILTER)
    return config


def bind(host: str = "127.0.0.1", port: int = 8000) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port=0``: a free one); ``InputError`` if taken.

    >>> bind("127.0.0.1", 0).getsockname()[1] > 0  # doctest: +SKIP
    True
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise InputError(f"cannot listen on {host}:{port}: address already in use") from None
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    elif host == "0.0.0.0":
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(
    mock: Mock,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "warning",
    sock: socket.socket | None = None,
    limits: ServerLimits | None = None,
) -> None:
    """Serve ``mock`` on ``host:port`` (or an already bound ``sock``) until SIGINT or SIGTERM.

    Returns normally after either signal; a port in use raises ``InputError``.

    >>> serve(Mock("openai-2.3.0.yaml"), port=8000)  # doctest: +SKIP
    """
    listener = sock if sock is not None else bind(host, port)
    server = uvicorn.Server(_config(mock, log_level, LOGGING_CONFIG, limits))
    # what is loaded by now (the spec, its schemas and validators) lives as long as the process:
    # frozen out of the collector, the full collections a busy server triggers skip it
    gc.collect()
    gc.freeze()
    main = threading.current_thread() is threading.main_thread()
    # uvicorn re-raises the signal that stopped it once it has shut down; make SIGTERM raise
    # KeyboardInterrupt like SIGINT does, so both end here instead of killing the process.
    previous = signal.signal(signal.SIGTERM, _interrupt) if main else None
    try:
        server.run(sockets=[listener])
    except KeyboardInterrupt:
        pass
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
        listener.close()


class MockServer:
    """The mock served by uvicorn in a background thread, on loopback and a free port by default.

    ``url`` is the server's root (``http://127.0.0.1:54321``), ``base_url`` adds the spec's base
    path (``…/v1``). Entering waits until the server accepts connections; leaving stops it.

    >>> with MockServer(mock) as server:  # doctest: +SKIP
    ...     client = openai.OpenAI(base_url=server.base_url, api_key="sk-test")
    """

    def __init__(
        self,
        mock: Mock,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_level: str = "warning",
        limits: ServerLimits | None = None,
    ) -> None:
        self.mock = mock
        self.limits = limits or ServerLimits()
        self.host = host
        self.port = port
        self.log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._error: BaseException | None = None
        self.url = ""

    @property
    def base_url(self) -> str:
        """The URL clients use as their base: ``url`` plus the spec's base path."""
        return self.url + self.mock.base_path

    def start(self, timeout: float = 30.0) -> MockServer:
        """Bind, start serving in a thread, and wait until the server is up.

        >>> server = MockServer(mock).start()  # doctest: +SKIP
        """
        if self._thread is not None:
            return self
        self._socket = bind(self.host, self.port)
        self.url = _url(self._socket)
        self.port = self._socket.getsockname()[1]
        # log_config=None: leave the host process' logging (pytest's, an app's) untouched
        self._server = uvicorn.Server(_config(self.mock, self.log_level, None, self.limits))
        self._thread = threading.Thread(
            target=self._run, name=f"conformance-mock:{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self._cleanup()
                raise RuntimeError(f"mock server on {self.url} failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mock server on {self.url} did not start within {timeout}s")
            time.sleep(0.005)
        return self

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:
            self._error = exc

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread to end.

        >>> server.stop()  # doctest: +SKIP
        """
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
