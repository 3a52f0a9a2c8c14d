"""Chat and legacy completion rules: each finds what it names (code, pointer, values), leaves a
compliant answer alone, and its fixer makes the violating answer pass — JSON and streams."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from conformance.strategies.streams import chat_events
from conformance.validate.semantics import Event, Exchange, check, comply
from conformance.validate.semantics.chunks import assemble, chunks, pieces

MINE = ("rule.chat.", "rule.completion.", "rule.stream.")
CHAT, LEGACY = "createChatCompletion", "createCompletion"
PLAIN: dict[str, Any] = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hi"}]}
WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "enum": ["Paris", "Lima"]}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
CALL: dict[str, Any] = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}


def chat(**message: Any) -> dict[str, Any]:
    """A realistic chat completion with one choice (its message updated by ``message``)."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-2024-08-06",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi there", "refusal": None, **message},
                "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def legacy(text: str = "Hi there") -> dict[str, Any]:
    """A realistic legacy completion with one choice."""
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1_700_000_000,
        "model": "gpt-3.5-turbo-instruct",
        "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4},
    }


def streamed(op: str, request: dict[str, Any], body: dict[str, Any], usage: bool) -> Exchange:
    """The exchange of ``body`` streamed as OpenAI streams it."""
    events = [Event(c) for c in chunks(body, include_usage=usage)] + [Event("[DONE]")]
    return Exchange(op, request, events=events)


def mine(x: Exchange) -> list[Any]:
    return [v for v in check(x) if v.code.startswith(MINE)]


