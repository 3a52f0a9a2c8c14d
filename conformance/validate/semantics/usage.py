"""Rules: token counts that are plausible for the request (chat, legacy completions,
embeddings, Responses) — what JSON Schema's ``integer`` cannot say.

Learned from ../shared/real-traffic (2,071 answers with usage): the prompt's tokens are never
fewer than its text's characters / 6.0 (the densest real prompt; embeddings inputs 7.3), and a
message costs at least 3 tokens of framing (an empty user message: 6 or 7 tokens in all);
cached tokens appear only on prompts of 1,024 tokens or more, in steps of 128 (28 of 28 real
answers that cache); gpt-3.5, gpt-4, gpt-4o and gpt-4.1 answers never count a reasoning token
(1,777 of 1,777), and a reasoning model spends its whole output on reasoning only when the
answer has no text (cut by the limit).

>>> estimate_prompt(Exchange("createChatCompletion", {"messages": [{"role": "user", "content": "Tell me a joke"}]}))
11
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..violation import WARNING
from .common import is_int
from .exchange import Exchange
from .registry import Finding, rule
from .responses import responses_in

__all__ = ["PromptText", "does_not_reason", "estimate_prompt", "prompt_text"]

Obj = dict[str, Any]
_CHAT = ("createChatCompletion", "createCompletion")
_RESPONSES = ("createResponse", "beta_createResponse")
_OPS = (*_CHAT, "createEmbedding", *_RESPONSES)

_CHARS_PER_TOKEN_MAX = 8  # real prompts: at most 6.0 characters a token (embeddings 7.3)
_FRAMING_MIN = 3  # tokens a message costs at least, beside its text
_CHARS_PER_TOKEN = 4  # the estimate the fixer makes: OpenAI's rule of thumb for English
_FRAMING = 4  # per message, and 3 to prime the answer (an empty user message: 6 or 7 real)
_CACHE_MIN, _CACHE_STEP = 1024, 128
_SPACE = re.compile(r"\s+")
# families that do not reason; o1/o3/o4, gpt-5… may (or may not: effort none, minimal)
_NO_REASONING = re.compile(r"(?:ft:)?(?:gpt-3\.5|gpt-4|chatgpt-4o|davinci|babbage|text-)")
_TEXT_PARTS = ("text", "input_text", "output_text", "refusal", "summary_text")
_RESPONSE_TOOLS = ("function", "custom")


def does_not_reason(model: Any) -> bool:
    """True for a model of a family that never reasons (gpt-3.5, gpt-4, gpt-4o, gpt-4.1…).

    >>> does_not_reason("gpt-4o-mini-2024-07-18"), does_not_reason("o4-mini"), does_not_reason("gpt-5")
    (True, False, False)
    """
    return isinstance(model, str) and _NO_REASONING.match(model) is not None


@dataclass
class PromptText:
    """What a request sends the model: its text's characters (whitespace runs count one), its
    messages (each costs framing), whether it is text only (no image, audio, file, stored or
    earlier context, built-in tool: then its size bounds the count), and its JSON size."""

    chars: int = 0
    messages: int = 0
    text_only: bool = True
    extra_chars: int = 0  # tools, schemas: part of the prompt, not judged by the lower bound
    size: int = 0  # the request's UTF-8 bytes

    def add(self, text: Any) -> None:
        if isinstance(text, str):
            self.chars += len(_SPACE.sub(" ", text))
        elif text is not None:
            self.text_only = False

    def parts(self, content: Any) -> None:
        """A message's content: a string, or parts (text parts counted, others not text)."""
        if isinstance(content, str) or content is None:
            self.add(content)
            return
        if not isinstance(content, list):
            self.text_only = False
            return
        for part in content:
            if isinstance(part, str):
                self.add(part)
            elif isinstance(part, dict) and part.get("type", "text") in _TEXT_PARTS:
                self.add(part.get("text", part.get("refusal")))
            else:
                self.text_only = False


