"""Chat and legacy completion streams as completions, and completions as streams.

:func:`assemble` adds a stream's chunks up to the completion a JSON answer would have carried
(what the rules check, for streams as for JSON); :func:`chunks` cuts a completion into the
chunks OpenAI streams for it (a role delta, content in word pieces, tool-call deltas with their
arguments in pieces, one finish chunk per choice, the usage chunk when asked). The two are
inverse: ``assemble(chunks(c))`` is ``c`` up to the fields a stream does not carry.

>>> c = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m", "choices": [
...     {"index": 0, "message": {"role": "assistant", "content": "Hi there"},
...      "finish_reason": "stop", "logprobs": None}]}
>>> [ch["choices"][0]["delta"] for ch in chunks(c, include_usage=False)][1:3]
[{'content': 'Hi'}, {'content': ' there'}]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["CHAT", "LEGACY", "assemble", "chunks", "pieces"]

CHAT = "createChatCompletion"
LEGACY = "createCompletion"

Obj = dict[str, Any]
_HEAD = ("id", "created", "model", "system_fingerprint", "service_tier")
_WORD = re.compile(r"\s*\S+|\s+")
_ARGUMENT_PIECE = 8


def pieces(text: str) -> list[str]:
    """Text cut into word pieces, each with its leading whitespace, as models stream it.

    >>> pieces("Hello, big world")
    ['Hello,', ' big', ' world']
    """
    return list(_WORD.findall(text))


def slices(text: str, size: int = _ARGUMENT_PIECE) -> list[str]:
    """Fixed-size pieces, as the API streams function-call arguments.

    >>> slices('{"city": "Paris"}')
    ['{"city":', ' "Paris"', '}']
    """
    return [text[i : i + size] for i in range(0, len(text), size)]


def _head(data: Mapping[str, Any]) -> Obj:
    return {k: data[k] for k in _HEAD if data.get(k) is not None}


def _append(holder: Obj, key: str, piece: Any) -> None:
    if isinstance(piece, str):
        holder[key] = (holder.get(key) or "") + piece


def _chat_choice(index: Any) -> Obj:
    message: Obj = {"role": "assistant", "content": None, "refusal": None}
    return {"index": index, "message": message, "finish_reason": None, "logprobs": None}


def _add_delta(choice: Obj, delta: Mapping[str, Any]) -> None:
    message = choice["message"]
    for key in ("content", "refusal"):
        _append(message, key, delta.get(key))
    calls = delta.get("tool_calls")
    if isinstance(calls, list):
        known = message.setdefault("tool_calls", [])
        for part in calls:
            if not isinstance(part, dict):
                continue
            at = part.get("index", len(known))
            call = next((c for c in known if c["_index"] == at), None)
            if call is None:
                call = {"_index": at, "function": {"name": "", "arguments": ""}}
                known.append(call)
            for key in ("id", "type"):
                if part.get(key) is not None:
                    call[key] = part[key]
            function = part.get("function")
            if isinstance(function, dict):
                _append(call["function"], "name", function.get("name"))
                _append(call["function"], "arguments", function.get("arguments"))
    function_call = delta.get("function_call")
    if isinstance(function_call, dict):
        held = message.setdefault("function_call", {"name": "", "arguments": ""})
        _append(held, "name", function_call.get("name"))
        _append(held, "arguments", function_call.get("arguments"))
    if isinstance(delta.get("audio"), dict):
        message["audio"] = {**(message.get("audio") or {}), **delta["audio"]}


def _add_logprobs(choice: Obj, logprobs: Any, legacy: bool) -> None:
    if not isinstance(logprobs, dict):
        return
    held = choice["logprobs"] or {}
    for key, value in logprobs.items():
        if isinstance(value, list):
            held[key] = (held.get(key) or []) + value
        elif key not in held:
            held[key] = value
    if not legacy:
        held.setdefault("content", None)
        held.setdefault("refusal", None)
    choice["logprobs"] = held


def assemble(operation: str, datas: Iterable[tuple[int, Any]]) -> tuple[Obj, dict[Any, int]]:
    """The completion a stream adds up to, and for each choice index the event of its last
    chunk. ``datas`` are (event index, data) pairs; non-object data is skipped.

    >>> done, last = assemble(CHAT, [(0, {"id": "c", "choices": [
    ...     {"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}]})])
    >>> done["choices"][0]["message"]["content"], last
    ('Hi', {0: 0})
    """
    legacy = operation == LEGACY
    head: Obj | None = None
    choices: dict[Any, Obj] = {}
    last: dict[Any, int] = {}
    usage: Any = None
    for event, data in datas:
        if not isinstance(data, dict):
            continue
        if head is None:
            head = _head(data)
        if data.get("usage") is not None:
            usage = data["usage"]
        for part in data.get("choices") or ():
            if not isinstance(part, dict):
                continue
            index = part.get("index")
            last[index] = event
            choice = choices.get(index)
            if choice is None:
                choice = choices[index] = (
                    {"index": index, "text": "", "finish_reason": None, "logprobs": None}
                    if legacy
                    else _chat_choice(index)
                )
            if legacy:
                _append(choice, "text", part.get("text"))
            elif isinstance(part.get("delta"), dict):
                _add_delta(choice, part["delta"])
            _add_logprobs(choice, part.get("logprobs"), legacy)
            if part.get("finish_reason") is not None:
                choice["finish_reason"] = part["finish_reason"]
    for choice in choices.values():
        for call in choice.get("message", {}).get("tool_calls", ()):
            del call["_index"]
    done: Obj = {
        **(head or {}),
        "object": "text_completion" if legacy else "chat.completion",
        "choices": list(choices.values()),
    }
    if usage is not None:
        done["usage"] = usage
    return done, last


def _content_pieces(text: str, tokens: list[Any] | None) -> list[tuple[str, list[Any] | None]]:
    """The text's pieces with the logprob entries of each: one token a piece when the tokens
    spell the text, else word pieces with every entry on the first."""
    if (
        tokens
        and all(isinstance(t, dict) for t in tokens)
        and "".join(str(t.get("token", "")) for t in tokens) == text
    ):
        return [(str(t.get("token", "")), [t]) for t in tokens]
    cut = pieces(text) if text else []
    return [(p, tokens if i == 0 else None) for i, p in enumerate(cut)]


def _chat_parts(choice: Mapping[str, Any]) -> list[Obj]:
    """The (delta, logprobs, finish_reason) choice entries of one chat choice, in order."""
    index = choice.get("index", 0)
    message = choice.get("message") or {}
    held = choice.get("logprobs")
    logprobs: Obj = held if isinstance(held, dict) else {}

    def part(delta: Obj, lp: Any = None, finish: Any = None) -> Obj:
        return {"index": index, "delta": delta, "logprobs": lp, "finish_reason": finish}

    content, refusal = message.get("content"), message.get("refusal")
    calls = [c for c in message.get("tool_calls") or () if isinstance(c, dict)]
    function_call = message.get("function_call")
    first: Obj = {"role": "assistant"}
    if refusal is not None:
        first.update(content=None, refusal="")
    elif content is None:
        first["content"] = None
    else:
        first.update(content="", refusal=None)
    out = [part(first)]
    for key in ("content", "refusal"):
        text = message.get(key)
        if isinstance(text, str) and text:
            for piece, tokens in _content_pieces(text, logprobs.get(key)):
                lp = None
                if tokens is not None:
                    lp = {"content": None, "refusal": None, key: tokens}
                out.append(part({key: piece}, lp))
    for at, call in enumerate(calls):
        function = call.get("function") or {}
        head = {k: call[k] for k in ("id", "type") if k in call}
        name = function.get("name", "")
        out.append(
            part(
                {"tool_calls": [{"index": at, **head, "function": {"name": name, "arguments": ""}}]}
            )
        )
        arguments = str(function.get("arguments", ""))
        for piece in slices(arguments):
            out.append(part({"tool_calls": [{"index": at, "function": {"arguments": piece}}]}))
    if isinstance(function_call, dict):
        out.append(
            part({"function_call": {"name": function_call.get("name", ""), "arguments": ""}})
        )
        arguments = str(function_call.get("arguments", ""))
        for piece in slices(arguments):
            out.append(part({"function_call": {"arguments": piece}}))
    if choice.get("finish_reason") is not None:
        out.append(part({}, None, choice["finish_reason"]))
    return out


def _legacy_parts(choice: Mapping[str, Any]) -> list[Obj]:
    """The choice entries of one legacy completion choice: text pieces, the finish on the last."""
    index = choice.get("index", 0)
    logprobs = choice.get("logprobs") if isinstance(choice.get("logprobs"), dict) else None
    text = str(choice.get("text") or "")
    cut = pieces(text) if text else [""]
    tokens = (logprobs or {}).get("tokens")
    aligned = isinstance(tokens, list) and bool(tokens) and "".join(map(str, tokens)) == text
    if aligned and isinstance(tokens, list):
        cut = [str(t) for t in tokens]
    out = []
    for i, piece in enumerate(cut):
        lp: Any = None
        if logprobs is not None and aligned:
            lp = {k: v[i : i + 1] for k, v in logprobs.items() if isinstance(v, list)}
        elif logprobs is not None and i == 0:
            lp = logprobs
        out.append({"text": piece, "index": index, "logprobs": lp, "finish_reason": None})
    out[-1]["finish_reason"] = choice.get("finish_reason")
    return out


def chunks(completion: Mapping[str, Any], *, include_usage: bool) -> list[Obj]:
    """The chunks OpenAI streams for a (non-streamed) chat or legacy completion: the choices'
    chunks interleaved, then the usage chunk (empty ``choices``) when ``include_usage`` (chat
    chunks then carry ``usage: null`` before it, as the API sends them). No ``[DONE]``: that
    is the stream's sentinel, not a chunk.

    >>> [c["choices"] for c in chunks({"id": "c", "choices": [], "usage": {}}, include_usage=True)]
    [[]]
    """
    legacy = completion.get("object") == "text_completion"
    base = _head(completion)
    base["object"] = "text_completion" if legacy else "chat.completion.chunk"
    if include_usage and not legacy:
        base["usage"] = None
    make = _legacy_parts if legacy else _chat_parts
    lanes = [make(c) for c in completion.get("choices") or () if isinstance(c, Mapping)]
    out: list[Obj] = []
    for step in range(max((len(lane) for lane in lanes), default=0)):
        for lane in lanes:
            if step < len(lane):
                out.append({**base, "choices": [lane[step]]})
    if include_usage:
        usage = completion.get("usage")
        if not isinstance(usage, Mapping):
            usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        out.append({**base, "choices": [], "usage": dict(usage)})
    return out
