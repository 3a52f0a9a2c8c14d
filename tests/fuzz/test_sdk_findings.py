"""The confirmed openai-python findings of `conformance fuzz` (README, "Client fuzzing"), each
replayed from its minimal recorded answer against the installed SDK, so CI keeps them confirmed.

Each answer is served in-process by our mock (``conformance.fuzz.recipe.serve``, or the mock's
override with a dropped connection) to a real ``openai.OpenAI`` client; where the finding rests
on the answer being one the spec allows, the test checks that with our own validator first.
A finding a newer SDK fixed is skipped, saying so and naming the version installed.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from conformance import sse
from conformance.fuzz.recipe import Framing, serve, wire
from conformance.mock import Mock, MockRequest, MockResponse, mock_router
from conformance.spec import Spec
from conformance.strategies import ResponseCase
from conformance.validate import Validator

pytestmark = pytest.mark.slow

CHAT = "createChatCompletion"
MESSAGES: list[Any] = [{"role": "user", "content": "Say hello."}]
VERSION = openai.__version__
# the smallest chunk createChatCompletion's stream schema allows (every required key, nothing
# else), then [DONE]: what conformance.fuzz.minimize leaves of the stream findings
CHUNK = json.dumps(
    {"id": "", "object": "chat.completion.chunk", "created": 0, "model": "", "choices": []}
)
EVENTS = (sse.Event(CHUNK), sse.Event("[DONE]"))
# createFile's minimal answer from `conformance fuzz --minimize` (cases 42/69/96/105): every key
# required, each at its simplest; "id": "" is a string, as the spec's OpenAIFile.id asks
FILE = {
    "id": "",
    "object": "file",
    "bytes": 0,
    "created_at": 0,
    "filename": "",
    "purpose": "assistants",
    "status": "processed",
}


def client() -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", max_retries=0)


def fixed(what: str) -> None:
    pytest.skip(f"fixed in openai {VERSION}: {what}")


def test_truncated_json_body_leaks_jsondecodeerror(spec: Spec) -> None:
    """A JSON body cut short (the `truncate` fault; the smallest cut is after its first byte)
    escapes as ``json.JSONDecodeError`` from ``openai/_response.py`` (``response.json()``
    unguarded), not as an ``openai.APIError``."""
    case = ResponseCase(CHAT, 200, "application/json", body=b"{")
    with serve(spec, case):
        try:
            client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        except json.JSONDecodeError as exc:
            assert not isinstance(exc, openai.OpenAIError)
            return
        except openai.OpenAIError as exc:
            fixed(f"a cut JSON body raises {type(exc).__name__}")
    pytest.fail("a JSON body cut after one byte parsed without an error")


def test_empty_file_id_breaks_retrieve(spec: Spec, validator: Validator) -> None:
    """``files.create`` answered with ``"id": ""`` (the spec allows it), ``files.retrieve`` of
    that id raises a bare ``ValueError`` (a client-side check in ``resources/files.py``)."""
    body = json.dumps(FILE).encode()
    errors = [
        v
        for v in validator.response(
            "createFile", status=200, headers={"content-type": "application/json"}, body=body
        )
        if v.is_error
    ]
    assert not errors, errors
    case = ResponseCase("createFile", 200, "application/json", body=FILE)
    with serve(spec, case):
        sdk = client()
        created = sdk.files.create(
            file=("notes.txt", b"hello\n", "text/plain"), purpose="assistants"
        )
        assert created.id == ""
        try:
            sdk.files.retrieve(created.id)
        except openai.OpenAIError as exc:
            fixed(f"retrieve('') raises {type(exc).__name__}")
        except ValueError as exc:
            assert "file_id" in str(exc)
            return
    fixed("retrieve('') is sent to the server")


@pytest.mark.parametrize(
    "framing",
    [Framing(ids=True, keepalive=True), Framing(retry=0)],
    ids=["id-then-comment-block", "retry-only-block"],
)
def test_sse_block_without_data_dispatches_empty_event(
    spec: Spec, validator: Validator, framing: Framing
) -> None:
    """A valid stream with an ``id:`` field then a comment block, or a ``retry:``-only block:
    ``SSEDecoder`` (``openai/_streaming.py``) dispatches an event with empty data and the stream
    ends in ``json.JSONDecodeError`` (openai/openai-python#2722)."""
    body = b"".join(wire(EVENTS, framing))
    errors = [v for v in validator.stream(CHAT, body) if v.is_error]
    assert not errors, errors
    assert [e.data for e in sse.parse(body).events] == [e.data for e in EVENTS]
    case = ResponseCase(CHAT, 200, "text/event-stream", events=EVENTS)
    with serve(spec, case, framing=framing):
        stream = client().chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
        try:
            chunks = list(stream)
        except json.JSONDecodeError:
            return
    assert len(chunks) == 1
    fixed(f"the stream framed {framing} yields its one chunk")


@contextlib.contextmanager
def dropped(spec: Spec, operation: str, answer: MockResponse) -> Iterator[None]:
    """Answer ``operation`` with ``answer``, its connection dropped after the last chunk."""
    mock = Mock(spec, state=False)
    cut = MockResponse(answer.status, answer.headers, answer.chunks, drop=True, stream=True)

    def handler(request: MockRequest) -> MockResponse:
        return cut

    mock.override(operation, handler=handler)
    with mock_router(mock):
        yield


def test_stream_dropped_mid_body_leaks_transport_error(spec: Spec) -> None:
    """A stream whose connection drops after its first event: openai-python 1.68.2 let
    ``httpx.RemoteProtocolError`` escape from ``_streaming.py``'s ``iter_bytes``; later SDKs
    raise ``openai.APIConnectionError``."""
    head = {"content-type": "text/event-stream"}
    answer = MockResponse(200, head, wire(EVENTS[:1]), stream=True)
    with dropped(spec, CHAT, answer):
        stream = client().chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
        try:
            list(stream)
        except openai.OpenAIError as exc:
            fixed(f"a dropped stream raises {type(exc).__name__}")
        except Exception as exc:  # the finding: an exception of another type
            assert not isinstance(exc, openai.OpenAIError)
            return
    pytest.fail("a stream whose connection dropped ended without an error")
