"""Grading: from the judged exchanges of a run to ``Verdict`` s per operation and check, on
three axes kept apart — ``schema`` (the answer against the spec), ``semantics`` (OpenAI's
behaviour: the rules of the exchange, errors and their envelope) and ``capability`` (what the
server serves and honours).

A grade follows the verdict's code, except that
- a parameter accepted without effect (``n: 2`` answered with one choice, ``include_usage``
  with no usage chunk, ``encoding_format: base64`` answered with floats, ``stream: true`` with
  a plain answer) is ``ignored``, on the capability axis;
- a deviation OpenAI's own API makes too (learned from recorded traffic:
  ``conformance.suites.deviations``) is ``warn``, with a note saying so;
- an operation with no success answer to judge is ``inconclusive`` on schema and semantics;
- an answer valid only by an erratum of the spec (``encoding_format: base64`` answered with
  base64 strings, which the spec's ``Embedding`` wrongly forbids) passes, and the operation's
  schema verdict notes the erratum.

>>> verdicts = grade(spec, cases, results)  # doctest: +SKIP
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from ..results import Result, Verdict, axis_of, worst
from ..spec import Spec
from ..validate import Violation
from ..validate.semantics import Exchange
from .cases import Case

__all__ = ["errata_involved", "grade", "ignored"]

_MAX_SHOWN = 20


def _events(x: Exchange) -> list[Any]:
    """The JSON data of a stream's events (none for a JSON answer)."""
    return x.data() if x.is_stream else []


def _ignored_n(x: Exchange) -> str | None:
    n = x.asked("n")
    if not isinstance(n, int) or n < 2:
        return None
    answer = x.body
    if isinstance(answer, dict):
        indexes = {c.get("index") for c in answer.get("choices") or () if isinstance(c, dict)}
    else:
        indexes = {
            c.get("index")
            for e in _events(x)
            if isinstance(e, dict)
            for c in e.get("choices") or ()
            if isinstance(c, dict)
        }
    prompts = x.asked("prompt")
    per = (
        len(prompts) if isinstance(prompts, list) and prompts and isinstance(prompts[0], str) else 1
    )
    return f"n: {n} answered with {len(indexes)} choice(s)" if len(indexes) <= per else None


def _ignored_usage(x: Exchange) -> str | None:
    options = x.asked("stream_options")
    if not (isinstance(options, dict) and options.get("include_usage") is True):
        return None
    if not x.is_stream:
        return None
    if any(isinstance(e, dict) and e.get("usage") for e in _events(x)):
        return None
    return "stream_options.include_usage: true answered with no usage chunk"


def _ignored_base64(x: Exchange) -> str | None:
    if x.asked("encoding_format") != "base64":
        return None
    answer = x.body
    data = answer.get("data") if isinstance(answer, dict) else None
    first = data[0] if isinstance(data, list) and data else None
    if isinstance(first, dict) and isinstance(first.get("embedding"), list):
        return "encoding_format: base64 answered with arrays of floats"
    return None


def _ignored_stream(x: Exchange) -> str | None:
    if x.asked("stream") is True and not x.is_stream:
        return "stream: true answered with a plain JSON answer"
    return None


def _ignored_dimensions(x: Exchange) -> str | None:
    dimensions = x.asked("dimensions")
    answer = x.body
    data = answer.get("data") if isinstance(answer, dict) else None
    first = data[0] if isinstance(data, list) and data else None
    vector = first.get("embedding") if isinstance(first, dict) else None
    if isinstance(dimensions, int) and isinstance(vector, list) and len(vector) != dimensions:
        return f"dimensions: {dimensions} answered with {len(vector)} dimensions"
    return None


_IGNORED: dict[str, Callable[[Exchange], str | None]] = {
    "rule.embeddings.dimensions": _ignored_dimensions,
    "rule.chat.n-choices": _ignored_n,
    "rule.chat.stream-usage": _ignored_usage,
    "rule.embeddings.encoding": _ignored_base64,
    "rule.stream.mode": _ignored_stream,
}


