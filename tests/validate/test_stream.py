"""Validator.stream (and Validator.response routing to it) on real-shaped OpenAI streams."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import SPECS

from conformance import sse
from conformance.spec import load_spec
from conformance.validate import Validator

CHAT = "createChatCompletion"
RUN = "createRun"
RESPONSES = "createResponse"


@pytest.fixture(scope="module")
def v() -> Validator:
    return Validator(load_spec(SPECS / "openai-2.3.0.yaml"))


# -- chat completions ---------------------------------------------------------------------------


def chunk(*choices: dict[str, Any], usage: dict[str, Any] | None = None) -> dict[str, Any]:
    """A chat.completion.chunk with the given choices."""
    out: dict[str, Any] = {
        "id": "chatcmpl-123",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_1",
        "choices": list(choices),
    }
    if usage is not None:
        out["usage"] = usage
    return out


def choice(
    delta: dict[str, Any], finish_reason: str | None = None, index: int = 0
) -> dict[str, Any]:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}


def chat_chunks() -> list[dict[str, Any]]:
    return [
        chunk(choice({"role": "assistant", "content": ""})),
        chunk(choice({"content": "Hello"})),
        chunk(choice({"content": " world"})),
        chunk(choice({}, "stop")),
        chunk(usage={"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}),
    ]


def data_stream(payloads: list[Any], *, done: bool = True, newline: str = "\n") -> str:
    """``data:`` events for JSON payloads (strings are sent verbatim), then ``[DONE]``."""
    text = "".join(
        sse.encode(p if isinstance(p, str) else json.dumps(p), newline=newline) for p in payloads
    )
    return text + (sse.encode("[DONE]", newline=newline) if done else "")


def test_chat_chunks_are_valid_one_by_one(v: Validator) -> None:
    # the stream is only as good as its chunks: each validates against the chunk schema
    schema = v.spec.operation(CHAT).stream_for(200).schema
    assert schema is not None
    for c in chat_chunks():
        assert v.responses.check(schema, c, where="stream.event") == []


def test_chat_stream_valid(v: Validator) -> None:
    assert v.stream(CHAT, data_stream(chat_chunks())) == []


def test_chat_stream_valid_as_bytes_and_as_events(v: Validator) -> None:
    text = data_stream(chat_chunks())
    assert v.stream(CHAT, text.encode()) == []
    assert v.stream(CHAT, sse.parse(text).events) == []


def test_chat_stream_crlf_framing_is_fine(v: Validator) -> None:
    assert v.stream(CHAT, data_stream(chat_chunks(), newline="\r\n")) == []


def test_chat_stream_comments_and_keepalives_are_fine(v: Validator) -> None:
    parts = [sse.encode_comment("OPENROUTER PROCESSING")]
    for c in chat_chunks():
        parts += [sse.encode(json.dumps(c)), ":\n"]
    parts.append(sse.encode("[DONE]"))
    assert v.stream(CHAT, "".join(parts)) == []


def test_chat_stream_multiline_data_is_joined(v: Validator) -> None:
    # one event's JSON split over several data: lines is one payload joined by "\n"
    pretty = json.dumps(chat_chunks()[1], indent=2)
    text = data_stream([chat_chunks()[0]], done=False) + sse.encode(pretty) + sse.encode("[DONE]")
    assert text.count("data: ") > 4
    assert v.stream(CHAT, text) == []


def test_chat_stream_without_done(v: Validator) -> None:
    found = v.stream(CHAT, data_stream(chat_chunks(), done=False))
    assert len(found) == 1
    (only,) = found
    assert only.where == "stream"
    assert only.code == "stream.done-missing"
    assert only.keyword == ""
    assert only.event is None
    assert "[DONE]" in only.message
    assert only.operation == CHAT


def test_chat_event_after_done(v: Validator) -> None:
    text = data_stream(chat_chunks()) + sse.encode(json.dumps(chunk(choice({"content": "late"}))))
    found = v.stream(CHAT, text)
    assert [(x.where, x.code, x.event) for x in found] == [("stream.event", "stream.after-done", 6)]
    assert "after [DONE]" in found[0].message
    assert "event 5" in found[0].message


def test_chat_wrong_type_deep_inside(v: Validator) -> None:
    chunks = chat_chunks()
    chunks[2] = chunk(choice({"content": 42}))
    found = v.stream(CHAT, data_stream(chunks))
    assert len(found) == 1
    (bad,) = found
    assert bad.where == "stream.event"
    assert bad.event == 2
    assert bad.pointer == "/choices/0/delta/content"
    assert bad.code in ("schema.type", "schema.anyOf")  # nullable string: either form names it
    assert bad.schema_path.startswith("#/components/schemas/ChatCompletionStreamResponseDelta")
    assert "42" in bad.message


def test_chat_bad_finish_reason_enum(v: Validator) -> None:
    chunks = chat_chunks()
    chunks[3] = chunk(choice({}, "exploded"))
    found = v.stream(CHAT, data_stream(chunks))
    assert [(x.event, x.pointer, x.code) for x in found] == [
        (3, "/choices/0/finish_reason", "schema.enum")
    ]
    assert "exploded" in found[0].message


def test_chat_usage_chunk_missing_required_token_count(v: Validator) -> None:
    chunks = chat_chunks()
    chunks[4] = chunk(usage={"prompt_tokens": 9, "completion_tokens": 2})
    found = v.stream(CHAT, data_stream(chunks))
    assert [(x.event, x.pointer, x.code) for x in found] == [(4, "/usage", "schema.required")]
    assert "total_tokens" in found[0].message


def test_chat_non_json_data(v: Validator) -> None:
    payloads: list[Any] = chat_chunks()
    payloads.insert(1, "{not json")
    found = v.stream(CHAT, data_stream(payloads))
    assert [(x.where, x.code, x.event) for x in found] == [("stream.event", "stream.json", 1)]
    assert "not JSON" in found[0].message
    assert "{not json" in found[0].message


def test_chat_missing_final_blank_line(v: Validator) -> None:
    text = data_stream(chat_chunks())
    assert text.endswith("data: [DONE]\n\n")
    found = v.stream(CHAT, text[:-1])  # "data: [DONE]\n" then EOF: never dispatched
    codes = sorted(x.code for x in found)
    assert codes == ["stream.done-missing", "stream.framing"]
    framing = next(x for x in found if x.code == "stream.framing")
    assert framing.where == "stream"
    assert framing.pointer == ""
    assert "line 11" in framing.message  # the [DONE] block is the 6th block, at line 11
    assert "blank line" in framing.message


def test_chat_empty_stream(v: Validator) -> None:
    found = v.stream(CHAT, "")
    assert [(x.where, x.code) for x in found] == [("stream", "stream.empty")]


def test_chat_undeclared_property_is_warning_then_error_when_strict(v: Validator) -> None:
    chunks = chat_chunks()
    chunks[1]["choices"][0]["delta"]["sparkle"] = True
    found = v.stream(CHAT, data_stream(chunks))
    assert [(x.event, x.pointer, x.code, x.severity) for x in found] == [
        (1, "/choices/0/delta/sparkle", "undeclared.property", "warning")
    ]
    strict = Validator(v.spec, strict=True).stream(CHAT, data_stream(chunks))
    assert [(x.event, x.pointer, x.severity) for x in strict] == [
        (1, "/choices/0/delta/sparkle", "error")
    ]


def test_operation_that_does_not_stream(v: Validator) -> None:
    found = v.stream("listModels", data_stream([{}]))
    assert [(x.where, x.code) for x in found] == [("stream", "stream.unsupported")]
    assert "listModels does not stream" in found[0].message


def test_response_with_event_stream_content_type_routes_to_stream(v: Validator) -> None:
    headers = {"content-type": "text/event-stream; charset=utf-8"}
    good = data_stream(chat_chunks())
    assert v.response(CHAT, status=200, headers=headers, body=good) == []
    bad = v.response(CHAT, status=200, headers=headers, body=data_stream(chat_chunks(), done=False))
    assert [(x.where, x.code) for x in bad] == [("stream", "stream.done-missing")]
    chunks = chat_chunks()
    chunks[2] = chunk(choice({"content": 42}))
    deep = v.response(CHAT, status=200, headers=headers, body=data_stream(chunks).encode())
    assert [(x.where, x.event, x.pointer) for x in deep] == [
        ("stream.event", 2, "/choices/0/delta/content")
    ]


def test_response_json_body_is_not_checked_as_stream(v: Validator) -> None:
    # the same operation answering JSON is checked against CreateChatCompletionResponse
    found = v.response(CHAT, status=200, headers={"content-type": "application/json"}, body=b"{}")
    assert {x.code for x in found} == {"schema.required"}
    assert all(x.where == "response.body" for x in found)


# -- Assistants runs -----------------------------------------------------------------------------


def run_object(status: str, **extra: Any) -> dict[str, Any]:
    """A RunObject (every field the 2.3.0 spec requires)."""
    run: dict[str, Any] = {
        "id": "run_abc",
        "object": "thread.run",
        "created_at": 1_700_000_000,
        "thread_id": "thread_abc",
        "assistant_id": "asst_abc",
        "status": status,
        "required_action": None,
        "last_error": None,
        "expires_at": 1_700_000_600,
        "started_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": "gpt-4o",
        "instructions": "Be brief.",
        "tools": [{"type": "code_interpreter"}],
        "metadata": {},
        "usage": None,
        "temperature": 1.0,
        "top_p": 1.0,
        "max_prompt_tokens": None,
        "max_completion_tokens": None,
        "truncation_strategy": {"type": "auto", "last_messages": None},
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "response_format": "auto",
    }
    run.update(extra)
    return run


def message_object() -> dict[str, Any]:
    return {
        "id": "msg_abc",
        "object": "thread.message",
        "created_at": 1_700_000_001,
        "thread_id": "thread_abc",
        "status": "in_progress",
        "incomplete_details": None,
        "completed_at": None,
        "incomplete_at": None,
        "role": "assistant",
        "content": [],
        "assistant_id": "asst_abc",
        "run_id": "run_abc",
        "attachments": [],
        "metadata": {},
    }


def message_delta(text: str) -> dict[str, Any]:
    return {
        "id": "msg_abc",
        "object": "thread.message.delta",
        "delta": {"content": [{"index": 0, "type": "text", "text": {"value": text}}]},
    }


def run_events() -> list[tuple[str, Any]]:
    done_run = run_object(
        "completed",
        started_at=1_700_000_001,
        completed_at=1_700_000_003,
        expires_at=None,
        usage={"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
    )
    return [
        ("thread.run.created", run_object("queued")),
        ("thread.run.queued", run_object("queued")),
        ("thread.run.in_progress", run_object("in_progress", started_at=1_700_000_001)),
        ("thread.message.created", message_object()),
        ("thread.message.delta", message_delta("Hi")),
        ("thread.message.delta", message_delta(" there")),
        ("thread.run.completed", done_run),
        ("done", "[DONE]"),
    ]


def named_stream(events: list[tuple[str | None, Any]]) -> str:
    return "".join(
        sse.encode(data if isinstance(data, str) else json.dumps(data), event=name)
        for name, data in events
    )


def test_run_objects_are_valid(v: Validator) -> None:
    run_schema = "#/components/schemas/RunObject"
    msg_schema = "#/components/schemas/MessageObject"
    delta_schema = "#/components/schemas/MessageDeltaObject"
    uri = v.spec.uri
    for name, data in run_events()[:-1]:
        schema = (
            delta_schema
            if name.endswith("delta")
            else msg_schema
            if "message" in name
            else run_schema
        )
        assert v.responses.check(uri + schema, data, where="x") == [], name


def test_run_stream_declared_by_errata(v: Validator) -> None:
    stream = v.spec.operation(RUN).stream_for(200)
    assert stream is not None
    assert stream.envelope is True
    assert stream.done is None
    assert stream.schema is not None
    assert v.spec.resolve(stream.schema) == {"$ref": "#/components/schemas/AssistantStreamEvent"}


def test_run_stream_valid(v: Validator) -> None:
    assert v.stream(RUN, named_stream(run_events())) == []


def test_run_stream_valid_through_response(v: Validator) -> None:
    found = v.response(
        RUN,
        status=200,
        headers={"Content-Type": "text/event-stream"},
        body=named_stream(run_events()),
    )
    assert found == []


def test_run_event_without_name(v: Validator) -> None:
    events: list[tuple[str | None, Any]] = list(run_events())
    events[3] = (None, events[3][1])
    found = v.stream(RUN, named_stream(events))
    assert [(x.where, x.code, x.event) for x in found] == [("stream.event", "stream.event-name", 3)]
    assert "no 'event:' name" in found[0].message


def test_run_unknown_event_name(v: Validator) -> None:
    events: list[tuple[str | None, Any]] = list(run_events())
    events.insert(6, ("thread.run.exploded", run_object("failed")))
    found = v.stream(RUN, named_stream(events))
    assert [(x.where, x.event, x.severity) for x in found] == [("stream.event", 6, "error")]
    assert found[0].schema_path.startswith("#/components/schemas/AssistantStreamEvent")


def test_run_unknown_event_name_is_named(v: Validator) -> None:
    events: list[tuple[str | None, Any]] = list(run_events())
    events.insert(6, ("thread.run.exploded", run_object("failed")))
    (found,) = v.stream(RUN, named_stream(events))
    assert "thread.run.exploded" in found.message


def _bad_delta() -> dict[str, Any]:
    bad = message_delta("x")
    del bad["delta"]["content"][0]["index"]
    return bad


@pytest.mark.parametrize(
    ("index", "event", "pointer", "code", "schema_path"),
    [
        (
            2,
            ("thread.run.in_progress", run_object("sleeping")),
            "/data/status",
            "schema.enum",
            "#/components/schemas/RunObject/properties/status/enum",
        ),
        (
            4,
            ("thread.message.delta", _bad_delta()),
            "/data/delta/content/0",
            "schema.required",
            "#/components/schemas/MessageDeltaContentTextObject/required",
        ),
    ],
    ids=["run-status-enum", "delta-missing-index"],
)
def test_run_event_with_wrong_data_is_pinpointed(
    v: Validator,
    index: int,
    event: tuple[str, Any],
    pointer: str,
    code: str,
    schema_path: str,
) -> None:
    # AssistantStreamEvent is a oneOf of oneOfs with no discriminator: the error must still be
    # found inside the one branch the event name selects, not reported as a bare oneOf at "/"
    events = run_events()
    events[index] = event
    found = v.stream(RUN, named_stream(events))
    assert [(x.event, x.pointer, x.code) for x in found] == [(index, pointer, code)]
    assert found[0].schema_path == schema_path


def test_run_done_event_with_other_data(v: Validator) -> None:
    events = run_events()
    events[-1] = ("done", "[FINISHED]")
    found = v.stream(RUN, named_stream(events))
    assert [(x.where, x.event) for x in found] == [("stream.event", 7)]
    assert "[FINISHED]" in found[0].message


def test_run_stream_other_run_operations(v: Validator) -> None:
    text = named_stream(run_events())
    assert v.stream("createThreadAndRun", text) == []
    assert v.stream("submitToolOuputsToRun", text) == []


# -- Responses -----------------------------------------------------------------------------------


def response_object(status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
    """A Response object (2.3.0) with every required field."""
    out: dict[str, Any] = {
        "id": "resp_abc",
        "object": "response",
        "created_at": 1_741_476_542,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": "gpt-4o-2024-08-06",
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": None,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "metadata": {},
    }
    if status == "completed":
        out["usage"] = {
            "input_tokens": 5,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 2,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 7,
        }
    return out


def output_message(text: str, status: str) -> dict[str, Any]:
    return {
        "id": "msg_abc",
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": [{"type": "output_text", "text": text, "annotations": []}] if text else [],
    }


def text_delta(delta: str) -> dict[str, Any]:
    return {
        "type": "response.output_text.delta",
        "item_id": "msg_abc",
        "output_index": 0,
        "content_index": 0,
        "delta": delta,
    }


def responses_events() -> list[dict[str, Any]]:
    return [
        {"type": "response.created", "response": response_object("in_progress", [])},
        {"type": "response.in_progress", "response": response_object("in_progress", [])},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": output_message("", "in_progress"),
        },
        text_delta("Hi"),
        text_delta(" there"),
        {
            "type": "response.output_text.done",
            "item_id": "msg_abc",
            "output_index": 0,
            "content_index": 0,
            "text": "Hi there",
        },
        {
            "type": "response.completed",
            "response": response_object("completed", [output_message("Hi there", "completed")]),
        },
    ]


def typed_stream(events: list[dict[str, Any]]) -> str:
    return "".join(sse.encode(json.dumps(e), event=e["type"]) for e in events)


def test_responses_stream_valid(v: Validator) -> None:
    stream = v.spec.operation(RESPONSES).stream_for(200)
    assert stream is not None and stream.envelope is False and stream.done is None
    assert v.stream(RESPONSES, typed_stream(responses_events())) == []


def test_responses_stream_without_event_names_is_valid(v: Validator) -> None:
    assert v.stream(RESPONSES, data_stream(responses_events(), done=False)) == []


def test_responses_event_name_differs_from_type(v: Validator) -> None:
    events = responses_events()
    text = "".join(
        sse.encode(json.dumps(e), event="response.output_text.done" if i == 3 else e["type"])
        for i, e in enumerate(events)
    )
    found = v.stream(RESPONSES, text)
    assert [(x.where, x.code, x.event, x.pointer) for x in found] == [
        ("stream.event", "stream.event-name", 3, "/type")
    ]
    assert "'response.output_text.done'" in found[0].message
    assert "'response.output_text.delta'" in found[0].message


def test_responses_unknown_type_names_discriminator(v: Validator) -> None:
    events = responses_events()
    events[3] = {**text_delta("Hi"), "type": "response.output_text.exploded"}
    found = v.stream(RESPONSES, data_stream(events, done=False))
    assert [(x.event, x.pointer, x.code) for x in found] == [(3, "/type", "schema.discriminator")]
    assert "response.output_text.exploded" in found[0].message


def test_responses_delta_wrong_type(v: Validator) -> None:
    events = responses_events()
    events[4] = {**text_delta("x"), "output_index": "0"}
    found = v.stream(RESPONSES, typed_stream(events))
    assert [(x.event, x.pointer, x.code) for x in found] == [(4, "/output_index", "schema.type")]


def test_responses_completed_missing_field_deep_inside(v: Validator) -> None:
    events = responses_events()
    del events[-1]["response"]["output"][0]["content"][0]["annotations"]
    found = v.stream(RESPONSES, typed_stream(events))
    assert [(x.event, x.pointer, x.code) for x in found] == [
        (6, "/response/output/0/content/0", "schema.required")
    ]
    assert "annotations" in found[0].message
