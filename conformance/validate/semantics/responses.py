"""Rules over Responses API answers (``POST /responses`` and the Response objects other
operations return): usage details, status and what goes with it, the output token limit, the
request fields a Response echoes (``response_output.py``: what the output holds). A stream's rules apply to the Response its terminal event
carries (echoes: to every Response it carries); ``response_stream.py`` holds the stream's own.

>>> x = Exchange("createResponse", {"model": "gpt-4o", "input": "hi"}, body={"status": "queued"})
>>> [v.code for v in check(x)]  # doctest: +SKIP
['rule.responses.terminal']
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from .common import is_int
from .exchange import Exchange
from .registry import Finding, rule
from .response_events import final_response, restream

__all__ = [
    "CALLS",
    "CREATE_OPS",
    "RESPONSE_OPS",
    "after",
    "output",
    "responses_in",
    "tool_calls",
    "tool_kind",
]

Obj = dict[str, Any]

CREATE_OPS = ("createResponse", "beta_createResponse")
RESPONSE_OPS = (*CREATE_OPS, "getResponse", "beta_getResponse", "cancelResponse")
FINAL = ("completed", "incomplete", "failed")

# output item type → the kind of tool that makes it (a tool's kind: _tool_kind)
CALLS = {
    "function_call": "function",
    "custom_tool_call": "custom",
    "web_search_call": "web_search",
    "file_search_call": "file_search",
    "computer_call": "computer",
    "code_interpreter_call": "code_interpreter",
    "image_generation_call": "image_generation",
    "local_shell_call": "local_shell",
    "shell_call": "shell",
    "apply_patch_call": "apply_patch",
    "mcp_call": "mcp",
    "mcp_list_tools": "mcp",
    "mcp_approval_request": "mcp",
}
# request fields the Response repeats as sent (seen on real traffic, or documented), with what it
# says when the request left them out (every real answer does; top_p varies by model)
_ECHOED = (
    "instructions",
    "temperature",
    "top_p",
    "tool_choice",
    "max_output_tokens",
    "previous_response_id",
    "metadata",
    "store",
    "parallel_tool_calls",
    "truncation",
)
_DEFAULTS: dict[str, Any] = {
    "instructions": None,
    "temperature": 1.0,
    "tool_choice": "auto",
    "max_output_tokens": None,
    "previous_response_id": None,
    "metadata": {},
    "store": True,
    "parallel_tool_calls": True,
    "truncation": "disabled",
    "tools": [],
    "text": {"type": "text"},  # the format
}


def tool_kind(tool_type: Any) -> str:
    """The kind of a tool type, as its calls name it (``web_search_preview`` → ``web_search``)."""
    kind = str(tool_type)
    if kind.startswith("web_search"):
        return "web_search"
    if kind.startswith("computer"):
        return "computer"
    return kind


def responses_in(x: Exchange) -> Iterator[tuple[int | None, str, Obj]]:
    """(event index or None, pointer, Response) for every Response of the answer: the JSON
    body, or each ``response`` a stream's events carry."""
    if x.events is None:
        if isinstance(x.body, dict):
            yield None, "", x.body
        return
    for index, event in enumerate(x.events):
        if isinstance(event.data, dict) and isinstance(event.data.get("response"), dict):
            yield index, "/response", event.data["response"]


def output(response: Obj) -> list[Any]:
    """A Response's output items (``[]`` when missing)."""
    output = response.get("output")
    return output if isinstance(output, list) else []


def tool_calls(response: Obj) -> Iterator[tuple[int, Obj]]:
    """(index in ``output``, item) of every tool call of a Response."""
    for index, item in enumerate(output(response)):
        if isinstance(item, dict) and item.get("type") in CALLS:
            yield index, item


def after(fix: Callable[[Obj], None]) -> Callable[[Exchange], None]:
    """A fixer that changes the final Response, then (streams) rebuilds the events from it."""

    def fixer(x: Exchange) -> None:
        found = final_response(x)
        if found is not None:
            fix(found[2])
            if x.is_stream:
                restream(x)

    return fixer