def edit(body: dict[str, Any], fn: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    body = copy.deepcopy(body)
    fn(body)
    return body


def choice(b: dict[str, Any]) -> dict[str, Any]:
    first: dict[str, Any] = b["choices"][0]
    return first


# (code, operation, request, answer body, pointer, expected)
JSON_CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], str, Any]] = [
    ("rule.chat.n-choices", CHAT, {**PLAIN, "n": 2}, chat(), "/choices", [0, 1]),
    (
        "rule.chat.n-choices",
        LEGACY,
        {"model": "gpt-3.5-turbo-instruct", "prompt": ["a", "b"]},
        legacy(),
        "/choices",
        [0, 1],
    ),
    (
        "rule.chat.finish-tool-calls",
        CHAT,
        PLAIN,
        edit(chat(), lambda b: choice(b).update(finish_reason="tool_calls")),
        "/choices/0/finish_reason",
        "stop",
    ),
    (
        "rule.chat.finish-length",
        CHAT,
        PLAIN,
        edit(chat(), lambda b: choice(b).update(finish_reason="length")),
        "/choices/0/finish_reason",
        "stop",
    ),
    ("rule.chat.content-null", CHAT, PLAIN, chat(content=None), "/choices/0/message/content", None),
    ("rule.chat.refusal", CHAT, PLAIN, chat(refusal="No."), "/choices/0/message/refusal", None),
    (
        "rule.chat.audio-unasked",
        CHAT,
        PLAIN,
        chat(audio={"id": "a", "expires_at": 1, "data": "", "transcript": "Hi"}),
        "/choices/0/message/audio",
        None,
    ),
    (
        "rule.chat.usage-missing",
        CHAT,
        PLAIN,
        edit(chat(), lambda b: b.pop("usage")),
        "/usage",
        "usage",
    ),
    (
        "rule.chat.usage-missing",
        LEGACY,
        {"model": "gpt-3.5-turbo-instruct", "prompt": "a"},
        edit(legacy(), lambda b: b.pop("usage")),
        "/usage",
        "usage",
    ),
    (
        "rule.chat.usage-details",
        CHAT,
        PLAIN,
        edit(
            chat(), lambda b: b["usage"].update(completion_tokens_details={"reasoning_tokens": 5})
        ),
        "/usage/completion_tokens_details/reasoning_tokens",
        2,
    ),
    (
        "rule.chat.usage-details",
        CHAT,
        PLAIN,
        edit(chat(), lambda b: b["usage"].update(prompt_tokens_details={"cached_tokens": 9})),
        "/usage/prompt_tokens_details/cached_tokens",
        5,
    ),
    (
        "rule.chat.max-tokens",
        CHAT,
        {**PLAIN, "max_tokens": 1},
        chat(),
        "/usage/completion_tokens",
        1,
    ),
    (
        "rule.chat.max-tokens",
        LEGACY,
        {"model": "gpt-3.5-turbo-instruct", "prompt": "a"},
        edit(legacy(), lambda b: b["usage"].update(completion_tokens=17, total_tokens=19)),
        "/usage/completion_tokens",
        16,
    ),
    (
        "rule.chat.tools-unasked",
        CHAT,
        PLAIN,
        chat(content=None, tool_calls=[CALL]),
        "/choices/0/message/tool_calls",
        None,
    ),
    (
        "rule.chat.tools-unasked",
        CHAT,
        PLAIN,
        edit(
            chat(content=None, function_call={"name": "f", "arguments": "{}"}),
            lambda b: choice(b).update(finish_reason="function_call"),
        ),
        "/choices/0/message/function_call",
        None,
    ),
    (
        "rule.chat.tool-unknown",
        CHAT,
        {**PLAIN, "tools": [WEATHER]},
        chat(
            content=None, tool_calls=[{**CALL, "function": {"name": "get_time", "arguments": "{}"}}]
        ),
        "/choices/0/message/tool_calls/0/function/name",
        None,
    ),
    (
        "rule.chat.tool-choice",
        CHAT,
        {**PLAIN, "tools": [WEATHER], "tool_choice": "required"},
        chat(),
        "/choices/0/message/tool_calls",
        "required",
    ),
    (
        "rule.chat.tool-choice",
        CHAT,
        {
            **PLAIN,
            "tools": [WEATHER],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        },
        chat(),
        "/choices/0/message/tool_calls",
        "get_weather",
    ),
    (
        "rule.chat.tool-choice",
        CHAT,
        {**PLAIN, "tools": [WEATHER], "tool_choice": "none"},
        chat(content=None, tool_calls=[CALL]),
        "/choices/0/message/tool_calls",
        "none",
    ),
    (
        "rule.chat.tool-arguments-schema",
        CHAT,
        {**PLAIN, "tools": [WEATHER]},
        chat(
            content=None,
            tool_calls=[
                {**CALL, "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}
            ],
        ),
        "/choices/0/message/tool_calls/0/function/arguments",
        None,
    ),
    (
        "rule.chat.response-format",
        CHAT,
        {**PLAIN, "response_format": {"type": "json_object"}},
        chat(),
        "/choices/0/message/content",
        None,
    ),
    (
        "rule.chat.response-format",
        CHAT,
        {
            **PLAIN,
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "w",
                    "strict": True,
                    "schema": WEATHER["function"]["parameters"],
                },
            },
        },
        chat(content='{"city": "Rome"}'),
        "/choices/0/message/content",
        None,
    ),
    (
        "rule.chat.logprobs-unasked",
        CHAT,
        PLAIN,
        edit(chat(), lambda b: choice(b).update(logprobs={"content": [], "refusal": None})),
        "/choices/0/logprobs",
        None,
    ),
    (
        "rule.chat.logprobs-missing",
        CHAT,
        {**PLAIN, "logprobs": True},
        chat(),
        "/choices/0/logprobs",
        "content",
    ),
    (
        "rule.chat.logprobs-missing",
        LEGACY,
        {"model": "gpt-3.5-turbo-instruct", "prompt": "a", "logprobs": 2},
        legacy(),
        "/choices/0/logprobs",
        "tokens",
    ),
    (
        "rule.chat.top-logprobs",
        CHAT,
        {**PLAIN, "logprobs": True, "top_logprobs": 1},
        edit(
            chat(content="Hi"),
            lambda b: choice(b).update(
                logprobs={
                    "content": [
                        {
                            "token": "Hi",
                            "logprob": -0.1,
                            "bytes": [72, 105],
                            "top_logprobs": [{"token": "Hi", "logprob": -0.1, "bytes": None}] * 2,
                        }
                    ],
                    "refusal": None,
                }
            ),
        ),
        "/choices/0/logprobs/content/0",
        1,
    ),
    (
        "rule.chat.logprob-range",
        CHAT,
        {**PLAIN, "logprobs": True},
        edit(
            chat(content="Hi"),
            lambda b: choice(b).update(
                logprobs={
                    "content": [
                        {"token": "Hi", "logprob": 0.5, "bytes": [72, 105], "top_logprobs": []}
                    ],
                    "refusal": None,
                }
            ),
        ),
        "/choices/0/logprobs/content/0/logprob",
        "<= 0",
    ),
    (
        "rule.chat.logprob-range",
        CHAT,
        {**PLAIN, "logprobs": True},
        edit(
            chat(content="Hi"),
            lambda b: choice(b).update(
                logprobs={
                    "content": [
                        {"token": "Hi", "logprob": -1, "bytes": [72, 300], "top_logprobs": []}
                    ],
                    "refusal": None,
                }
            ),
        ),
        "/choices/0/logprobs/content/0/bytes",
        "0..255",
    ),
    (
        "rule.completion.echo",
        LEGACY,
        {"model": "gpt-3.5-turbo-instruct", "prompt": "Say", "echo": True},
        legacy(" hi"),
        "/choices/0/text",
        "Say",
    ),
]


