"""Rules: logprobs of chat and legacy completions — present exactly when asked, no more
alternatives than asked, log probabilities at most 0 and token bytes in 0..255."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .choices import BOTH, LEGACY, Choice, answer_choices, fix_answer
from .chunks import pieces
from .common import is_int
from .exchange import Exchange
from .registry import Finding, rule

Obj = dict[str, Any]


def _asked(x: Exchange) -> bool:
    """True when the request asks for logprobs (chat: ``logprobs: true``; legacy: a number)."""
    if x.operation == LEGACY:
        return is_int(x.asked("logprobs"))
    return x.asked("logprobs") is True


def _top(x: Exchange) -> int:
    """How many alternatives a token may list (legacy: ``logprobs`` + the sampled token)."""
    if x.operation == LEGACY:
        return int(x.asked("logprobs", 0)) + 1 if _asked(x) else 0
    top = x.asked("top_logprobs", 0)
    return int(top) if is_int(top) else 0


def _text(x: Exchange, c: Choice) -> tuple[str, str | None]:
    """(which list, the text it scores): legacy ``tokens``, chat ``content`` or ``refusal``."""
    if x.operation == LEGACY:
        return "tokens", c.data.get("text")
    if c.message.get("refusal") is not None:
        return "refusal", c.message["refusal"]
    return "content", c.message.get("content")


@rule("rule.chat.logprobs-unasked", operations=BOTH, request=True)
def logprobs_unasked(x: Exchange) -> Iterator[Finding]:
    """A choice carries ``logprobs`` only when the request asked for them."""
    if _asked(x):
        return
    for c in answer_choices(x):
        if c.data.get("logprobs") is not None:
            yield Finding(
                "the choice has logprobs but the request did not ask for them",
                f"{c.pointer}/logprobs",
                c.event,
                None,
                "logprobs",
                param="logprobs",
            )


@logprobs_unasked.fixer
@fix_answer
def _fix_unasked(x: Exchange) -> None:
    for c in answer_choices(x):
        c.data["logprobs"] = None


@rule("rule.chat.logprobs-missing", operations=BOTH, request=True)
def logprobs_missing(x: Exchange) -> Iterator[Finding]:
    """Asked for, ``logprobs`` score the text the choice says."""
    if not _asked(x):
        return
    for c in answer_choices(x):
        key, text = _text(x, c)
        lp = c.data.get("logprobs")
        if text and not (isinstance(lp, dict) and isinstance(lp.get(key), list)):
            yield Finding(
                f"logprobs were asked for but the choice has no logprobs.{key}",
                f"{c.pointer}/logprobs",
                c.event,
                key,
                lp,
                param="logprobs",
            )


def _chat_entry(token: str, logprob: float, top: int) -> Obj:
    alternatives = [
        {
            "token": token if k == 0 else f"{token}{k}",
            "logprob": logprob - k,
            "bytes": list(f"{token}{k or ''}".encode()),
        }
        for k in range(top)
    ]
    return {
        "token": token,
        "logprob": logprob,
        "bytes": list(token.encode()),
        "top_logprobs": alternatives,
    }


def build(x: Exchange, c: Choice) -> Obj | None:
    """Logprobs that score the choice's text a word piece a token (``None``: nothing to score)."""
    key, text = _text(x, c)
    if not isinstance(text, str):
        return None
    tokens = pieces(text) if text else []
    scores = [-round(0.05 * (1 + i % 7), 2) for i in range(len(tokens))]
    top = _top(x)
    if x.operation != LEGACY:
        listed = [_chat_entry(t, s, top) for t, s in zip(tokens, scores, strict=True)]
        return {"content": None, "refusal": None, key: listed}
    offsets, at = [], 0
    for t in tokens:
        offsets.append(at)
        at += len(t)
    return {
        "tokens": tokens,
        "token_logprobs": scores,
        "top_logprobs": [{t: s} if top else {} for t, s in zip(tokens, scores, strict=True)],
        "text_offset": offsets,
    }


@logprobs_missing.fixer
@fix_answer
def _fix_missing(x: Exchange) -> None:
    for c in answer_choices(x):
        key, text = _text(x, c)
        lp = c.data.get("logprobs")
        if text and not (isinstance(lp, dict) and isinstance(lp.get(key), list)):
            c.data["logprobs"] = build(x, c)


