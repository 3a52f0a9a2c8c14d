"""Faults: named, composable ways for the mock to misbehave, each firing at a rate.

They fuzz HTTP clients (OpenAI SDKs) with what production throws at them: rate limits and 5xx
answers, slow heads, stalls after the head and mid-body, dropped connections, bodies written in
small paced pieces cut mid-event and mid-character, missing ``[DONE]``, keep-alive comments, CRLF
line ends, ``id:``/``retry:`` fields, raw UTF-8 and truncated JSON. A fault is written
``NAME[=VALUE][:RATE]`` (``"rate-limit:0.1,latency=0.25:0.5,drop"``); it fires on a response
when ``rng.random() < rate``, so the same seed gives the same faults.

Error faults replace the response (the first that fires wins, and no body fault applies to the
error); then latency adds to the delay; then body faults reshape the chunks in the order given;
then the stalls (``stall``, ``stall-mid``) are placed on the final chunks. Body faults work on
the joined bytes and keep every existing chunk boundary, so they compose in any order (a
keep-alive is inserted at an event boundary even after ``split``). Each chunk is written to the
connection on its own (``conformance.mock.app``): ``split`` sets a pause between chunks so that
a client's reads see the pieces apart instead of merged by the kernel.
"""

from __future__ import annotations

import json
import math
import random
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise
from typing import TypeGuard

from .. import sse
from ..errors import InputError
from .apierror import error_response
from .message import MockResponse

__all__ = ["FAULTS", "Fault", "apply_faults", "parse_faults"]

FAULTS: dict[str, str] = {
    "rate-limit": "429 rate_limit_exceeded with retry-after (=SECONDS, default 1)",
    "server-error": "500 server_error with an OpenAI-style error body",
    "bad-gateway": "502 with an OpenAI-style error body",
    "unavailable": "503 overloaded with retry-after (=SECONDS, default 1)",
    "latency": "wait SECONDS more before the head (=SECONDS, default 0.5)",
    "stall": "send the head, then wait SECONDS before the body (=SECONDS, default 2)",
    "stall-mid": "wait SECONDS halfway through the body, at an event boundary in a stream "
    "(=SECONDS, default 2)",
    "drop": "send the head and half the body (half the events), then drop the connection",
    "split": "write a stream in pieces, each its own write with a pause between, so boundaries "
    "fall inside events and UTF-8 characters (bare: 2-3 pieces per event; =SIZE: pieces of "
    "SIZE bytes, JSON bodies too)",
    "no-done": "leave out a stream's final 'data: [DONE]' event",
    "keepalive": "send ': keep-alive' comments before the first event and between events",
    "crlf": "end a stream's lines with CRLF",
    "sse-fields": "give each stream event an 'id:' field and the first one 'retry: 3000'",
    "utf8": "write non-ASCII as raw UTF-8 in JSON bodies and stream events, not \\u escapes",
    "truncate": "cut a JSON body short at a random byte",
}

# Faults that take a value in seconds, with its default.
_DEFAULTS = {
    "rate-limit": 1.0,
    "unavailable": 1.0,
    "latency": 0.5,
    "stall": 2.0,
    "stall-mid": 2.0,
}
MAX_SECONDS = 3600.0  # the longest a fault may wait or tell a client to wait
# Faults that take a value in bytes (no default: bare ``split`` cuts each event in 2-3 pieces).
_SIZES = {"split"}
MAX_SIZE = 1 << 20  # the largest piece ``split=SIZE`` asks for
SPLIT_PAUSE = 0.003  # seconds between the pieces of a split body: a loopback read returns first
MAX_PACING = 30.0  # the most the pauses of one split body add up to (shorter pauses past it)
RETRY_MS = 3000  # the reconnection time ``sse-fields`` announces
_ERRORS = ("rate-limit", "server-error", "bad-gateway", "unavailable")
_SYNTAX = "faults are NAME[=VALUE][:RATE] separated by commas, NAME one of " + ", ".join(FAULTS)
_EOL = re.compile(rb"\r\n|\r|\n")
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)")


