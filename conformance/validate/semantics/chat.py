"""Rules: chat completions and legacy completions — how many choices, finish reasons that fit
the message, what an assistant message carries, usage; and, for any operation with a
``stream`` flag, that the flag chose the kind of answer. Tool calls and structured output are
in ``chattools.py``, logprobs in ``logprobs.py``, stream structure in ``chatstream.py``."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from ..violation import WARNING
from .choices import (
    BOTH,
    CHAT,
    CUT,
    FILLER,
    LEGACY,
    Choice,
    answer_choices,
    estimate_usage,
    expected_choices,
    fix_answer,
    generated,
    ok,
    token_limit,
    usages,
)
from .common import is_int
from .exchange import Exchange
from .registry import Finding, rule

Obj = dict[str, Any]


def _indexes(x: Exchange) -> list[Any]:
    """The choice indexes of a JSON answer in order, or the distinct ones a stream's chunks name."""
    if x.events is None:
        items = x.body.get("choices")
        return (
            [c.get("index") for c in items if isinstance(c, dict)]
            if isinstance(items, list)
            else []
        )
    seen: list[Any] = []
    for data in x.data():
        for part in (data.get("choices") if isinstance(data, dict) else None) or ():
            if isinstance(part, dict) and part.get("index") not in seen:
                seen.append(part.get("index"))
    return seen


@rule("rule.chat.n-choices", operations=BOTH)
def n_choices(x: Exchange) -> Iterator[Finding]:
    """``n`` choices (times the prompts of a legacy completion), indexed 0..n-1; without the
    request, at least one choice, indexed 0..len-1."""
    if not ok(x):
        return
    indexes = _indexes(x)
    count = expected_choices(x) or max(1, len(indexes))
    if all(is_int(i) for i in indexes) and sorted(indexes) == list(range(count)):
        return
    yield Finding(
        f"expected {count} choice(s) indexed 0..{count - 1}, got indexes {indexes}",
        "/choices" if x.events is None else "",
        expected=list(range(count)),
        actual=indexes,
        param="n" if x.sent("n") else None,
    )


def _default_choice(x: Exchange) -> Obj:
    if x.operation == LEGACY:
        return {"text": FILLER, "index": 0, "logprobs": None, "finish_reason": "stop"}
    message = {"role": "assistant", "content": FILLER, "refusal": None}
    return {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}


@n_choices.fixer
@fix_answer
def _fix_n_choices(x: Exchange) -> None:
    items = [c for c in x.body.get("choices") or () if isinstance(c, dict)]
    count = expected_choices(x) or max(1, len(items))
    items = items[:count] or [_default_choice(x)]
    while len(items) < count:
        items.append(copy.deepcopy(items[-1]))
    for index, item in enumerate(items):
        item["index"] = index
    x.body["choices"] = items


def _forced_by_name(x: Exchange) -> bool:
    """True when the request forces one named tool (or function): the API then finishes with
    ``stop``, not ``tool_calls``."""
    choice = x.asked("tool_choice")
    legacy = x.asked("function_call")
    return (isinstance(choice, dict) and choice.get("type") == "function") or isinstance(
        legacy, dict
    )


def _finish_for(x: Exchange, message: Mapping[str, Any], finish: Any) -> str:
    """The finish reason a message's calls call for (``finish`` kept when it fits)."""
    calls = bool(message.get("tool_calls"))
    called = bool(message.get("function_call"))
    if finish in CUT or (finish == "stop" and (calls or called) and _forced_by_name(x)):
        return str(finish)
    return "tool_calls" if calls else "function_call" if called else "stop"


@rule("rule.chat.finish-tool-calls", operations=(CHAT,))
def finish_tool_calls(x: Exchange) -> Iterator[Finding]:
    """``finish_reason`` ``tool_calls`` (``function_call``) exactly when the message calls tools
    (a function), except ``stop`` for a call forced by name and a message cut short."""
    for c in answer_choices(x):
        want = _finish_for(x, c.message, c.finish)
        if c.finish is not None and c.finish != want:
            yield Finding(
                f"finish_reason is {c.finish!r} for a message that "
                + (
                    "calls tools"
                    if c.calls()
                    else "calls a function"
                    if c.message.get("function_call")
                    else "calls no tool"
                ),
                f"{c.pointer}/finish_reason",
                c.event,
                want,
                c.finish,
            )


@finish_tool_calls.fixer
@fix_answer
def _fix_finish_tool_calls(x: Exchange) -> None:
    for c in answer_choices(x):
        if c.finish is not None:
            c.data["finish_reason"] = _finish_for(x, c.message, c.finish)


@rule("rule.chat.finish-length", operations=(CHAT,), request=True)
def finish_length(x: Exchange) -> Iterator[Finding]:
    """``finish_reason: length`` only when the request set a token limit."""
    if token_limit(x) is not None:
        return
    for c in answer_choices(x):
        if c.finish == "length":
            yield Finding(
                "finish_reason is 'length' but the request set no max_tokens or max_completion_tokens",
                f"{c.pointer}/finish_reason",
                c.event,
                "stop",
                "length",
            )


