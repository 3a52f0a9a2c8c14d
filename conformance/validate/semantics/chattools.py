"""Rules: chat tool calls and structured output — calls only to tools that were sent, as
``tool_choice`` says, with ``strict`` arguments that fit the declared parameters; content that
is JSON (``json_object``) or fits the schema (``json_schema`` with ``strict``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from ..limits import loads
from .choices import CHAT, CUT, FILLER, Choice, answer_choices, fix_answer
from .exchange import Exchange
from .registry import Finding, rule
from .samples import conforms, sample

Obj = dict[str, Any]


def _named(items: Any, kind: str) -> dict[str, Obj]:
    """name → definition of the request's tools of a kind (``function``, ``custom``)."""
    out: dict[str, Obj] = {}
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and item.get("type", "function") == kind:
            body = item.get(kind)
            if isinstance(body, dict) and isinstance(body.get("name"), str):
                out[body["name"]] = body
    return out


def functions(x: Exchange) -> dict[str, Obj]:
    """name → function definition, of the request's function tools."""
    return _named(x.asked("tools"), "function")


def _legacy_functions(x: Exchange) -> dict[str, Obj]:
    """name → definition, of the request's (deprecated) ``functions``."""
    items = x.asked("functions")
    out: dict[str, Obj] = {}
    for f in items if isinstance(items, list) else ():
        if isinstance(f, dict) and isinstance(f.get("name"), str):
            out[f["name"]] = f
    return out


def _call_name(call: Obj) -> Any:
    body = call.get("custom") if call.get("type") == "custom" else call.get("function")
    return body.get("name") if isinstance(body, dict) else None


def _arguments(definition: Obj | None) -> str:
    """Arguments a function accepts: the smallest instance of its parameters, else ``{}``."""
    parameters = (definition or {}).get("parameters")
    value = sample(parameters) if isinstance(parameters, dict) else {}
    ok = isinstance(value, dict) and conforms(value, parameters)
    return json.dumps(value if ok else {})


def _new_call(c: Choice, name: str, definition: Obj | None) -> Obj:
    digest = hashlib.sha1(f"{c.pointer}/{name}".encode()).hexdigest()[:24]
    return {
        "id": f"call_{digest}",
        "type": "function",
        "function": {"name": name, "arguments": _arguments(definition)},
    }


def _drop_calls(c: Choice) -> None:
    c.message.pop("tool_calls", None)
    c.message.pop("function_call", None)
    if c.message.get("content") is None and c.message.get("refusal") is None:
        c.message["content"] = FILLER
    if c.finish in ("tool_calls", "function_call"):
        c.data["finish_reason"] = "stop"


@rule("rule.chat.tools-unasked", operations=(CHAT,), request=True)
def tools_unasked(x: Exchange) -> Iterator[Finding]:
    """No ``tool_calls`` unless ``tools`` were sent, no ``function_call`` unless ``functions``
    were."""
    tools, legacy = bool(x.asked("tools")), bool(x.asked("functions"))
    for c in answer_choices(x):
        if c.calls() and not tools:
            yield Finding(
                "the message calls tools but no tools were sent",
                c.at("tool_calls"),
                c.event,
                None,
                len(c.calls()),
                param="tools",
            )
        if c.message.get("function_call") and not legacy:
            yield Finding(
                "the message calls a function but no functions were sent",
                c.at("function_call"),
                c.event,
                param="functions",
            )


@tools_unasked.fixer
@fix_answer
def _fix_tools_unasked(x: Exchange) -> None:
    for c in answer_choices(x):
        if c.calls() and not x.asked("tools"):
            c.message.pop("tool_calls")
        if c.message.get("function_call") and not x.asked("functions"):
            c.message.pop("function_call")
        if not c.calls() and not c.message.get("function_call"):
            _drop_calls(c)


def _unknown(x: Exchange, c: Choice) -> Iterator[tuple[str, Any]]:
    """(pointer, name) of each call to a tool (function) the request does not declare."""
    declared = set(functions(x)) | set(_named(x.asked("tools"), "custom"))
    for i, call in enumerate(c.message.get("tool_calls") or ()):
        if isinstance(call, dict) and declared and _call_name(call) not in declared:
            yield c.at(f"tool_calls/{i}/function/name"), _call_name(call)
    called, legacy = c.message.get("function_call"), _legacy_functions(x)
    if isinstance(called, dict) and legacy and called.get("name") not in legacy:
        yield c.at("function_call/name"), called.get("name")


