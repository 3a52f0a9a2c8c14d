"""OpenAI semantics JSON Schema cannot say, written once as rules: checked here (and by the
suites), satisfied by the ``typical`` generation profile (and so by the mock).

A rule looks at one JSON object anywhere in a body or event: ``applies`` says whether the object
is its business, ``check`` returns what is wrong (or None), ``fix`` mutates it to comply.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..spec.refs import escape
from .violation import Violation

__all__ = ["RULES", "Rule", "apply_rules", "check_rules"]

Obj = dict[str, Any]


@dataclass(frozen=True)
class Rule:
    """One semantic rule over JSON objects."""

    id: str
    description: str
    applies: Callable[[Obj], bool]
    check: Callable[[Obj], str | None]
    fix: Callable[[Obj], None]


def _ints(obj: Obj, *keys: str) -> bool:
    return all(isinstance(obj.get(k), int) and not isinstance(obj.get(k), bool) for k in keys)


def _sum_rule(id: str, parts: tuple[str, str], total: str) -> Rule:
    def check(obj: Obj) -> str | None:
        expected = obj[parts[0]] + obj[parts[1]]
        return (
            None
            if obj[total] == expected
            else f"{total} is {obj[total]}, not {parts[0]} + {parts[1]} = {expected}"
        )

    def fix(obj: Obj) -> None:
        obj[total] = obj[parts[0]] + obj[parts[1]]

    return Rule(
        id, f"{total} = {parts[0]} + {parts[1]}", lambda o: _ints(o, *parts, total), check, fix
    )


def _prompt_only(obj: Obj) -> bool:
    return _ints(obj, "prompt_tokens", "total_tokens") and "completion_tokens" not in obj


def _check_prompt_only(obj: Obj) -> str | None:
    if obj["total_tokens"] == obj["prompt_tokens"]:
        return None
    return f"total_tokens is {obj['total_tokens']}, not prompt_tokens = {obj['prompt_tokens']}"


def _fix_prompt_only(obj: Obj) -> None:
    obj["total_tokens"] = obj["prompt_tokens"]


def _indexed(obj: Obj) -> bool:
    items = obj.get("choices")
    return (
        isinstance(items, list)
        and bool(items)
        and all(isinstance(c, dict) and "index" in c for c in items)
    )


def _check_indexes(obj: Obj) -> str | None:
    indexes = [c["index"] for c in obj["choices"]]
    return (
        None
        if indexes == list(range(len(indexes)))
        else f"choice indexes are {indexes}, not 0..{len(indexes) - 1}"
    )


def _fix_indexes(obj: Obj) -> None:
    for i, choice in enumerate(obj["choices"]):
        choice["index"] = i


def _tool_choice(obj: Obj) -> bool:
    return obj.get("finish_reason") == "tool_calls" and isinstance(obj.get("message"), dict)


def _check_tool_calls(obj: Obj) -> str | None:
    return (
        None
        if obj["message"].get("tool_calls")
        else "finish_reason is tool_calls but the message has no tool_calls"
    )


def _fix_tool_calls(obj: Obj) -> None:
    obj["finish_reason"] = "stop"


def _function_call(obj: Obj) -> bool:
    return isinstance(obj.get("arguments"), str) and isinstance(obj.get("name"), str)


def _check_arguments(obj: Obj) -> str | None:
    try:
        json.loads(obj["arguments"])
    except ValueError:
        return f"function arguments are not JSON: {obj['arguments'][:60]!r}"
    return None


def _fix_arguments(obj: Obj) -> None:
    obj["arguments"] = json.dumps({"location": "Paris"})


RULES: tuple[Rule, ...] = (
    _sum_rule("usage-total", ("prompt_tokens", "completion_tokens"), "total_tokens"),
    _sum_rule("usage-total-io", ("input_tokens", "output_tokens"), "total_tokens"),
    Rule(
        "usage-total-prompt",
        "total_tokens = prompt_tokens when nothing is completed (embeddings)",
        _prompt_only,
        _check_prompt_only,
        _fix_prompt_only,
    ),
    Rule("choice-indexes", "choices[i].index == i", _indexed, _check_indexes, _fix_indexes),
    Rule(
        "finish-reason-tool-calls",
        "finish_reason tool_calls comes with tool calls",
        _tool_choice,
        _check_tool_calls,
        _fix_tool_calls,
    ),
    Rule(
        "tool-arguments-json",
        "function call arguments are JSON text",
        _function_call,
        _check_arguments,
        _fix_arguments,
    ),
)


def _objects(value: Any, pointer: str = "") -> Iterator[tuple[str, Obj]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _objects(item, f"{pointer}/{escape(str(key))}")
        yield pointer, value  # children first: a parent's rule sees fixed children
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _objects(item, f"{pointer}/{i}")


def check_rules(
    value: Any, *, where: str = "response.body", operation: str = "", event: int | None = None
) -> list[Violation]:
    """Violations of the semantic rules anywhere in a value.

    >>> check_rules({"usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 4}})[0].keyword
    'semantic:usage-total'
    """
    found = []
    for pointer, obj in _objects(value):
        for rule in RULES:
            if rule.applies(obj) and (message := rule.check(obj)) is not None:
                found.append(
                    Violation(
                        message,
                        where=where,
                        pointer=pointer,
                        keyword=f"semantic:{rule.id}",
                        operation=operation,
                        event=event,
                    )
                )
    return found


def apply_rules(value: Any) -> Any:
    """The value, fixed in place to satisfy every rule, and returned.

    >>> apply_rules({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 9})["total_tokens"]
    3
    """
    for _, obj in _objects(value):
        for rule in RULES:
            if rule.applies(obj) and rule.check(obj) is not None:
                rule.fix(obj)
    return value