def _chat(request: Any, out: PromptText) -> None:
    for message in request.get("messages") or ():
        if not isinstance(message, dict):
            continue
        out.messages += 1
        out.parts(message.get("content"))
        calls = message.get("tool_calls") or ()
        for call in [*calls, message.get("function_call")]:
            function = call.get("function", call) if isinstance(call, dict) else None
            if isinstance(function, dict):
                out.add(function.get("name"))
                out.add(function.get("arguments"))
        if message.get("audio") is not None:
            out.text_only = False
    if request.get("web_search_options") is not None:
        out.text_only = False


def _response_item(item: Any, out: PromptText) -> None:
    if isinstance(item, str):
        out.messages += 1
        out.add(item)
        return
    if not isinstance(item, dict):
        out.text_only = False
        return
    kind = item.get("type", "message")
    out.messages += 1
    if kind == "message" or ("role" in item and "content" in item):
        out.parts(item.get("content"))
    elif kind in ("function_call", "custom_tool_call"):
        out.add(item.get("name"))
        out.add(item.get("arguments", item.get("input")))
    elif kind in ("function_call_output", "custom_tool_call_output"):
        if isinstance(item.get("output"), str):
            out.add(item["output"])
        else:
            out.parts(item.get("output"))
    else:  # reasoning, item_reference, a built-in tool's call or output…
        out.text_only = False


def _responses(request: Any, out: PromptText) -> None:
    if isinstance(request.get("instructions"), str):
        out.messages += 1
        out.add(request["instructions"])
    given = request.get("input")
    for item in given if isinstance(given, list) else [given]:
        if item is not None:
            _response_item(item, out)
    if any(request.get(k) is not None for k in ("previous_response_id", "conversation", "prompt")):
        out.text_only = False
    tools = request.get("tools") or ()
    if any(not isinstance(t, dict) or t.get("type") not in _RESPONSE_TOOLS for t in tools):
        out.text_only = False


def _inputs(value: Any, out: PromptText) -> bool:
    """A legacy prompt or an embeddings input: strings (token ids: False, counted exactly)."""
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) for v in items):
        return False
    for v in items:
        out.add(v)
    return True


def prompt_text(x: Exchange) -> PromptText | None:
    """The text a request sends (None: unknown, or token ids whose count is not estimated)."""
    request = x.request
    if not isinstance(request, dict):
        return None
    out = PromptText()
    if x.operation == "createChatCompletion":
        _chat(request, out)
    elif x.operation in _RESPONSES:
        _responses(request, out)
    elif not _inputs(request.get("prompt" if x.operation == "createCompletion" else "input"), out):
        return None
    for key in ("tools", "functions", "response_format", "text"):
        if request.get(key) is not None:
            out.extra_chars += len(json.dumps(request[key], default=str))
    out.size = len(json.dumps(request, ensure_ascii=False, default=str).encode())
    return out


def _bounds(text: PromptText) -> tuple[int, int | None]:
    low = text.chars // _CHARS_PER_TOKEN_MAX + _FRAMING_MIN * text.messages
    high = text.size + 16 * text.messages + 64 if text.text_only else None
    return low, high


def _estimate(text: PromptText) -> int:
    framing = _FRAMING * text.messages + (3 if text.messages else 0)
    tokens = math.ceil((text.chars + text.extra_chars) / _CHARS_PER_TOKEN) + framing
    return max(tokens, 1)


def estimate_prompt(x: Exchange) -> int | None:
    """What the fixer says a request's prompt costs: a token per 4 characters, 4 a message and
    3 to prime the answer (None when the text is unknown)."""
    text = prompt_text(x)
    return None if text is None else _estimate(text)


_PROMPT_KEYS = ("prompt_tokens", "input_tokens")


