"""The JUnit report, read by junitparser as CI tools read it."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from junitparser import Failure, JUnitXml, Skipped
from runs import KEY_ENV, suite_run, synthetic_run

from conformance.reports import Summary, to_junit
from conformance.results import AXES, Document, Request, Result, Verdict, read_results
from conformance.spec import Spec
from conformance.validate import Violation


def _cases(xml: JUnitXml) -> list:  # type: ignore[type-arg]
    return [case for suite in xml for case in suite]


def test_one_testcase_per_verdict_with_the_counts_readers_show() -> None:
    doc = synthetic_run(400)
    xml = JUnitXml.fromstring(to_junit(doc))
    summary = Summary.of(doc)
    assert [s.name for s in xml] == list(AXES)
    for suite in xml:
        mine = [v for v in summary.verdicts if v.axis == suite.name]
        assert suite.tests == len(mine) == len(list(suite))
        assert suite.failures == sum(v.grade == "fail" for v in mine)
        assert suite.skipped == sum(v.grade in ("inconclusive", "unsupported") for v in mine)
        assert suite.errors == 0
    cases = _cases(xml)
    assert len(cases) == len(summary.verdicts)
    assert sum(c.is_failure for c in cases) == summary.counts()["all"]["fail"]
    assert not any(c.is_error for c in cases)
    first = cases[0]
    assert first.classname == summary.verdicts[0].operation
    assert first.name == f"{summary.verdicts[0].check} [schema]"


def test_a_failure_names_code_pointer_and_message_and_reproduces() -> None:
    doc = synthetic_run(400)
    cases = _cases(JUnitXml.fromstring(to_junit(doc)))
    required = next(c for c in cases if c.name == "schema.required [schema]")
    (failure,) = required.result
    assert isinstance(failure, Failure)
    assert failure.type == "schema.required"
    assert failure.message == (
        "schema.required at response.body /choices/0: 'message' is a required property"
    )
    text = failure.text
    assert "#/components/schemas/CreateChatCompletionResponse" in text
    assert "curl -sS -X POST 'http://127.0.0.1:8000/v1/chat/completions'" in text
    assert '"authorization: Bearer $OPENAI_API_KEY"' in text


def test_unsupported_and_inconclusive_are_skipped_warnings_are_system_out() -> None:
    verdicts = [
        Verdict("a", "capability.logprobs", "capability", "unsupported", notes=("no logprobs",)),
        Verdict("a", "transport.timeout", "schema", "inconclusive", message="30 s"),
        Verdict(
            "a", "undeclared.property", "schema", "warn", ("undeclared.property",), message="x"
        ),
        Verdict("a", "capability.n", "capability", "ignored", ("capability.ignored",)),
        Verdict("a", "schema", "schema", "pass"),
    ]
    text = to_junit(Document(verdicts=verdicts))
    cases = {c.name: c for c in _cases(JUnitXml.fromstring(text))}
    (skipped,) = cases["capability.logprobs [capability]"].result
    assert isinstance(skipped, Skipped) and skipped.message == "unsupported: no logprobs"
    assert cases["transport.timeout [schema]"].result[0].message == "inconclusive: 30 s"
    assert cases["undeclared.property [schema]"].is_passed
    assert cases["undeclared.property [schema]"].system_out.startswith("warn: a undeclared")
    assert cases["capability.n [capability]"].system_out.startswith("ignored:")
    assert cases["schema [schema]"].is_passed and cases["schema [schema]"].system_out is None
    properties = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in ET.fromstring(text).iter("testcase")
    }
    assert properties["capability.n [capability]"] == {
        "grade": "ignored",
        "axis": "capability",
        "codes": "capability.ignored",
    }


def test_text_xml_cannot_carry_is_replaced() -> None:
    nasty = 'bad \x00\x1b byte ]]> <tag> & "quote" \ud800'
    bad = Result(
        "op<&>",
        Request("POST", "/v1/x", body=nasty.encode("utf-8", "surrogatepass")),
        violations=(Violation(nasty, where="request.body", code="schema.type"),),
    )
    xml = JUnitXml.fromstring(to_junit(Document([bad])))
    (case,) = _cases(xml)
    assert case.classname == "op<&>"
    assert ']]> <tag> & "quote"' in case.result[0].message


def test_a_run_of_the_mock(mock_log: Path) -> None:
    doc = read_results(mock_log)
    xml = JUnitXml.fromstring(to_junit(doc))
    cases = _cases(xml)
    summary = Summary.of(doc)
    assert summary.derived and len(cases) == len(summary.verdicts)
    failed = sorted((c.classname, c.name) for c in cases if c.is_failure)
    assert failed == [
        ("createChatCompletion", "schema.oneOf [schema]"),
        ("createEmbedding", "schema.oneOf [schema]"),
    ]
    passed = {c.classname for c in cases if c.name == "valid [schema]"}
    assert passed == {"createChatCompletion", "listModels", "retrieveModel"}


def test_a_suite_run_against_a_deviating_server(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-test-0123456789abcdef")
    doc = suite_run(spec, "retrieveModel")
    xml = JUnitXml.fromstring(to_junit(doc))
    cases = _cases(xml)
    assert len(cases) == len(doc.verdicts) == sum(s.tests for s in xml)
    (failed,) = [c for c in cases if c.is_failure]
    assert (failed.classname, failed.name) == ("retrieveModel", "schema.type [schema]")
    assert failed.result[0].message.startswith("schema.type at response.body /created: ")
    assert sum(s.failures for s in xml) == 1 and sum(s.errors for s in xml) == 0
