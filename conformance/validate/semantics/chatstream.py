"""Rules: the structure of chat and legacy completion streams — the usage chunk exactly when
``stream_options.include_usage`` asks for it, one finish per choice, tool-call argument pieces
that add up to JSON. (``data: [DONE]`` is the stream validator's: ``stream.done-missing``.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..limits import loads
from .choices import BOTH, CHAT, CUT, answer_choices, estimate_usage, fix_answer, include_usage, ok
from .exchange import Exchange
from .registry import Finding, rule

Obj = dict[str, Any]


def _chunks(x: Exchange) -> list[tuple[int, Obj]]:
    return [(i, e.data) for i, e in enumerate(x.events or ()) if isinstance(e.data, dict)]


@rule("rule.chat.stream-usage", operations=BOTH, request=True, stream=True)
def stream_usage(x: Exchange) -> Iterator[Finding]:
    """With ``stream_options.include_usage``: one usage chunk, the last, with empty ``choices``
    (the others carry ``usage: null``, or no usage); without it: no ``usage`` at all."""
    if not ok(x):
        return
    chunks = _chunks(x)
    if not include_usage(x):
        for event, data in chunks:
            if "usage" in data:
                yield Finding(
                    "a usage field but stream_options.include_usage was not asked",
                    "/usage",
                    event,
                    None,
                    data["usage"],
                    param="stream_options.include_usage",
                )
                return
        return
    carrying = [(event, data) for event, data in chunks if data.get("usage") is not None]
    if len(carrying) != 1:
        yield Finding(
            f"{len(carrying)} chunks carry usage; include_usage asks for exactly one",
            "",
            None,
            1,
            len(carrying),
            param="stream_options.include_usage",
        )
        return
    event, data = carrying[0]
    if event != chunks[-1][0]:
        yield Finding(
            "the usage chunk is not the last chunk", "/usage", event, chunks[-1][0], event
        )
    if data.get("choices"):
        yield Finding("the usage chunk has choices", "/choices", event, [], len(data["choices"]))


@stream_usage.fixer
@fix_answer
def _fix_stream_usage(x: Exchange) -> None:
    if include_usage(x) and not isinstance(x.body.get("usage"), dict):
        x.body["usage"] = estimate_usage(x)


def _finishes(x: Exchange) -> Iterator[tuple[str, int, Any, Any]]:
    """(problem, event, expected, actual) for each choice index finished other than once, or
    still streaming after its finish."""
    finished: dict[Any, int] = {}
    for event, data in _chunks(x):
        for part in data.get("choices") or ():
            if not isinstance(part, dict):
                continue
            index = part.get("index")
            if index in finished and part.get("finish_reason") is not None:
                yield f"choice {index} finished again", event, None, part["finish_reason"]
            elif index in finished and (part.get("delta") or part.get("text")):
                yield (
                    f"choice {index} streams after its finish (event {finished[index]})",
                    event,
                    None,
                    part.get("delta", part.get("text")),
                )
            if part.get("finish_reason") is not None:
                finished.setdefault(index, event)
    for c in answer_choices(x):
        if c.data["index"] not in finished:
            yield f"choice {c.data['index']} never finishes", c.event or 0, "a finish_reason", None


@rule("rule.chat.stream-finish", operations=BOTH, stream=True)
def stream_finish(x: Exchange) -> Iterator[Finding]:
    """Each choice of a stream gets exactly one ``finish_reason``, in its last chunk."""
    if not ok(x):
        return
    for problem, event, expected, actual in _finishes(x):
        yield Finding(problem, "/choices", event, expected, actual)


@stream_finish.fixer
@fix_answer
def _fix_stream_finish(x: Exchange) -> None:
    for c in answer_choices(x):
        if c.finish is None:
            called = c.calls() or c.message.get("function_call")
            c.data["finish_reason"] = (
                "tool_calls" if c.calls() else "function_call" if called else "stop"
            )


def _broken_arguments(x: Exchange) -> Iterator[tuple[Any, int | None, str, Obj]]:
    """(choice index, event, what, holder) for each streamed call whose arguments are not JSON."""
    for c in answer_choices(x):
        if c.finish in CUT:
            continue
        holders = [(f"tool_calls[{i}]", k.get("function")) for i, k in enumerate(c.calls())]
        holders.append(("function_call", c.message.get("function_call")))
        for what, holder in holders:
            if isinstance(holder, dict) and isinstance(holder.get("arguments"), str):
                try:
                    loads(holder["arguments"])
                except ValueError:
                    yield c.data["index"], c.event, what, holder


@rule("rule.chat.stream-arguments", operations=(CHAT,), stream=True)
def stream_arguments(x: Exchange) -> Iterator[Finding]:
    """The argument pieces a stream sends for a tool call add up to JSON."""
    if not ok(x):
        return
    for index, event, what, holder in _broken_arguments(x):
        yield Finding(
            f"choice {index}: the streamed {what} arguments do not add up to JSON",
            "/choices",
            event,
            actual=holder["arguments"][:200],
        )


@stream_arguments.fixer
@fix_answer
def _fix_stream_arguments(x: Exchange) -> None:
    for _, _, _, holder in list(_broken_arguments(x)):
        holder["arguments"] = "{}"
