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
from ..validate.semantics.response_events import response_events
from .context import Context, context
from .hints import MODELS, SENTENCES
from .profiles import Profile
from .responses import stream_events

__all__ = [
    "chat_events",
    "chat_stream",
    "completion_events",
    "response_stream",
    "streams",
    "typical_response",
]

Events = tuple[sse.Event, ...]
_TOKEN = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=10, max_size=16)
# a sentence as a model streams it: word by word
_PIECES = st.sampled_from(SENTENCES).map(lambda text: [w + " " for w in text.split()])


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


_WEATHER_TOOL = {  # the same function, as the Responses API declares tools
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
        "additionalProperties": False,
    },
    "strict": True,
}


def _numbered(spec: Spec) -> bool:
    """True when the spec's Responses stream events carry ``sequence_number`` (2026-08; 2.3.0
    declares neither it nor the other fields the API added with it)."""
    node = ((spec.document.get("components") or {}).get("schemas") or {}).get(
        "ResponseCreatedEvent"
    ) or {}
    return "sequence_number" in (node.get("required") or [])


def response_stream(spec: Spec, response: Mapping[str, Any]) -> Events:
    """The stream OpenAI sends for a final Response (``response_events``), with the fields the
    spec's events declare (``sequence_number``, text ``logprobs``… for 2026-08, none for 2.3.0).
    Deterministic; make the Response obey the request first (``comply``), the stream then
    obeys it too.

    >>> x = Exchange("createResponse", request, body=drawn_response); comply(x)  # doctest: +SKIP
    >>> events = response_stream(spec, x.body)  # doctest: +SKIP
    """
    return response_events(dict(response), numbered=_numbered(spec))


def _answer(ctx: Context, op: Operation) -> st.SearchStrategy[dict[str, Any]]:
    """A completed Response with one assistant message of text (the spec's own output_text
    shape), usage that adds up, and the defaults a plain request gets echoed."""
    media = op.responses["200"].content.get("application/json") if "200" in op.responses else None
    if media is None or media.schema is None:
        return st.nothing()
    response, usage = ctx.response_schema(media.schema), _component(ctx, "ResponseUsage")
    logprobs = "logprobs" in _required(ctx, "OutputTextContent")  # 2026-08

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        suffix = draw(_TOKEN)
        text = "".join(draw(_PIECES)).strip()
        part: dict[str, Any] = {"type": "output_text", "text": text, "annotations": []}
        if logprobs:
            part["logprobs"] = []
        message = {
            "id": "msg_" + suffix,
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [part],
        }
        spent = {"input_tokens": draw(st.integers(5, 400)), "output_tokens": len(text.split()) + 2}
        tokens = draw(usage)
        tokens.update(spent, total_tokens=sum(spent.values()))
        final = {
            **draw(response),
            "id": "resp_" + suffix,
            "object": "response",
            "model": draw(st.sampled_from(MODELS)),
            "status": "completed",
            "incomplete_details": None,
            "error": None,
            "instructions": None,
            "output": [message],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "temperature": 1.0,
            "top_p": 1.0,
            "metadata": {},
            "usage": tokens,
        }
        final.pop("output_text", None)
        return final

    return build()


def typical_response(spec: Spec, operation: str = "createResponse") -> st.SearchStrategy[Any]:
    """Typical final Responses: completed, one assistant message of text in the spec's shape,
    usage that adds up — to make obey the request (``comply``), then to send as JSON or stream
    (``response_stream``). The schema's own draws often have no output, and the rules can only
    add an empty message to those (the text part's shape differs between spec versions).

    >>> x = Exchange("createResponse", request, body=draw(typical_response(spec))); comply(x)  # doctest: +SKIP
    """
    ctx = context(spec, "typical")
    op = ctx.operation(operation)
    return ctx.cached(("typical-response", op.operation_id), lambda: _answer(ctx, op))


def _responses(ctx: Context, op: Operation) -> st.SearchStrategy[Events]:
    """A typical Response answering a plain request (text, a function call, or text cut short
    by max_output_tokens), made to obey it, then streamed by ``response_events``."""
    answers, sequenced = _answer(ctx, op), _numbered(ctx.spec)

    @st.composite
    def build(draw: st.DrawFn) -> Events:
        final = draw(answers)
        request: dict[str, Any] = {"model": final["model"], "input": "Say hi", "stream": True}
        shape = draw(st.sampled_from(["text", "call", "cut"]))
        if shape == "call":
            request["tools"] = [_WEATHER_TOOL]
            place = draw(st.sampled_from(["Paris", "Tokyo", "Lima"]))
            call = {
                "id": "fc_" + final["id"].removeprefix("resp_"),
                "type": "function_call",
                "call_id": "call_" + draw(_TOKEN),
                "name": "get_weather",
                "arguments": json.dumps({"location": place}),
                "status": "completed",
            }
            final["output"] = [call]
        if shape == "cut":
            request["max_output_tokens"] = draw(st.integers(16, 64))
            final["status"] = final["output"][0]["status"] = "incomplete"
            final["incomplete_details"] = {"reason": "max_output_tokens"}
        answer = Exchange("createResponse", request, body=final)
        comply(answer)
        stream = Exchange.streamed(
            "createResponse", request, response_events(answer.body, numbered=sequenced)
        )
        comply(stream)
        return stream.sse_events()

    return build()