# --- usage and status -----------------------------------------------------------------------


@rule("rule.responses.terminal", operations=CREATE_OPS, request=True, stream=False)
def terminal(x: Exchange) -> Iterator[Finding]:
    """Without ``background: true`` the answer is final: completed, incomplete or failed."""
    if x.asked("background", False) is True or not isinstance(x.body, dict):
        return
    status = x.body.get("status")
    if status not in FINAL:
        yield Finding(
            f"status {status!r} in the answer to a request without background: true",
            "/status",
            expected="completed | incomplete | failed",
            actual=status,
        )


@terminal.fixer
def _fix_terminal(x: Exchange) -> None:
    if isinstance(x.body, dict) and x.body.get("status") not in FINAL:
        x.body["status"] = "completed"


def _details(usage: Obj) -> Iterator[tuple[str, str, str]]:
    for total, details, part in (
        ("input_tokens", "input_tokens_details", "cached_tokens"),
        ("output_tokens", "output_tokens_details", "reasoning_tokens"),
    ):
        inner = usage.get(details)
        if is_int(usage.get(total)) and isinstance(inner, dict) and is_int(inner.get(part)):
            yield total, details, part


@rule("rule.responses.usage-details", operations=RESPONSE_OPS)
def usage_details(x: Exchange) -> Iterator[Finding]:
    """cached_tokens ≤ input_tokens, reasoning_tokens ≤ output_tokens."""
    for event, pointer, response in responses_in(x):
        usage = response.get("usage")
        if not isinstance(usage, dict):
            continue
        for total, details, part in _details(usage):
            if usage[details][part] > usage[total]:
                yield Finding(
                    f"{details}.{part} is {usage[details][part]}, more than {total} = {usage[total]}",
                    f"{pointer}/usage/{details}/{part}",
                    event,
                    f"<= {usage[total]}",
                    usage[details][part],
                )


@usage_details.fixer
def _fix_usage_details(x: Exchange) -> None:
    for _, _, response in responses_in(x):
        usage = response.get("usage")
        if isinstance(usage, dict):
            for total, details, part in _details(usage):
                usage[details][part] = min(usage[details][part], usage[total])


@rule("rule.responses.status-details", operations=RESPONSE_OPS)
def status_details(x: Exchange) -> Iterator[Finding]:
    """incomplete_details is set exactly when the status is incomplete; error exactly when failed."""
    for event, pointer, response in responses_in(x):
        status = response.get("status")
        if not isinstance(status, str):
            continue
        for key, when in (("incomplete_details", "incomplete"), ("error", "failed")):
            if key not in response:
                continue
            present = response[key] is not None
            if present != (status == when):
                yield Finding(
                    f"status is {status!r} but {key} is {'set' if present else 'null'}",
                    f"{pointer}/{key}",
                    event,
                    "an object" if status == when else None,
                    response[key],
                )


@status_details.fixer
def _fix_status_details(x: Exchange) -> None:
    for _, _, response in responses_in(x):
        status = response.get("status")
        if "incomplete_details" in response:
            if status != "incomplete":
                response["incomplete_details"] = None
            elif response["incomplete_details"] is None:
                response["incomplete_details"] = {"reason": "max_output_tokens"}
        if "error" in response:
            if status != "failed":
                response["error"] = None
            elif response["error"] is None:
                response["error"] = {
                    "code": "server_error",
                    "message": "The model failed to generate a response.",
                }


def _limit(x: Exchange) -> int | None:
    limit = x.asked("max_output_tokens")
    return limit if is_int(limit) else None


@rule("rule.responses.max-output-tokens", operations=CREATE_OPS, request=True)
def max_output_tokens(x: Exchange) -> Iterator[Finding]:
    """usage.output_tokens ≤ max_output_tokens."""
    limit, found = _limit(x), final_response(x)
    if limit is None or found is None:
        return
    event, pointer, response = found
    usage = response.get("usage")
    if (
        isinstance(usage, dict)
        and is_int(usage.get("output_tokens"))
        and usage["output_tokens"] > limit
    ):
        yield Finding(
            f"output_tokens {usage['output_tokens']} > max_output_tokens {limit}",
            f"{pointer}/usage/output_tokens",
            event,
            f"<= {limit}",
            usage["output_tokens"],
            param="max_output_tokens",
        )


