"""Responses API rules (``semantics/responses.py``, ``response_output.py``,
``response_stream.py``): each flags what breaks it, passes what does not, and its fixer makes
the broken answer pass."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from conformance.validate.semantics import Exchange, check, comply
from conformance.validate.semantics.response_events import response_events

ASK = {"model": "gpt-4o", "input": "Say hi"}
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}
PERSON = {
    "type": "json_schema",
    "name": "Person",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    },
}


def message(text: str = "Hello there, how are you?") -> dict[str, Any]:
    part = {"type": "output_text", "text": text, "annotations": []}
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [part],
    }


def call(name: str = "get_weather", arguments: str = '{"city": "Paris"}') -> dict[str, Any]:
    return {
        "id": "fc_1",
        "type": "function_call",
        "call_id": "call_1",
        "name": name,
        "arguments": arguments,
        "status": "completed",
    }


def answer(**over: Any) -> dict[str, Any]:
    body = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1_741_476_542,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": "gpt-4o-2024-08-06",
        "output": [message()],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "metadata": {},
        "usage": {
            "input_tokens": 10,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 8,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 18,
        },
    }
    body.update(over)
    return body


def ours(x: Exchange) -> list[Any]:
    return [v for v in check(x) if v.code.startswith("rule.responses.")]


def usage(input_tokens: int, cached: int, output: int, reasoning: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output,
    }


# (code, request, broken answer, pointer, expected) — each answer breaks exactly that rule
CASES = [
    (
        "rule.responses.usage-details",
        ASK,
        answer(usage=usage(10, 12, 8, 0)),
        "/usage/input_tokens_details/cached_tokens",
        "<= 10",
    ),
    (
        "rule.responses.usage-details",
        ASK,
        answer(usage=usage(10, 0, 8, 9)),
        "/usage/output_tokens_details/reasoning_tokens",
        "<= 8",
    ),
    (
        "rule.responses.status-details",
        ASK,
        answer(status="incomplete"),
        "/incomplete_details",
        "an object",
    ),
    (
        "rule.responses.status-details",
        ASK,
        answer(incomplete_details={"reason": "max_output_tokens"}),
        "/incomplete_details",
        None,
    ),
    (
        "rule.responses.status-details",
        ASK,
        answer(status="failed", output=[]),
        "/error",
        "an object",
    ),
    (
        "rule.responses.terminal",
        ASK,
        answer(status="in_progress"),
        "/status",
        "completed | incomplete | failed",
    ),
    (
        "rule.responses.max-output-tokens",
        {**ASK, "max_output_tokens": 5},
        answer(max_output_tokens=5),
        "/usage/output_tokens",
        "<= 5",
    ),
    (
        "rule.responses.echo",
        {**ASK, "temperature": 0.2},
        answer(),
        "/temperature",
        0.2,
    ),
    (
        "rule.responses.echo",
        {**ASK, "instructions": "Be brief."},
        answer(),
        "/instructions",
        "Be brief.",
    ),
    (
        "rule.responses.echo",
        {**ASK, "text": {"format": {"type": "json_object"}}},
        answer(output=[message('{"a": 1}')]),
        "/text",
        {"type": "json_object"},
    ),
    (
        "rule.responses.echo",
        {**ASK, "tools": [WEATHER]},
        answer(),
        "/tools",
        [("function", "get_weather")],
    ),
    (  # left out: the default, 1.0
        "rule.responses.echo",
        ASK,
        answer(temperature=0.5),
        "/temperature",
        1.0,
    ),
    (
        "rule.responses.echo",
        ASK,
        answer(tools=[WEATHER]),
        "/tools",
        [],
    ),
    (
        "rule.responses.tool-calls",
        ASK,
        answer(output=[call()]),
        "/output/0",
        None,
    ),
    (
        "rule.responses.tool-calls",
        {**ASK, "tools": [WEATHER], "tool_choice": "none"},
        answer(output=[message(), call()], tools=[WEATHER], tool_choice="none"),
        "/output/1",
        None,
    ),
    (
        "rule.responses.tool-calls",
        {**ASK, "tools": [WEATHER]},
        answer(
            output=[message(), {"id": "ws_1", "type": "web_search_call", "status": "completed"}],
            tools=[WEATHER],
        ),
        "/output/1",
        None,
    ),
    (
        "rule.responses.tool-choice",
        {**ASK, "tools": [WEATHER], "tool_choice": {"type": "function", "name": "get_weather"}},
        answer(tools=[WEATHER], tool_choice={"type": "function", "name": "get_weather"}),
        "/output",
        {"type": "function", "name": "get_weather"},
    ),
    (
        "rule.responses.tool-choice",
        {**ASK, "tools": [WEATHER], "tool_choice": "required"},
        answer(tools=[WEATHER], tool_choice="required"),
        "/output",
        "required",
    ),
    (
        "rule.responses.tool-arguments-schema",
        {**ASK, "tools": [WEATHER]},
        answer(output=[call(arguments='{"town": "Paris"}')], tools=[WEATHER]),
        "/output/0/arguments",
        None,
    ),
    (
        "rule.responses.completed-output",
        ASK,
        answer(output=[]),
        "/output",
        ">= 1 item",
    ),
    (
        "rule.responses.text-format",
        {**ASK, "text": {"format": PERSON}},
        answer(output=[message('{"name": "Ann"}')], text={"format": PERSON}),
        "/output/0/content/0/text",
        "json_schema",
    ),
    (
        "rule.responses.text-format",
        {**ASK, "text": {"format": {"type": "json_object"}}},
        answer(output=[message("not json")], text={"format": {"type": "json_object"}}),
        "/output/0/content/0/text",
        "json_object",
    ),
]


@pytest.mark.parametrize(("code", "request_", "body", "pointer", "expected"), CASES)
def test_rule_flags_and_fixer_fixes(
    code: str, request_: dict[str, Any], body: dict[str, Any], pointer: str, expected: Any
) -> None:
    x = Exchange("createResponse", request_, body=copy.deepcopy(body))
    found = ours(x)
    assert [(v.code, v.pointer) for v in found] == [(code, pointer)], found
    assert found[0].expected == expected
    assert comply(x) == [] or all(not v.code.startswith("rule.responses.") for v in comply(x))
    assert ours(x) == []


def test_fixes_are_the_expected_ones() -> None:
    x = Exchange(
        "createResponse", {**ASK, "max_output_tokens": 5}, body=answer(max_output_tokens=5)
    )
    comply(x)
    assert x.body["usage"]["output_tokens"] == 5
    assert x.body["usage"]["total_tokens"] == 15
    forced = {**ASK, "tools": [WEATHER], "tool_choice": {"type": "function", "name": "get_weather"}}
    x = Exchange("createResponse", forced, body=answer())
    comply(x)
    calls = [item for item in x.body["output"] if item["type"] == "function_call"]
    assert [c["name"] for c in calls] == ["get_weather"]
    assert json.loads(calls[0]["arguments"]) == {"city": "text"}
    x = Exchange("createResponse", ASK, body=answer(output=[call()]))
    comply(x)
    assert [item["type"] for item in x.body["output"]] == ["message"]
    x = Exchange("createResponse", {**ASK, "text": {"format": PERSON}}, body=answer())
    comply(x)
    assert json.loads(x.body["output"][0]["content"][0]["text"]) == {"name": "text", "age": 0}


COMPLIANT = [
    (ASK, answer()),
    ({**ASK, "max_output_tokens": 8}, answer(max_output_tokens=8)),
    (
        {**ASK, "max_output_tokens": 8},
        answer(
            status="incomplete",
            incomplete_details={"reason": "max_output_tokens"},
            max_output_tokens=8,
        ),
    ),
    (
        {**ASK, "tools": [WEATHER], "tool_choice": "required"},
        answer(output=[call()], tools=[WEATHER], tool_choice="required"),
    ),
    (  # a forced call not made: the response was cut short
        {**ASK, "tools": [WEATHER], "tool_choice": {"type": "function", "name": "get_weather"}},
        answer(
            status="incomplete",
            incomplete_details={"reason": "max_output_tokens"},
            output=[{"id": "rs_1", "type": "reasoning", "summary": []}],
            tools=[WEATHER],
            tool_choice={"type": "function", "name": "get_weather"},
        ),
    ),
    (  # strict left out: the API defaults it, the echo says true: the arguments fit
        {**ASK, "tools": [{**WEATHER, "strict": None}]},
        answer(output=[call()], tools=[WEATHER]),
    ),
    (  # not strict: any JSON arguments
        {**ASK, "tools": [{**WEATHER, "strict": False}]},
        answer(output=[call(arguments='{"town": 1}')], tools=[{**WEATHER, "strict": False}]),
    ),
    (
        {**ASK, "text": {"format": PERSON}},
        answer(output=[message('{"name": "Ann", "age": 3}')], text={"format": PERSON}),
    ),
    (  # an incomplete structured answer may be cut short
        {**ASK, "text": {"format": PERSON}},
        answer(
            status="incomplete",
            incomplete_details={"reason": "max_output_tokens"},
            output=[message('{"name": "An')],
            text={"format": PERSON},
        ),
    ),
    ({**ASK, "background": True}, answer(status="queued", output=[])),
    ({**ASK, "prompt": {"id": "pmpt_1"}}, answer(instructions="From the stored prompt.")),
    (
        {**ASK, "tools": [{"type": "web_search_preview"}]},
        answer(
            output=[{"id": "ws_1", "type": "web_search_call", "status": "completed"}, message()],
            tools=[{"type": "web_search_preview"}],
        ),
    ),
]


@pytest.mark.parametrize(("request_", "body"), COMPLIANT)
def test_compliant_answers_pass(request_: dict[str, Any], body: dict[str, Any]) -> None:
    assert ours(Exchange("createResponse", request_, body=body)) == []


def test_request_aware_rules_are_silent_without_the_request() -> None:
    x = Exchange("createResponse", None, body=answer(status="in_progress", output=[call()]))
    assert ours(x) == []


# --- streams ------------------------------------------------------------------------------


def stream(body: dict[str, Any], numbered: bool = True) -> Exchange:
    request = {**ASK, "stream": True, **({"tools": body["tools"]} if body["tools"] else {})}
    return Exchange.streamed("createResponse", request, response_events(body, numbered=numbered))


def test_response_events_are_the_stream_openai_sends() -> None:
    x = stream(answer(output=[message("Hi there"), call()], tools=[WEATHER]))
    kinds = [e.data["type"].removeprefix("response.") for e in x.events or []]
    assert kinds == [
        "created",
        "in_progress",
        "output_item.added",
        "content_part.added",
        "output_text.delta",
        "output_text.delta",
        "output_text.done",
        "content_part.done",
        "output_item.done",
        "output_item.added",
        "function_call_arguments.delta",
        "function_call_arguments.delta",
        "function_call_arguments.delta",
        "function_call_arguments.done",
        "output_item.done",
        "completed",
    ]
    assert [e.data["sequence_number"] for e in x.events or []] == list(range(16))
    assert [e.name for e in x.events or []] == [e.data["type"] for e in x.events or []]
    assert (x.events or [])[0].data["response"]["output"] == []
    assert "usage" not in (x.events or [])[0].data["response"]
    assert ours(x) == []
    plain = stream(answer(), numbered=False)
    assert not any("sequence_number" in e.data or "logprobs" in e.data for e in plain.events or [])
    assert ours(plain) == []


def test_an_incomplete_response_ends_with_response_incomplete() -> None:
    body = answer(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
    x = stream(body)
    assert (x.events or [])[-1].name == "response.incomplete"
    assert ours(x) == []


def _broken(edit: Any) -> Exchange:
    x = stream(answer(output=[message("One two three"), call()], tools=[WEATHER]))
    edit(x.events)
    return x


STREAM_CASES = [
    ("rule.responses.stream-order", lambda ev: ev.pop(0), 0, "/type"),  # no response.created
    ("rule.responses.stream-order", lambda ev: ev.pop(), 15, "/type"),  # no terminal event
    # content_part.done before its content_part.added
    ("rule.responses.stream-order", lambda ev: ev.insert(3, ev.pop(8)), 3, "/content_index"),
    (
        "rule.responses.stream-order",
        lambda ev: ev[-1].data["response"].update(status="incomplete"),
        16,
        "/response/status",
    ),
    (
        "rule.responses.stream-ids",
        lambda ev: ev[-1].data["response"].update(id="resp_2"),
        16,
        "/response/id",
    ),
    ("rule.responses.stream-ids", lambda ev: ev[4].data.update(item_id="msg_9"), 4, "/item_id"),
    (
        "rule.responses.sequence-number",
        lambda ev: ev[5].data.update(sequence_number=9),
        5,
        "/sequence_number",
    ),
    (
        "rule.responses.sequence-number",
        lambda ev: ev[5].data.pop("sequence_number"),
        5,
        "/sequence_number",
    ),
    ("rule.responses.stream-text", lambda ev: ev[4].data.update(delta="Uno"), 7, "/text"),
    ("rule.responses.stream-text", lambda ev: ev.pop(12), 13, "/arguments"),
    (
        "rule.responses.stream-text",
        lambda ev: ev[-1].data["response"]["output"].pop(),
        16,
        "/response/output",
    ),
]


@pytest.mark.parametrize(("code", "edit", "event", "pointer"), STREAM_CASES)
def test_stream_rule_flags_and_fixer_fixes(code: str, edit: Any, event: int, pointer: str) -> None:
    x = _broken(edit)
    found = [v for v in ours(x) if v.code == code]
    assert found, ours(x)
    assert (found[0].event, found[0].pointer) == (event, pointer)
    comply(x)
    assert ours(x) == []
    datas = [e.data for e in x.events or []]
    added = [d["item"]["id"] for d in datas if d["type"] == "response.output_item.added"]
    assert added == [item["id"] for item in datas[-1]["response"]["output"]]
    assert added[:1] == ["msg_1"]
    assert [d["sequence_number"] for d in datas] == list(range(len(datas)))  # numbered still


def test_stream_fixers_keep_the_numbering_of_the_stream() -> None:
    x = stream(answer(), numbered=False)
    (x.events or []).pop(0)
    comply(x)
    assert ours(x) == []
    assert not any("sequence_number" in e.data for e in x.events or [])


def test_request_rules_apply_to_a_streams_final_response() -> None:
    x = Exchange.streamed(
        "createResponse",
        {**ASK, "stream": True},
        response_events(answer(output=[message(), call()])),
    )
    assert [(v.code, v.event, v.pointer) for v in ours(x)] == [
        ("rule.responses.tool-calls", 18, "/response/output/1")
    ]
    comply(x)
    assert ours(x) == []
    assert [e.data["type"] for e in x.events or []].count("response.output_item.added") == 1