def _required(ctx: Context, name: str) -> set[str]:
    """What a component schema requires (empty when the spec has no such schema)."""
    node = ((ctx.spec.document.get("components") or {}).get("schemas") or {}).get(name) or {}
    return set(node.get("required") or [])


_ASSISTANT_WEATHER = {
    "type": "function",
    "function": {
        k: v for k, v in _WEATHER_TOOL.items() if k in ("name", "description", "parameters")
    },
}


def _run(ctx: Context, with_thread: bool, submitted: bool = False) -> st.SearchStrategy[Events]:
    """A run stream: (thread.created) → run created (not when tool outputs were submitted: the
    run exists) → queued → in_progress → a message step with its message streamed in deltas →
    run completed; or a tool-call step → requires_action (the run then has a function tool);
    then ``done``. Made to obey the Assistants rules (``comply``)."""
    run_s, step_s, message_s = (
        _component(ctx, n) for n in ("RunObject", "RunStepObject", "MessageObject")
    )
    thread_s = _component(ctx, "ThreadObject")
    operation = (
        "submitToolOuputsToRun"
        if submitted
        else "createThreadAndRun"
        if with_thread
        else "createRun"
    )

    @st.composite
    def build(draw: st.DrawFn) -> Events:
        thread_id, run_id, message_id, step_id = (
            p + draw(_TOKEN) for p in ("thread_", "run_", "msg_", "step_")
        )
        acting = draw(st.booleans())
        run = {
            **draw(run_s),
            "id": run_id,
            "thread_id": thread_id,
            "required_action": None,
            "last_error": None,
            "incomplete_details": None,
        }
        if acting:
            run["tools"] = [_ASSISTANT_WEATHER]
        assistant = run.get("assistant_id", "asst_x")
        common = {"run_id": run_id, "thread_id": thread_id, "assistant_id": assistant}
        step = {**draw(step_s), "id": step_id, **common, "last_error": None}
        named: list[tuple[str, Any]] = []
        if with_thread:
            named.append(("thread.created", {**draw(thread_s), "id": thread_id}))
        if not submitted:
            named.append(("thread.run.created", {**run, "status": "queued"}))
        named += [
            ("thread.run.queued", {**run, "status": "queued"}),
            ("thread.run.in_progress", {**run, "status": "in_progress"}),
        ]
        if acting:
            place = draw(st.sampled_from(["Paris", "Tokyo", "Lima"]))
            function = {"name": "get_weather", "arguments": json.dumps({"location": place})}
            call = {"id": "call_" + draw(_TOKEN), "type": "function", "function": function}
            details = {
                "type": "tool_calls",
                "tool_calls": [{**call, "function": {**function, "output": None}}],
            }
            step = {**step, "type": "tool_calls", "step_details": details}
            action = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [call]}}
            named += [
                ("thread.run.step.created", {**step, "status": "in_progress"}),
                ("thread.run.step.in_progress", {**step, "status": "in_progress"}),
                (
                    "thread.run.requires_action",
                    {**run, "status": "requires_action", "required_action": action},
                ),
            ]
        else:
            text = "".join(draw(_PIECES)).strip()
            content = [{"type": "text", "text": {"value": text, "annotations": []}}]
            message = {
                **draw(message_s),
                "id": message_id,
                **common,
                "role": "assistant",
                "incomplete_details": None,
            }
            made = {"type": "message_creation", "message_creation": {"message_id": message_id}}
            step = {**step, "type": "message_creation", "step_details": made}
            named += [
                ("thread.run.step.created", {**step, "status": "in_progress"}),
                ("thread.run.step.in_progress", {**step, "status": "in_progress"}),
                ("thread.message.created", {**message, "status": "in_progress", "content": []}),
                ("thread.message.in_progress", {**message, "status": "in_progress", "content": []}),
                # no deltas yet: comply streams the completed text in word pieces
                (
                    "thread.message.completed",
                    {**message, "status": "completed", "content": content},
                ),
                ("thread.run.step.completed", {**step, "status": "completed"}),
                ("thread.run.completed", {**run, "status": "completed"}),
            ]
        events = [*[_data(data, name) for name, data in named], sse.Event("[DONE]", "done")]
        x = Exchange.streamed(operation, {"assistant_id": assistant, "stream": True}, events)
        comply(x)
        return x.sse_events()

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
            "beta_createResponse": lambda: _responses(ctx, op),
            "createRun": lambda: _run(ctx, with_thread=False),
            "submitToolOuputsToRun": lambda: _run(ctx, with_thread=False, submitted=True),
            "createThreadAndRun": lambda: _run(ctx, with_thread=True),
        }
        known = lifecycles.get(op.operation_id)
        strategy = known() if known is not None else stream_events(ctx, stream)

        def valid(events: Events) -> bool:
            return not [v for v in ctx.validator.stream(op, events) if v.is_error]

        return strategy.filter(valid)

    return ctx.cached(("stream", op.operation_id), build)
