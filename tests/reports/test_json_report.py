"""The JSON report: the redacted results document, valid against its published schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from runs import synthetic_run

from conformance import results
from conformance.reports import to_json
from conformance.results import Document, read_results


def test_valid_against_the_published_schema_and_read_back(tmp_path: Path) -> None:
    doc = synthetic_run(300)
    text = to_json(doc)
    data = json.loads(text)
    jsonschema.Draft202012Validator(results.schema()).validate(data)
    path = tmp_path / "report.json"
    path.write_text(text)
    again = read_results(path)
    assert again.results == doc.results
    assert sorted(again.verdicts, key=repr) == sorted(doc.verdicts, key=repr)


def test_a_log_without_verdicts_gets_the_derived_ones(mock_log: Path) -> None:
    data = json.loads(to_json(read_results(mock_log)))
    jsonschema.Draft202012Validator(results.schema()).validate(data)
    assert {(v["operation"], v["check"]) for v in data["verdicts"] if v["grade"] == "fail"} == {
        ("createChatCompletion", "schema.oneOf"),
        ("createEmbedding", "schema.oneOf"),
    }


def test_indent_is_offered() -> None:
    assert to_json(Document(), indent=2).startswith('{\n  "format"')
