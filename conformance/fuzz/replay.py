"""Replay: serve a case's recorded answers again, byte for byte, and re-run its client.

A results file written by the harness holds, for each case, every exchange as served (named
``case ID #N``) and a summary (``case ID``: call, profile, faults in its notes, the outcome as a
``fuzz.*`` violation). Replaying a case opens
a session that answers each request with the next recorded answer to the same method and path
(status, headers, chunks, delay, interval, the stalls' pauses, drop as recorded; a request beyond
the recording is answered by a fresh mock seeded as the case was), then runs the client and
judges it again.

>>> recorded = load_case("fuzz.jsonl", "12")  # doctest: +SKIP
>>> again, same = replay(recorded)  # doctest: +SKIP
>>> again.outcome.code, same  # doctest: +SKIP
('fuzz.untyped-exception', True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..results import Document, Response, Result
from ..spec import Spec, load_spec
from .case import Case
from .classify import TYPED
from .harness import CaseResult, Client, Harness, case_code, case_notes

__all__ = ["Recorded", "identical", "load_case", "replay"]


@dataclass(frozen=True)
class Recorded:
    """One case as a results file holds it: the run's ``settings``, the ``case``, its summary
    ``notes`` (:func:`~conformance.fuzz.harness.case_notes`), ``exchanges`` in order, the spec's
    source and the outcome ``code`` recorded (:func:`~conformance.fuzz.harness.case_code`)."""

    settings: dict[str, Any]
    case: Case
    notes: dict[str, str]
    exchanges: tuple[Result, ...]
    spec: str
    code: str = ""


def load_case(path: str | Path, case_id: str) -> Recorded:
    """A case read from a harness' results file; ``InputError`` naming the file when it is not
    there.

    >>> load_case("fuzz.jsonl", "12").case.call  # doctest: +SKIP
    'chat-stream'
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    doc = Document.from_jsonl(lines)
    if doc.run.get("producer") != "fuzz":
        raise InputError(
            f"{path}: not the results of a fuzz run (producer {doc.run.get('producer')!r})"
        )
    summary = next((r for r in doc.results if r.name == f"case {case_id}"), None)
    if summary is None:
        known = [
            r.name[5:] for r in doc.results if r.name.startswith("case ") and "#" not in r.name
        ]
        shown = ", ".join(known[:10]) + (" …" if len(known) > 10 else "")
        raise InputError(f"{path}: no case {case_id!r} (cases: {shown or 'none'})")
    prefix = f"case {case_id} #"
    exchanges = tuple(r for r in doc.results if r.name.startswith(prefix))
    notes = case_notes(summary)
    case = Case(
        case_id, notes.get("call", ""), notes.get("profile", "typical"), notes.get("faults", "")
    )
    source = str(doc.spec.get("source", ""))
    return Recorded(dict(doc.run), case, notes, exchanges, source, case_code(summary))


def identical(recorded: Sequence[Result], served: Sequence[Result]) -> bool:
    """Were the same answers served, byte for byte and pause for pause, in the same order?

    >>> identical([], [])
    True
    """
    if len(recorded) != len(served):
        return False
    for before, after in zip(recorded, served, strict=True):
        a, b = before.response, after.response
        if a is None or b is None or _delivered(a) != _delivered(b):
            return False
    return True


def _delivered(response: Response) -> tuple[Any, ...]:
    """What a client is served: the bytes, where they are cut, and when they come."""
    timing = (response.delay, response.interval, response.pauses, response.drop)
    return (response.status, response.chunks, dict(response.headers), *timing)


def harness_for(
    recorded: Recorded,
    spec: Spec | str | Path | None = None,
    argv: Sequence[str] | None = None,
    timeout: float | None = None,
) -> Harness:
    """A harness set up as the recorded run was (its command unless ``argv`` is given)."""
    settings = recorded.settings
    if spec is None:
        if not recorded.spec:
            raise InputError("the results do not name their spec: give it")
        spec = load_spec(recorded.spec)
    client = Client(
        list(argv or settings.get("argv") or []),
        timeout=timeout or float(settings.get("timeout", 20.0)),
        base_url_env=str(settings.get("base_url_env", "OPENAI_BASE_URL")),
        api_key_env=str(settings.get("api_key_env", "OPENAI_API_KEY")),
    )
    if not client.argv:
        raise InputError("no client command recorded: give one after --")
    return Harness(
        spec,
        client,
        seed=str(settings.get("seed", "0")),
        oracle=bool(settings.get("oracle", False)),
        typed=str(settings.get("typed", TYPED)),
        loop=int(settings.get("loop", 5)),
    )


def replay(
    recorded: Recorded,
    *,
    spec: Spec | str | Path | None = None,
    argv: Sequence[str] | None = None,
    timeout: float | None = None,
) -> tuple[CaseResult, bool]:
    """Re-run the case's client against its recorded answers: the new result, and whether the
    same bytes were served (every answer replayed, none beyond the recording)."""
    with harness_for(recorded, spec, argv, timeout) as harness:
        again = harness.run_case(recorded.case, recorded.exchanges)
    same = all("replayed" in r.notes for r in again.records) and identical(
        recorded.exchanges, again.records
    )
    return again, same
