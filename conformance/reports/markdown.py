"""``to_markdown``: a run summary for a GitHub step summary (``$GITHUB_STEP_SUMMARY``), a pull
request comment or a terminal.

GitHub drops a step summary over 1 MiB, so the text is capped (``limit``, 1,000,000 bytes of
UTF-8 by default): the head — run, counts per axis and grade, score — always fits; the
operation × axis matrix and then the problems (worst first, each with its codes, pointers and a
reproducing ``curl``) are added while they fit, and a closing note says how many rows and
problems were cut and where to read them all (the HTML or JSON report).

>>> from conformance.results import Document, Result
>>> print(to_markdown(Document([Result("listModels")])).splitlines()[0])
# Conformance report
"""

from __future__ import annotations

from dataclasses import replace

from ..results import GRADES, Document, Verdict
from ..validate.codes import CODES
from .curl import curl_command
from .summary import Summary

__all__ = ["LIMIT", "to_markdown"]

LIMIT = 1_000_000
SIGN = {
    "fail": "❌",
    "inconclusive": "❔",
    "ignored": "🚫",
    "warn": "⚠️",
    "unsupported": "➖",
    "pass": "✅",
}
_PROBLEM_VIOLATIONS = 5  # violations listed per problem
_BODY = 2_000  # characters of a request body in a curl command


def _cell(text: str) -> str:
    """``text`` safe inside a table cell: one line, pipes and markup escaped."""
    text = " ".join(text.split())
    for c in "\\|`*_[]<>":
        text = text.replace(c, "\\" + c)
    return text


def _code(text: str) -> str:
    """``text`` as inline code (backticks inside it kept)."""
    text = " ".join(text.split())
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


def _head(summary: Summary) -> list[str]:
    doc = summary.document
    lines = [f"# {summary.title()}", ""]
    facts = []
    if doc.spec.get("source"):
        facts.append(f"spec {_code(str(doc.spec['source']))}")
    if doc.run.get("seed") is not None:
        facts.append(f"seed {_code(str(doc.run['seed']))}")
    facts.append(f"{len(doc.results):,} exchanges, {len(summary.verdicts):,} verdicts")
    score = summary.score
    facts.append(f"score **{score}%**" if score is not None else "score n/a")
    facts.append(f"worst {SIGN[summary.worst]} {summary.worst}")
    lines += [" · ".join(facts), ""]
    if summary.derived:
        lines += [
            "_No verdicts in the results: derived from each exchange's violations "
            "(one per operation and code; `valid` for the exchanges without error)._",
            "",
        ]
    counts = summary.counts()
    lines += ["| axis | " + " | ".join(f"{SIGN[g]} {g}" for g in GRADES) + " |"]
    lines += ["|---|" + "---:|" * len(GRADES)]
    for axis in (*summary.axes, "all"):
        name = f"**{axis}**" if axis == "all" else axis
        lines.append(f"| {name} | " + " | ".join(str(counts[axis][g]) for g in GRADES) + " |")
    return [*lines, ""]


def _matrix_rows(summary: Summary) -> list[str]:
    rows = []
    for operation, cells in summary.matrix():
        marks = [f"{SIGN[cells[a]]} {cells[a]}" if a in cells else "·" for a in summary.axes]
        rows.append(f"| {_cell(operation)} | " + " | ".join(marks) + " |")
    return rows


def _problem(summary: Summary, verdict: Verdict) -> str:
    codes = ", ".join(_code(c) for c in verdict.codes) or _code(verdict.check)
    lines = [
        f"#### {SIGN[verdict.grade]} {_cell(verdict.operation)} — {codes} "
        f"[{verdict.axis}] {verdict.grade}",
        "",
    ]
    if verdict.message:
        lines.append(f"> {_cell(verdict.message)}")
        lines.append("")
    lines += [f"- note: {_cell(n)}" for n in verdict.notes]
    violations = summary.violations(verdict)
    for v in violations[:_PROBLEM_VIOLATIONS]:
        rule = CODES.get(v.code, "")
        where = f"{v.where}[{v.event}]" if v.event is not None else v.where
        schema = f" (schema {_code(v.schema_path)})" if v.schema_path else ""
        lines.append(
            f"- {_code(v.code)} at {_code(where + ' ' + (v.pointer or '/'))}{schema}: "
            f"{_cell(v.message)}" + (f" — _{_cell(rule)}_" if rule else "")
        )
    if len(violations) > _PROBLEM_VIOLATIONS:
        lines.append(f"- … {len(violations) - _PROBLEM_VIOLATIONS} more in the example exchange")
    example = summary.example(verdict)
    if example is not None and example.request is not None:
        request = example.request
        status = example.status if example.status is not None else "no answer"
        lines.append(
            f"- exchange: {_code(f'{request.method} {request.path}')} → {status}"
            + (f" ({len(verdict.results)} exchanges show it)" if len(verdict.results) > 1 else "")
        )
        shown = request
        if request.body is not None and len(request.body) > _BODY:
            shown = replace(request, body=request.body[:_BODY] + b"...")
        stream = example.response is not None and example.response.stream
        command = curl_command(shown, stream=stream).replace("```", "` ` `")
        lines += ["", "<details><summary>reproduce</summary>", "", "```sh", command, "```"]
        lines += ["", "</details>"]
    return "\n".join([*lines, ""]) + "\n"


def to_markdown(report: Document | Summary, *, limit: int = LIMIT) -> str:
    """The Markdown summary, at most ``limit`` bytes of UTF-8 (see the module's notes).

    >>> from conformance.results import Verdict
    >>> doc = Document(verdicts=[Verdict(f"op{i}", "schema.type", "schema", "fail", ("schema.type",)) for i in range(500)])
    >>> text = to_markdown(doc, limit=8_000); len(text.encode()) <= 8_000, "Cut to fit" in text
    (True, True)
    """
    summary = report if isinstance(report, Summary) else Summary.of(report)
    head = "\n".join(_head(summary)) + "\n"
    closing = 400  # room kept for the note of what was cut
    budget = limit - len(head.encode()) - closing
    parts: list[str] = [head]
    rows = _matrix_rows(summary)
    header = "## Operations, worst first\n\n| operation | " + " | ".join(summary.axes) + " |\n"
    header += "|---|" + "---|" * len(summary.axes) + "\n"
    kept_rows = 0
    if rows and len(header.encode()) < budget:
        parts.append(header)
        budget -= len(header.encode())
        for row in rows:
            size = len(row.encode()) + 1
            if size > budget:
                break
            parts.append(row + "\n")
            budget -= size
            kept_rows += 1
        parts.append("\n")
    problems = summary.problems()
    kept_problems = 0
    title = f"## Problems ({len(problems):,}), worst first\n\n"
    if problems and len(title.encode()) < budget:
        parts.append(title)
        budget -= len(title.encode())
        for verdict in problems:
            text = _problem(summary, verdict)
            if len(text.encode()) > budget:
                break
            parts.append(text)
            budget -= len(text.encode())
            kept_problems += 1
    cut_rows, cut_problems = len(rows) - kept_rows, len(problems) - kept_problems
    if cut_rows or cut_problems:
        parts.append(
            f"\n---\n_Cut to fit {limit:,} bytes: {cut_rows:,} of {len(rows):,} operation rows "
            f"and {cut_problems:,} of {len(problems):,} problems left out. The HTML and JSON "
            "reports (`conformance report --html F --json F`) hold them all._\n"
        )
    return "".join(parts)
