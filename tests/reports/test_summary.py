"""The summary every report is drawn from: verdicts given or derived, counts, matrix, score."""

from __future__ import annotations

import doctest
import importlib

import pytest
from runs import synthetic_run

from conformance.reports import Summary
from conformance.reports.summary import UNMATCHED, derive_verdicts
from conformance.results import AXES, GRADES, Document, Request, Result, Verdict, axis_of
from conformance.validate import Violation

MODULES = (
    "conformance.reports.curl",
    "conformance.reports.formats",
    "conformance.reports.html",
    "conformance.reports.json",
    "conformance.reports.junit",
    "conformance.reports.markdown",
    "conformance.reports.redaction",
    "conformance.reports.rundiff",
    "conformance.reports.summary",
)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    outcome = doctest.testmod(importlib.import_module(name))
    assert outcome.attempted and not outcome.failed


def _violation(code: str, severity: str = "error") -> Violation:
    return Violation(
        "m " + code, where="response.body", pointer="/a/0", code=code, severity=severity
    )


def test_derived_verdicts_group_results_by_operation_and_code() -> None:
    results = [
        Result("a", violations=(_violation("schema.type"), _violation("schema.type"))),
        Result("a"),
        Result("a", violations=(_violation("undeclared.property", "warning"),)),
        Result("b", violations=(_violation("rule.chat.n-choices"),)),
        Result(None, skipped="no route"),
        Result("b", violations=(_violation("capability.ignored"),)),
    ]
    got = [(v.operation, v.check, v.axis, v.grade, v.results) for v in derive_verdicts(results)]
    assert got == [
        (UNMATCHED, "skipped", "schema", "inconclusive", (4,)),
        ("a", "schema.type", "schema", "fail", (0,)),
        ("a", "undeclared.property", "schema", "warn", (2,)),
        ("a", "valid", "schema", "pass", (1, 2)),
        ("b", "capability.ignored", "capability", "fail", (5,)),
        ("b", "rule.chat.n-choices", "semantics", "fail", (3,)),
    ]
    assert axis_of("stream.framing") == "schema"


def test_given_verdicts_are_kept_and_ordered_worst_first() -> None:
    verdicts = [
        Verdict("a", "schema", "schema", "pass"),
        Verdict("b", "x", "capability", "unsupported"),
        Verdict("a", "y", "semantics", "fail", ("rule.usage.total",)),
        Verdict("c", "z", "schema", "inconclusive"),
    ]
    summary = Summary.of(Document(verdicts=verdicts))
    assert not summary.derived
    assert [v.grade for v in summary.verdicts] == ["fail", "inconclusive", "unsupported", "pass"]
    assert summary.matrix() == [
        ("a", {"schema": "pass", "semantics": "fail"}),
        ("c", {"schema": "inconclusive"}),
        ("b", {"capability": "unsupported"}),
    ]
    # judged: 3 (inconclusive is not); holding: pass and unsupported
    assert summary.score == pytest.approx(66.7)
    assert summary.worst == "fail"
    assert [v.check for v in summary.problems()] == ["y", "z", "x"]


def test_counts_cover_every_axis_and_grade() -> None:
    summary = Summary.of(synthetic_run(300))
    counts = summary.counts()
    assert set(counts) == {*AXES, "all"}
    assert all(list(c) == list(GRADES) for c in counts.values())
    assert sum(counts["all"].values()) == len(summary.verdicts)
    assert counts["all"]["fail"] == sum(counts[a]["fail"] for a in AXES)


def test_an_example_s_violations_are_those_of_the_verdict_s_codes() -> None:
    bad = Result(
        "a",
        Request("GET", "/v1/a"),
        violations=(_violation("undeclared.property", "warning"), _violation("schema.type")),
    )
    doc = Document(
        [bad],
        verdicts=[Verdict("a", "schema.type", "schema", "fail", ("schema.type",), results=(0, 9))],
    )
    summary = Summary.of(doc)
    (verdict,) = summary.verdicts
    assert summary.example(verdict) is not None
    assert [v.code for v in summary.violations(verdict)] == ["schema.type"]
    out_of_range = Verdict("a", "s", "schema", "fail", results=(7,))
    assert summary.example(out_of_range) is None and summary.violations(out_of_range) == []


def test_the_title_names_the_spec() -> None:
    doc = Document(spec={"title": "OpenAI API", "version": "2.3.0"})
    assert Summary.of(doc).title() == "Conformance: OpenAI API 2.3.0"
    assert Summary.of(Document()).title() == "Conformance report"
