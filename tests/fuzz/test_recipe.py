"""The Python recipe: drawn answers served in-process to the real openai SDK; Hypothesis shrinks a
planted app bug to a minimal answer; the SDK's SSE finding reproduced and minimized."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import openai
import pytest
from hypothesis import HealthCheck, given, settings
from support import SPECS

from conformance import sse
from conformance.errors import InputError
from conformance.fuzz.minimize import minimize
from conformance.fuzz.recipe import Framing, framings, serve, served, wire
from conformance.mock import Mock
from conformance.spec import Spec, load_spec
from conformance.strategies import ResponseCase, responses, streams
from conformance.validate import Validator

CHAT = "createChatCompletion"
MESSAGES: list[Any] = [{"role": "user", "content": "Say hello."}]
BOUNDED = settings(
    max_examples=25,
    database=None,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


_CLIENT = openai.OpenAI(api_key="sk-test", max_retries=0)  # built once: 80 ms each


def client() -> openai.OpenAI:
    return _CLIENT


PLAIN = Framing()


def ask(mock_spec: Spec | Mock, case: ResponseCase, framing: Framing = PLAIN) -> Any:
    with serve(mock_spec, case, framing=framing):
        return client().chat.completions.create(model="gpt-4o", messages=MESSAGES)


def test_served_writes_the_case() -> None:
    case = ResponseCase("listModels", 200, "application/json", {"x-a": "1"}, body={"t": "é"})
    answer = served(case)
    assert answer.status == 200
    assert answer.headers == {"x-a": "1", "content-type": "application/json"}
    assert json.loads(answer.body) == {"t": "é"} and "é".encode() in answer.body
    events = (sse.Event('{"a": 1}'), sse.Event("[DONE]"))
    streamed = served(ResponseCase(CHAT, 200, "text/event-stream", events=events))
    assert streamed.stream and streamed.chunks == wire(events)


def test_wire_framings() -> None:
    events = (sse.Event('{"a": 1}', event="x"), sse.Event("[DONE]"))
    framing = Framing(newline="\r\n", ids=True, retry=5, keepalive=True)
    assert b"".join(wire(events, framing)) == (
        b'retry: 5\r\n\r\nevent: x\r\nid: 0\r\ndata: {"a": 1}\r\n\r\n'
        b": keep-alive\r\n\r\nid: 1\r\ndata: [DONE]\r\n\r\n"
    )
    with pytest.raises(InputError):
        Framing(newline="\n\n")


def test_every_framing_keeps_the_events(spec: Spec, validator: Validator) -> None:
    @BOUNDED
    @given(streams(spec, CHAT), framings())
    def check(events: tuple[sse.Event, ...], framing: Framing) -> None:
        raw = b"".join(wire(events, framing))
        assert [v for v in validator.stream(CHAT, raw) if v.is_error] == []
        parsed = sse.parse(raw)
        assert [(e.data, e.event) for e in parsed.events] == [(e.data, e.event) for e in events]

    check()


def test_the_sdk_reads_exactly_what_was_served(spec: Spec) -> None:
    mock = Mock(spec, state=False)

    @BOUNDED
    @given(responses(spec, CHAT, status=200, media_type="application/json", profile="edge"))
    def check(case: ResponseCase) -> None:
        completion = ask(mock, case)
        assert [c.message.content for c in completion.choices] == [
            c["message"].get("content") for c in case.body["choices"]
        ]

    check()
    sent = [r for r in mock.records if r.request is not None]
    assert sent and all(r.response is not None and r.response.status == 200 for r in sent)
    assert CHAT not in mock.overrides  # serve() leaves the mock as it found it


def test_a_request_the_spec_refuses_gets_the_mocks_400(spec: Spec) -> None:
    case = ResponseCase(CHAT, 200, "application/json", body={})
    with serve(spec, case), pytest.raises(openai.BadRequestError):
        client().chat.completions.create(model="gpt-4o", messages=[])


# -- a planted app bug, shrunk by Hypothesis ------------------------------------------------------


def headline(completion: Any) -> str:
    """Toy app code with a bug: the spec lets ``content`` be null (a refusal, tool calls)."""
    return str(completion.choices[0].message.content.strip().split("\n")[0])


def test_hypothesis_shrinks_the_planted_bug_to_a_minimal_answer(spec: Spec) -> None:
    mock = Mock(spec, state=False)
    failing: list[ResponseCase] = []
    strategy = responses(spec, CHAT, status=200, media_type="application/json", profile="default")

    @settings(BOUNDED, max_examples=60)
    @given(strategy.filter(lambda c: len(c.body["choices"]) >= 1))
    def app_reads_every_answer(case: ResponseCase) -> None:
        try:
            headline(ask(mock, case))
        except AttributeError:
            failing.append(case)
            raise

    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'strip'"):
        app_reads_every_answer()
    shrunk = failing[-1]  # Hypothesis replays its minimal example last
    assert shrunk.body["choices"][0]["message"]["content"] is None
    assert len(shrunk.body["choices"]) == 1
    assert set(shrunk.body) == {"choices", "created", "id", "model", "object"}  # required only
    assert (shrunk.body["id"], shrunk.body["created"], shrunk.body["model"]) == ("", 0, "")


# -- the openai-python finding ---------------------------------------------------------------------


def _reassembled(spec: Spec, events: tuple[sse.Event, ...], framing: Framing) -> str:
    case = ResponseCase(CHAT, 200, "text/event-stream", events=events)
    with serve(spec, case, framing=framing):
        stream = client().chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def test_sdk_stream_finding_is_found_shrunk_and_minimized(spec: Spec, validator: Validator) -> None:
    """openai-python dispatches an empty event for a blank line after ``id:`` or ``retry:`` and
    ``json.loads("")`` ends the stream (openai/_streaming.py: ``SSEDecoder.decode`` guards on
    ``_last_event_id``/``_retry``, ``Stream.__stream__`` calls ``sse.json()``)."""
    found: list[tuple[tuple[sse.Event, ...], Framing]] = []

    @settings(BOUNDED, max_examples=50)
    @given(streams(spec, CHAT), framings())
    def stream_reads_whole(events: tuple[sse.Event, ...], framing: Framing) -> None:
        try:
            _reassembled(spec, events, framing)
        except json.JSONDecodeError:
            found.append((events, framing))
            raise

    with contextlib.suppress(json.JSONDecodeError):
        stream_reads_whole()
    if not found:
        pytest.skip(f"openai {openai.__version__} reads every framing: the finding is fixed")
    events, framing = found[-1]
    # Hypothesis' minimal framing: one of the two triggers, and nothing else
    assert framing in (Framing(ids=True, keepalive=True), Framing(retry=0))

    def still_fails(candidate: tuple[sse.Event, ...]) -> bool:
        try:
            _reassembled(spec, candidate, framing)
        except json.JSONDecodeError:
            return True
        return False

    smallest = minimize(CHAT, events, still_fails, validator=validator, budget=100)
    assert smallest.calls <= 100
    assert still_fails(smallest.answer)
    assert [v for v in validator.stream(CHAT, smallest.answer) if v.is_error] == []
    assert len(smallest.answer) <= 2 and smallest.answer[-1].data == "[DONE]"


def test_the_finding_by_hand() -> None:
    """The minimal reproduction, as the README's findings table has it."""
    spec_path = SPECS / "openai-2.3.0.yaml"
    if not spec_path.exists():
        pytest.skip("spec not found")
    chunk = {
        "id": "",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "",
        "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}],
    }
    events = (sse.Event(json.dumps(chunk)), sse.Event("[DONE]"))
    spec = load_spec(spec_path)
    assert _reassembled(spec, events, Framing()) == "hi"
    for framing in (Framing(retry=0), Framing(ids=True, keepalive=True)):
        raw = b"".join(wire(events, framing))
        assert [e.data for e in sse.parse(raw).events] == [e.data for e in events]  # same events
        try:
            _reassembled(spec, events, framing)
        except json.JSONDecodeError:
            continue
        pytest.skip(f"openai {openai.__version__} reads {framing}: the finding is fixed")
