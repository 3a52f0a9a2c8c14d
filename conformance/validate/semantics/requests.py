"""Rules over what a client sends that OpenAI's API rejects although the schema allows it.

Each is a ``side="request"`` rule: the mock answers such a request with the API's 400 (its
``error.code`` is the rule's ``api_code``), the pytest plugin fails the test that sent it.
Wording follows the real API's error messages (``../shared/real-traffic``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .choices import expected_choices
from .common import is_int
from .exchange import Exchange
from .registry import REQUEST, Finding, rule

__all__: list[str] = []

_CHAT = ("createChatCompletion",)
_TOOLS = ("createChatCompletion", "createResponse")


def _body(x: Exchange) -> dict[str, Any]:
    """The request body a request fixer changes (a dict: fixers run on generated requests)."""
    assert isinstance(x.request, dict), "request fixers change a dict body"
    return x.request


def _functions(x: Exchange) -> Iterator[tuple[str, dict[str, Any]]]:
    """(param path, function definition) of each function tool sent (chat nests it under
    ``function``; Responses does not)."""
    for i, tool in enumerate(x.asked("tools", []) or []):
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            continue
        if isinstance(tool.get("function"), dict):
            yield f"tools[{i}].function", tool["function"]
        elif "name" in tool:
            yield f"tools[{i}]", tool


def _strict_schemas(x: Exchange) -> Iterator[tuple[str, str, Any]]:
    """(param path, name, schema) of each schema sent with ``strict: true``."""
    for path, fn in _functions(x):
        if fn.get("strict") is True:
            yield f"{path}.parameters", f"function '{fn.get('name')}'", fn.get("parameters")
    fmt = x.asked("response_format")
    if isinstance(fmt, dict) and isinstance(fmt.get("json_schema"), dict):
        spec = fmt["json_schema"]
        if spec.get("strict") is True:
            yield (
                "response_format.json_schema.schema",
                f"response_format '{spec.get('name')}'",
                spec.get("schema"),
            )
    text = x.asked("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema" and fmt.get("strict") is True:
        yield "text.format.schema", f"text.format '{fmt.get('name')}'", fmt.get("schema")


def _strict_problem(schema: Any, context: tuple[str, ...] = ()) -> str | None:
    """What OpenAI's structured outputs reject in a strict schema: an object without
    ``additionalProperties: false``, or whose ``required`` misses one of its properties."""
    if not isinstance(schema, dict):
        return None
    where = f"In context={context!r}, "
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            return f"{where}'additionalProperties' is required to be supplied and to be false."
        props = schema.get("properties") or {}
        missing = [k for k in props if k not in (schema.get("required") or [])]
        if missing:
            return (
                f"{where}'required' is required to be supplied and to be an array including "
                f"every key in properties. Missing '{missing[0]}'."
            )
        for name, sub in props.items():
            if (found := _strict_problem(sub, (*context, "properties", name))) is not None:
                return found
    for key in ("items",):
        if (found := _strict_problem(schema.get(key), (*context, key))) is not None:
            return found
    for key in ("anyOf", "$defs", "definitions"):
        subs = schema.get(key)
        items = subs.items() if isinstance(subs, dict) else enumerate(subs or [])
        for name, sub in items:
            if (found := _strict_problem(sub, (*context, key, str(name)))) is not None:
                return found
    return None


@rule(
    "rule.request.strict-schema",
    operations=_TOOLS,
    side=REQUEST,
    api_code="invalid_function_parameters",
)
def strict_schema(x: Exchange) -> Iterator[Finding]:
    """A schema sent with ``strict: true`` closes every object and requires every property."""
    for param, name, schema in _strict_schemas(x):
        problem = _strict_problem(schema)
        if problem is not None:
            yield Finding(f"Invalid schema for {name}: {problem}", param=param)


def _close(schema: Any) -> None:
    """Close every object of a schema and require all its properties (in place)."""
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "object" or "properties" in schema:
        schema["additionalProperties"] = False
        schema["required"] = list(schema.get("properties") or {})
        for sub in (schema.get("properties") or {}).values():
            _close(sub)
    _close(schema.get("items"))
    for key in ("anyOf", "$defs", "definitions"):
        subs = schema.get(key)
        for sub in subs.values() if isinstance(subs, dict) else subs or []:
            _close(sub)


@strict_schema.fixer
def _fix_strict_schema(x: Exchange) -> None:
    for _, _, schema in _strict_schemas(x):
        _close(schema)


@rule(
    "rule.request.stream-options",
    operations=("createChatCompletion", "createCompletion"),
    side=REQUEST,
    api_code="invalid_value",
)
def stream_options(x: Exchange) -> Iterator[Finding]:
    """``stream_options`` only with ``stream: true``."""
    if x.sent("stream_options") and x.asked("stream") is not True:
        yield Finding(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "/stream_options",
            param="stream_options",
        )


@stream_options.fixer
def _fix_stream_options(x: Exchange) -> None:
    _body(x).pop("stream_options", None)


@rule("rule.request.tool-choice", operations=_TOOLS, side=REQUEST, api_code="invalid_value")
def tool_choice(x: Exchange) -> Iterator[Finding]:
    """``tool_choice`` only with ``tools``; a forced choice names a function among them (and
    the deprecated ``function_call`` likewise among ``functions``)."""
    called = x.asked("function_call")
    called = called.get("name") if isinstance(called, dict) else None
    declared = {f.get("name") for f in x.asked("functions") or () if isinstance(f, dict)}
    if isinstance(called, str) and called not in declared:
        yield Finding(
            f"Invalid value for 'function_call': function '{called}' not found in 'functions'.",
            "/function_call",
            expected=sorted(n for n in declared if isinstance(n, str)),
            actual=called,
            param="function_call",
        )
    choice = x.asked("tool_choice")
    if choice is None or choice == "none":
        return
    names = {fn.get("name") for _, fn in _functions(x)}
    if not x.asked("tools"):
        yield Finding(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            "/tool_choice",
            param="tool_choice",
        )
        return
    forced = choice.get("function") if isinstance(choice, dict) else None
    name = forced.get("name") if isinstance(forced, dict) else None
    if name is None and isinstance(choice, dict) and choice.get("type") == "function":
        name = choice.get("name")  # Responses: {"type": "function", "name": ...}
    hosted = choice.get("type") if isinstance(choice, dict) else None
    if hosted not in (None, "function", "allowed_tools", "mcp", "custom"):
        kinds = {t.get("type") for t in x.asked("tools") or () if isinstance(t, dict)}
        if hosted not in kinds:
            yield Finding(
                f"Invalid value for 'tool_choice': tool '{hosted}' not found in 'tools'.",
                "/tool_choice",
                expected=sorted(k for k in kinds if isinstance(k, str)),
                actual=hosted,
                param="tool_choice",
            )
    if isinstance(name, str) and name not in names:
        yield Finding(
            f"Invalid value for 'tool_choice': function '{name}' not found in 'tools'.",
            "/tool_choice",
            expected=sorted(n for n in names if isinstance(n, str)),
            actual=name,
            param="tool_choice",
        )


@tool_choice.fixer
def _fix_tool_choice(x: Exchange) -> None:
    body = _body(x)
    called = body.get("function_call")
    if isinstance(called, dict):
        declared = [f.get("name") for f in body.get("functions") or () if isinstance(f, dict)]
        declared = [n for n in declared if isinstance(n, str)]
        if called.get("name") not in declared:
            if declared:
                called["name"] = declared[0]
            else:
                body.pop("function_call", None)
    choice = body.get("tool_choice")
    if choice is None or choice == "none":
        return
    if not body.get("tools"):
        body.pop("tool_choice", None)
        return
    hosted = choice.get("type") if isinstance(choice, dict) else None
    if hosted not in (None, "function", "allowed_tools", "mcp", "custom"):
        kinds = {t.get("type") for t in body["tools"] if isinstance(t, dict)}
        if hosted not in kinds:
            body["tool_choice"] = "auto"  # a hosted tool the request does not carry
        return
    if isinstance(choice, str):
        return  # auto or required, with tools: valid
    names = [fn.get("name") for _, fn in _functions(x) if isinstance(fn.get("name"), str)]
    forced = choice.get("function") if isinstance(choice, dict) else None
    name = forced.get("name") if isinstance(forced, dict) else None
    if name is None and isinstance(choice, dict) and choice.get("type") == "function":
        name = choice.get("name")
    if name is None or name in names:
        return  # a valid choice: keep it
    if not names:
        body["tool_choice"] = "auto"
    elif isinstance(forced, dict):
        forced["name"] = names[0]
    else:
        choice["name"] = names[0]


@rule("rule.request.top-logprobs", operations=_CHAT, side=REQUEST, api_code="invalid_value")
def top_logprobs(x: Exchange) -> Iterator[Finding]:
    """``top_logprobs`` only with ``logprobs: true``."""
    if x.sent("top_logprobs") and x.asked("logprobs") is not True:
        yield Finding(
            "Invalid value for 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.",
            "/top_logprobs",
            param="top_logprobs",
        )


@top_logprobs.fixer
def _fix_top_logprobs(x: Exchange) -> None:
    _body(x)["logprobs"] = True


@rule(
    "rule.request.json-mode-word", operations=_CHAT, side=REQUEST, api_code="invalid_request_error"
)
def json_mode_word(x: Exchange) -> Iterator[Finding]:
    """``response_format: json_object`` needs the word "json" somewhere in the messages."""
    fmt = x.asked("response_format")
    if (
        isinstance(fmt, dict)
        and fmt.get("type") == "json_object"
        and "json" not in json.dumps(x.asked("messages", [])).lower()
    ):
        yield Finding(
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
            "/messages",
            param="messages",
        )


@json_mode_word.fixer
def _fix_json_mode_word(x: Exchange) -> None:
    body = _body(x)
    messages = body.get("messages")
    if isinstance(messages, list):
        messages.append({"role": "user", "content": "Answer in JSON."})
    else:
        body.pop("response_format", None)


MAX_DIMENSIONS = 3072  # text-embedding-3-large's size, the largest OpenAI embeds in


@rule(
    "rule.request.dimensions",
    operations=("createEmbedding",),
    side=REQUEST,
    api_code="invalid_value",
)
def dimensions(x: Exchange) -> Iterator[Finding]:
    """``dimensions`` within what the embedding models have (1..3072)."""
    asked = x.asked("dimensions")
    if isinstance(asked, int) and not isinstance(asked, bool) and asked > MAX_DIMENSIONS:
        yield Finding(
            f"Invalid value for 'dimensions': {asked} is larger than the model's "
            f"{MAX_DIMENSIONS} dimensions.",
            "/dimensions",
            expected=MAX_DIMENSIONS,
            actual=asked,
            param="dimensions",
        )


@dimensions.fixer
def _fix_dimensions(x: Exchange) -> None:
    _body(x)["dimensions"] = MAX_DIMENSIONS


# The API documents no limit on a legacy completion's list of prompts (only n <= 128 for each);
# a small body could ask for millions of choices (["a", "a", ...] x 128). The mock takes the
# 2,048 the API allows an embeddings request's list of inputs as the most choices one answer
# holds.
MAX_COMPLETION_CHOICES = 2048


def _choices_asked(x: Exchange) -> tuple[int, int, int]:
    """(prompts, n, choices) a legacy completion asks for: n for each prompt of a list."""
    n = x.asked("n", 1)
    n = n if is_int(n) and n >= 1 else 1
    choices = expected_choices(x) or n
    return choices // n, n, choices


@rule(
    "rule.request.completion-choices",
    operations=("createCompletion",),
    side=REQUEST,
    api_code="invalid_value",
)
def completion_choices(x: Exchange) -> Iterator[Finding]:
    """A legacy completion's prompts x ``n`` at most 2,048 choices."""
    prompts, n, choices = _choices_asked(x)
    if choices > MAX_COMPLETION_CHOICES:
        param = "n" if n > 1 else "prompt"  # the wording is the mock's: no real answer seen
        asked = f"{n} completions for each of {prompts} prompts" if n > 1 else f"{prompts} prompts"
        yield Finding(
            f"Invalid value for '{param}': {asked} is {choices} choices, more than the "
            f"{MAX_COMPLETION_CHOICES} one request may ask for.",
            f"/{param}",
            expected=MAX_COMPLETION_CHOICES,
            actual=choices,
            param=param,
        )


@completion_choices.fixer
def _fix_completion_choices(x: Exchange) -> None:
    body = _body(x)
    prompts, n, _ = _choices_asked(x)
    if prompts > MAX_COMPLETION_CHOICES:  # fewer prompts, one completion each
        body["prompt"] = body["prompt"][:MAX_COMPLETION_CHOICES]
        body["n"] = 1
    elif prompts * n > MAX_COMPLETION_CHOICES:  # as many completions as fit for each prompt
        body["n"] = MAX_COMPLETION_CHOICES // prompts
