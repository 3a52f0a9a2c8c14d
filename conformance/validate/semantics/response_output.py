"""Rules over what a Responses API answer's output holds for the request sent: tool calls only
for tools that were sent, a forced ``tool_choice`` obeyed, strict function arguments valid
against their parameters, a completed response with output, structured output
(``text.format``) honoured. A stream's rules apply to the Response its terminal event carries;
their fixers change it and rebuild the events from it.

>>> x = Exchange("createResponse", {"input": "hi", "model": "gpt-4o"}, body=answer_with_a_call)  # doctest: +SKIP
>>> [v.code for v in check(x)]  # doctest: +SKIP
['rule.responses.tool-calls']
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..limits import loads
from .exchange import Exchange
from .registry import Finding, rule
from .response_events import final_response, restream
from .responses import CALLS, CREATE_OPS, RESPONSE_OPS, after, output, tool_calls, tool_kind
from .samples import conforms, sample

__all__: list[str] = []

Obj = dict[str, Any]


# --- tools --------------------------------------------------------------------------------


def _tools(x: Exchange) -> list[Obj]:
    tools = x.asked("tools", [])
    return [t for t in tools if isinstance(t, dict)] if isinstance(tools, list) else []


def _function(x: Exchange, name: Any) -> Obj | None:
    return next(
        (t for t in _tools(x) if t.get("type") == "function" and t.get("name") == name), None
    )


def _unasked(x: Exchange, item: Obj) -> str | None:
    """Why a tool call was not asked for (None: it was)."""
    if x.asked("tool_choice") == "none":
        return "tool_choice is 'none'"
    kind = CALLS[item["type"]]
    if kind in ("function", "custom"):
        named = any(t.get("type") == kind and t.get("name") == item.get("name") for t in _tools(x))
        return None if named else f"no {kind} tool named {item.get('name')!r} was sent"
    if not any(tool_kind(t.get("type")) == kind for t in _tools(x)):
        return f"no {kind} tool was sent"
    return None


@rule("rule.responses.tool-calls", operations=CREATE_OPS, request=True)
def tool_calls_asked(x: Exchange) -> Iterator[Finding]:
    """A tool call (function_call, web_search_call…) only for a tool of its kind (and name) that
    was sent, and none with tool_choice none."""
    found = final_response(x)
    if found is None:
        return
    event, pointer, response = found
    for index, item in tool_calls(response):
        why = _unasked(x, item)
        if why is not None:
            yield Finding(
                f"{item['type']} in the output, but {why}",
                f"{pointer}/output/{index}",
                event,
                actual=item.get("name", item["type"]),
                param="tools",
            )


@tool_calls_asked.fixer
def _fix_tool_calls(x: Exchange) -> None:
    def fix(response: Obj) -> None:
        drop = {index for index, item in tool_calls(response) if _unasked(x, item) is not None}
        response["output"] = [it for i, it in enumerate(output(response)) if i not in drop]

    after(fix)(x)


def _forced(x: Exchange) -> tuple[str, set[str]] | None:
    """What tool_choice forces: (kind, names; empty names = any of the kind), ``("any", ∅)``
    for required; None when nothing is forced."""
    choice = x.asked("tool_choice")
    if choice == "required":
        return "any", set()
    if not isinstance(choice, dict):
        return None
    kind = choice.get("type")
    if kind in ("function", "custom") and isinstance(choice.get("name"), str):
        return str(kind), {choice["name"]}
    if kind == "allowed_tools":
        if choice.get("mode") != "required":
            return None
        allowed = [t for t in choice.get("tools") or [] if isinstance(t, dict)]
        return "allowed", {f"{t.get('type')}:{t.get('name', '')}" for t in allowed}
    return (tool_kind(kind), set()) if isinstance(kind, str) else None


def _meets(forced: tuple[str, set[str]], item: Obj) -> bool:
    kind, names = forced
    call_kind = CALLS[item["type"]]
    if kind == "any":
        return True
    if kind == "allowed":
        return any(
            tool_kind(n.split(":", 1)[0]) == call_kind
            and (n.split(":", 1)[1] in ("", item.get("name")))
            for n in names
        )
    return call_kind == kind and (not names or item.get("name") in names)


@rule("rule.responses.tool-choice", operations=CREATE_OPS, request=True)
def tool_choice(x: Exchange) -> Iterator[Finding]:
    """A forced tool_choice (required, a named function, a tool type, allowed_tools required)
    makes the model call such a tool, unless the response ended incomplete or failed."""
    forced, found = _forced(x), final_response(x)
    if forced is None or found is None or found[2].get("status") in ("incomplete", "failed"):
        return
    event, pointer, response = found
    calls = [item for _, item in tool_calls(response)]
    if not any(_meets(forced, item) for item in calls):
        yield Finding(
            f"tool_choice forces a tool call ({forced[0]} {sorted(forced[1])}) and none was made",
            f"{pointer}/output",
            event,
            expected=x.asked("tool_choice"),
            actual=[item.get("name", item["type"]) for item in calls],
            param="tool_choice",
        )


def _forced_function(x: Exchange, forced: tuple[str, set[str]]) -> Obj | None:
    kind, names = forced
    for tool in _tools(x):
        if tool.get("type") != "function":
            continue
        if (
            kind == "any"
            or (kind == "function" and tool.get("name") in names)
            or (kind == "allowed" and f"function:{tool.get('name')}" in names)
        ):
            return tool
    return None


@tool_choice.fixer
def _fix_tool_choice(x: Exchange) -> None:
    forced = _forced(x)
    tool = _forced_function(x, forced) if forced is not None else None
    if tool is None or not isinstance(tool.get("name"), str):
        return  # only a function call can be made up the same way in every spec version

    def fix(response: Obj) -> None:
        number = len(output(response))
        call = {
            "type": "function_call",
            "id": f"fc_{str(response.get('id', ''))[5:]}{number}",
            "call_id": f"call_{str(response.get('id', ''))[5:]}{number}",
            "name": tool["name"],
            "arguments": json.dumps(sample(tool.get("parameters") or {"type": "object"})),
            "status": "completed",
        }
        response["output"] = [*output(response), call]

    after(fix)(x)


def _strict_calls(x: Exchange) -> Iterator[tuple[int | None, str, Obj, Obj]]:
    """(event, pointer, call item, declared parameters) for each function call of a strict tool."""
    found = final_response(x)
    if found is None:
        return
    event, pointer, response = found
    echoed = {
        t.get("name"): t
        for t in response.get("tools") or []
        if isinstance(t, dict) and t.get("type") == "function"
    }
    for index, item in tool_calls(response):
        tool = _function(x, item.get("name")) if item["type"] == "function_call" else None
        if tool is None or not isinstance(tool.get("parameters"), dict):
            continue
        strict = tool.get("strict")
        if strict is None:  # the API defaults it; the answer's echo of the tool tells how
            strict = (echoed.get(item.get("name")) or {}).get("strict")
        if strict is True:
            yield event, f"{pointer}/output/{index}", item, tool["parameters"]


@rule("rule.responses.tool-arguments-schema", operations=CREATE_OPS, request=True)
def tool_arguments_schema(x: Exchange) -> Iterator[Finding]:
    """A strict function tool's call arguments validate against its declared parameters."""
    for event, pointer, item, parameters in _strict_calls(x):
        try:
            arguments = loads(item.get("arguments", ""))
        except (TypeError, ValueError):
            continue  # not JSON: rule.tool.arguments-json says so
        if not conforms(arguments, parameters):
            yield Finding(
                f"arguments of strict function {item.get('name')!r} do not match its parameters",
                f"{pointer}/arguments",
                event,
                actual=item.get("arguments"),
                param="tools",
            )


