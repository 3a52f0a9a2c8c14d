"""The Python recipe: fuzz a Python client in-process, with Hypothesis' own shrinking.

Draw a response with :func:`conformance.strategies.responses` (or a stream with
:func:`~conformance.strategies.streams`), and optionally how the stream is written on the
wire with :func:`framings`; inside :func:`serve`, every httpx (and httpx2, as openai-python 3.x
uses) request under ``base_url`` is answered by the mock — which still checks what the client
sends — and the drawn operation answers exactly the drawn response. When the client breaks,
Hypothesis shrinks the response (and the framing) to a minimal one and prints it.

>>> @given(responses(spec, "createChatCompletion", status=200), framings())  # doctest: +SKIP
... def test_app_reads_every_answer(case, framing):
...     with serve(spec, case, framing=framing):
...         my_app.ask("hello")  # calls openai.OpenAI(...) as it does in production
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import hypothesis.strategies as st

from .. import sse
from ..errors import InputError
from ..mock import Mock, MockRequest, MockResponse, mock_router
from ..mock.transport import DEFAULT_BASE_URL
from ..spec import Spec
from ..strategies import ResponseCase

__all__ = ["Framing", "framings", "serve", "served", "wire"]

_NEWLINES = ("\n", "\r\n", "\r")


@dataclass(frozen=True)
class Framing:
    """How a stream's events are written: each choice is allowed by the SSE standard and leaves
    the events a conforming parser dispatches unchanged.

    ``newline`` ends every line; ``ids`` gives each event an ``id:`` line (its index);
    ``retry`` sends a ``retry:`` block of its own first; ``keepalive`` sends a ``: keep-alive``
    comment block (a comment line and a blank line) between events.

    >>> b"".join(wire([sse.Event('{"a": 1}')], Framing(ids=True, keepalive=True)))
    b'id: 0\\ndata: {"a": 1}\\n\\n'
    """

    newline: str = "\n"
    ids: bool = False
    retry: int | None = None
    keepalive: bool = False

    def __post_init__(self) -> None:
        if self.newline not in _NEWLINES:
            raise InputError(f"framing newline must be one of LF, CRLF, CR, not {self.newline!r}")


def framings() -> st.SearchStrategy[Framing]:
    """Framings of a stream, shrinking towards the plain one (LF, no ids, retry or comments).

    >>> @given(streams(spec, "createChatCompletion"), framings())  # doctest: +SKIP
    ... def test_stream(events, framing): ...
    """
    return st.builds(
        Framing,
        newline=st.sampled_from(_NEWLINES),
        ids=st.booleans(),
        retry=st.none() | st.integers(0, 10_000),
        keepalive=st.booleans(),
    )


def wire(events: Sequence[sse.Event], framing: Framing = Framing()) -> tuple[bytes, ...]:
    """The stream's chunks as sent under ``framing``: one per event (a ``retry:`` block and a
    keep-alive travel with the event after them), raw UTF-8.

    >>> wire([sse.Event("[DONE]")], Framing(retry=0))
    (b'retry: 0\\n\\ndata: [DONE]\\n\\n',)
    """
    nl = framing.newline
    chunks: list[bytes] = []
    for index, event in enumerate(events):
        head = ""
        if index == 0 and framing.retry is not None:
            head = f"retry: {framing.retry}{nl}{nl}"
        elif index and framing.keepalive:
            head = sse.encode_comment("keep-alive", nl) + nl
        block = sse.encode(
            event.data,
            event=event.event,
            id=str(index) if framing.ids else None,
            newline=nl,
        )
        chunks.append((head + block).encode())
    return tuple(chunks)


def served(case: ResponseCase, framing: Framing = Framing()) -> MockResponse:
    """The mock's answer for a drawn response: its status, headers, Content-Type and body
    (a stream one chunk per event, written under ``framing``).

    >>> served(ResponseCase("listModels", 200, "application/json", body={"object": "list", "data": []})).body
    b'{"object": "list", "data": []}'
    """
    headers = dict(case.headers)
    if case.media_type is not None:
        headers["content-type"] = case.media_type
    if case.events is not None:
        return MockResponse(case.status, headers, wire(case.events, framing), stream=True)
    if case.media_type is None:
        return MockResponse(case.status, headers)
    body = case.body if isinstance(case.body, bytes) else _json(case.body)
    return MockResponse(case.status, headers, (body,))


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


@contextlib.contextmanager
def serve(
    spec: Spec | Mock,
    case: ResponseCase,
    *,
    framing: Framing = Framing(),
    base_url: str = DEFAULT_BASE_URL,
) -> Iterator[Mock]:
    """Answer ``case.operation`` with exactly ``case`` (every request, as often as it is sent)
    and every other request as the mock does, for httpx clients under ``base_url``; yields the
    mock, whose ``records`` hold what the client sent and the verdicts on it.

    A request the spec does not allow gets the mock's 400, not the drawn answer. Pass a
    ``Mock`` instead of a spec to reuse one (its override of the operation is removed on exit).

    >>> with serve(spec, case) as mock:  # doctest: +SKIP
    ...     openai.OpenAI(api_key="sk-test", max_retries=0).chat.completions.create(...)
    """
    mock = spec if isinstance(spec, Mock) else Mock(spec, state=False)
    answer = served(case, framing)

    def handler(request: MockRequest) -> MockResponse:
        return answer

    previous = mock.overrides.get(case.operation)
    mock.override(case.operation, handler=handler)
    try:
        with mock_router(mock, base_url):
            yield mock
    finally:
        if previous is None:
            mock.overrides.pop(case.operation, None)
        else:
            mock.overrides[case.operation] = previous
