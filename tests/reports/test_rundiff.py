"""Run diff: regressions, fixes, new and gone operations, flaky findings, keyed by fingerprints
that survive rewording; the CI gate."""

from __future__ import annotations

import json

import pytest
from runs import KEY_ENV, suite_run

from conformance.reports import diff_runs, fingerprint
from conformance.reports.rundiff import normalise_pointer
from conformance.results import Document, Result, Verdict
from conformance.spec import Spec
from conformance.validate import Violation


def _run(*verdicts: Verdict, results: tuple[Result, ...] = (), seed: object = None) -> Document:
    return Document(
        list(results), run={} if seed is None else {"seed": seed}, verdicts=list(verdicts)
    )


def _fail(op: str, code: str, message: str = "m", results: tuple[int, ...] = ()) -> Verdict:
    return Verdict(op, code, "schema", "fail", (code,), message=message, results=results)


def _pass(op: str) -> Verdict:
    return Verdict(op, "schema", "schema", "pass")


def _bad(op: str, pointer: str, message: str, code: str = "schema.type") -> Result:
    return Result(
        op, violations=(Violation(message, where="response.body", pointer=pointer, code=code),)
    )


def test_pointers_are_normalised() -> None:
    assert normalise_pointer("/data/12/embedding/0") == "/data/*/embedding/*"
    assert normalise_pointer("/a1/2b/3") == "/a1/2b/*"
    assert fingerprint("op", "schema.type") == "op schema.type"


def test_regressions_fixes_and_changes() -> None:
    old = _run(
        _fail("a", "schema.type"), _pass("b"), _pass("c"), Verdict("c", "cap", "capability", "pass")
    )
    new = _run(
        _pass("a"),
        _fail("b", "schema.required", "now missing"),
        _pass("c"),
        Verdict("c", "cap", "capability", "ignored", ("capability.ignored",)),
    )
    diff = diff_runs(old, new)
    assert [(c.fingerprint, c.old, c.new) for c in diff.regressions] == [
        ("b schema.required", None, "fail")
    ]
    assert [(c.fingerprint, c.old, c.new) for c in diff.fixes] == [("a schema.type", "fail", None)]
    # a passing check is named by its group, a deviation by its code: the pass is not missed
    assert [(c.fingerprint, c.old, c.new) for c in diff.changed] == [
        ("c capability.ignored", None, "ignored")
    ]
    assert diff.regressions[0].message == "now missing"
    assert not diff.flaky and not diff.new_operations and not diff.gone_operations
    assert diff.failed("regression") and diff.failed("any") and not diff.failed("never")
    with pytest.raises(ValueError):
        diff.failed("sometimes")


def test_rewording_another_index_or_another_example_is_the_same_finding() -> None:
    old = _run(
        _fail("a", "schema.type", results=(0,)),
        results=(_bad("a", "/choices/0/index", "1 is not a string"),),
    )
    new = _run(
        _fail("a", "schema.type", results=(1,)),
        results=(Result("a"), _bad("a", "/choices/3/index", "expected a string, got 1")),
    )
    diff = diff_runs(old, new)
    assert diff.counts() == dict.fromkeys(diff.counts(), 0)
    assert not diff.failed("any")
    # another place is another finding
    moved = _run(
        _fail("a", "schema.type", results=(0,)), results=(_bad("a", "/choices/0/role", "x"),)
    )
    diff = diff_runs(old, moved)
    assert [c.fingerprint for c in diff.regressions] == [
        "a schema.type response.body:/choices/*/role"
    ]
    assert [c.fingerprint for c in diff.fixes] == ["a schema.type response.body:/choices/*/index"]


def test_new_and_gone_operations_are_not_regressions() -> None:
    old = _run(_pass("a"), _fail("gone", "schema.type"))
    new = _run(_pass("a"), _fail("added", "schema.type"), _pass("added"))
    diff = diff_runs(old, new)
    assert not diff.regressions and not diff.fixes
    assert list(diff.new_operations) == ["added"] and list(diff.gone_operations) == ["gone"]
    assert not diff.failed("regression") and diff.failed("any")
    assert "added (2 findings, worst fail)" in diff.text()


def test_same_seed_different_grade_is_flaky() -> None:
    old = _run(
        _fail("a", "schema.type"), Verdict("b", "x", "semantics", "warn", ("rule.x",)), seed=7
    )
    new = _run(
        Verdict("a", "schema.type", "schema", "warn", ("schema.type",)),
        Verdict("b", "x", "semantics", "fail", ("rule.x",)),
        seed=7,
    )
    diff = diff_runs(old, new)
    assert [c.fingerprint for c in diff.flaky] == ["a schema.type", "b rule.x"]
    assert [c.fingerprint for c in diff.regressions] == ["b rule.x"]  # still gates
    other = diff_runs(old, Document(new.results, run={"seed": 8}, verdicts=new.verdicts))
    assert not other.flaky and other.regressions


def test_outputs() -> None:
    old = _run(_fail("a", "schema.type", "x | y"), _pass("b"), seed=1)
    new = _run(_pass("a"), _fail("b", "schema.enum"), seed=1)
    diff = diff_runs(old, new)
    text = diff.text()
    assert text.splitlines()[0].startswith("1 regressions, 1 fixes, 0 changed")
    assert "  b schema.enum: - -> fail (m)" in text
    data = json.loads(diff.to_json())
    assert data["counts"]["regressions"] == 1 and data["seeds"] == [1, 1]
    assert (
        data["regressions"][0]["id"] == diff.regressions[0].id and len(diff.regressions[0].id) == 12
    )
    markdown = diff.markdown()
    assert "### Regressions" in markdown and "| `a schema.type` | fail | — | x \\| y |" in markdown


# -- two runs of the suite against the mock ------------------------------------------------------


def test_two_runs_of_the_mock_one_regression_one_fix(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An override breaks listModels in the first run, retrieveModel in the second."""
    monkeypatch.setenv(KEY_ENV, "sk-test-0123456789abcdef")
    old, new = suite_run(spec, "listModels"), suite_run(spec, "retrieveModel")
    diff = diff_runs(old, new)
    assert [c.fingerprint for c in diff.regressions] == [
        "retrieveModel schema.type response.body:/created"
    ]
    assert [c.fingerprint for c in diff.fixes] == ["listModels schema.type response.body:/data"]
    assert not diff.changed and not diff.flaky
    assert not diff.new_operations and not diff.gone_operations
    assert diff.failed("regression")
    assert not diff_runs(new, new).failed("any")