@pytest.mark.parametrize(("code", "op", "request_", "body", "pointer", "expected"), JSON_CASES)
def test_a_json_violation_is_found_and_fixed(
    code: str, op: str, request_: dict[str, Any], body: dict[str, Any], pointer: str, expected: Any
) -> None:
    x = Exchange(op, request_, body=copy.deepcopy(body))
    found = [v for v in check(x) if v.code == code]
    assert found, [str(v) for v in check(x)]
    assert (found[0].pointer, found[0].expected, found[0].where) == (
        pointer,
        expected,
        "response.body",
    )
    assert comply(x) == [] or not [v for v in comply(x) if v.code.startswith(MINE)]
    assert mine(x) == []


# the stream's chunks carry no audio (the chunk schema has none); usage is the usage chunk's
JSON_ONLY = (
    "rule.chat.usage-missing",
    "rule.completion.echo",
    "rule.chat.usage-details",
    "rule.chat.max-tokens",
    "rule.chat.audio-unasked",
)


@pytest.mark.parametrize(("code", "op", "request_", "body", "pointer", "expected"), JSON_CASES)
def test_the_same_violation_streamed_is_found_and_fixed(
    code: str, op: str, request_: dict[str, Any], body: dict[str, Any], pointer: str, expected: Any
) -> None:
    if code in JSON_ONLY:
        pytest.skip("about JSON answers only, or about the usage chunk (tested below)")
    request = {**request_, "stream": True}
    x = streamed(op, request, copy.deepcopy(body), usage=False)
    found = [v for v in check(x) if v.code == code]
    assert found, [str(v) for v in check(x)]
    assert found[0].where in ("stream", "stream.event")
    comply(x)
    assert mine(x) == [], [str(v) for v in mine(x)]
    assert x.events is not None and x.events[-1].data == "[DONE]"


def test_compliant_answers_are_left_alone() -> None:
    cases = [
        (CHAT, PLAIN, chat()),
        (CHAT, {**PLAIN, "tools": [WEATHER]}, chat(content=None, tool_calls=[CALL])),
        (
            CHAT,
            {
                **PLAIN,
                "tools": [WEATHER],
                "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            },
            edit(
                chat(content=None, tool_calls=[CALL]),
                lambda b: choice(b).update(finish_reason="stop"),
            ),
        ),
        (
            CHAT,
            {**PLAIN, "response_format": {"type": "json_schema", "json_schema": {"name": "x"}}},
            chat(content=None, refusal="I can't help with that."),
        ),
        (CHAT, {**PLAIN, "response_format": {"type": "json_object"}}, chat(content='{"a": 1}')),
        (
            CHAT,
            {**PLAIN, "max_tokens": 2},
            edit(chat(), lambda b: choice(b).update(finish_reason="length")),
        ),
        (
            LEGACY,
            {"model": "gpt-3.5-turbo-instruct", "prompt": "Say", "echo": True},
            legacy("Say hi"),
        ),
        (
            LEGACY,
            {"model": "gpt-3.5-turbo-instruct", "prompt": "a"},
            edit(legacy(), lambda b: choice(b).update(finish_reason="length")),
        ),
    ]
    for op, request, body in cases:
        x = Exchange(op, request, body=copy.deepcopy(body))
        assert mine(x) == [], [str(v) for v in mine(x)]
        comply(x)
        assert x.body == body
        y = streamed(op, {**request, "stream": True}, body, usage=False)
        assert mine(y) == [], [str(v) for v in mine(y)]


def test_a_bad_user_schema_does_not_break_the_rules() -> None:
    broken = {**WEATHER, "function": {**WEATHER["function"], "parameters": {"type": "nonsense"}}}
    request = {
        **PLAIN,
        "tools": [broken],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "x", "strict": True, "schema": {"$ref": "#/nowhere"}},
        },
    }
    x = Exchange(CHAT, request, body=chat(content=None, tool_calls=[CALL]))
    assert mine(x) == []
    x = Exchange(CHAT, request, body=chat(content='{"a": 1}'))
    assert mine(x) == []