@rule("rule.chat.tool-unknown", operations=(CHAT,), request=True)
def tool_unknown(x: Exchange) -> Iterator[Finding]:
    """A tool call names a tool the request declared (a function call, a declared function)."""
    for c in answer_choices(x):
        for pointer, name in _unknown(x, c):
            yield Finding(
                f"the message calls {name!r}, which the request does not declare",
                pointer,
                c.event,
                None,
                name,
                param="tools",
            )


@tool_unknown.fixer
@fix_answer
def _fix_tool_unknown(x: Exchange) -> None:
    declared, legacy = functions(x), _legacy_functions(x)
    for c in answer_choices(x):
        if not list(_unknown(x, c)):
            continue
        for call in c.calls():
            if (
                _call_name(call) not in declared
                and call.get("type", "function") == "function"
                and declared
            ):
                name = next(iter(declared))
                call["function"] = {"name": name, "arguments": _arguments(declared[name])}
        called = c.message.get("function_call")
        if isinstance(called, dict) and legacy and called.get("name") not in legacy:
            name = next(iter(legacy))
            c.message["function_call"] = {"name": name, "arguments": _arguments(legacy[name])}
        if list(_unknown(x, c)):  # custom tools only: nothing to rename to
            c.message["tool_calls"] = [k for k in c.calls() if _call_name(k) in declared]
            if not c.message["tool_calls"]:
                _drop_calls(c)


def _forced(x: Exchange) -> tuple[str, str | None]:
    """What the request forces: ("none"|"required"|"name"|"", the name)."""
    choice = x.asked("tool_choice")
    if choice in ("none", "required"):
        return str(choice), None
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        name = choice["function"].get("name")
        return ("name", name) if isinstance(name, str) else ("", None)
    legacy = x.asked("function_call")
    if legacy == "none":
        return "none", None
    if isinstance(legacy, dict) and isinstance(legacy.get("name"), str):
        return "function", legacy["name"]
    return "", None


def _disobeys(x: Exchange, c: Choice) -> str | None:
    mode, name = _forced(x)
    names = [_call_name(k) for k in c.calls()]
    called = c.message.get("function_call")
    if mode == "none" and (names or called):
        return "tool_choice is 'none' but the message calls a tool"
    if c.finish in CUT:
        return None
    if mode == "required" and not names:
        return "tool_choice is 'required' but the message calls no tool"
    if mode == "name" and (not names or any(n != name for n in names)):
        return f"tool_choice forces {name!r} but the message calls {names}"
    if mode == "function" and not (isinstance(called, dict) and called.get("name") == name):
        return f"function_call forces {name!r} but the message does not call it"
    return None


@rule("rule.chat.tool-choice", operations=(CHAT,), request=True)
def tool_choice(x: Exchange) -> Iterator[Finding]:
    """A forced ``tool_choice`` is obeyed: a named function is called (and only it),
    ``required`` calls some tool, ``none`` calls none (likewise the legacy ``function_call``)."""
    mode, name = _forced(x)
    if not mode:
        return
    for c in answer_choices(x):
        problem = _disobeys(x, c)
        if problem:
            yield Finding(
                problem,
                c.at("tool_calls"),
                c.event,
                name or mode,
                [_call_name(k) for k in c.calls()],
                param="tool_choice",
            )


@tool_choice.fixer
@fix_answer
def _fix_tool_choice(x: Exchange) -> None:
    mode, name = _forced(x)
    declared = functions(x)
    for c in answer_choices(x):
        if not _disobeys(x, c):
            continue
        if mode == "none":
            _drop_calls(c)
            continue
        if mode == "function" and name is not None:
            c.message.pop("tool_calls", None)
            c.message["function_call"] = {
                "name": name,
                "arguments": _arguments(_legacy_functions(x).get(name)),
            }
            finish = "stop"
        else:
            if mode == "name" and name is not None:
                calls = [k for k in c.calls() if _call_name(k) == name] or [
                    _new_call(c, name, declared.get(name))
                ]
                finish = "stop"
            else:
                first = next(iter(declared), None) or next(
                    iter(_named(x.asked("tools"), "custom")), "tool"
                )
                calls = [_new_call(c, first, declared.get(first))]
                finish = "tool_calls"
            c.message["tool_calls"] = calls
            c.message.pop("function_call", None)
        c.message["content"] = None
        c.message["refusal"] = None
        c.data["finish_reason"] = finish


