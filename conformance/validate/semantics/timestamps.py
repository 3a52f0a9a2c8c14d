"""Rules: timestamps — ``created`` and every ``*_at`` are unix seconds, plausible for when the
answer came (``Exchange.time``; now when unknown), and what a request creates is fresh.

``x.time`` may be coarse (a recording's date at midnight UTC), so both rules allow two days.
Warnings: these are plausibility, not contradictions of the request.

>>> x = Exchange("createChatCompletion", None, body={"created": 1_700_000_000_000}, time=1.7e9)
>>> [v.code for v in check(x)]  # doctest: +SKIP
['rule.time.plausible']
"""

from __future__ import annotations

import time as _clock
from collections.abc import Iterator
from typing import Any

from ..violation import WARNING
from .common import answered, located
from .exchange import Exchange
from .registry import Finding, rule

__all__ = ["is_timestamp_name"]

Obj = dict[str, Any]
SINCE = 1_420_070_400  # 2015-01-01: OpenAI's API is younger
SKEW = 2 * 86_400
# timestamps that name the future by design
_AHEAD = frozenset({"expires_at", "valid_at"})
# operations whose answer is the object the request made (or its stream)
_CREATING = frozenset(
    {
        "createChatCompletion",
        "createCompletion",
        "createResponse",
        "createImage",
        "createImageEdit",
        "createImageVariation",
        "createAssistant",
        "createThread",
        "createMessage",
        "createRun",
        "createThreadAndRun",
        "createVectorStore",
        "createVectorStoreFile",
        "createVectorStoreFileBatch",
        "createFile",
        "createUpload",
        "createBatch",
        "createFineTuningJob",
    }
)


def is_timestamp_name(name: str) -> bool:
    """True for a property that holds a unix timestamp in OpenAI's answers.

    >>> is_timestamp_name("created"), is_timestamp_name("expires_at"), is_timestamp_name("at")
    (True, True, False)
    """
    return name == "created" or (name.endswith("_at") and len(name) > 3)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _now(x: Exchange) -> float:
    return x.time if x.time is not None else _clock.time()


def _implausible(name: str, value: float, now: float) -> str | None:
    if value >= 100_000_000_000:
        return "milliseconds, not seconds"
    if value < SINCE:
        return "before 2015"
    if name not in _AHEAD and value > now + SKEW:
        return "in the future"
    return None


def _timestamps(x: Exchange) -> Iterator[tuple[int | None, str, Obj, str]]:
    for event, pointer, obj in located(x):
        for name, value in obj.items():
            if _number(value) and is_timestamp_name(name):
                yield event, pointer, obj, name


@rule("rule.time.plausible", severity=WARNING, reshapes=False)
def time_plausible(x: Exchange) -> Iterator[Finding]:
    """Timestamps are unix seconds after 2015 and not in the future (but ``expires_at``)."""
    now = _now(x)
    for event, pointer, obj, name in _timestamps(x):
        why = _implausible(name, obj[name], now)
        if why is not None:
            yield Finding(
                f"{name} {obj[name]} is {why}", f"{pointer}/{name}", event, actual=obj[name]
            )


@time_plausible.fixer
def _fix_plausible(x: Exchange) -> None:
    now = _now(x)
    for _, _, obj, name in list(_timestamps(x)):
        if _implausible(name, obj[name], now) is not None:
            obj[name] = int(now) + (3600 if name in _AHEAD else 0)


def _made(x: Exchange) -> Iterator[tuple[int | None, str, Obj, str]]:
    """The created/created_at of what the request made (see ``answered``)."""
    for event, pointer, obj in answered(x):
        for name in ("created", "created_at"):
            if _number(obj.get(name)):
                yield event, pointer, obj, name


@rule("rule.time.fresh", operations=_CREATING, severity=WARNING, reshapes=False)
def time_fresh(x: Exchange) -> Iterator[Finding]:
    """What the request creates was created when the answer came (within the skew)."""
    if x.time is None or x.status >= 300:
        return
    for event, pointer, obj, name in _made(x):
        if SINCE <= obj[name] < x.time - SKEW:
            yield Finding(
                f"{name} {obj[name]} is {(x.time - obj[name]) / 86_400:.0f} days before the answer",
                f"{pointer}/{name}",
                event,
                expected=int(x.time),
                actual=obj[name],
            )


@time_fresh.fixer
def _fix_fresh(x: Exchange) -> None:
    if x.time is None:
        return
    for _, _, obj, name in list(_made(x)):
        if obj[name] < x.time - SKEW:
            obj[name] = int(x.time)