def test_the_usage_chunk_is_asked_for_and_nothing_else() -> None:
    request = {**PLAIN, "stream": True, "stream_options": {"include_usage": True}}
    good = streamed(CHAT, request, chat(), usage=True)
    assert mine(good) == []
    datas = [e.data for e in good.events or []]
    assert datas[-2]["choices"] == [] and datas[-2]["usage"]["total_tokens"] == 7
    assert all(d["usage"] is None for d in datas[:-2])

    missing = streamed(CHAT, request, chat(), usage=False)
    (found,) = mine(missing)
    assert (found.code, found.expected, found.actual) == ("rule.chat.stream-usage", 1, 0)
    comply(missing)
    assert mine(missing) == [] and missing.events is not None
    assert missing.events[-2].data["usage"]["total_tokens"] > 0

    unasked = streamed(CHAT, {**PLAIN, "stream": True}, chat(), usage=True)
    (found,) = mine(unasked)
    assert (found.code, found.event, found.pointer) == ("rule.chat.stream-usage", 0, "/usage")
    comply(unasked)
    assert mine(unasked) == [] and all(
        "usage" not in e.data for e in unasked.events or [] if e.json
    )

    legacy_request = {
        "model": "gpt-3.5-turbo-instruct",
        "prompt": "a",
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert mine(streamed(LEGACY, legacy_request, legacy(), usage=True)) == []


def test_each_stream_choice_finishes_once() -> None:
    x = streamed(CHAT, {**PLAIN, "stream": True}, chat(), usage=False)
    assert x.events is not None
    x.events.insert(-1, copy.deepcopy(x.events[-2]))  # the finish chunk twice
    (found,) = mine(x)
    assert (found.code, found.event) == ("rule.chat.stream-finish", len(x.events) - 2)
    comply(x)
    assert mine(x) == []

    unfinished = streamed(CHAT, {**PLAIN, "stream": True}, chat(), usage=False)
    assert unfinished.events is not None
    del unfinished.events[-2]
    assert [v.code for v in mine(unfinished)] == ["rule.chat.stream-finish"]
    comply(unfinished)
    assert mine(unfinished) == []


def test_streamed_arguments_add_up_to_json() -> None:
    x = streamed(
        CHAT,
        {**PLAIN, "stream": True, "tools": [WEATHER]},
        chat(content=None, tool_calls=[CALL]),
        usage=False,
    )
    assert x.events is not None
    pieces_ = [
        e
        for e in x.events
        if e.json and e.data["choices"] and "tool_calls" in e.data["choices"][0]["delta"]
    ]
    del pieces_[-1].data["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
    found = mine(x)
    assert [v.code for v in found] == ["rule.chat.stream-arguments"]
    comply(x)
    assert mine(x) == []


def test_stream_mode_follows_the_flag() -> None:
    (found,) = mine(Exchange(CHAT, {**PLAIN, "stream": True}, body=chat()))
    assert (found.code, found.where, found.expected) == (
        "rule.stream.mode",
        "response.content-type",
        "text/event-stream",
    )
    (found,) = mine(streamed(CHAT, PLAIN, chat(), usage=False))
    assert (found.code, found.expected) == ("rule.stream.mode", "application/json")
    assert mine(Exchange("createTranscription", {"stream": "false"}, body={"text": "hi"})) == []
    assert mine(Exchange(CHAT, {**PLAIN, "stream": True}, body={"error": {}}, status=400)) == []


def test_chunks_and_assemble_are_inverse() -> None:
    body = chat(content=None, tool_calls=[CALL, {**CALL, "id": "call_2"}])
    body["choices"].append({**copy.deepcopy(body["choices"][0]), "index": 1})
    stream = chunks(body, include_usage=True)
    done, last = assemble(CHAT, enumerate(stream))
    assert done["choices"] == body["choices"] and done["usage"] == body["usage"]
    assert set(last) == {0, 1}
    deltas = [c["choices"][0]["delta"] for c in stream if c["choices"]]
    assert deltas[0] == {"role": "assistant", "content": None}
    text = legacy("Once upon a time")
    done, _ = assemble(LEGACY, enumerate(chunks(text, include_usage=False)))
    assert done["choices"] == text["choices"]
    assert pieces("a  b") == ["a", "  b"] and json.loads(CALL["function"]["arguments"])


def test_chunks_doctests() -> None:
    import doctest

    from conformance.validate.semantics import chunks as module

    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("stream", [False, True])
def test_a_refusal_without_structured_output_is_a_warning_and_typical_answers_have_content(
    stream: bool,
) -> None:
    body = chat(content=None, refusal="I can't help with that.")
    x = Exchange(CHAT, PLAIN, body=copy.deepcopy(body))
    if stream:
        x = Exchange.streamed(
            CHAT, {**PLAIN, "stream": True}, chat_events(body, include_usage=False)
        )
    found = [v for v in check(x) if v.code == "rule.chat.refusal-unasked"]
    assert [v.severity for v in found] == ["warning"]
    assert comply(x) == []
    fixed = (
        x.body
        if not stream
        else assemble(CHAT, [(i, e.data) for i, e in enumerate(x.events or []) if e.json])[0]
    )
    message = fixed["choices"][0]["message"]
    assert message.get("refusal") is None and message["content"]


def test_a_content_filter_finish_is_a_warning_fixed_to_stop() -> None:
    body = edit(chat(), lambda b: choice(b).update(finish_reason="content_filter"))
    x = Exchange(CHAT, PLAIN, body=body)
    (found,) = [v for v in check(x) if v.code == "rule.chat.content-filter"]
    assert (found.severity, found.pointer) == ("warning", "/choices/0/finish_reason")
    assert comply(x) == [] and choice(x.body)["finish_reason"] == "stop"
