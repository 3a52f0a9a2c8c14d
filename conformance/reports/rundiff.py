"""``diff_runs``: what changed between two runs — regressions, fixes, new and gone operations,
other grade changes, and flaky findings — keyed by fingerprints that survive rewording.

A finding is one thing a run says about an operation: for each verdict, each of its codes at
each place its exchanges show it. Its fingerprint is ``operation code where:pointer`` with the
pointer normalised (array indexes become ``*``: ``/choices/*/message``), so a reworded message,
another index or another example exchange is the same finding; a verdict without violations
(a ``pass``, a capability probe) is ``operation check [axis]``. Its grade is the worst one the
run gives it.

* **regression**: a finding that fails in the new run and did not in the old, of an operation
  both runs judged; **fix**: the other way round (failing before, not failing or not found now);
* **new / gone operations**: judged only by the new run / only by the old one (their findings are
  listed with them, not as regressions or fixes);
* **changed**: any other finding whose grade differs (``pass`` → ``warn``, ``unsupported`` →
  ``ignored``…);
* **flaky**: when both runs have the same seed (``run.seed``) they sent the same requests, so a
  finding whose grade differs is either a change of the server or nondeterminism: each such one
  is listed as flaky too — re-run to tell. A flaky regression is still a regression.

The exit status of ``conformance report diff --fail-on regression`` is 1 when there is a
regression (``any``: any difference; ``never``: always 0).

>>> from conformance.results import Document, Verdict
>>> old = Document(verdicts=[Verdict("listModels", "schema.type", "schema", "fail", ("schema.type",))])
>>> new = Document(verdicts=[Verdict("listModels", "schema", "schema", "pass")])
>>> [c.fingerprint for c in diff_runs(old, new).fixes]
['listModels schema.type']
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..results import GRADES, Document, Redactor
from .summary import Summary

__all__ = ["FAIL_ON", "Change", "RunDiff", "diff_runs", "fingerprint", "normalise_pointer"]

FAIL_ON = ("regression", "any", "never")
_RANK = {g: i for i, g in enumerate(GRADES)}
_INDEX = re.compile(r"(?<=/)\d+(?=/|$)")


def normalise_pointer(pointer: str) -> str:
    """A JSON pointer with its array indexes as ``*``.

    >>> normalise_pointer("/choices/0/message/tool_calls/12"), normalise_pointer("")
    ('/choices/*/message/tool_calls/*', '')
    """
    return _INDEX.sub("*", pointer)


def fingerprint(operation: str, code: str, where: str = "", pointer: str = "") -> str:
    """The stable key of a finding (see the module's notes).

    >>> fingerprint("createChatCompletion", "schema.required", "response.body", "/choices/3")
    'createChatCompletion schema.required response.body:/choices/*'
    """
    place = f"{where}:{normalise_pointer(pointer)}" if where or pointer else ""
    return f"{operation} {code} {place}".rstrip()


@dataclass(frozen=True)
class Change:
    """One finding that differs: its ``fingerprint``, ``operation``, ``code``, grades before and
    after (``None``: absent from that run) and the newest ``message`` about it."""

    fingerprint: str
    operation: str
    code: str
    old: str | None
    new: str | None
    message: str = ""

    @property
    def id(self) -> str:
        """A short digest of the fingerprint, for machines (``sha1``, 12 hex digits)."""
        return hashlib.sha1(self.fingerprint.encode()).hexdigest()[:12]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "id": self.id,
            "fingerprint": self.fingerprint,
            "operation": self.operation,
            "code": self.code,
            "old": self.old,
            "new": self.new,
            "message": self.message,
        }

    def line(self) -> str:
        """One line of text: ``fingerprint: old -> new (message)``."""
        tail = f" ({self.message})" if self.message else ""
        return f"{self.fingerprint}: {self.old or '-'} -> {self.new or '-'}{tail}"


@dataclass
class RunDiff:
    """The differences between two runs (see the module's notes)."""

    regressions: list[Change] = field(default_factory=list)
    fixes: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    flaky: list[Change] = field(default_factory=list)
    new_operations: dict[str, list[Change]] = field(default_factory=dict)
    gone_operations: dict[str, list[Change]] = field(default_factory=dict)
    seeds: tuple[Any, Any] = (None, None)

    @property
    def same_seed(self) -> bool:
        """True when both runs name the same seed."""
        return self.seeds[0] is not None and self.seeds[0] == self.seeds[1]

    def failed(self, fail_on: str = "regression") -> bool:
        """Whether a CI gate fails on this diff: ``regression``, ``any`` or ``never``."""
        if fail_on not in FAIL_ON:
            raise ValueError(f"fail_on {fail_on!r} is not one of {', '.join(FAIL_ON)}")
        if fail_on == "regression":
            return bool(self.regressions)
        if fail_on == "any":
            return bool(
                self.regressions
                or self.fixes
                or self.changed
                or self.new_operations
                or self.gone_operations
            )
        return False

    def _sections(self) -> list[tuple[str, list[Change]]]:
        return [
            ("regressions", self.regressions),
            ("fixes", self.fixes),
            ("changed", self.changed),
            ("flaky (same seed, different grade)", self.flaky),
        ]

    def counts(self) -> dict[str, int]:
        """How many of each kind."""
        return {
            "regressions": len(self.regressions),
            "fixes": len(self.fixes),
            "changed": len(self.changed),
            "flaky": len(self.flaky),
            "new_operations": len(self.new_operations),
            "gone_operations": len(self.gone_operations),
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "counts": self.counts(),
            "seeds": list(self.seeds),
            "regressions": [c.to_dict() for c in self.regressions],
            "fixes": [c.to_dict() for c in self.fixes],
            "changed": [c.to_dict() for c in self.changed],
            "flaky": [c.to_dict() for c in self.flaky],
            "new_operations": {
                op: [c.to_dict() for c in cs] for op, cs in self.new_operations.items()
            },
            "gone_operations": {
                op: [c.to_dict() for c in cs] for op, cs in self.gone_operations.items()
            },
        }

    def to_json(self) -> str:
        """The JSON form as text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def text(self) -> str:
        """A plain-text account, a line per change."""
        counts = self.counts()
        out = [", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items())]
        for title, changes in self._sections():
            if changes:
                out += [f"{title}:"] + [f"  {c.line()}" for c in changes]
        for title, operations in (
            ("new operations", self.new_operations),
            ("gone operations", self.gone_operations),
        ):
            if operations:
                out.append(f"{title}:")
                for op, changes in operations.items():
                    worst = min((c.new or c.old or "pass" for c in changes), key=_RANK.__getitem__)
                    out.append(f"  {op} ({len(changes)} findings, worst {worst})")
        return "\n".join(out) + "\n"

    def markdown(self) -> str:
        """A Markdown account (a table per kind), for a step summary or a comment."""
        counts = self.counts()
        out = ["## Changes since the previous run", ""]
        out.append(" · ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()))
        for title, changes in self._sections():
            if not changes:
                continue
            out += ["", f"### {title.capitalize()}", "", "| finding | before | after | message |"]
            out.append("|---|---|---|---|")
            for c in changes:
                message = " ".join(c.message.split()).replace("|", "\\|")
                out.append(f"| `{c.fingerprint}` | {c.old or '—'} | {c.new or '—'} | {message} |")
        for title, operations in (
            ("New operations", self.new_operations),
            ("Gone operations", self.gone_operations),
        ):
            if operations:
                out += ["", f"### {title}", ""]
                out += [f"- `{op}`: {len(cs)} findings" for op, cs in operations.items()]
        return "\n".join(out) + "\n"


def _findings(summary: Summary) -> dict[str, tuple[str, str, str, str]]:
    """fingerprint -> (operation, code, grade, message): each verdict's findings."""
    out: dict[str, tuple[str, str, str, str]] = {}
    results = summary.document.results

    def add(key: str, operation: str, code: str, grade: str, message: str) -> None:
        known = out.get(key)
        if known is None or _RANK[grade] < _RANK[known[2]]:
            out[key] = (operation, code, grade, message or (known[3] if known else ""))

    for verdict in summary.verdicts:
        codes = verdict.codes or (verdict.check,)
        for code in codes:
            places = {
                (v.where, v.pointer): v.message
                for i in verdict.results
                if 0 <= i < len(results)
                for v in results[i].violations
                if v.code == code
            }
            if not places:
                key = fingerprint(verdict.operation, code)
                if not verdict.codes:
                    key += f" [{verdict.axis}]"
                add(key, verdict.operation, code, verdict.grade, verdict.message)
            for (where, pointer), message in places.items():
                key = fingerprint(verdict.operation, code, where, pointer)
                add(key, verdict.operation, code, verdict.grade, message)
    return out


def diff_runs(old: Document, new: Document, redactor: Redactor | None = None) -> RunDiff:
    """The differences from ``old`` to ``new`` (both redacted first; verdicts derived from the
    results when a document has none)."""
    before = _findings(Summary.of(old, redactor))
    after = _findings(Summary.of(new, redactor))
    ops_before = {f[0] for f in before.values()}
    ops_after = {f[0] for f in after.values()}
    diff = RunDiff(seeds=(old.run.get("seed"), new.run.get("seed")))
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        found = now if now is not None else was
        assert found is not None
        operation, code, _, message = found
        change = Change(key, operation, code, was and was[2], now and now[2], message)
        if operation not in ops_before:
            diff.new_operations.setdefault(operation, []).append(change)
            continue
        if operation not in ops_after:
            diff.gone_operations.setdefault(operation, []).append(change)
            continue
        if change.old == change.new or (change.old is None and change.new == "pass"):
            continue
        if change.old == "pass" and change.new is None:
            continue  # a passing check no longer named: nothing to say
        if change.new == "fail":
            diff.regressions.append(change)
        elif change.old == "fail":
            diff.fixes.append(change)
        else:
            diff.changed.append(change)
        if diff.same_seed and change.old is not None and change.new is not None:
            diff.flaky.append(change)
    return diff
