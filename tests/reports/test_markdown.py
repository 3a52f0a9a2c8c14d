"""The Markdown summary: fits a GitHub step summary, says what it cut."""

from __future__ import annotations

from pathlib import Path

from runs import synthetic_run

from conformance.reports import Summary, to_markdown
from conformance.reports.markdown import LIMIT
from conformance.results import Document, Verdict, read_results

MIB = 1024 * 1024


def test_ten_thousand_results_fit_under_one_mebibyte() -> None:
    text = to_markdown(synthetic_run(10_000))
    assert len(text.encode("utf-8")) <= LIMIT < MIB


def test_what_does_not_fit_is_cut_with_a_note() -> None:
    summary = Summary.of(synthetic_run(10_000, operations=2_500))
    text = to_markdown(summary)
    size = len(text.encode("utf-8"))
    assert size <= LIMIT < MIB
    assert size > LIMIT * 0.9  # filled, not cut short
    assert "_Cut to fit 1,000,000 bytes:" in text
    problems = summary.problems()
    shown = text.count("\n#### ")
    assert 0 < shown < len(problems)
    assert f"{len(problems) - shown:,} of {len(problems):,} problems left out" in text
    # the head and every operation row come first
    assert text.count("\n| createChatCompletion") >= 1
    assert "| **all** | " in text


def test_a_small_run_is_whole() -> None:
    text = to_markdown(synthetic_run(200))
    assert "Cut to fit" not in text
    assert text.startswith("# Conformance: OpenAI API 2.3.0\n")
    assert "## Operations, worst first" in text and "## Problems (" in text
    assert "#### ❌ createChatCompletion — `schema.required` [schema] fail" in text
    assert "- `schema.required` at `response.body /choices/0` (schema " in text
    assert "_an object lacks a property the schema requires_" in text
    assert "<details><summary>reproduce</summary>" in text


def test_the_limit_is_honoured_at_any_size() -> None:
    doc = synthetic_run(600)
    for limit in (3_000, 10_000, 50_000):
        assert len(to_markdown(doc, limit=limit).encode()) <= limit


def test_table_cells_are_escaped() -> None:
    verdict = Verdict("op|x", "schema.type", "schema", "fail", ("schema.type",), message="a|b\nc")
    text = to_markdown(Document(verdicts=[verdict]))
    assert "| op\\|x | ❌ fail | · | · |" in text
    assert "> a\\|b c" in text


def test_the_mock_s_log_reads_as_results_by_operation(mock_log: Path) -> None:
    text = to_markdown(read_results(mock_log))
    assert "_No verdicts in the results: derived" in text
    assert "| createEmbedding | ❌ fail | · | · |" in text