def _usages(x: Exchange) -> Iterator[tuple[int | None, str, Obj]]:
    """(event, pointer, usage) of every usage object of the answer."""
    if x.status >= 300:
        return
    if x.operation in _RESPONSES:
        for event, pointer, response in responses_in(x):
            if isinstance(response.get("usage"), dict):
                yield event, f"{pointer}/usage", response["usage"]
        return
    answers: list[tuple[int | None, Any]] = [(None, x.body)]
    if x.events is not None:
        answers = [(i, e.data) for i, e in enumerate(x.events) if e.json]
    for event, data in answers:
        if isinstance(data, dict) and isinstance(data.get("usage"), dict):
            yield event, "/usage", data["usage"]


def _prompt_key(usage: Obj) -> str | None:
    return next((k for k in _PROMPT_KEYS if is_int(usage.get(k))), None)


@rule("rule.usage.prompt", operations=_OPS, request=True, severity=WARNING, reshapes=False)
def usage_prompt(x: Exchange) -> Iterator[Finding]:
    """The prompt's tokens plausibly cover the request's text."""
    text = prompt_text(x)
    if text is None:
        return
    low, high = _bounds(text)
    for event, pointer, usage in _usages(x):
        key = _prompt_key(usage)
        if key is None:
            continue
        count = usage[key]
        if count < low:
            yield Finding(
                f"{key} is {count} for {text.chars} characters in {text.messages} messages"
                f" (at least {low})",
                f"{pointer}/{key}",
                event,
                expected=f">= {low}",
                actual=count,
            )
        elif high is not None and count > high:
            yield Finding(
                f"{key} is {count} for a text-only request of {text.size} bytes (at most {high})",
                f"{pointer}/{key}",
                event,
                expected=f"<= {high}",
                actual=count,
            )


@usage_prompt.fixer
def _fix_prompt(x: Exchange) -> None:
    text = prompt_text(x)
    if text is None:
        return
    low, high = _bounds(text)
    estimate = _estimate(text)
    for _, _, usage in _usages(x):
        key = _prompt_key(usage)
        if key is not None and (usage[key] < low or (high is not None and usage[key] > high)):
            usage[key] = estimate
            if is_int(usage.get("total_tokens")):
                other = usage.get("completion_tokens", usage.get("output_tokens", 0))
                usage["total_tokens"] = estimate + (other if isinstance(other, int) else 0)


def _cached(usage: Obj) -> tuple[str, Obj] | None:
    """(prompt key, details) when the usage counts cached tokens."""
    key = _prompt_key(usage)
    if key is None:
        return None
    details = usage.get(f"{key}_details")
    if isinstance(details, dict) and is_int(details.get("cached_tokens")):
        return key, details
    return None


def _cache_ok(cached: int, prompt: int) -> bool:
    if cached == 0:
        return True
    return prompt >= _CACHE_MIN and cached >= _CACHE_MIN and cached % _CACHE_STEP == 0


@rule("rule.usage.cached", operations=_OPS, severity=WARNING, reshapes=False)
def usage_cached(x: Exchange) -> Iterator[Finding]:
    """Cached tokens only on prompts of 1,024 tokens or more, in steps of 128."""
    for event, pointer, usage in _usages(x):
        found = _cached(usage)
        if found is None:
            continue
        key, details = found
        cached = details["cached_tokens"]
        if not _cache_ok(cached, usage[key]):
            yield Finding(
                f"cached_tokens is {cached} of {key} {usage[key]}: OpenAI caches prompts of"
                " 1,024 tokens or more, in steps of 128",
                f"{pointer}/{key}_details/cached_tokens",
                event,
                expected="0, or a multiple of 128 from 1,024",
                actual=cached,
            )


@usage_cached.fixer
def _fix_cached(x: Exchange) -> None:
    for _, _, usage in _usages(x):
        found = _cached(usage)
        if found is not None and not _cache_ok(found[1]["cached_tokens"], usage[found[0]]):
            prompt, cached = usage[found[0]], found[1]["cached_tokens"]
            steps = min(cached, prompt) // _CACHE_STEP * _CACHE_STEP
            found[1]["cached_tokens"] = steps if steps >= _CACHE_MIN else 0


