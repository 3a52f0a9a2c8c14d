"""Assistants rules (``semantics/assistants.py``, ``run_stream.py``): each flags what breaks it,
passes what does not, and its fixer makes the broken answer pass."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conformance.validate.semantics import Event, Exchange, check, comply

WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}


def run(status: str, tools: list[Any] | None = None, **over: Any) -> dict[str, Any]:
    return {
        "id": "run_1",
        "object": "thread.run",
        "thread_id": "thread_1",
        "assistant_id": "asst_1",
        "status": status,
        "required_action": None,
        "tools": tools or [],
        **over,
    }


def message(status: str, text: str | None = None) -> dict[str, Any]:
    content = [] if text is None else [{"type": "text", "text": {"value": text, "annotations": []}}]
    return {
        "id": "msg_1",
        "object": "thread.message",
        "thread_id": "thread_1",
        "run_id": "run_1",
        "assistant_id": "asst_1",
        "role": "assistant",
        "status": status,
        "content": content,
    }


def step(status: str) -> dict[str, Any]:
    details = {"type": "message_creation", "message_creation": {"message_id": "msg_1"}}
    return {
        "id": "step_1",
        "object": "thread.run.step",
        "thread_id": "thread_1",
        "run_id": "run_1",
        "assistant_id": "asst_1",
        "type": "message_creation",
        "status": status,
        "step_details": details,
    }


def delta(piece: str) -> dict[str, Any]:
    part = {"index": 0, "type": "text", "text": {"value": piece}}
    return {"id": "msg_1", "object": "thread.message.delta", "delta": {"content": [part]}}


def events(with_thread: bool = False) -> list[Event]:
    """A run stream as the API sends it (ruby-openai's runs_streamed_create, shortened)."""
    out = [Event({"id": "thread_1", "object": "thread"}, "thread.created")] if with_thread else []
    out += [
        Event(run("queued"), "thread.run.created"),
        Event(run("queued"), "thread.run.queued"),
        Event(run("in_progress"), "thread.run.in_progress"),
        Event(step("in_progress"), "thread.run.step.created"),
        Event(step("in_progress"), "thread.run.step.in_progress"),
        Event(message("in_progress"), "thread.message.created"),
        Event(message("in_progress"), "thread.message.in_progress"),
        Event(delta("Hello"), "thread.message.delta"),
        Event(delta(" there"), "thread.message.delta"),
        Event(message("completed", "Hello there"), "thread.message.completed"),
        Event(step("completed"), "thread.run.step.completed"),
        Event(run("completed"), "thread.run.completed"),
        Event("[DONE]", "done"),
    ]
    return out


def ours(x: Exchange) -> list[Any]:
    return [v for v in check(x) if v.code.startswith("rule.assistants.")]


@pytest.mark.parametrize(
    ("operation", "with_thread"), [("createRun", False), ("createThreadAndRun", True)]
)
def test_a_real_shaped_stream_passes(operation: str, with_thread: bool) -> None:
    assert ours(Exchange(operation, {"assistant_id": "asst_1"}, events=events(with_thread))) == []


def test_a_submitted_run_stream_opens_with_queued() -> None:
    x = Exchange("submitToolOuputsToRun", None, events=events()[1:])
    assert ours(x) == []
    x = Exchange("submitToolOuputsToRun", None, events=events())
    assert [v.code for v in ours(x)] == ["rule.assistants.stream-order"]


def _cut(index: int) -> Any:
    return lambda ev: ev.pop(index)


def _set(index: int, path: tuple[Any, ...], value: Any) -> Any:
    def edit(ev: list[Event]) -> None:
        node = ev[index].data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


STREAM_CASES = [
    ("rule.assistants.stream-order", "createRun", _cut(-1), None, ""),  # no done
    ("rule.assistants.stream-order", "createRun", _cut(0), None, ""),  # no run created
    ("rule.assistants.stream-order", "createRun", lambda ev: ev.insert(5, ev.pop(7)), 5, "/id"),
    (
        "rule.assistants.stream-order",
        "createRun",
        lambda ev: ev.insert(0, Event({"id": "thread_1", "object": "thread"}, "thread.created")),
        0,
        "",
    ),
    (
        "rule.assistants.stream-order",
        "createRun",
        lambda ev: ev.insert(11, Event(run("failed"), "thread.run.failed")),
        12,
        "",
    ),
    # the real API's thread.run.completed with status incomplete (ruby-openai's #3)
    (
        "rule.assistants.stream-status",
        "createRun",
        _set(11, ("status",), "incomplete"),
        11,
        "/status",
    ),
    (
        "rule.assistants.stream-status",
        "createRun",
        _set(0, ("status",), "in_progress"),
        0,
        "/status",
    ),
    ("rule.assistants.stream-ids", "createRun", _set(3, ("run_id",), "run_2"), 3, "/run_id"),
    (
        "rule.assistants.stream-ids",
        "createRun",
        _set(11, ("thread_id",), "thread_2"),
        11,
        "/thread_id",
    ),
    ("rule.assistants.stream-ids", "createRun", _set(7, ("id",), "msg_2"), 7, "/id"),
    (
        "rule.assistants.stream-ids",
        "createRun",
        _set(3, ("step_details", "message_creation", "message_id"), "msg_9"),
        3,
        "/step_details/message_creation/message_id",
    ),
    (
        "rule.assistants.stream-text",
        "createRun",
        _set(8, ("delta", "content", 0, "text", "value"), " you"),
        9,
        "/content/0/text/value",
    ),
    ("rule.assistants.stream-text", "createRun", _cut(8), 8, "/content/0/text/value"),
]


@pytest.mark.parametrize(("code", "operation", "edit", "event", "pointer"), STREAM_CASES)
def test_stream_rule_flags_and_fixer_fixes(
    code: str, operation: str, edit: Any, event: int | None, pointer: str
) -> None:
    broken = events()
    edit(broken)
    x = Exchange(operation, {"assistant_id": "asst_1", "stream": True}, events=broken)
    found = [v for v in ours(x) if v.code == code]
    assert found, ours(x)
    assert (found[0].event, found[0].pointer) == (event, pointer)
    comply(x)
    assert ours(x) == []
    assert (x.events or [])[-1].data == "[DONE]"


def test_stream_text_fix_streams_the_final_text_again() -> None:
    broken = events()
    broken.pop(8)
    x = Exchange("createRun", None, events=broken)
    comply(x)
    pieces = [
        e.data["delta"]["content"][0]["text"]["value"]
        for e in x.events or []
        if e.name == "thread.message.delta"
    ]
    assert pieces == ["Hello", " there"]


def _action(names: list[str]) -> dict[str, Any]:
    calls = [
        {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": "{}"}}
        for i, n in enumerate(names)
    ]
    return {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": calls}}


ACTION_CASES = [
    run("requires_action", required_action=_action(["get_weather"])),  # no function tool
    run("requires_action", [WEATHER]),  # required_action null
    run("completed", [WEATHER], required_action=_action(["get_weather"])),
    run("requires_action", [WEATHER], required_action=_action(["get_time"])),
]


@pytest.mark.parametrize("body", ACTION_CASES)
def test_requires_action_flags_and_fixer_fixes(body: dict[str, Any]) -> None:
    x = Exchange("getRun", None, body=copy.deepcopy(body))
    assert [(v.code, v.pointer) for v in ours(x)] == [
        ("rule.assistants.requires-action", "/required_action")
    ]
    comply(x)
    assert ours(x) == []


def test_requires_action_passes_what_the_api_sends() -> None:
    waiting = run("requires_action", [WEATHER], required_action=_action(["get_weather"]))
    assert ours(Exchange("getRun", None, body=waiting)) == []
    page = {"object": "list", "data": [run("in_progress"), waiting]}
    assert ours(Exchange("listRuns", None, body=page)) == []
    page["data"][0]["status"] = "requires_action"
    assert [v.pointer for v in ours(Exchange("listRuns", None, body=page))] == [
        "/data/0/required_action"
    ]


def test_a_requires_action_stream_without_function_tools_is_fixed_into_a_completed_run() -> None:
    broken = events()
    broken[11] = Event(
        run("requires_action", required_action=_action(["f"])), "thread.run.requires_action"
    )
    x = Exchange("createRun", None, events=broken)
    assert "rule.assistants.requires-action" in [v.code for v in ours(x)]
    comply(x)
    assert ours(x) == []
    assert (x.events or [])[11].name == "thread.run.completed"


@pytest.mark.parametrize(
    ("operation", "status", "want"),
    [("createRun", "in_progress", "queued"), ("cancelRun", "cancelled", "cancelling")],
)
def test_run_status(operation: str, status: str, want: str) -> None:
    x = Exchange(operation, {"assistant_id": "asst_1"}, body=run(status))
    found = ours(x)
    assert [(v.code, v.severity, v.expected) for v in found] == [
        ("rule.assistants.run-status", "warning", want)
    ]
    comply(x)
    assert ours(x) == []
    assert ours(Exchange(operation, None, body=run(want))) == []
