"""Sessions: one mock server, many isolated clients — each behind its own path prefix.

A client run gets the base URL ``http://127.0.0.1:PORT/fuzz/SESSION/v1``; what it sends there
is answered by that session's own :class:`~conformance.mock.Mock` (its seed, profile, faults,
state and clock), so its answers depend on nothing another client does. Every exchange is
recorded as a :class:`~conformance.results.Result` with the bytes exactly as served (the mock's
own log redacts secret-looking strings; a replay needs the bytes), its replay key and faults.

A replay session serves recorded exchanges again instead: each request gets the next recorded
answer to the same method and path, byte for byte (same status, headers, chunks, delay,
interval, stall pauses and drop); a request with none left is answered by the session's mock.

>>> sessions = Sessions(spec)  # doctest: +SKIP
>>> with MockServer(sessions) as server:  # doctest: +SKIP
...     url = sessions.open("7", Mock(spec, seed="1:7")).base_url(server.url)
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from ..mock import Mock, MockRequest, MockResponse
from ..mock.apierror import error_response
from ..results import Response, Result

__all__ = ["PREFIX", "Session", "Sessions", "served"]

PREFIX = "/fuzz/"
# the one header of the mock's that varies from run to run (time taken): fixed, so that a
# session's answers are the same bytes each time
_TIMING = "openai-processing-ms"


def served(response: MockResponse) -> Response:
    """The answer as recorded: the bytes exactly as sent, and how they were delivered (delay,
    interval, the stalls' pauses, drop)."""
    return Response(
        response.status,
        dict(response.headers),
        tuple(response.chunks),
        response.stream,
        delay=response.delay,
        interval=response.interval,
        drop=response.drop,
        pauses=tuple(response.pauses),
    )


def _as_mock_response(recorded: Response) -> MockResponse:
    return MockResponse(
        recorded.status,
        dict(recorded.headers),
        tuple(recorded.chunks or ()),
        delay=recorded.delay,
        interval=recorded.interval,
        pauses=recorded.pauses,
        drop=recorded.drop,
        stream=recorded.stream,
    )


@dataclass
class Session:
    """One client's mock and what it was served: ``records`` in order; ``script`` the recorded
    answers a replay serves, by ``(method, path)``.

    >>> Session("7", mock).base_url("http://127.0.0.1:8000")  # doctest: +SKIP
    'http://127.0.0.1:8000/fuzz/7/v1'
    """

    id: str
    mock: Mock
    script: dict[tuple[str, str], deque[Result]] = field(default_factory=dict)
    records: list[Result] = field(default_factory=list)

    def base_url(self, root: str) -> str:
        """The base URL a client is given: the server's root, the prefix, the spec's base path."""
        return f"{root}{PREFIX}{self.id}{self.mock.base_path}"

    def handle(self, request: MockRequest) -> MockResponse:
        """Answer one request (recorded, or from the mock) and record the exchange."""
        queue = self.script.get((request.method, request.path))
        if queue:
            result = queue.popleft()
            assert result.response is not None
            response = _as_mock_response(result.response)
            record = replace(result, notes=(*result.notes, "replayed"))
        else:
            response = self.mock.handle(request)
            if _TIMING in response.headers:
                response = response.with_(headers={**response.headers, _TIMING: "1"})
            logged = self.mock.records[-1]
            record = replace(logged, response=served(response))
        self.records.append(record)
        return response


class Sessions(Mock):
    """A mock that routes ``/fuzz/SESSION/…`` to the session's own mock; serve it with
    :class:`~conformance.mock.server.MockServer`. Anything else is a 404 naming the prefix.

    >>> sessions.open("7", Mock(spec, seed="1:7"))  # doctest: +SKIP
    """

    def __init__(self, spec: Any, **options: Any) -> None:
        super().__init__(spec, base_path="", **options)
        self.sessions: dict[str, Session] = {}
        self._guard = threading.Lock()

    def open(self, session_id: str, mock: Mock, script: Iterable[Result] = ()) -> Session:
        """Start serving a session (replacing one of the same id); ``script``: answers to replay.

        >>> sessions.open("7", Mock(spec, seed="1:7"), script=recorded)  # doctest: +SKIP
        """
        if "/" in session_id or not session_id:
            raise ValueError(f"session id {session_id!r} must be a non-empty path segment")
        queues: dict[tuple[str, str], deque[Result]] = {}
        for result in script:
            if result.request is not None and result.response is not None:
                key = (result.request.method, result.request.path)
                queues.setdefault(key, deque()).append(result)
        session = Session(session_id, mock, queues)
        with self._guard:
            self.sessions[session_id] = session
        return session

    def close(self, session_id: str) -> Session | None:
        """Stop serving a session; returns it (with its records)."""
        with self._guard:
            return self.sessions.pop(session_id, None)

    def handle(self, request: MockRequest) -> MockResponse:
        """Route to the session named by the path's prefix."""
        path = request.path
        if path.startswith(PREFIX):
            session_id, _, rest = path[len(PREFIX) :].partition("/")
            with self._guard:
                session = self.sessions.get(session_id)
            if session is not None:
                return session.handle(replace(request, path="/" + rest))
        return error_response(
            404, f"Invalid URL ({request.method} {path}): no fuzz session {PREFIX}SESSION/ there"
        )
