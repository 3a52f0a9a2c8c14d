"""Sending a suite's requests: bounded reads, politeness, and every exchange kept as a ``Result``.

A stream is read event by event up to the budget's bounds (events, bytes, idle time), never
cut at an arbitrary 20 events as schemathesis' transport does by default: an OpenAI stream cut
short would be judged on a part. 429s are retried after ``retry-after-ms`` / ``Retry-After``
(bounded), and requests are spaced to the budget's rate. A connection that fails, resets or
goes silent becomes a ``transport.*`` verdict on the exchange, never an exception.

>>> with Sender(target, Budget()) as send:  # doctest: +SKIP
...     result = send(case, "positive")
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import replace
from typing import Any

import httpx

from ..results import Request, Response, Result
from ..strategies import RequestCase
from ..validate import Violation
from .target import Budget, Target

__all__ = ["Sender", "retry_delay"]

_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")
_MAX_RETRY_DELAY = 30.0


def retry_delay(headers: httpx.Headers, attempt: int) -> float:
    """Seconds to wait before retrying a 429: ``retry-after-ms``, then ``Retry-After``
    (seconds), else exponential from half a second; at most 30 s.

    >>> retry_delay(httpx.Headers({"retry-after-ms": "1500"}), 0)
    1.5
    """
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return min(max(float(value) * scale, 0.0), _MAX_RETRY_DELAY)
            except ValueError:
                continue
    return float(min(0.5 * 2**attempt, _MAX_RETRY_DELAY))


class _Exhausted(Exception):
    """The run's budget is spent."""


class Sender:
    """Sends ``RequestCase`` s to a target within a budget and returns each exchange as a
    ``Result`` (request, answer as the chunks read, timing, ``transport.*`` verdicts).

    Thread-safe: workers share one sender (and its connection pool, rate and counters).
    """

    def __init__(self, target: Target, budget: Budget) -> None:
        self.target = target
        self.budget = budget
        self.sent = 0
        self.tokens = 0
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._next = 0.0
        self._previous = ""  # the last request sent, as "METHOD /path"
        self._before = ""  # the one sent before it
        timeout = httpx.Timeout(budget.timeout, connect=min(budget.timeout, 10.0))
        self._client = httpx.Client(
            timeout=timeout,
            headers={"user-agent": "openai-conformance", **target.request_headers()},
            follow_redirects=False,
        )

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    # -- budget --------------------------------------------------------------------------------

    def spent(self) -> str | None:
        """Why the budget is spent (``None``: it is not)."""
        if self.sent >= self.budget.requests:
            return f"the request budget ({self.budget.requests}) is spent"
        if self.tokens >= self.budget.tokens:
            return f"the token budget ({self.budget.tokens}) is spent"
        if time.monotonic() - self.started >= self.budget.seconds:
            return f"the time budget ({self.budget.seconds:g} s) is spent"
        return None

    def _take(self) -> None:
        with self._lock:
            why = self.spent()
            if why is not None:
                raise _Exhausted(why)
            self.sent += 1
            wait = 0.0
            if self.budget.rate > 0:
                now = time.monotonic()
                self._next = max(self._next, now)
                wait = self._next - now
                self._next += 1.0 / self.budget.rate
        if wait > 0:
            time.sleep(wait)

    # -- sending -------------------------------------------------------------------------------

    def __call__(self, case: RequestCase, name: str = "", *, auth: bool = True) -> Result | None:
        """The exchange of one case (``None``: the budget is spent, nothing was sent);
        ``auth=False`` leaves the API key out."""
        request = self._client.build_request(
            case.method, case.url(self.target.base_url), **case.httpx_kwargs()
        )
        if not auth:
            request.headers.pop("authorization", None)
        request.read()  # a multipart body is a stream: read it once, to send and to record
        for attempt in range(self.budget.retries + 1):
            try:
                self._take()
            except _Exhausted:
                return None
            result, retry = self._once(case.operation, request, name)
            if result.response is None and _reset(result):
                result = self._fresh(case.operation, request, name, result)
            elif _garbled(result):
                result = self._desync(case.operation, request, name, result)
            if retry is None or attempt == self.budget.retries:
                return result
            time.sleep(retry)
        return result  # pragma: no cover - the loop always returns

    def _fresh(self, operation: str, request: httpx.Request, name: str, failed: Result) -> Result:
        """The request again on a new connection, after a kept-alive one was reset before any
        answer (a server that closes after an error without saying ``connection: close``):
        what an SDK's retry sees; the reset stays on the result as a warning."""
        why = next(v.message for v in failed.violations if v.code == "transport.error")
        try:
            self._take()
        except _Exhausted:
            return failed
        again, _ = self._once(operation, request, name)
        warning = Violation(
            f"the kept-alive connection was reset before any answer ({why}); the request was "
            "answered on a new connection",
            where="transport",
            code="transport.error",
            severity="warning",
        )
        return replace(again, violations=(warning, *again.violations))

    def _desync(self, operation: str, request: httpx.Request, name: str, odd: Result) -> Result:
        """The request again on a connection of its own, after an error answer that is not JSON:
        a server that left an earlier request's body unread on the kept-alive connection reads
        those bytes as the next request and answers them (``501 Unsupported method ('{"model"…')``
        in HTML). A different status on the new connection is that desync: the new answer is
        the request's, and ``transport.desync`` says what the connection did."""
        before = self._before
        try:
            self._take()
        except _Exhausted:
            return odd
        with httpx.Client(timeout=self._client.timeout, follow_redirects=False) as alone:
            again, _ = self._once(operation, request, name, alone)
        if again.response is None or odd.response is None:
            return odd
        if again.response.status == odd.response.status:
            return odd
        kind = odd.response.headers.get("content-type") or "no content type"
        after = f" after {before}" if before else ""
        desync = Violation(
            f"answered {odd.response.status} ({kind}) on a kept-alive connection{after}, and "
            f"{again.response.status} on a new one: the connection was out of step, an earlier "
            "request's bytes read as this one (a body left unread?)",
            where="transport",
            code="transport.desync",
            expected=again.response.status,
            actual=odd.response.status,
        )
        return replace(again, violations=(desync, *again.violations))

    def _once(
        self, operation: str, request: httpx.Request, name: str, client: httpx.Client | None = None
    ) -> tuple[Result, float | None]:
        started = time.time()
        clock = time.monotonic()
        recorded = _recorded(request)
        self._before, self._previous = self._previous, f"{request.method} {request.url.path}"
        chunks: list[bytes] = []
        violations: list[Violation] = []
        status: int | None = None
        headers: dict[str, str] = {}
        stream = False
        retry: float | None = None
        try:
            answer = (client or self._client).send(request, stream=True)
            try:
                status = answer.status_code
                headers = {k.lower(): v for k, v in answer.headers.items()}
                stream = "text/event-stream" in headers.get("content-type", "").lower()
                violations += self._read(answer, chunks, stream)
                if status == 429:
                    retry = retry_delay(answer.headers, 0)
            finally:
                answer.close()
        except httpx.TimeoutException as exc:
            violations.append(_transport("transport.timeout", f"no answer in time ({exc!r})"))
        except (httpx.TransportError, httpx.StreamError) as exc:
            violations.append(_transport("transport.error", _why(exc)))
        response = None
        if status is not None:
            response = Response(status, headers, tuple(chunks), stream)
        result = Result(
            operation,
            recorded,
            response,
            started=started,
            duration_ms=(time.monotonic() - clock) * 1000,
            request_id=headers.get("x-request-id"),
            violations=tuple(v for v in violations),
            name=name,
        )
        self._count_tokens(result)
        return result, retry

    def _read(self, answer: httpx.Response, chunks: list[bytes], stream: bool) -> list[Violation]:
        size = 0
        events = 0
        for chunk in answer.iter_raw():
            chunks.append(chunk)
            size += len(chunk)
            if stream:
                events += len(_EVENT_END.findall(chunk))
                if events >= self.budget.stream_events:
                    return [
                        _transport(
                            "transport.bound",
                            f"the stream was cut after {events} events (bound "
                            f"{self.budget.stream_events})",
                        )
                    ]
            if size >= self.budget.stream_bytes:
                return [
                    _transport(
                        "transport.bound",
                        f"the answer was cut after {size} bytes (bound {self.budget.stream_bytes})",
                    )
                ]
        return []

    def _count_tokens(self, result: Result) -> None:
        body = result.response.body if result.response is not None else None
        if not body:
            return
        total = _usage_total(body)
        if total:
            with self._lock:
                self.tokens += total