@tool_arguments_schema.fixer
def _fix_tool_arguments(x: Exchange) -> None:
    for _, _, item, parameters in list(_strict_calls(x)):
        try:
            good = conforms(loads(item.get("arguments", "")), parameters)
        except (TypeError, ValueError):
            good = False
        if not good:
            item["arguments"] = json.dumps(sample(parameters))
    if x.is_stream:
        restream(x)


@rule("rule.responses.completed-output", operations=RESPONSE_OPS)
def completed_output(x: Exchange) -> Iterator[Finding]:
    """A completed Response has at least one output item."""
    found = final_response(x)
    if found is not None and found[2].get("status") == "completed" and not output(found[2]):
        event, pointer, _ = found
        yield Finding(
            "a completed response with no output", f"{pointer}/output", event, ">= 1 item", 0
        )


def _add_message(response: Obj) -> None:
    # an assistant message valid in every spec version (its text part's shape differs by version)
    number = len(output(response))
    message = {
        "id": f"msg_{str(response.get('id', ''))[5:]}{number}",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [],
    }
    response["output"] = [*output(response), message]


completed_output.fixer(after(lambda r: _add_message(r) if r.get("status") == "completed" else None))


# --- structured output --------------------------------------------------------------------


def _format(x: Exchange) -> Obj | None:
    text = x.asked("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    return (
        fmt if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema") else None
    )


def _texts(response: Obj) -> Iterator[tuple[str, Obj]]:
    """(pointer, part) of each output_text part of the Response's messages."""
    for i, item in enumerate(output(response)):
        if isinstance(item, dict) and item.get("type") == "message":
            for j, part in enumerate(item.get("content") or []):
                if (
                    isinstance(part, dict)
                    and part.get("type") == "output_text"
                    and isinstance(part.get("text"), str)
                ):
                    yield f"/output/{i}/content/{j}/text", part


def _wrong(fmt: Obj, text: str) -> str | None:
    try:
        value = loads(text)
    except ValueError:
        return "is not JSON"
    if fmt["type"] == "json_object" and not isinstance(value, dict):
        return "is not a JSON object"
    strict = fmt["type"] == "json_schema" and fmt.get("strict") is True
    if strict and not conforms(value, fmt.get("schema")):
        return f"does not match the json_schema {fmt.get('name')!r}"
    return None


@rule("rule.responses.text-format", operations=CREATE_OPS, request=True)
def text_format(x: Exchange) -> Iterator[Finding]:
    """text.format json_object → the output text is a JSON object; json_schema → JSON, valid
    against the schema when strict (a completed response: an incomplete one may be cut short)."""
    fmt, found = _format(x), final_response(x)
    if fmt is None or found is None or found[2].get("status") != "completed":
        return
    event, pointer, response = found
    for at, part in _texts(response):
        why = _wrong(fmt, part["text"])
        if why is not None:
            yield Finding(
                f"output text {why} (text.format {fmt['type']})",
                pointer + at,
                event,
                expected=fmt["type"],
                actual=part["text"][:200],
                param="text.format",
            )


@text_format.fixer
def _fix_text_format(x: Exchange) -> None:
    fmt = _format(x)
    if fmt is None:
        return

    def fix(response: Obj) -> None:
        for _, part in _texts(response):
            if _wrong(fmt, part["text"]) is not None:
                value = sample(fmt.get("schema")) if fmt["type"] == "json_schema" else {}
                part["text"] = json.dumps(value)

    after(fix)(x)