def _entries(x: Exchange, c: Choice) -> Iterator[tuple[str, Obj]]:
    """(pointer, entry) for each scored token of a chat choice (and its alternatives)."""
    lp = c.data.get("logprobs")
    if not isinstance(lp, dict) or x.operation == LEGACY:
        return
    for key in ("content", "refusal"):
        for i, entry in enumerate(lp.get(key) or ()):
            if isinstance(entry, dict):
                yield f"{c.pointer}/logprobs/{key}/{i}", entry
                for k, alt in enumerate(entry.get("top_logprobs") or ()):
                    if isinstance(alt, dict):
                        yield f"{c.pointer}/logprobs/{key}/{i}/top_logprobs/{k}", alt


@rule("rule.chat.top-logprobs", operations=BOTH, request=True)
def top_logprobs(x: Exchange) -> Iterator[Finding]:
    """A token lists at most ``top_logprobs`` alternatives (legacy: ``logprobs`` + 1)."""
    top = _top(x)
    for c in answer_choices(x):
        lp = c.data.get("logprobs")
        if not isinstance(lp, dict):
            continue
        if x.operation == LEGACY:
            listed = [
                (f"{c.pointer}/logprobs/top_logprobs/{i}", t)
                for i, t in enumerate(lp.get("top_logprobs") or ())
            ]
        else:
            listed = [
                (p, e.get("top_logprobs")) for p, e in _entries(x, c) if "/top_logprobs/" not in p
            ]
        for pointer, alternatives in listed:
            if isinstance(alternatives, (list, dict)) and len(alternatives) > top:
                yield Finding(
                    f"{len(alternatives)} alternatives listed, at most {top} asked",
                    pointer,
                    c.event,
                    top,
                    len(alternatives),
                    param="top_logprobs",
                )
                break


@top_logprobs.fixer
@fix_answer
def _fix_top(x: Exchange) -> None:
    top = _top(x)
    for c in answer_choices(x):
        lp = c.data.get("logprobs")
        if not isinstance(lp, dict):
            continue
        if x.operation == LEGACY:
            lp["top_logprobs"] = (
                [
                    dict(list(t.items())[:top]) if isinstance(t, dict) else t
                    for t in lp.get("top_logprobs") or ()
                ]
                if "top_logprobs" in lp
                else lp.get("top_logprobs")
            )
            continue
        for pointer, entry in list(_entries(x, c)):
            if "/top_logprobs/" not in pointer and isinstance(entry.get("top_logprobs"), list):
                entry["top_logprobs"] = entry["top_logprobs"][:top]


def _bad_numbers(x: Exchange, c: Choice) -> Iterator[tuple[str, str, Obj | list[Any], Any]]:
    """(pointer, what, holder, key) of each positive logprob and each byte outside 0..255."""
    lp = c.data.get("logprobs")
    if not isinstance(lp, dict):
        return
    if x.operation == LEGACY:
        for i, v in enumerate(lp.get("token_logprobs") or ()):
            if isinstance(v, (int, float)) and v > 0:
                yield f"{c.pointer}/logprobs/token_logprobs/{i}", "logprob", lp["token_logprobs"], i
        for i, alternatives in enumerate(lp.get("top_logprobs") or ()):
            for token, v in (alternatives or {}).items() if isinstance(alternatives, dict) else ():
                if isinstance(v, (int, float)) and v > 0:
                    yield (
                        f"{c.pointer}/logprobs/top_logprobs/{i}/{token}",
                        "logprob",
                        alternatives,
                        token,
                    )
        return
    for pointer, entry in _entries(x, c):
        v = entry.get("logprob")
        if isinstance(v, (int, float)) and v > 0:
            yield f"{pointer}/logprob", "logprob", entry, "logprob"
        raw = entry.get("bytes")
        if isinstance(raw, list) and any(not is_int(b) or not 0 <= b <= 255 for b in raw):
            yield f"{pointer}/bytes", "bytes", entry, "bytes"


@rule("rule.chat.logprob-range", operations=BOTH)
def logprob_range(x: Exchange) -> Iterator[Finding]:
    """Log probabilities are at most 0; token ``bytes`` are in 0..255."""
    for c in answer_choices(x):
        for pointer, what, holder, key in _bad_numbers(x, c):
            value = holder[key]
            yield Finding(
                f"a {what} out of range: {str(value)[:60]}",
                pointer,
                c.event,
                "<= 0" if what == "logprob" else "0..255",
                value,
            )


@logprob_range.fixer
@fix_answer
def _fix_range(x: Exchange) -> None:
    for c in answer_choices(x):
        for _, what, holder, key in list(_bad_numbers(x, c)):
            if what == "logprob":
                holder[key] = -min(float(holder[key]), 20.0)
            else:
                token = holder.get("token") if isinstance(holder, dict) else None
                holder[key] = list(str(token or "").encode())
