"""Minimization: the smallest spec-valid answer that still breaks a client.

Delta debugging over the JSON tree of a response body: drop keys and array items, replace values
by ``null``, shorten strings (to ``""``, either half, then one character less at either end),
simplify numbers (``0``, ``1``, halved, integral) and booleans (``false``). Dropping is ddmin over
the keys or items whose removal alone leaves the answer valid (so required keys and a stream's
``[DONE]`` are never proposed for removal): all of them, then all but one half, quarter…, then
each half, quarter…, then one by one. For a stream (a sequence of ``sse.Event``), the events are
dropped first, that way, before anything inside them; data that is not JSON (``[DONE]``) and
event names are kept. Then everything spec-valid simplification alone reaches inside the events
(or the body) is tried as one candidate — one oracle call settles it where the failure needs
none of the values — and then each node is simplified in turn (breadth first) until a pass
keeps nothing.

A candidate is kept iff it is smaller (shorter JSON, then lexicographically smaller: so every
run ends), still spec-valid (no error-severity violation from ``validator.response`` or
``validator.stream``; checked first, free), and ``still_fails(candidate)`` — the oracle, which
re-runs the client, and of which at most ``budget`` calls are made. Everything is deterministic:
the same answer and oracle give the same steps.

>>> found = minimize(op, body, lambda b: client_breaks_on(b), validator=Validator(spec))  # doctest: +SKIP
>>> found.answer, found.exercises  # doctest: +SKIP
({'id': '', 'choices': [{'index': 0, 'logprobs': {...}, ...}], ...}, '/choices/0/logprobs')
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from .. import sse
from ..errors import InputError
from ..spec import Operation
from ..strategies import ResponseCase
from ..validate import Validator

__all__ = ["DEFAULT_BUDGET", "Minimized", "Step", "minimize"]

DEFAULT_BUDGET = 200
_SHOW = 40

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Step:
    """One kept simplification: what was done (``drop``, ``null``, ``shorten``, ``simplify``,
    ``drop-event``) at which JSON pointer, and a short ``detail`` (the old and new value; the
    keys dropped at once). Items or events dropped at once read ``/choices/0-2,5``.

    >>> str(Step("drop", "/choices/0/logprobs"))
    'drop /choices/0/logprobs'
    """

    action: str
    pointer: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.action} {self.pointer or '/'}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class Minimized:
    """The result of :func:`minimize`.

    ``answer`` has the type given (a JSON body, a tuple of ``sse.Event``, or a ``ResponseCase``);
    ``exercises`` is the pointer of the most specific part of it the failure depends on (the
    deepest node whose removal or simplification, still spec-valid, made the failure go away;
    ``""`` when none was found); ``calls`` counts oracle calls (at most the budget);
    ``exhausted`` says the budget ran out before a pass made no change (the answer may shrink
    further with a larger budget). Stream pointers read ``/<event index>/data/<pointer>``.
    """

    answer: Any
    steps: tuple[Step, ...]
    exercises: str
    calls: int
    exhausted: bool

    def size(self) -> int:
        """The answer's size in characters, as JSON (a stream: its events as sent)."""
        return len(_text(_tree_of(_payload(self.answer))))


# -- the tree ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _EventNode:
    """A stream event in the tree: its JSON ``data`` is simplified, the rest is kept as sent."""

    event: sse.Event
    data: Any
    json: bool
    original: Any = None  # the data as parsed: an unchanged event is sent as it was


def _payload(answer: Any) -> Any:
    if isinstance(answer, ResponseCase):
        return answer.events if answer.events is not None else answer.body
    return answer


def _is_stream(payload: Any) -> bool:
    return (
        isinstance(payload, (list, tuple))
        and bool(payload)
        and all(isinstance(e, sse.Event) for e in payload)
    )


def _tree_of(payload: Any) -> Any:
    if not _is_stream(payload):
        return payload
    nodes = []
    for event in payload:
        try:
            data = json.loads(event.data)
            nodes.append(_EventNode(event, data, isinstance(data, (dict, list)), data))
        except ValueError:
            nodes.append(_EventNode(event, event.data, False))
    return nodes