def _garbled(result: Result) -> bool:
    """Whether the answer is an error that is not JSON (what a desynchronised connection gets)."""
    response = result.response
    if response is None or response.status < 400 or response.stream:
        return False
    return "json" not in response.headers.get("content-type", "").lower()


def _reset(result: Result) -> bool:
    """Whether the exchange failed on a connection reset or closed before any answer."""
    return any(
        v.code == "transport.error"
        and ("reset" in v.message.lower() or "disconnected" in v.message.lower())
        for v in result.violations
    )


def _usage_total(body: bytes) -> int:
    """The tokens an answer's ``usage`` counts: the largest ``total_tokens`` in it (a stream's
    usage chunk is its last; some servers send a running total in every chunk).

    >>> _usage_total(b'data: {"usage": {"total_tokens": 3}}\n\ndata: {"usage": {"total_tokens": 9}}')
    9
    """
    found = re.findall(rb'"total_tokens"\s*:\s*(\d{1,9})', body)
    return max((int(n) for n in found), default=0)


def _recorded(request: httpx.Request) -> Request:
    url = request.url
    origin = f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}"
    headers = {k.lower(): v for k, v in request.headers.items()}
    return Request(
        request.method,
        url.raw_path.decode("ascii", "replace").split("?", 1)[0],
        url.query.decode("ascii", "replace"),
        headers,
        request.content,
        origin=origin,
    )


def _transport(code: str, message: str) -> Violation:
    severity = "error" if code == "transport.error" else "warning"
    return Violation(message, where="transport", code=code, severity=severity)


def _why(exc: Exception) -> str:
    text: Any = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]