def _erratum_base64(x: Exchange) -> str | None:
    if x.asked("encoding_format") != "base64":
        return None
    answer = x.body
    data = answer.get("data") if isinstance(answer, dict) else None
    if not any(isinstance(d, dict) and isinstance(d.get("embedding"), str) for d in data or ()):
        return None
    return (
        "erratum openai-base64-embeddings: encoding_format: base64 answered with base64 strings,"
        " as OpenAI's API does; the spec declares an embedding as an array of numbers only"
    )


# errata whose patch an answer can need to pass, by erratum id: the note the answer earns
_ERRATA: dict[str, Callable[[Exchange], str | None]] = {
    "openai-base64-embeddings": _erratum_base64,
}


def errata_involved(spec: Spec, result: Result) -> list[str]:
    """Notes on the errata of ``spec`` the answer of ``result`` is valid by.

    >>> errata_involved(spec, base64_result)  # doctest: +SKIP
    ['erratum openai-base64-embeddings: encoding_format: base64 answered with base64 strings, …']
    """
    x = result.exchange()
    if not isinstance(x.request, dict) or result.response is None:
        return []
    applied = {e.id for e in spec.errata}
    notes = (test(x) for e, test in _ERRATA.items() if e in applied)
    return [note for note in notes if note]


def ignored(violation: Violation, result: Result) -> str | None:
    """Why a rule's violation means a parameter was ignored (``None``: it does not).

    >>> ignored(Violation("x", where="response.body", code="rule.chat.n-choices"), result)  # doctest: +SKIP
    'n: 2 answered with 1 choice(s)'
    """
    test = _IGNORED.get(violation.code)
    if test is None or result.response is None:
        return None
    x = result.exchange()
    return test(x) if isinstance(x.request, dict) else None


Noter = Callable[[str, Violation], "str | None"]


def _graded(v: Violation, result: Result, operation: str, known: Noter) -> tuple[str, str, str]:
    """(axis, grade, note) of one violation."""
    code = v.code or "schema"
    why = ignored(v, result) if code.startswith("rule.") else None
    if why is not None:
        return "capability", "ignored", why
    axis = axis_of(code)
    if code == "capability.unsupported":
        return axis, "unsupported", ""
    if code in ("transport.timeout", "transport.bound"):
        return axis, "inconclusive", ""
    if not v.is_error:
        return axis, "warn", ""
    note = known(operation, v)
    if note:
        return axis, "warn", note
    return axis, "fail", ""


