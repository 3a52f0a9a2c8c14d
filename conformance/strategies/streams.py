"""Streams that look like real ones, in lifecycle order, with consistent ids.

- chat/completions: a role delta first, content (or tool-call) deltas, a finish chunk, an
  optional usage chunk (``stream_options.include_usage``), then ``data: [DONE]``;
- Responses: ``response.created`` → ``in_progress`` → output item and content part added →
  text deltas → done events → ``response.completed``;
- Assistants runs: (``thread.created``) → ``thread.run.created`` → ``queued`` → ``in_progress`` →
  step and message created → message deltas → message, step and run completed → ``done``.

Big objects (Response, Run, Step, Message) come from the spec's own schemas and are then set to
the state each event needs. Any other streaming operation gets events from its event schema.
Every stream is checked by the validator before it is returned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import hypothesis.strategies as st

from .. import sse
from ..errors import InputError
from ..spec import Operation, Spec
from ..spec.refs import escape
from ..validate.semantics import Exchange, comply
from ..validate.semantics.chunks import chunks
from .context import Context, context
from .hints import MODELS, WORDS
from .profiles import Profile
from .responses import stream_events

__all__ = ["chat_events", "chat_stream", "completion_events", "streams"]

Events = tuple[sse.Event, ...]
_TOKEN = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=10, max_size=16)
_PIECES = st.lists(st.sampled_from(WORDS).map(lambda w: w + " "), min_size=1, max_size=5)


def _component(ctx: Context, name: str) -> st.SearchStrategy[Any]:
    schemas = ctx.responses.schemas
    return ctx.responses.compile(
        {"$ref": schemas.ref(f"{ctx.spec.uri}#/components/schemas/{escape(name)}")}
    )


_DONE = sse.Event(data="[DONE]")


def _data(value: Any, event: str | None = None) -> sse.Event:
    return sse.Event(data=json.dumps(value), event=event)


def chat_events(completion: Mapping[str, Any], *, include_usage: bool) -> Events:
    """The stream OpenAI sends for a (non-streamed) chat completion: a role delta, content in
    word pieces, tool-call deltas with their arguments in pieces, one finish chunk per choice,
    the usage chunk when ``include_usage``, then ``data: [DONE]``. Deterministic; make the
    completion obey the request first (``comply``), the stream then obeys it too.

    >>> chat_events(completion, include_usage=True)[-1].data  # doctest: +SKIP
    '[DONE]'
    """
    return (*[_data(c) for c in chunks(completion, include_usage=include_usage)], _DONE)


def completion_events(completion: Mapping[str, Any], *, include_usage: bool) -> Events:
    """The stream OpenAI sends for a legacy completion (``createCompletion``): its text in word
    pieces, the finish on the last, the usage chunk when ``include_usage``, ``data: [DONE]``.

    >>> completion_events(completion, include_usage=False)[-1].data  # doctest: +SKIP
    '[DONE]'
    """
    legacy = {**completion, "object": "text_completion"}
    return (*[_data(c) for c in chunks(legacy, include_usage=include_usage)], _DONE)


_WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    },
}


@st.composite
def _chat(
    draw: st.DrawFn, n: int | None = None, usage: bool | None = None, tools: bool = True
) -> Events:
    """A plain completion obeying a request with these knobs, streamed by ``chat_events``."""
    n = draw(st.integers(1, 2)) if n is None else n
    usage = draw(st.booleans()) if usage is None else usage
    message: dict[str, Any] = {"role": "assistant", "content": "".join(draw(_PIECES)).strip()}
    finish = draw(st.sampled_from(["stop", "length"]))
    if tools and draw(st.booleans()):  # a tool call, its arguments streamed in pieces
        place = draw(st.sampled_from(["Paris", "Tokyo", "Lima"]))
        call = {
            "id": "call_" + draw(_TOKEN),
            "type": "function",
            "function": {"name": "get_weather", "arguments": json.dumps({"location": place})},
        }
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        finish = "tool_calls"
    choice = {"index": 0, "message": {"refusal": None, **message}, "finish_reason": finish}
    completion = {
        "id": "chatcmpl-" + draw(_TOKEN),
        "object": "chat.completion",
        "created": draw(st.integers(1_700_000_000, 1_760_000_000)),
        "model": draw(st.sampled_from(MODELS)),
        "system_fingerprint": "fp_" + draw(_TOKEN)[:10],
        "choices": [{**choice, "logprobs": None}],
    }
    request: dict[str, Any] = {"model": completion["model"], "messages": [], "n": n}
    if finish == "length":
        request["max_completion_tokens"] = draw(st.integers(16, 256))
    if tools:
        request["tools"] = [_WEATHER]
    x = Exchange("createChatCompletion", request, body=completion)
    comply(x)
    return chat_events(x.body, include_usage=usage)


def _drawn_completion(
    ctx: Context, op: Operation, events: Callable[..., Events]
) -> st.SearchStrategy[Events]:
    """A typical JSON answer of the operation, made to obey a plain request, then streamed."""
    media = op.responses["200"].content.get("application/json") if "200" in op.responses else None
    if media is None or media.schema is None:
        return st.nothing()
    body = ctx.response_schema(media.schema)

    @st.composite
    def build(draw: st.DrawFn) -> Events:
        usage = draw(st.booleans())
        completion = draw(body)
        plain: dict[str, Any] = {"model": completion.get("model", MODELS[0])}
        if op.operation_id == "createCompletion":
            plain["prompt"] = "Say hi"
        else:
            plain["messages"] = [{"role": "user", "content": "Say hi"}]
        x = Exchange(op.operation_id, plain, body=completion)
        comply(x)
        return events(x.body, include_usage=usage)

    return build()


def _responses(ctx: Context, op: Operation) -> st.SearchStrategy[Events]:
    media = op.responses["200"].content.get("application/json") if "200" in op.responses else None
    if media is None or media.schema is None:
        return st.nothing()
    response = ctx.response_schema(media.schema)

    @st.composite
    def build(draw: st.DrawFn) -> Events:
        resp = {**draw(response), "id": "resp_" + draw(_TOKEN), "object": "response"}
        pieces = draw(_PIECES)
        text = "".join(pieces)
        item_id = "msg_" + draw(_TOKEN)
        part_empty: dict[str, Any] = {"type": "output_text", "text": "", "annotations": []}
        if "logprobs" in _required(ctx, "OutputTextContent"):  # 2026-08
            part_empty["logprobs"] = []
        part = {**part_empty, "text": text}
        item = {
            "id": item_id,
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        done_item = {**item, "status": "completed", "content": [part]}
        started = {**resp, "status": "in_progress", "output": []}
        finished = {**resp, "status": "completed", "output": [done_item]}
        at = {"item_id": item_id, "output_index": 0, "content_index": 0}
        # 2026-08 requires logprobs on text events
        logprobs_delta: dict[str, Any] = {}
        logprobs_done: dict[str, Any] = {}
        if "logprobs" in _required(ctx, "ResponseTextDeltaEvent"):
            logprobs_delta["logprobs"] = []
        if "logprobs" in _required(ctx, "ResponseTextDoneEvent"):
            logprobs_done["logprobs"] = []
        events: list[dict[str, Any]] = [
            {"type": "response.created", "response": started},
            {"type": "response.in_progress", "response": started},
            {"type": "response.output_item.added", "output_index": 0, "item": item},
            {"type": "response.content_part.added", **at, "part": part_empty},
            *[
                {"type": "response.output_text.delta", **at, "delta": p, **logprobs_delta}
                for p in pieces
            ],
            {"type": "response.output_text.done", **at, "text": text, **logprobs_done},
            {"type": "response.content_part.done", **at, "part": part},
            {"type": "response.output_item.done", "output_index": 0, "item": done_item},
            {"type": "response.completed", "response": finished},
        ]
        if "sequence_number" in _required(ctx, "ResponseCreatedEvent"):  # 2026-08 numbers events
            events = [{**e, "sequence_number": i} for i, e in enumerate(events)]
        return tuple(_data(e, e["type"]) for e in events)

    return build()


def _required(ctx: Context, name: str) -> set[str]:
    """What a component schema requires (empty when the spec has no such schema)."""
    node = ((ctx.spec.document.get("components") or {}).get("schemas") or {}).get(name) or {}
    return set(node.get("required") or [])


def _run(ctx: Context, with_thread: bool) -> st.SearchStrategy[Events]:
    run_s, step_s, message_s = (
        _component(ctx, n) for n in ("RunObject", "RunStepObject", "MessageObject")
    )
    thread_s = _component(ctx, "ThreadObject")

    @st.composite
    def build(draw: st.DrawFn) -> Events:
        thread_id, run_id, message_id, step_id = ("thread_", "run_", "msg_", "step_")
        thread_id, run_id, message_id, step_id = (
            p + draw(_TOKEN) for p in (thread_id, run_id, message_id, step_id)
        )
        run = {
            **draw(run_s),
            "id": run_id,
            "thread_id": thread_id,
            "required_action": None,
            "last_error": None,
            "incomplete_details": None,
        }
        assistant = run.get("assistant_id", "asst_x")
        pieces = draw(_PIECES)
        text = {"type": "text", "text": {"value": "".join(pieces), "annotations": []}}
        message = {
            **draw(message_s),
            "id": message_id,
            "thread_id": thread_id,
            "run_id": run_id,
            "role": "assistant",
            "assistant_id": assistant,
            "incomplete_details": None,
        }
        details = {"type": "message_creation", "message_creation": {"message_id": message_id}}
        step = {
            **draw(step_s),
            "id": step_id,
            "run_id": run_id,
            "thread_id": thread_id,
            "assistant_id": assistant,
            "type": "message_creation",
            "step_details": details,
            "last_error": None,
        }
        named: list[tuple[str, Any]] = []
        if with_thread:
            named.append(("thread.created", {**draw(thread_s), "id": thread_id}))
        named += [
            ("thread.run.created", {**run, "status": "queued"}),
            ("thread.run.queued", {**run, "status": "queued"}),
            ("thread.run.in_progress", {**run, "status": "in_progress"}),
            ("thread.run.step.created", {**step, "status": "in_progress"}),
            ("thread.message.created", {**message, "status": "in_progress", "content": []}),
            ("thread.message.in_progress", {**message, "status": "in_progress", "content": []}),
            *[
                (
                    "thread.message.delta",
                    {
                        "id": message_id,
                        "object": "thread.message.delta",
                        "delta": {
                            "content": [
                                {
                                    "index": 0,
                                    "type": "text",
                                    "text": {"value": p, "annotations": []},
                                }
                            ]
                        },
                    },
                )
                for p in pieces
            ],
            ("thread.message.completed", {**message, "status": "completed", "content": [text]}),
            ("thread.run.step.completed", {**step, "status": "completed"}),
            ("thread.run.completed", {**run, "status": "completed"}),
        ]
        return (
            *[_data(data, name) for name, data in named],
            sse.Event(data="[DONE]", event="done"),
        )

    return build()


def chat_stream(
    *, n: int | None = None, usage: bool | None = None, tools: bool = True
) -> st.SearchStrategy[Events]:
    """A realistic chat/completions stream for ``n`` choices, with or without the usage chunk
    (``stream_options.include_usage``) and tool calls; unset knobs vary.

    >>> chat_stream(n=2, usage=True, tools=False).example()[-1].data  # doctest: +SKIP
    '[DONE]'
    """
    return _chat(n, usage, tools)


def streams(
    spec: Spec, operation: str | Operation, *, profile: str | Profile = "typical"
) -> st.SearchStrategy[Events]:
    """Realistic SSE streams for a streaming operation, as ``sse.Event`` tuples.

    >>> @given(streams(spec, "createChatCompletion"))  # doctest: +SKIP
    ... def test_sdk_reassembles(events): body = "".join(sse.encode(e.data, event=e.event) for e in events)
    """
    ctx = context(spec, profile)
    op = ctx.operation(operation)
    stream = op.stream_for(200)
    if stream is None:
        raise InputError(f"{op.operation_id} does not stream")

    def build() -> st.SearchStrategy[Events]:
        lifecycles: dict[str, Callable[[], st.SearchStrategy[Events]]] = {
            "createChatCompletion": lambda: _drawn_completion(ctx, op, chat_events),
            "createCompletion": lambda: _drawn_completion(ctx, op, completion_events),
            "createResponse": lambda: _responses(ctx, op),
            "createRun": lambda: _run(ctx, with_thread=False),
            "submitToolOuputsToRun": lambda: _run(ctx, with_thread=False),
            "createThreadAndRun": lambda: _run(ctx, with_thread=True),
        }
        known = lifecycles.get(op.operation_id)
        strategy = known() if known is not None else stream_events(ctx, stream)

        def valid(events: Events) -> bool:
            return not [v for v in ctx.validator.stream(op, events) if v.is_error]

        return strategy.filter(valid)

    return ctx.cached(("stream", op.operation_id), build)