def _events(tree: list[_EventNode]) -> tuple[sse.Event, ...]:
    return tuple(
        dataclasses.replace(n.event, data=json.dumps(n.data, ensure_ascii=n.event.data.isascii()))
        if n.json and n.data is not n.original
        else n.event
        for n in tree
    )


def _text(tree: Any) -> str:
    """The candidate as compared for size: compact JSON, a stream as its encoded events."""
    if isinstance(tree, list) and tree and isinstance(tree[0], _EventNode):
        return "".join(sse.encode(e.data, event=e.event) for e in _events(tree))
    return json.dumps(tree, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def _get(tree: Any, path: Path) -> Any:
    for key in path:
        tree = tree.data if isinstance(tree, _EventNode) else tree[key]
    return tree


def _set(tree: Any, path: Path, value: Any) -> Any:
    """``tree`` with the value at ``path`` replaced (copies along the path only)."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(tree, _EventNode):  # key is "data"
        return dataclasses.replace(tree, data=_set(tree.data, rest, value))
    if isinstance(tree, dict):
        return {**tree, key: _set(tree[key], rest, value)}
    items = list(tree)
    index = int(key)
    items[index] = _set(items[index], rest, value)
    return items


def _pointer(path: Path) -> str:
    return "".join("/" + str(k).replace("~", "~0").replace("/", "~1") for k in path)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOW else text[: _SHOW - 1] + "…"


# -- candidates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    tree: Any
    step: Step
    at: Path  # the node the change is about (for `exercises`)


def _levels(n: int) -> Iterator[list[tuple[int, int]]]:
    """Delta debugging's granularities of ``n`` items: (start, stop) of all of them, then of
    halves, quarters… (near-equal, as ddmin splits) down to single items.

    >>> list(_levels(3))
    [[(0, 3)], [(0, 1), (1, 3)], [(0, 1), (1, 2), (2, 3)]]
    """
    parts = 1
    while n:
        bounds = sorted({n * k // parts for k in range(parts + 1)})
        yield list(pairwise(bounds))
        if parts >= n:
            return
        parts = min(parts * 2, n)


def _ranges(indices: Sequence[int]) -> str:
    """``0-2,5`` for indices 0, 1, 2 and 5."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ",".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def _drops(items: Sequence[Any]) -> Iterator[list[Any]]:
    """Which of ``items`` to drop, ddmin's order: all; then at each granularity (halves,
    quarters… single items) all but one part (the part kept alone), then each part."""
    seen: set[tuple[int, ...]] = set()
    for spans in _levels(len(items)):
        kept_alone = [[i for i in range(len(items)) if not a <= i < b] for a, b in spans]
        if len(spans) < 3:  # of two halves, keeping one is dropping the other
            kept_alone = []
        for indices in [*kept_alone, *(list(range(a, b)) for a, b in spans)]:
            if indices and tuple(indices) not in seen:
                seen.add(tuple(indices))
                yield [items[i] for i in indices]


def _candidates(tree: Any, path: Path, valid: Callable[[Any], bool]) -> Iterator[_Candidate]:
    """Simplifications of the node at ``path``, biggest first (the node itself, not below it).

    Dropping is delta debugging over the keys or items (a stream's events) whose removal alone
    leaves the answer ``valid`` (the rest — required keys, a stream's ``[DONE]`` — is kept):
    all of them, then all but one half, quarter…, then each half, quarter…, then one by one."""
    value = _get(tree, path)
    here = _pointer(path)
    stream = isinstance(tree, list) and bool(tree) and isinstance(tree[0], _EventNode)
    streamed = stream and not path
    if isinstance(value, dict):
        keys = [k for k in value if valid(_set(tree, path, _without(value, {k})))]
        for dropped in _drops(keys):
            at = (*path, dropped[0]) if len(dropped) == 1 else path
            detail = "" if len(dropped) == 1 else _show(dropped)
            candidate = _set(tree, path, _without(value, set(dropped)))
            yield _Candidate(candidate, Step("drop", _pointer(at), detail), at)
    elif isinstance(value, list):
        indices = [i for i in range(len(value)) if valid(_set(tree, path, _omit(value, {i})))]
        for gone in _drops(indices):
            at = (*path, gone[0]) if len(gone) == 1 else path
            action = "drop-event" if streamed else "drop"
            pointer = f"{here}/{_ranges(gone)}"
            yield _Candidate(_set(tree, path, _omit(value, set(gone))), Step(action, pointer), at)
    elif isinstance(value, str):
        half = len(value) // 2
        for shorter in dict.fromkeys(["", value[:half], value[half:], value[1:], value[:-1]]):
            if len(shorter) < len(value):
                detail = f"{_show(value)} → {_show(shorter)}"
                yield _Candidate(_set(tree, path, shorter), Step("shorten", here, detail), path)
    elif isinstance(value, bool):
        if value:
            yield _Candidate(_set(tree, path, False), Step("simplify", here, "true → false"), path)
    elif isinstance(value, (int, float)):
        options: list[Any] = [0, 1]
        if abs(value) > 2:
            options.append(type(value)(value / 2) if isinstance(value, float) else value // 2)
        if isinstance(value, float) and value == value and abs(value) < 1e18:
            options.append(int(value))
        for simpler in options:
            if simpler != value or type(simpler) is not type(value):
                detail = f"{_show(value)} → {_show(simpler)}"
                yield _Candidate(_set(tree, path, simpler), Step("simplify", here, detail), path)
    if path and value is not None and not (stream and len(path) == 2):  # an event's data stays
        yield _Candidate(_set(tree, path, None), Step("null", here, f"{_show(value)} → null"), path)


def _without(value: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k not in keys}


def _omit(items: list[Any], indices: set[int]) -> list[Any]:
    return [item for i, item in enumerate(items) if i not in indices]


def _children(tree: Any, path: Path) -> list[Path]:
    value = _get(tree, path)
    if isinstance(value, _EventNode):
        return [(*path, "data")] if value.json else []
    if isinstance(value, dict):
        return [(*path, k) for k in value]
    if isinstance(value, list):
        return [(*path, i) for i in range(len(value))]
    return []


def _walk(tree: Any) -> Iterator[Path]:
    """Paths in breadth-first order (big subtrees before their parts); a stream's events are
    not themselves simplified, only dropped, and their data below them."""
    queue: list[Path] = [()]
    while queue:
        path = queue.pop(0)
        node = _get(tree, path)
        if not isinstance(node, _EventNode):
            yield path
        queue += _children(tree, path)


# -- the search ----------------------------------------------------------------------------------


class _Spent(Exception):
    """The oracle's budget is spent."""


def _fixpoint(
    tree: Any,
    valid: Callable[[Any], bool],
    judge: Callable[[_Candidate], str],
    steps: list[Step],
    essential: dict[Path, None],
    *,
    events: bool | None = None,
) -> Any:
    """Simplify ``tree`` node by node (breadth first), keeping each smaller, ``valid`` candidate
    ``judge`` says still ``"fails"``, until a pass keeps none; the kept steps are appended to
    ``steps``. For a stream, ``events`` is ``True``: only drop events; ``False``: all but that;
    ``None``: both."""
    stream = isinstance(tree, list) and bool(tree) and isinstance(tree[0], _EventNode)
    changed = True
    while changed:
        changed = False
        essential.clear()
        for path in list(_walk(tree)):
            if events is not None and stream and (not path) != events:
                continue
            kept = True
            while kept:  # simplify the same node again after a kept change
                kept = False
                try:
                    candidates = list(_candidates(tree, path, valid))
                except (KeyError, IndexError, TypeError):
                    break  # gone with a change above it in this pass
                current = _text(tree)
                for candidate in candidates:
                    text = _text(candidate.tree)
                    if (len(text), text) >= (len(current), current):
                        continue
                    if not valid(candidate.tree) or judge(candidate) != "fails":
                        continue
                    tree = candidate.tree
                    steps.append(candidate.step)
                    changed = kept = True
                    essential.clear()
                    break
    return tree


def minimize(
    op: str | Operation,
    answer: Any,
    still_fails: Callable[[Any], bool],
    *,
    validator: Validator,
    status: int = 200,
    budget: int = DEFAULT_BUDGET,
    valid: Callable[[Any], bool] | None = None,
) -> Minimized:
    """Shrink ``answer`` (a JSON body, a sequence of ``sse.Event``, or a ``ResponseCase``) to a
    smaller one that ``validator`` still accepts for ``op``/``status`` and that
    ``still_fails`` (called at most ``budget`` times, with a candidate of the type given).

    ``valid`` adds a check of your own (e.g. semantic rules) to the spec's. The answer given must
    be valid (``InputError`` otherwise) and is assumed to fail: it is not sent to the oracle.

    >>> minimize("createChatCompletion", body, lambda b: "é" in json.dumps(b, ensure_ascii=False),
    ...          validator=v).exercises  # doctest: +SKIP
    '/choices/0/message/content'
    """
    operation = validator.operation(op)
    payload = _payload(answer)
    streamed = _is_stream(payload)

    def decode(tree: Any) -> Any:
        if isinstance(answer, ResponseCase):
            if streamed:
                return dataclasses.replace(answer, events=_events(tree))
            return dataclasses.replace(answer, body=tree)
        if streamed:
            return _events(tree)
        return tree

    def accepted(candidate: Any) -> bool:
        found = (
            validator.stream(operation, _payload(candidate), status=status)
            if streamed
            else validator.response(operation, status=status, body=_payload(candidate))
        )
        if any(v.is_error for v in found):
            return False
        return valid is None or valid(candidate)

    tree = _tree_of(payload)
    if not accepted(decode(tree)):
        raise InputError(
            f"minimize {operation.operation_id}: the answer to minimize is not valid"
            f" for status {status}"
        )
    validity: dict[str, bool] = {}  # candidate text → spec-valid (checked once, free)

    def valid_tree(candidate: Any) -> bool:
        text = _text(candidate)
        if text not in validity:
            validity[text] = accepted(decode(candidate))
        return validity[text]

    steps: list[Step] = []
    calls = 0
    verdicts: dict[str, str] = {}  # candidate text → "invalid", "fails", "passes"
    essential: dict[Path, None] = {}  # oracle said "passes" since the last kept change

    def judged(candidate: _Candidate) -> str:
        """The oracle's verdict on a valid candidate (``_Spent`` past the budget)."""
        nonlocal calls
        text = _text(candidate.tree)
        verdict = verdicts.get(text)
        if verdict is None:
            if calls >= budget:
                raise _Spent
            calls += 1
            verdict = "fails" if still_fails(decode(candidate.tree)) else "passes"
            verdicts[text] = verdict
        if verdict == "passes":
            essential[candidate.at] = None
        return verdict

    def assumed(candidate: _Candidate) -> str:
        """No client run: a valid candidate is assumed to fail unless it was seen to pass."""
        return "passes" if verdicts.get(_text(candidate.tree)) == "passes" else "fails"

    try:
        if streamed:  # delta debugging over the events first
            tree = _fixpoint(tree, valid_tree, judged, steps, essential, events=True)
        # everything spec-valid simplification alone does inside the events (or the body), tried
        # as one candidate: a single client run where the failure needs none of what it takes
        settled: list[Step] = []
        simplest = _fixpoint(tree, valid_tree, assumed, settled, {}, events=False)
        if settled and judged(_Candidate(simplest, settled[0], ())) == "fails":
            tree = simplest
            steps += settled
            essential.clear()
        tree = _fixpoint(tree, valid_tree, judged, steps, essential)
    except _Spent:
        return _result(decode(tree), steps, essential, calls, True)
    return _result(decode(tree), steps, essential, calls, False)


def _result(
    answer: Any, steps: Sequence[Step], essential: dict[Path, None], calls: int, exhausted: bool
) -> Minimized:
    deepest = max(essential, key=len, default=())
    return Minimized(answer, tuple(steps), _pointer(deepest), calls, exhausted)