def _strict_misfits(x: Exchange, c: Choice) -> Iterator[tuple[int, Obj]]:
    """(call position, function definition) for each call whose arguments miss the strict
    function's parameters."""
    if c.finish in CUT:
        return
    declared = functions(x)
    for i, call in enumerate(c.message.get("tool_calls") or ()):
        if not isinstance(call, dict) or call.get("type", "function") != "function":
            continue
        definition = declared.get(_call_name(call))
        if not definition or definition.get("strict") is not True:
            continue
        try:
            arguments = loads(str((call.get("function") or {}).get("arguments")))
        except (TypeError, ValueError):
            continue  # not JSON: rule.tool.arguments-json says so
        if not conforms(arguments, definition.get("parameters")):
            yield i, definition


@rule("rule.chat.tool-arguments-schema", operations=(CHAT,), request=True)
def tool_arguments_schema(x: Exchange) -> Iterator[Finding]:
    """The arguments of a call to a ``strict`` function validate against its ``parameters``."""
    for c in answer_choices(x):
        for i, definition in _strict_misfits(x, c):
            arguments = str(c.message["tool_calls"][i]["function"].get("arguments"))
            yield Finding(
                f"arguments for strict function {definition['name']!r} do not fit its parameters",
                c.at(f"tool_calls/{i}/function/arguments"),
                c.event,
                actual=arguments[:200],
                param="tools",
            )


@tool_arguments_schema.fixer
@fix_answer
def _fix_tool_arguments_schema(x: Exchange) -> None:
    for c in answer_choices(x):
        for i, definition in list(_strict_misfits(x, c)):
            parameters = definition.get("parameters")
            value = sample(parameters)
            if conforms(value, parameters):
                c.message["tool_calls"][i]["function"]["arguments"] = json.dumps(value)


def _format(x: Exchange) -> tuple[str, Any]:
    """("json_object", None), ("json_schema", the schema) for a strict schema, or ("", None)."""
    fmt = x.asked("response_format")
    if not isinstance(fmt, dict):
        return "", None
    if fmt.get("type") == "json_object":
        return "json_object", None
    spec = fmt.get("json_schema")
    if (
        fmt.get("type") == "json_schema"
        and isinstance(spec, dict)
        and spec.get("strict") is True
        and isinstance(spec.get("schema"), dict)
    ):
        return "json_schema", spec["schema"]
    return "", None


def _formatted(c: Choice) -> bool:
    """True when the message's content is the answer the format shapes (not cut, not refused)."""
    return (
        isinstance(c.message.get("content"), str)
        and c.finish not in CUT
        and c.message.get("refusal") is None
    )


def _misformat(x: Exchange, c: Choice) -> str | None:
    kind, schema = _format(x)
    if not kind or not _formatted(c):
        return None
    try:
        value = loads(c.message["content"])
    except ValueError:
        return "the content is not JSON"
    if kind == "json_schema" and not conforms(value, schema):
        return "the content does not validate against the json_schema"
    return None


@rule("rule.chat.response-format", operations=(CHAT,), request=True)
def response_format(x: Exchange) -> Iterator[Finding]:
    """``response_format`` ``json_object``: the content is JSON; ``json_schema`` with ``strict``:
    the content validates against the schema (unless refused or cut short)."""
    for c in answer_choices(x):
        why = _misformat(x, c)
        if why is not None:
            yield Finding(
                f"response_format is {_format(x)[0]} but {why}",
                c.at("content"),
                c.event,
                actual=c.message["content"][:200],
                param="response_format",
            )


@response_format.fixer
@fix_answer
def _fix_response_format(x: Exchange) -> None:
    kind, schema = _format(x)
    for c in answer_choices(x):
        if _misformat(x, c) is None:
            continue
        if kind == "json_object":
            c.message["content"] = json.dumps({"answer": c.message["content"]})
        else:
            value = sample(schema)
            if conforms(value, schema):
                c.message["content"] = json.dumps(value)
