"""Fuzz the official openai-python SDK in-process, with Hypothesis' own shrinking.

Each test draws an answer the spec allows for ``createChatCompletion`` — a JSON completion, or
a stream and the way its events are written on the wire (CRLF or CR line ends, ``id:`` and
``retry:`` fields, keep-alive comments: all standard SSE) — serves exactly that answer to the
real ``openai.OpenAI`` client through the mock's respx router (the mock still checks the
request the SDK sends), and asserts what an app relies on: the call succeeds and the text it
reads is the text that was served.

Run it with ``python examples/fuzz_openai_python.py`` or
``pytest -p no:schemathesis examples/fuzz_openai_python.py`` (schemathesis' pytest plugin, when
installed beside Hypothesis 6.170, blanks the values in Hypothesis' "Failing test case" report).
Against openai-python 3.63.0 the JSON test passes and the stream test fails; Hypothesis
shrinks the framing to the least it needs (the events stay the shortest lifecycle the
``streams`` strategy draws; ``conformance.fuzz.minimize`` takes them down to one chunk and
``[DONE]``, see tests/fuzz/test_recipe.py):

    json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)
    Failing test case: test_stream_text_arrives_whole(
        events=(Event(data='{"id": "chatcmpl-000000000000", ... "delta": {"role": "assistant", ...'),
                ..., Event(data='[DONE]')),
        framing=Framing(newline='\\n', ids=True, retry=None, keepalive=True),
    )

The wire bytes of the minimal case: ``id: 0\\ndata: {chunk}\\n\\n: keep-alive\\n\\n`` then
``id: 1\\ndata: [DONE]\\n\\n`` (``retry: 0\\n\\n`` before the first event fails the same way).
The SDK's ``SSEDecoder.decode`` (``openai/_streaming.py``) dispatches an event at a blank line
unless ``not self._event and not self._data and not self._last_event_id and self._retry is
None``; ``_last_event_id`` is kept across events (rightly), so after any ``id:`` every blank
line — the one ending a keep-alive comment block — dispatches an event with ``data == ""``, as
does a ``retry:``-only block. The SSE standard dispatches nothing when the data buffer is
empty. ``Stream.__stream__`` then calls ``sse.json()`` = ``json.loads("")``: the stream ends in
an untyped ``JSONDecodeError`` (not an ``openai.APIError``). Known upstream as
openai/openai-python#2722 and #3833 (both closed; fixes #2721, #2933, #3839 closed unmerged).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import openai
from hypothesis import HealthCheck, given, settings

from conformance import load_spec, sse
from conformance.fuzz.recipe import Framing, framings, serve
from conformance.strategies import ResponseCase, responses, streams

SPEC = load_spec(
    os.environ.get(
        "OPENAI_SPEC",
        Path(__file__).resolve().parents[2] / "shared" / "specs" / "openai-2.3.0.yaml",
    )
)
CHAT = "createChatCompletion"
MESSAGES: list[openai.types.chat.ChatCompletionMessageParam] = [
    {"role": "user", "content": "Say hello."}
]
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


_CLIENT = openai.OpenAI(api_key="sk-test", max_retries=0)


def client() -> openai.OpenAI:
    """The client as an app builds it (once: building one takes ~80 ms); the mock answers under
    its default base URL, whenever the client was built."""
    return _CLIENT


@FUZZ
@given(responses(SPEC, CHAT, status=200, media_type="application/json", profile="edge"))
def test_completion_text_arrives_whole(case: ResponseCase) -> None:
    """Every completion the spec allows parses, each choice's content as served."""
    with serve(SPEC, case):
        completion = client().chat.completions.create(model="gpt-4o", messages=MESSAGES)
    served = [choice["message"].get("content") for choice in case.body["choices"]]
    assert [choice.message.content for choice in completion.choices] == served


@FUZZ
@given(streams(SPEC, CHAT), framings())
def test_stream_text_arrives_whole(events: tuple[sse.Event, ...], framing: Framing) -> None:
    """Every stream the spec allows, however it is framed, yields the content served."""
    case = ResponseCase(CHAT, 200, "text/event-stream", events=events)
    expected: dict[int, str] = {}
    for event in events:
        if event.data == "[DONE]":
            continue
        for choice in json.loads(event.data)["choices"]:
            text = choice.get("delta", {}).get("content")
            if text:
                expected[choice["index"]] = expected.get(choice["index"], "") + text
    got: dict[int, str] = {}
    with serve(SPEC, case, framing=framing):
        stream = client().chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    got[choice.index] = got.get(choice.index, "") + choice.delta.content
    assert got == expected


if __name__ == "__main__":
    import pytest

    raise SystemExit(
        pytest.main([__file__, "-q", "-p", "no:cacheprovider", "-p", "no:schemathesis"])
    )
