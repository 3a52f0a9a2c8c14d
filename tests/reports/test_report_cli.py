"""``conformance report`` and ``conformance report diff``: formats, exit codes, bad input in one
line, and reports from a run cut short (a torn last JSON line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from junitparser import JUnitXml
from runs import synthetic_run

from conformance.cli.main import main
from conformance.results import Document, Verdict, read_results


def _write(path: Path, doc: Document) -> Path:
    path.write_text(doc.to_json(), encoding="utf-8")
    return path


def test_every_format_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = _write(tmp_path / "run.json", synthetic_run(300))
    out = {name: tmp_path / f"report.{name}" for name in ("junit", "json", "markdown", "html")}
    code = main(["report", str(results), *(f"--{n}={p}" for n, p in out.items())])
    assert code == 0
    line = capsys.readouterr().out
    assert line.count("\n") == 1 and "verdicts (" in line and "score " in line
    assert len(JUnitXml.fromfile(str(out["junit"]))) == 3
    assert json.loads(out["json"].read_text())["format"] == "openai-conformance/results"
    assert out["markdown"].read_text().startswith("# Conformance")
    assert out["html"].read_text().startswith("<!doctype html>")


def test_one_format_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = _write(tmp_path / "run.json", synthetic_run(100))
    assert main(["report", str(results), "--format", "markdown"]) == 0
    assert capsys.readouterr().out.startswith("# Conformance: OpenAI API 2.3.0\n")
    assert main(["report", str(results), "-f", "junit", "-o", str(tmp_path / "j.xml")]) == 0
    assert (tmp_path / "j.xml").read_text().startswith("<?xml")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "{run}"], "no report asked for"),
        (["report", "{run}", "-o", "x"], "-o needs --format"),
        (["report", "{run}", "{run}", "--json", "-"], "report takes one results file"),
        (["report", "{run}", "--format", "text"], "a run report is one of"),
        (["report", "{missing}", "--json", "-"], "cannot read results"),
        (["report", "{run}", "--html", "{tmp}/no/such/dir/r.html"], "cannot write the html report"),
        (["report", "diff", "{run}"], "report diff takes OLD and NEW"),
        (["report", "diff", "{run}", "{run}", "--junit", "j.xml"], "not run reports"),
        (["report", "diff", "{run}", "{run}", "--format", "html"], "a diff is one of"),
        (["report", "{garbage}", "--json", "-"], "results line 1: not JSON"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    run = _write(tmp_path / "run.json", Document())
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("nope\n{}\n")
    names = {"run": run, "missing": tmp_path / "missing.json", "tmp": tmp_path, "garbage": garbage}
    assert main([a.format(**names) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("conformance: error: ") and message in err


def test_diff_exit_status_is_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fail = Verdict("a", "schema.type", "schema", "fail", ("schema.type",))
    ok = Verdict("a", "schema", "schema", "pass")
    good = _write(tmp_path / "good.json", Document(verdicts=[ok]))
    bad = _write(tmp_path / "bad.json", Document(verdicts=[fail]))
    assert main(["report", "diff", str(good), str(bad)]) == 1
    assert capsys.readouterr().out.startswith("1 regressions, 0 fixes")
    assert main(["report", "diff", str(good), str(bad), "--fail-on", "never"]) == 0
    assert main(["report", "diff", str(bad), str(good)]) == 0  # a fix is no regression
    assert main(["report", "diff", str(bad), str(good), "--fail-on", "any"]) == 1
    assert main(["report", "diff", str(good), str(good), "--fail-on", "any"]) == 0
    capsys.readouterr()
    out = tmp_path / "diff.json"
    assert main(["report", "diff", str(good), str(bad), "--format", "json", "-o", str(out)]) == 1
    assert capsys.readouterr().out.startswith("1 regressions")
    assert json.loads(out.read_text())["regressions"][0]["fingerprint"] == "a schema.type"
    assert main(["report", "diff", str(good), str(bad), "-f", "markdown"]) == 1
    assert "### Regressions" in capsys.readouterr().out


def test_a_report_from_a_run_cut_short(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A killed run leaves JSON lines with a torn last line and no verdicts: the report still
    comes, of every result that was written whole."""
    doc = synthetic_run(120)
    lines = Document(doc.results, doc.spec, doc.run).to_jsonl().splitlines(keepends=True)
    torn = tmp_path / "run.jsonl"
    torn.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2], encoding="utf-8")
    assert len(read_results(torn).results) == 119
    out = tmp_path / "report.xml"
    assert main(["report", str(torn), "--junit", str(out), "--html", str(tmp_path / "r.html")]) == 0
    cases = [case for suite in JUnitXml.fromfile(str(out)) for case in suite]
    assert cases and all(c.name.endswith("[schema]") or "[semantics]" in c.name for c in cases)
    assert "verdicts" in capsys.readouterr().out


def test_the_mock_s_log_cut_short(tmp_path: Path, mock_log: Path) -> None:
    text = mock_log.read_text()
    torn = tmp_path / "log.jsonl"
    torn.write_text(text[: len(text) - 40])
    assert main(["report", str(torn), "--markdown", str(tmp_path / "r.md")]) == 0
    whole = len(read_results(mock_log).results)  # the torn last one is dropped
    assert f"{whole - 1} exchanges" in (tmp_path / "r.md").read_text()
