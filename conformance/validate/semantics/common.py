"""Rules over shapes any OpenAI answer may carry, wherever they sit: usage totals, choice
indexes, function-call arguments. Also the walking helpers other rule modules share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...spec.refs import escape
from ..limits import loads
from .exchange import Exchange
from .registry import Finding, rule

__all__ = ["answered", "counted", "is_int", "located", "objects"]

Obj = dict[str, Any]


def is_int(value: Any) -> bool:
    """True for an integer that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def objects(value: Any, pointer: str = "") -> Iterator[tuple[str, Obj]]:
    """Every JSON object in a value with its pointer, children before parents.

    >>> [p for p, _ in objects({"a": {"b": {}}})]
    ['/a/b', '/a', '']
    """
    out: list[tuple[int | None, str, Obj]] = []
    _walk(value, pointer, None, out)
    for _, at, obj in out:
        yield at, obj


def _walk(
    value: Any, pointer: str, event: int | None, out: list[tuple[int | None, str, Obj]]
) -> None:
    """:func:`objects` into a list, as ``(event, pointer, object)`` (no generator per level)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                name = key if isinstance(key, str) else str(key)
                if "~" in name or "/" in name:
                    name = escape(name)
                _walk(item, f"{pointer}/{name}", event, out)
        out.append((event, pointer, value))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, (dict, list)):
                _walk(item, f"{pointer}/{i}", event, out)


def located(x: Exchange) -> list[tuple[int | None, str, Obj]]:
    """(event index or None, pointer, object) for every object of the answer, children first;
    walked once per exchange and shared by all rules (``x.changed()`` forgets it)."""
    if x.walked is None:
        walked: list[tuple[int | None, str, Obj]] = []
        if x.events is None:
            _walk(x.body, "", None, walked)
        else:
            for index, event in enumerate(x.events):
                _walk(event.data, "", index, walked)
        x.walked = walked
    return x.walked


def answered(x: Exchange) -> Iterator[tuple[int | None, str, Obj]]:
    """(event index or None, pointer, object) of what the request made: the body, or each
    event's data, and a Responses event's ``response``."""
    if x.events is None:
        answers: list[tuple[int | None, Any]] = [(None, x.body)]
    else:
        answers = [(i, e.data) for i, e in enumerate(x.events) if e.json]
    for event, data in answers:
        inner = data.get("response") if isinstance(data, dict) else None
        for pointer, obj in (("", data), ("/response", inner)):
            if isinstance(obj, dict):
                yield event, pointer, obj


def counted(
    x: Exchange, key: str, expected: int | None, noun: str, param: str
) -> Iterator[Finding]:
    """A finding when the body's ``key`` list does not hold ``expected`` items (one result per
    input, ``n`` images…); nothing when either is unknown.

    >>> list(counted(Exchange("op", {}, body={"data": [1]}), "data", 2, "images", "n"))[0].expected
    2
    """
    items = x.body.get(key) if isinstance(x.body, dict) else None
    if expected is not None and isinstance(items, list) and len(items) != expected:
        yield Finding(
            f"{len(items)} {noun} where {expected} were asked",
            f"/{key}",
            expected=expected,
            actual=len(items),
            param=param,
        )


_SUMS = (
    ("prompt_tokens", "completion_tokens"),
    ("input_tokens", "output_tokens"),
)


def _sum_parts(obj: Obj) -> tuple[str, str] | None:
    if not is_int(obj.get("total_tokens")):
        return None
    for parts in _SUMS:
        if is_int(obj.get(parts[0])) and is_int(obj.get(parts[1])):
            return parts
    return None


@rule("rule.usage.total", reshapes=False)
def usage_total(x: Exchange) -> Iterator[Finding]:
    """``total_tokens`` is the sum of its parts (prompt + completion, input + output)."""
    for event, pointer, obj in located(x):
        parts = _sum_parts(obj)
        if parts is not None:
            expected = obj[parts[0]] + obj[parts[1]]
            if obj["total_tokens"] != expected:
                yield Finding(
                    f"total_tokens is {obj['total_tokens']}, not {parts[0]} + {parts[1]} = {expected}",
                    f"{pointer}/total_tokens",
                    event,
                    expected,
                    obj["total_tokens"],
                )
        elif (
            is_int(obj.get("total_tokens"))
            and is_int(obj.get("prompt_tokens"))
            and "completion_tokens" not in obj
            and obj["total_tokens"] != obj["prompt_tokens"]
        ):
            yield Finding(
                f"total_tokens is {obj['total_tokens']}, not prompt_tokens = {obj['prompt_tokens']} (nothing is completed)",
                f"{pointer}/total_tokens",
                event,
                obj["prompt_tokens"],
                obj["total_tokens"],
            )


@usage_total.fixer
def _fix_usage_total(x: Exchange) -> None:
    for _, _, obj in located(x):
        parts = _sum_parts(obj)
        if parts is not None:
            obj["total_tokens"] = obj[parts[0]] + obj[parts[1]]
        elif (
            is_int(obj.get("total_tokens"))
            and is_int(obj.get("prompt_tokens"))
            and "completion_tokens" not in obj
        ):
            obj["total_tokens"] = obj["prompt_tokens"]


def _function_calls(x: Exchange) -> Iterator[tuple[int | None, str, Obj]]:
    """Function calls of a complete answer (streamed arguments are pieces, not JSON)."""
    if x.is_stream:
        return
    for event, pointer, obj in located(x):
        if isinstance(obj.get("arguments"), str) and isinstance(obj.get("name"), str):
            yield event, pointer, obj


@rule("rule.tool.arguments-json", reshapes=False)
def tool_arguments_json(x: Exchange) -> Iterator[Finding]:
    """Function call arguments are JSON text."""
    for event, pointer, obj in _function_calls(x):
        try:
            loads(obj["arguments"])
        except ValueError:
            yield Finding(
                f"function arguments are not JSON: {obj['arguments'][:60]!r}",
                f"{pointer}/arguments",
                event,
                actual=obj["arguments"][:200],
            )


@tool_arguments_json.fixer
def _fix_arguments(x: Exchange) -> None:
    for _, _, obj in _function_calls(x):
        try:
            loads(obj["arguments"])
        except ValueError:
            obj["arguments"] = "{}"