def _reasoning(usage: Obj) -> tuple[str, Obj] | None:
    """(output key, details) when the usage counts reasoning tokens."""
    for key in ("completion_tokens", "output_tokens"):
        details = usage.get(f"{key}_details")
        if (
            is_int(usage.get(key))
            and isinstance(details, dict)
            and is_int(details.get("reasoning_tokens"))
        ):
            return key, details
    return None


def _visible(x: Exchange) -> int | None:
    """Characters of what a JSON answer shows (text, refusals, calls' arguments); None for a
    stream (its text is in pieces) or when the answer shows nothing."""
    if x.events is not None or not isinstance(x.body, dict):
        return None
    chars, shown = 0, False
    for choice in x.body.get("choices") or ():
        if not isinstance(choice, dict):
            continue
        message: Obj = choice["message"] if isinstance(choice.get("message"), dict) else choice
        for key in ("content", "refusal", "text"):
            if isinstance(message.get(key), str) and message[key]:
                chars, shown = chars + len(message[key]), True
        for call in message.get("tool_calls") or ():
            if isinstance(call, dict) and isinstance(call.get("function"), dict):
                chars, shown = chars + len(str(call["function"].get("arguments", ""))), True
    for item in x.body.get("output") or ():
        if not isinstance(item, dict):
            continue
        if item.get("type") == "message":
            for part in item.get("content") or ():
                if isinstance(part, dict) and isinstance(part.get("text"), str) and part["text"]:
                    chars, shown = chars + len(part["text"]), True
        elif item.get("type") in ("function_call", "custom_tool_call"):
            chars, shown = chars + len(str(item.get("arguments", item.get("input", "")))), True
    return chars if shown else None


def _model(x: Exchange, pointer: str, event: int | None) -> Any:
    """The model that answered (the answer's, else the request's)."""
    where: Any = x.body if event is None else x.events[event].data if x.events else None
    if pointer.startswith("/response") and isinstance(where, dict):
        where = where.get("response")
    model = where.get("model") if isinstance(where, dict) else None
    return model if isinstance(model, str) else x.asked("model")


def _reasoning_findings(x: Exchange) -> Iterator[tuple[int | None, str, Obj, str, int]]:
    """(event, pointer, details, why, expected at most) of each reasoning count that cannot be."""
    visible = _visible(x)
    for event, pointer, usage in _usages(x):
        found = _reasoning(usage)
        if found is None:
            continue
        key, details = found
        reasoning, total = details["reasoning_tokens"], usage[key]
        if reasoning and does_not_reason(_model(x, pointer, event)):
            yield event, f"{pointer}/{key}_details", details, "a model that does not reason", 0
        elif visible is not None and reasoning and total and reasoning >= total:
            room = max(1, min(total, math.ceil(visible / _CHARS_PER_TOKEN)))
            yield event, f"{pointer}/{key}_details", details, "an answer with text", total - room


@rule("rule.usage.reasoning", operations=_OPS, severity=WARNING, reshapes=False)
def usage_reasoning(x: Exchange) -> Iterator[Finding]:
    """No reasoning tokens on models that do not reason; tokens left for the answer's text."""
    for event, pointer, details, why, most in _reasoning_findings(x):
        yield Finding(
            f"reasoning_tokens is {details['reasoning_tokens']} on {why}",
            f"{pointer}/reasoning_tokens",
            event,
            expected=f"<= {most}",
            actual=details["reasoning_tokens"],
        )


@usage_reasoning.fixer
def _fix_reasoning(x: Exchange) -> None:
    for _, _, details, _, most in list(_reasoning_findings(x)):
        details["reasoning_tokens"] = max(0, most)