def _is_number(x: object) -> TypeGuard[float]:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _num(x: object) -> str:
    """A number as written in a fault: ``1`` for 1.0, ``0.25`` for 0.25."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return repr(x)


def _problem(name: str, rate: object, value: object) -> str | None:
    """What is wrong with a fault, ``None`` when nothing is."""
    if name not in FAULTS:
        return f"unknown fault {name!r}"
    if not _is_number(rate) or not 0.0 <= rate <= 1.0:
        return f"rate {rate!r} is not a number in [0, 1]"
    if value is not None:
        if name in _SIZES:
            if not _is_number(value) or not value.is_integer() or not 1 <= value <= MAX_SIZE:
                return f"value {value!r} is not a whole number of bytes from 1 to {MAX_SIZE}"
            return None
        if name not in _DEFAULTS:
            return f"{name} takes no value"
        if not _is_number(value) or not 0 <= value <= MAX_SECONDS:
            return f"value {value!r} is not a number of seconds from 0 to {MAX_SECONDS:g}"
    return None


@dataclass(frozen=True)
class Fault:
    """One fault: its name (a key of :data:`FAULTS`), the rate it fires at, its value if any.

    ``value`` is in seconds (``latency``, ``stall``, ``stall-mid``; ``retry-after`` of
    ``rate-limit`` and ``unavailable``) or bytes (``split``); ``str(fault)`` is the ``NAME[=VALUE][:RATE]`` form. A bad fault raises
    :class:`~conformance.errors.InputError`.

    >>> str(Fault("latency", 0.5, 0.25))
    'latency=0.25:0.5'
    """

    name: str
    rate: float = 1.0
    value: float | None = None

    def __post_init__(self) -> None:
        problem = _problem(self.name, self.rate, self.value)
        if problem is not None:
            raise InputError(f"fault {str(self)!r}: {problem} ({_SYNTAX})")

    def __str__(self) -> str:
        value = "" if self.value is None else f"={_num(self.value)}"
        rate = "" if self.rate == 1 else f":{_num(self.rate)}"
        return f"{self.name}{value}{rate}"

    @property
    def seconds(self) -> float:
        """The value, or the fault's default (0 for faults without one)."""
        return _DEFAULTS.get(self.name, 0.0) if self.value is None else float(self.value)


def parse_faults(text: str | Sequence[str | Fault] | None) -> tuple[Fault, ...]:
    """Faults from ``NAME[=VALUE][:RATE]`` items separated by commas (or given as a sequence).

    Unknown names, bad numbers, rates outside [0, 1] and values on faults that take none
    raise :class:`~conformance.errors.InputError` naming the item. ``None`` or ``""`` is ``()``.

    >>> parse_faults("rate-limit:0.1,latency=0.25:0.5,drop")
    (Fault(name='rate-limit', rate=0.1, value=None), Fault(name='latency', rate=0.5, value=0.25), Fault(name='drop', rate=1.0, value=None))
    """
    if text is None:
        return ()
    out: list[Fault] = []
    for item in [text] if isinstance(text, str) else text:
        if isinstance(item, Fault):
            out.append(item)
        elif isinstance(item, str):
            out.extend(_parse_one(part.strip()) for part in item.split(",") if part.strip())
        else:
            raise InputError(f"fault {item!r}: not a string or Fault ({_SYNTAX})")
    return tuple(out)


def _parse_one(item: str) -> Fault:
    head, colon, rate_text = item.partition(":")
    name, equals, value_text = head.partition("=")

    def number(what: str, text: str) -> float:
        try:
            return float(text.strip())
        except ValueError:
            raise InputError(
                f"fault {item!r}: {what} {text!r} is not a number ({_SYNTAX})"
            ) from None

    name = name.strip().lower()
    rate = number("rate", rate_text) if colon else 1.0
    value = number("value", value_text) if equals else None
    problem = _problem(name, rate, value)
    if problem is not None:
        raise InputError(f"fault {item!r}: {problem} ({_SYNTAX})")
    return Fault(name, rate, value)