def grade(
    spec: Spec,
    cases: Sequence[Case],
    results: Sequence[Result],
    *,
    known: Noter | None = None,
    skipped: dict[str, str] | None = None,
    unsupported: dict[str, str] | None = None,
) -> list[Verdict]:
    """The verdicts of a run: ``results[i]`` is the judged exchange of ``cases[i]``;
    ``skipped`` maps operations that never ran to why (a budget spent, Ctrl-C), ``unsupported``
    those a capability profile says the server does not serve.
    Sorted worst first, then by operation and check."""
    noter: Noter = known or (lambda op, v: None)
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    judged: dict[str, set[str]] = defaultdict(set)  # operation → axes that saw a success
    errata: dict[str, list[str]] = defaultdict(list)  # operation → errata its answers needed
    ran: dict[str, list[int]] = defaultdict(list)
    for index, (case, result) in enumerate(zip(cases, results, strict=True)):
        op = case.operation
        ran[op].append(index)
        ok = result.status is not None and 200 <= result.status < 300
        if ok and case.kind != "negative":
            judged[op].update(("schema", "semantics"))
            for note in errata_involved(spec, result):
                if note not in errata[op]:
                    errata[op].append(note)
        for v in result.violations:
            axis, g, note = _graded(v, result, op, noter)
            entry = found.setdefault((op, v.code, axis), {"seen": [], "results": []})
            entry["seen"].append((g, str(v), note, index))
    verdicts = []
    for (op, code, axis), entry in found.items():
        # the verdict shows the violations of its worst grade: their first message, their
        # notes, and the exchanges with them first
        grade_ = worst(g for g, _, _, _ in entry["seen"])
        shown = [s for s in entry["seen"] if s[0] == grade_]
        notes = tuple(dict.fromkeys(n for _, _, n, _ in shown if n))
        indexes = list(dict.fromkeys([i for *_, i in shown] + [i for *_, i in entry["seen"]]))
        verdicts.append(
            Verdict(
                op, code, axis, grade_, (code,), notes, shown[0][1], tuple(indexes[:_MAX_SHOWN])
            )
        )
    verdicts = _unserved(verdicts, judged)
    for op, indexes in ran.items():
        verdicts += _clean(op, indexes, verdicts, judged[op], cases, errata[op])
    for op, why in (unsupported or {}).items():
        verdicts.append(
            Verdict(
                op,
                "capability.unsupported",
                "capability",
                "unsupported",
                ("capability.unsupported",),
                (why,),
            )
        )
    for op, why in (skipped or {}).items():
        for axis in ("schema", "semantics", "capability"):
            verdicts.append(Verdict(op, axis, axis, "inconclusive", notes=(why,)))
    rank = {
        g: i
        for i, g in enumerate(("fail", "inconclusive", "ignored", "warn", "unsupported", "pass"))
    }
    verdicts.sort(key=lambda v: (rank[v.grade], v.operation, v.axis, v.check))
    return verdicts


# what says nothing more about an operation whose route the server does not serve
_MOOT = ("error.envelope", "error.accepted", "capability.refused")


def _unserved(verdicts: list[Verdict], judged: dict[str, set[str]]) -> list[Verdict]:
    """An operation the server does not serve (unsupported, and no success answer) is graded
    on that alone: how it refuses requests on the absent route is moot (a 5xx or a leaked
    stack trace still fails)."""
    absent = {
        v.operation
        for v in verdicts
        if v.grade == "unsupported"
        and v.check == "capability.unsupported"
        and not judged[v.operation]
    }
    moot = [v for v in verdicts if v.operation in absent and v.check in _MOOT]
    if not moot:
        return verdicts
    kept = [v for v in verdicts if v not in moot]
    out = []
    for v in kept:
        left = [m for m in moot if m.operation == v.operation]
        if v.operation in absent and v.check == "capability.unsupported" and left:
            checks = ", ".join(sorted({m.check for m in left}))
            note = f"the route is not served: {checks} on its refusals left out"
            v = replace(v, notes=(*v.notes, note))
        out.append(v)
    return out


def _clean(
    op: str,
    indexes: list[int],
    verdicts: list[Verdict],
    judged: set[str],
    cases: Sequence[Case],
    errata: Sequence[str] = (),
) -> list[Verdict]:
    """The pass (or inconclusive) verdicts of an operation's axes that showed nothing wrong
    (the schema's notes the errata its answers were valid by)."""
    mine = [v for v in verdicts if v.operation == op]
    unsupported = any(v.grade == "unsupported" for v in mine)
    out = []
    for axis in ("schema", "semantics", "capability"):
        if any(v.axis == axis and v.grade != "pass" for v in mine):
            continue
        if axis != "capability" and axis not in judged:
            if unsupported:
                continue
            note = "no success answer to a valid request to judge (ids that do not exist? a flow covers them)"
            out.append(
                Verdict(
                    op,
                    axis,
                    axis,
                    "inconclusive",
                    notes=(note,),
                    results=tuple(indexes[:_MAX_SHOWN]),
                )
            )
            continue
        shown = [
            i for i in indexes if axis == "capability" or cases[i].kind != "negative"
        ] or indexes
        notes = tuple(errata) if axis == "schema" else ()
        out.append(Verdict(op, axis, axis, "pass", notes=notes, results=tuple(shown[:_MAX_SHOWN])))
    return out