@finish_length.fixer
@fix_answer
def _fix_finish_length(x: Exchange) -> None:
    for c in answer_choices(x):
        if c.finish == "length":
            c.data["finish_reason"] = _finish_for(x, c.message, "stop")


def _speechless(c: Choice) -> bool:
    m = c.message
    return (
        bool(m)
        and m.get("content") is None
        and not (
            c.calls() or m.get("function_call") or m.get("refusal") is not None or m.get("audio")
        )
    )


@rule("rule.chat.content-null", operations=(CHAT,), severity=WARNING)
def content_null(x: Exchange) -> Iterator[Finding]:
    """An assistant message has text content unless it calls tools, refuses or speaks (audio)."""
    for c in answer_choices(x):
        if _speechless(c):
            yield Finding(
                "the message has no content, no tool call, no refusal and no audio",
                c.at("content"),
                c.event,
                actual=None,
            )


@content_null.fixer
@fix_answer
def _fix_content_null(x: Exchange) -> None:
    for c in answer_choices(x):
        if _speechless(c):
            c.message["content"] = FILLER


@rule("rule.chat.refusal", operations=(CHAT,))
def refusal(x: Exchange) -> Iterator[Finding]:
    """A message with a ``refusal`` has no content (``content: null``)."""
    for c in answer_choices(x):
        m = c.message
        if m.get("refusal") is not None and m.get("content") is not None:
            yield Finding(
                "the message has both a refusal and content",
                c.at("refusal"),
                c.event,
                None,
                m.get("refusal"),
            )


@refusal.fixer
@fix_answer
def _fix_refusal(x: Exchange) -> None:
    for c in answer_choices(x):
        if c.message.get("content") is not None:
            c.message["refusal"] = None


def _structured(x: Exchange) -> bool:
    fmt = x.asked("response_format")
    return isinstance(fmt, Mapping) and fmt.get("type") == "json_schema"


@rule("rule.chat.refusal-unasked", operations=(CHAT,), request=True, severity=WARNING)
def refusal_unasked(x: Exchange) -> Iterator[Finding]:
    """A refusal answers structured output (``response_format: json_schema``), as all 16 real
    refusals do; an ordinary request gets content."""
    if _structured(x):
        return
    for c in answer_choices(x):
        if c.message.get("refusal") is not None:
            yield Finding(
                "a refusal, but no structured output (response_format json_schema) was asked",
                c.at("refusal"),
                c.event,
                None,
                c.message.get("refusal"),
            )


@refusal_unasked.fixer
@fix_answer
def _fix_refusal_unasked(x: Exchange) -> None:
    for c in answer_choices(x):
        if c.message.get("refusal") is not None:
            c.message["refusal"] = None
            if c.message.get("content") is None and not c.calls():
                c.message["content"] = FILLER


@rule("rule.chat.content-filter", operations=BOTH, severity=WARNING)
def content_filter(x: Exchange) -> Iterator[Finding]:
    """``finish_reason: content_filter`` is what a filtered prompt gets; none of the 1,300 real
    answers has it, so it is a warning to look at, not a verdict."""
    for c in answer_choices(x):
        if c.data.get("finish_reason") == "content_filter":
            yield Finding(
                "finish_reason content_filter: the answer was cut by the content filter",
                f"{c.pointer}/finish_reason",
                c.event,
                None,
                "content_filter",
            )


@content_filter.fixer
@fix_answer
def _fix_content_filter(x: Exchange) -> None:
    for c in answer_choices(x):
        if c.data.get("finish_reason") == "content_filter":
            c.data["finish_reason"] = "tool_calls" if c.calls() else "stop"


def _audio_asked(x: Exchange) -> bool:
    modalities = x.asked("modalities", [])
    return isinstance(modalities, list) and "audio" in modalities


@rule("rule.chat.audio-unasked", operations=(CHAT,), request=True)
def audio_unasked(x: Exchange) -> Iterator[Finding]:
    """A message carries ``audio`` only when ``modalities`` asked for audio."""
    if _audio_asked(x):
        return
    for c in answer_choices(x):
        if c.message.get("audio") is not None:
            yield Finding(
                "the message carries audio but modalities did not ask for it",
                c.at("audio"),
                c.event,
                None,
                "audio",
                param="modalities",
            )


@audio_unasked.fixer
@fix_answer
def _fix_audio(x: Exchange) -> None:
    for c in answer_choices(x):
        c.message.pop("audio", None)


@rule("rule.chat.usage-missing", operations=BOTH, stream=False, severity=WARNING)
def usage_missing(x: Exchange) -> Iterator[Finding]:
    """A (non-streamed) completion answer carries its ``usage``."""
    if ok(x) and not isinstance(x.body.get("usage"), dict):
        yield Finding("the completion has no usage", "/usage", expected="usage")