@max_output_tokens.fixer
def _fix_max_output_tokens(x: Exchange) -> None:
    limit, found = _limit(x), final_response(x)
    if limit is None or found is None or not isinstance(found[2].get("usage"), dict):
        return
    usage = found[2]["usage"]
    if is_int(usage.get("output_tokens")) and usage["output_tokens"] > limit:
        usage["output_tokens"] = limit
        for _, details, part in _details(usage):
            usage[details][part] = min(usage[details][part], usage[_total_of(details)])
        if is_int(usage.get("input_tokens")) and "total_tokens" in usage:
            usage["total_tokens"] = usage["input_tokens"] + limit


def _total_of(details: str) -> str:
    return details.removesuffix("_details")


# --- echoes -------------------------------------------------------------------------------


def _same(sent: Any, echoed: Any) -> bool:
    if isinstance(sent, (int, float)) and isinstance(echoed, (int, float)):
        return abs(sent - echoed) < 1e-9
    return bool(sent == echoed)


def _tool_key(tool: Any) -> tuple[Any, Any]:
    return (tool.get("type"), tool.get("name")) if isinstance(tool, dict) else (None, None)


def _expected(x: Exchange, name: str) -> tuple[bool, Any]:
    """(known, value) the Response should say for a request field: what was sent, else the
    default (unknown when a stored prompt may set it)."""
    if name == "text":
        text = x.asked("text")
        fmt = text.get("format") if isinstance(text, dict) else None
        if isinstance(fmt, dict):
            return True, fmt
    elif x.sent(name):
        return True, x.asked(name)
    if x.sent("prompt") or name not in _DEFAULTS:
        return False, None
    return True, _DEFAULTS[name]


def _echo_findings(x: Exchange, response: Obj) -> Iterator[tuple[str, Any, Any]]:
    """(field, expected, echoed) of each request field the Response does not repeat."""
    for name in _ECHOED:
        known, value = _expected(x, name)
        if known and name in response and not _same(value, response[name]):
            yield name, value, response[name]
    known, fmt = _expected(x, "text")
    if known and isinstance(response.get("text"), dict):
        echoed = response["text"].get("format")
        keys = ("type", "name") if fmt.get("type") == "json_schema" else ("type",)
        if not isinstance(echoed, dict) or any(fmt.get(k) != echoed.get(k) for k in keys):
            yield "text", fmt, echoed
    known, tools = _expected(x, "tools")
    if known and isinstance(tools, list) and isinstance(response.get("tools"), list):
        sent = [_tool_key(t) for t in tools]
        if sent != [_tool_key(t) for t in response["tools"]]:
            yield "tools", sent, [_tool_key(t) for t in response["tools"]]


@rule("rule.responses.echo", operations=CREATE_OPS, request=True)
def echo(x: Exchange) -> Iterator[Finding]:
    """The Response repeats the request's instructions, temperature, top_p, tool_choice,
    max_output_tokens, previous_response_id, metadata, store, parallel_tool_calls, truncation,
    text.format (type, name) and tools (type, name, in order) — and says their defaults when the
    request left them out (no stored ``prompt``): null, 1.0, auto, {}, true, disabled, text, []."""
    for event, pointer, response in responses_in(x):
        for name, sent, echoed in _echo_findings(x, response):
            yield Finding(
                f"{name} is not what the request sent (or its default)",
                f"{pointer}/{name}",
                event,
                sent,
                echoed,
                param=name,
            )


@echo.fixer
def _fix_echo(x: Exchange) -> None:
    for _, _, response in responses_in(x):
        for name, _, _ in list(_echo_findings(x, response)):
            value = copy.deepcopy(_expected(x, name)[1])
            if name == "text":
                response["text"] = {**response["text"], "format": value}
            else:
                response[name] = value