def apply_faults(
    response: MockResponse, faults: Sequence[Fault], rng: random.Random
) -> MockResponse:
    """The response with each fault that fires (``rng.random() < rate``) applied.

    Each fault draws once, in order. The names of the faults that fired and changed something
    are appended to ``response.faults``; ``operation`` and ``violations`` are kept.

    >>> ok = MockResponse(200, {"content-type": "application/json"}, (b"{}",))
    >>> bad = apply_faults(ok, parse_faults("server-error,latency=2"), random.Random(0))
    >>> bad.status, bad.delay, bad.faults
    (500, 2.0, ('server-error', 'latency'))
    """
    fired = [fault for fault in faults if rng.random() < fault.rate]
    applied: list[str] = []
    out = response
    error = next((fault for fault in fired if fault.name in _ERRORS), None)
    if error is not None:
        out = _error(error, response)
        applied.append(error.name)
    for fault in fired:
        if fault.name == "latency":
            out = out.with_(delay=out.delay + fault.seconds)
            applied.append(fault.name)
    if error is None:
        for fault in fired:
            reshape = _BODY_FAULTS.get(fault.name)
            changed = None if reshape is None else reshape(out, fault, rng)
            if changed is not None:
                out = changed
                applied.append(fault.name)
        for fault in fired:  # on the final chunks, whatever the order given
            if fault.name in ("stall", "stall-mid"):
                out = _stall(out, fault)
                applied.append(fault.name)
    return out.with_(faults=(*response.faults, *applied))


# -- error faults ------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    """Seconds for a header: ``"1"`` when whole, else up to millisecond precision."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _error(fault: Fault, original: MockResponse) -> MockResponse:
    headers: dict[str, str] = {}
    if fault.name in ("rate-limit", "unavailable"):
        headers["retry-after"] = _seconds(fault.seconds)
        headers["retry-after-ms"] = str(round(fault.seconds * 1000))
    if fault.name == "rate-limit":
        wait = (
            _seconds(fault.seconds) + "s"
            if fault.seconds >= 1
            else f"{headers['retry-after-ms']}ms"
        )
        headers |= {
            "x-ratelimit-limit-requests": "60",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": wait,
        }
        response = error_response(
            429,
            "Rate limit reached for requests in organization org-conformance on requests per min "
            f"(RPM): Limit 60, Used 60, Requested 1. Please try again in {wait}. "
            "Visit https://platform.openai.com/account/rate-limits to learn more.",
            type="requests",
            code="rate_limit_exceeded",
            headers=headers,
        )
    elif fault.name == "server-error":
        message = "The server had an error while processing your request. Sorry about that!"
        response = error_response(500, message, type="server_error")
    elif fault.name == "bad-gateway":
        response = error_response(502, "Bad gateway.", type="server_error")
    else:
        message = "The server is overloaded or not ready yet."
        response = error_response(503, message, type="server_error", headers=headers)
    return response.with_(
        delay=original.delay,
        operation=original.operation,
        violations=original.violations,
        meta=dict(original.meta),
    )


# -- body faults: each returns None when it does not apply to the response -----------------------


def _without_length(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() != "content-length"}