@usage_missing.fixer
def _fix_usage_missing(x: Exchange) -> None:
    x.body["usage"] = estimate_usage(x)


# (details object, the parent count, parts that add up to at most the parent)
_DETAILS = (
    (
        "completion_tokens_details",
        "completion_tokens",
        ("reasoning_tokens", "audio_tokens", "text_tokens"),
    ),
    ("prompt_tokens_details", "prompt_tokens", ("audio_tokens", "text_tokens", "image_tokens")),
)


def _detail_problems(usage: Obj) -> Iterator[tuple[str, str, Any, Any]]:
    """(details key, what, limit, actual) for each detail beyond what its parent counts."""
    for key, parent, parts in _DETAILS:
        details, total = usage.get(key), usage.get(parent)
        if not isinstance(details, dict) or not is_int(total):
            continue
        for name, value in details.items():
            if is_int(value) and value > total:
                yield key, name, total, value
        summed = sum(details[p] for p in parts if is_int(details.get(p)))
        if summed > total:
            yield key, "+".join(p for p in parts if is_int(details.get(p))), total, summed


@rule("rule.chat.usage-details", operations=BOTH)
def usage_details(x: Exchange) -> Iterator[Finding]:
    """Token details fit their totals: each detail (reasoning, cached…) at most its total, and
    reasoning + audio + text at most ``completion_tokens`` (audio + text + image at most
    ``prompt_tokens``)."""
    for event, pointer, usage in usages(x):
        for key, what, total, value in _detail_problems(usage):
            yield Finding(
                f"{key} {what} = {value} exceeds {total}",
                f"{pointer}/{key}" + ("" if "+" in what else f"/{what}"),
                event,
                total,
                value,
            )


def clamp_details(usage: Obj) -> None:
    """Cut token details down to fit their totals (what ``rule.chat.usage-details`` asks)."""
    for key, parent, parts in _DETAILS:
        details, total = usage.get(key), usage.get(parent)
        if not isinstance(details, dict) or not is_int(total):
            continue
        for name, value in details.items():
            if is_int(value) and value > total:
                details[name] = total
        left = total
        for p in parts:
            if is_int(details.get(p)):
                details[p] = min(details[p], left)
                left -= details[p]


@usage_details.fixer
def _fix_usage_details(x: Exchange) -> None:
    for _, _, usage in usages(x):
        clamp_details(usage)


@rule("rule.chat.max-tokens", operations=BOTH, request=True)
def max_tokens(x: Exchange) -> Iterator[Finding]:
    """``completion_tokens`` is at most the token limit times the completions generated."""
    limit = token_limit(x)
    if limit is None:
        return
    most: int = limit * generated(x)
    for event, pointer, usage in usages(x):
        used = usage.get("completion_tokens")
        if isinstance(used, int) and used > most:
            yield Finding(
                f"completion_tokens {used} exceeds the limit {limit} x {generated(x)} completion(s)",
                f"{pointer}/completion_tokens",
                event,
                most,
                used,
                param="max_completion_tokens" if x.sent("max_completion_tokens") else "max_tokens",
            )


@max_tokens.fixer
def _fix_max_tokens(x: Exchange) -> None:
    limit = token_limit(x)
    if limit is None:
        return
    for _, _, usage in usages(x):
        if is_int(usage.get("completion_tokens")):
            usage["completion_tokens"] = min(usage["completion_tokens"], limit * generated(x))
            if is_int(usage.get("prompt_tokens")) and "total_tokens" in usage:
                usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            clamp_details(usage)


# operations whose `stream` flag, when absent, means a plain answer
_STREAM_FLAG = frozenset(
    {
        CHAT,
        LEGACY,
        "createResponse",
        "createRun",
        "createThreadAndRun",
        "submitToolOuputsToRun",
        "createTranscription",
        "createTranslation",
        "createImage",
        "createImageEdit",
    }
)


@rule("rule.stream.mode", request=True)
def stream_mode(x: Exchange) -> Iterator[Finding]:
    """``stream: true`` is answered by an event stream; ``stream`` false or absent by a plain
    answer."""
    if not 200 <= x.status < 300 or not isinstance(x.request, Mapping):
        return
    flag = x.request.get("stream")
    asked = flag is True or (isinstance(flag, str) and flag.lower() == "true")
    if flag is None and x.operation not in _STREAM_FLAG:
        return
    if asked and not x.is_stream:
        yield Finding(
            "stream: true was sent but the answer is not an event stream",
            where="response.content-type",
            expected="text/event-stream",
            actual="application/json",
            param="stream",
        )
    elif not asked and x.is_stream:
        yield Finding(
            f"stream was {'not sent' if flag is None else repr(flag)} but the answer is an event stream",
            where="response.content-type",
            expected="application/json",
            actual="text/event-stream",
            param="stream",
        )
