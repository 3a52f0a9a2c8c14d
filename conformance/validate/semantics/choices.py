"""The choices of a chat or legacy completion answer as the rules see them, for JSON and streams
alike (a stream's choice is what its chunks add up to), and fixing a stream by fixing the
completion it adds up to and cutting it into chunks again."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .chunks import CHAT, LEGACY, assemble, chunks
from .common import is_int, located
from .exchange import Event, Exchange

__all__ = [
    "BOTH",
    "CHAT",
    "FILLER",
    "LEGACY",
    "Choice",
    "answer_choices",
    "completed",
    "estimate_usage",
    "expected_choices",
    "fix_answer",
    "generated",
    "include_usage",
    "ok",
    "token_limit",
    "usages",
]

BOTH = (CHAT, LEGACY)
Obj = dict[str, Any]
# finish reasons after which the message may stop anywhere (cut short, or withheld)
CUT = ("length", "content_filter")


def ok(x: Exchange) -> bool:
    """True for a successful answer (the rules say nothing about error bodies)."""
    return 200 <= x.status < 300 and (x.events is not None or isinstance(x.body, dict))


@dataclass
class Choice:
    """One choice: ``data`` is the JSON choice (or, in a stream, the choice its chunks add up
    to); ``event`` the stream event of its last chunk; ``pointer`` where it sits."""

    data: Obj
    event: int | None
    pointer: str
    stream: bool

    @property
    def message(self) -> Obj:
        """The chat message (``{}`` for a legacy choice or a malformed one)."""
        message = self.data.get("message")
        return message if isinstance(message, dict) else {}

    @property
    def finish(self) -> Any:
        """The choice's ``finish_reason``."""
        return self.data.get("finish_reason")

    def at(self, field: str) -> str:
        """The pointer of a message field (a stream's: the chunk's delta)."""
        if self.stream:
            return f"{self.pointer}/delta"
        return f"{self.pointer}/message/{field}" if field else f"{self.pointer}/message"

    def calls(self) -> list[Obj]:
        """The message's tool calls (objects only)."""
        calls = self.message.get("tool_calls")
        return [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []


def _memo(x: Exchange, key: str, make: Callable[[], Any]) -> Any:
    """``make()`` once per state of the answer: the memo lives as long as the shared walk of
    the answer's objects (``located``), which ``comply`` forgets after every fix."""
    walked = located(x)
    memo: dict[str, tuple[Any, Any]] = x.__dict__.setdefault("_chat_memo", {})
    hit = memo.get(key)
    if hit is not None and hit[0] is walked:
        return hit[1]
    value = make()
    memo[key] = (walked, value)
    return value


def _stream_completion(x: Exchange) -> tuple[Obj, dict[Any, int]]:
    made: tuple[Obj, dict[Any, int]] = _memo(
        x, "assembled", lambda: assemble(x.operation, enumerate(e.data for e in x.events or ()))
    )
    return made


def completed(x: Exchange) -> Obj:
    """The completion the answer is (a stream's: its chunks assembled)."""
    if x.events is None:
        return x.body if isinstance(x.body, dict) else {}
    return _stream_completion(x)[0]


def answer_choices(x: Exchange) -> list[Choice]:
    """The answer's choices (none for an error answer)."""
    if not ok(x):
        return []
    made: list[Choice] = _memo(x, "choices", lambda: _choices(x))
    return made


def _choices(x: Exchange) -> list[Choice]:
    if x.events is None:
        items = x.body.get("choices")
        if not isinstance(items, list):
            return []
        return [
            Choice(c, None, f"/choices/{i}", False)
            for i, c in enumerate(items)
            if isinstance(c, dict)
        ]
    done, last = _stream_completion(x)
    out = []
    for choice in done["choices"]:
        event = last[choice["index"]]
        parts = x.events[event].data.get("choices") or []
        at = next(
            (
                i
                for i, p in enumerate(parts)
                if isinstance(p, dict) and p.get("index") == choice["index"]
            ),
            0,
        )
        out.append(Choice(choice, event, f"/choices/{at}", True))
    return out


def usages(x: Exchange) -> Iterator[tuple[int | None, str, Obj]]:
    """(event, pointer, usage) for each usage object of the answer."""
    if not ok(x):
        return
    if x.events is None:
        if isinstance(x.body.get("usage"), dict):
            yield None, "/usage", x.body["usage"]
        return
    for index, event in enumerate(x.events):
        if isinstance(event.data, dict) and isinstance(event.data.get("usage"), dict):
            yield index, "/usage", event.data["usage"]


def include_usage(x: Exchange) -> bool:
    """True when the request asked for the usage chunk (``stream_options.include_usage``)."""
    options = x.asked("stream_options", {})
    return isinstance(options, dict) and options.get("include_usage") is True


def token_limit(x: Exchange) -> int | None:
    """The most tokens one choice may complete, as the request set it (legacy completions:
    16 by default, as documented); ``None``: no limit."""
    if x.operation == LEGACY:
        value = x.asked("max_tokens", 16)
        return value if is_int(value) else None
    for name in ("max_completion_tokens", "max_tokens"):
        value = x.asked(name)
        if is_int(value):
            return int(value)
    return None


def fix_answer(fix: Callable[[Exchange], None]) -> Callable[[Exchange], None]:
    """A fixer of JSON completions made to fix streams too: a stream is assembled into its
    completion, fixed, and cut into chunks again (``[DONE]`` kept at the end).

    >>> @some_rule.fixer  # doctest: +SKIP
    ... @fix_answer
    ... def _fix(x): x.body["choices"] = x.body["choices"][:1]
    """

    def fixer(x: Exchange) -> None:
        if x.events is None:
            fix(x)
            return
        done = copy.deepcopy(completed(x))
        usage = include_usage(x) if x.request is not None else "usage" in done
        y = Exchange(x.operation, x.request, body=done, status=x.status, time=x.time)
        fix(y)
        tail = [e for e in x.events if not e.json]
        x.events = [Event(c) for c in chunks(y.body, include_usage=usage)] + tail

    return fixer


FILLER = "Hello! How can I help you today?"


def expected_choices(x: Exchange) -> int | None:
    """How many choices the request asks for: ``n`` (default 1), times the number of prompts
    for a legacy completion sent a list of prompts; ``None`` when the request is unknown."""
    if x.request is None:
        return None
    n = x.asked("n", 1)
    n = n if is_int(n) and n >= 1 else 1
    prompt = x.asked("prompt")
    if (
        x.operation == LEGACY
        and isinstance(prompt, list)
        and prompt
        and all(isinstance(p, (str, list)) for p in prompt)
    ):
        n *= len(prompt)
    return int(n)


def generated(x: Exchange) -> int:
    """How many completions the usage counts: the choices, or ``best_of`` of them per prompt."""
    count = expected_choices(x) or max(1, len(answer_choices(x)))
    best = x.asked("best_of")
    if x.operation == LEGACY and is_int(best) and is_int(x.asked("n", 1)):
        count = count // max(1, x.asked("n", 1)) * max(best, x.asked("n", 1))
    return count


def estimate_usage(x: Exchange) -> Obj:
    """A plausible usage for the answer: a token a word of what it says (within the limit)."""
    completion = 0
    for c in answer_choices(x):
        text = c.data.get("text") if x.operation == LEGACY else c.message.get("content")
        completion += len(str(text or "").split()) + 1
        completion += sum(
            len(str((t.get("function") or {}).get("arguments", ""))) // 4 for t in c.calls()
        )
    limit = token_limit(x)
    if limit is not None:
        completion = min(completion, limit * generated(x))
    asked = x.asked("messages", x.asked("prompt", ""))
    prompt = max(1, len(str(asked)) // 4)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