def _slices(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    """``data`` cut at the given offsets (sorted), empty pieces left out."""
    edges = [0, *cuts, len(data)]
    return [data[a:b] for a, b in pairwise(edges) if b > a]


def _bounds(chunks: Sequence[bytes]) -> list[int]:
    """The offsets of the boundaries between chunks in the joined bytes."""
    return list(accumulate(len(chunk) for chunk in chunks))[:-1]


def _blocks(body: bytes) -> list[tuple[int, int, list[bytes]]]:
    """``(start, end, lines)`` of each blank-line-terminated block of an event stream."""
    blocks: list[tuple[int, int, list[bytes]]] = []
    start, lines = 0, []
    for match in _LINE.finditer(body):
        line = match.group().rstrip(b"\r\n")
        if line:
            lines.append(line)
        else:
            blocks.append((start, match.end(), lines))
            start, lines = match.end(), []
    return blocks


def _data(lines: Sequence[bytes]) -> list[bytes]:
    """The values of a block's ``data`` fields."""
    fields = (line.partition(b":") for line in lines)
    return [
        value[1:] if value[:1] == b" " else value for name, _, value in fields if name == b"data"
    ]


def _drop(response: MockResponse, fault: Fault, rng: random.Random) -> MockResponse | None:
    if response.stream:
        chunks = response.chunks[: max(1, len(response.chunks) // 2)]
    else:
        body = response.body
        chunks = (body[: len(body) // 2],) if len(body) > 1 else ()
    return response.with_(chunks=chunks, drop=True)


def _split(response: MockResponse, fault: Fault, rng: random.Random) -> MockResponse | None:
    size = None if fault.value is None else int(fault.value)
    if size is None and not response.stream:
        return None
    if not any(len(chunk) > (size or 1) for chunk in response.chunks):
        return None
    chunks: list[bytes] = []
    for chunk in response.chunks:
        if size is not None:
            chunks.extend(chunk[at : at + size] for at in range(0, len(chunk), size))
        elif len(chunk) < 2:
            chunks.extend([chunk] if chunk else [])
        else:
            pieces = min(rng.randint(2, 3), len(chunk))
            chunks.extend(_slices(chunk, sorted(rng.sample(range(1, len(chunk)), pieces - 1))))
    # paced, so that each piece reaches the client's reads on its own (not merged by the kernel)
    pause = min(SPLIT_PAUSE, MAX_PACING / len(chunks))
    return response.with_(chunks=tuple(chunks), interval=max(response.interval, pause))


def _no_done(response: MockResponse, fault: Fault, rng: random.Random) -> MockResponse | None:
    if not response.stream:
        return None
    body = response.body
    done = [(start, end) for start, end, lines in _blocks(body) if _data(lines) == [b"[DONE]"]]
    if not done:
        return None
    start, end = done[-1]
    # Cut the block out of the joined bytes, keeping every other chunk boundary.
    cuts = sorted({*_bounds(response.chunks), start, end})
    pieces = _slices(body, cuts)
    offsets = list(accumulate((len(p) for p in pieces), initial=0))
    kept = tuple(p for p, at in zip(pieces, offsets[:-1], strict=True) if not start <= at < end)
    return response.with_(chunks=kept, headers=_without_length(response.headers))


def _keepalive(response: MockResponse, fault: Fault, rng: random.Random) -> MockResponse | None:
    body = response.body
    if not response.stream or not body:
        return None
    newline = "\r\n" if b"\r\n" in body else "\n"
    comment = (sse.encode_comment("keep-alive", newline) + newline).encode()
    points = {0, *(end for _, end, _ in _blocks(body) if end < len(body))}
    pieces = _slices(body, sorted({*_bounds(response.chunks), *points}))
    chunks: list[bytes] = []
    at = 0
    for piece in pieces:
        if at in points:
            chunks.append(comment)
        chunks.append(piece)
        at += len(piece)
    return response.with_(chunks=tuple(chunks), headers=_without_length(response.headers))


def _crlf(response: MockResponse, fault: Fault, rng: random.Random) -> MockResponse | None:
    if not response.stream:
        return None
    body = response.body
    lone = [m.start() for m in _EOL.finditer(body) if m.group() != b"\r\n"]
    if not lone:
        return None
    # Each lone LF or CR grows by one byte; a boundary moves past the ones before it, so a
    # line end that was in one chunk stays in one chunk.
    bounds = [at + bisect_left(lone, at) for at in _bounds(response.chunks)]
    chunks = _slices(_EOL.sub(b"\r\n", body), bounds)
    return response.with_(chunks=tuple(chunks), headers=_without_length(response.headers))


def _truncate(response: MockResponse, fault: Fault, rng: random.Random) -> MockResponse | None:
    if response.stream or "json" not in response.content_type.lower():
        return None
    body = response.body
    end = len(body.rstrip())  # cutting before the last non-blank byte always breaks the JSON
    if end < 2:
        return None
    cut = rng.randrange(1, end)
    return response.with_(chunks=(body[:cut],), headers=_without_length(response.headers))


def _rewritten(
    response: MockResponse, edits: Sequence[tuple[int, int, bytes]]
) -> tuple[bytes, ...]:
    """The chunks with each ``(start, end, new)`` edit made to the joined bytes (sorted, apart),
    every chunk boundary kept: one inside an edited span moves to its end, one at an insertion
    point stays before what is inserted."""
    body = response.body
    parts: list[bytes] = []
    at = 0
    for start, end, new in edits:
        parts += [body[at:start], new]
        at = end
    parts.append(body[at:])
    bounds: list[int] = []
    shift = 0
    pending = iter(edits)
    edit = next(pending, None)
    for bound in _bounds(response.chunks):
        while edit is not None and edit[1] <= bound and edit[0] < bound:
            shift += len(edit[2]) - (edit[1] - edit[0])
            edit = next(pending, None)
        if edit is not None and edit[0] < bound < edit[1]:  # inside: to the end of the new text
            bounds.append(edit[0] + shift + len(edit[2]))
        else:
            bounds.append(bound + shift)
    return tuple(_slices(b"".join(parts), sorted(set(bounds))))


def _sse_fields(response: MockResponse, fault: Fault, rng: random.Random) -> MockResponse | None:
    body = response.body
    if not response.stream or not body:
        return None
    newline = b"\r\n" if b"\r\n" in body else b"\n"
    edits: list[tuple[int, int, bytes]] = []
    for start, _, lines in _blocks(body):
        names = {line.partition(b":")[0] for line in lines}
        if b"data" not in names or b"id" in names:
            continue
        fields = b"id: %d%s" % (len(edits) + 1, newline)
        if not edits:
            fields = b"retry: %d%s%s" % (RETRY_MS, newline, fields)
        edits.append((start, start, fields))
    if not edits:
        return None
    return response.with_(
        chunks=_rewritten(response, edits), headers=_without_length(response.headers)
    )


# a JSON escape: a surrogate pair, another \uXXXX, or any other escaped character
_ESCAPE = re.compile(
    rb"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})|\\."
)


def _raw(match: re.Match[bytes]) -> bytes:
    """A ``\\uXXXX`` escape (or pair) of a non-ASCII character as its UTF-8 bytes; an escaped
    ASCII character or a lone surrogate (no UTF-8 for it) as it was."""
    high, low, single = match.groups()
    if high is not None:
        code = 0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00)
        return chr(code).encode()
    if single is not None:
        code = int(single, 16)
        if code >= 0x80 and not 0xD800 <= code <= 0xDFFF:
            return chr(code).encode()
    return match.group()


def _unescaped(data: bytes, offset: int) -> list[tuple[int, int, bytes]]:
    """The edits that write JSON text's non-ASCII escapes as raw UTF-8 (``offset``: where
    ``data`` starts in the body)."""
    return [
        (offset + m.start(), offset + m.end(), raw)
        for m in _ESCAPE.finditer(data)
        if (raw := _raw(m)) != m.group()
    ]


def _utf8(response: MockResponse, fault: Fault, rng: random.Random) -> MockResponse | None:
    body = response.body
    edits: list[tuple[int, int, bytes]] = []
    if response.stream:
        # only data lines that are JSON: an escape in other text is the text itself
        for match in _LINE.finditer(body):
            name, colon, value = match.group().rstrip(b"\r\n").partition(b":")
            if name != b"data" or b"\\u" not in value:
                continue
            try:
                json.loads(value)
            except ValueError:
                continue
            edits += _unescaped(value, match.start() + len(name) + len(colon))
    elif "json" in response.content_type.lower():
        edits = _unescaped(body, 0)
    if not edits:
        return None
    return response.with_(
        chunks=_rewritten(response, edits), headers=_without_length(response.headers)
    )


def _stall(response: MockResponse, fault: Fault) -> MockResponse:
    """A pause of ``fault.seconds`` right after the head (``stall``) or halfway through the body
    (``stall-mid``: at the first event boundary past the middle of a stream, else between the
    halves of the middle chunk, cut in two when there is only one)."""
    chunks = response.chunks
    if fault.name == "stall" or not chunks:
        index = 0
    else:
        body = response.body
        half = len(body) // 2
        starts = list(accumulate((len(c) for c in chunks), initial=0))[:-1]
        events = {end for _, end, _ in _blocks(body)} if response.stream else set()
        at = next((i for i, s in enumerate(starts) if s >= half and s in events), None)
        if at is None:
            at = next((i for i, s in enumerate(starts) if s >= half and i), None)
        if at is None:  # one chunk (a JSON body): cut it in two
            last = chunks[-1]
            cut = max(1, len(last) // 2)
            chunks = (*chunks[:-1], *_slices(last, [cut]))
            at = len(chunks) - 1
        index = at
    return response.with_(chunks=chunks, pauses=(*response.pauses, (index, fault.seconds)))


_BODY_FAULTS: dict[str, Callable[[MockResponse, Fault, random.Random], MockResponse | None]] = {
    "drop": _drop,
    "split": _split,
    "no-done": _no_done,
    "keepalive": _keepalive,
    "crlf": _crlf,
    "sse-fields": _sse_fields,
    "utf8": _utf8,
    "truncate": _truncate,
}
