"""The ``report`` command: write run reports from a results file, or diff two runs.

``conformance report RESULTS [--junit F] [--json F] [--markdown F] [--html F] [--redact VALUE]``
(or ``--format FMT -o F``; ``-`` writes to standard output), and ``conformance report diff OLD NEW
[--fail-on regression|any|never] [--format text|json|markdown] [-o F]``. RESULTS is a JSON
document or JSON lines (the mock's log, a suite's results as they come; a torn last line is
left out). Exit codes: 0 written (diff: nothing to fail on), 1 the diff fails the gate, 2 bad
input. A file named ``diff`` is given as ``./diff``.

Usage: ``conformance report run.jsonl --junit junit.xml --html report.html --markdown -``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["add_parser", "execute"]

_RUN_FORMATS = ("junit", "json", "markdown", "html")
_DIFF_FORMATS = ("text", "json", "markdown")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``report`` to the CLI's subcommands."""
    report = commands.add_parser(
        "report",
        help="write JUnit, JSON, Markdown or HTML reports of a run; or diff two runs",
        description="Write reports of a run from its results (a JSON document or JSON lines: "
        "the mock's --log, a suite's results), every one redacted; or, as "
        "'report diff OLD NEW', what changed between two runs (exit 1 on a regression with "
        "--fail-on regression, the default).",
        epilog="examples: conformance report run.jsonl --junit junit.xml --html report.html; "
        "conformance report diff yesterday.json today.json --format markdown",
    )
    report.add_argument(
        "paths", nargs="+", metavar="RESULTS", help="a results file, or: diff OLD NEW"
    )
    for name in _RUN_FORMATS:
        report.add_argument(
            f"--{name}", metavar="FILE", default=None, help=f"write the {name} report ('-': stdout)"
        )
    report.add_argument(
        "--format",
        "-f",
        default=None,
        choices=sorted({*_RUN_FORMATS, *_DIFF_FORMATS}),
        help="with -o: one report's format (diff: text, json or markdown; default text)",
    )
    report.add_argument("-o", "--output", metavar="FILE", default=None, help="where --format goes")
    report.add_argument(
        "--redact",
        action="append",
        default=[],
        metavar="VALUE",
        help="a secret to replace wherever it occurs (repeatable); API keys, tokens, "
        "credential headers, cookies and key-like query parameters are always redacted",
    )
    report.add_argument(
        "--fail-on",
        default="regression",
        choices=("regression", "any", "never"),
        help="diff: exit 1 on a regression (default), on any change, or never",
    )
    return report  # type: ignore[no-any-return]


def execute(args: argparse.Namespace) -> int:
    """Run ``report`` (``report diff``) as parsed; the exit code."""
    from ..reports.redaction import redactor_for
    from ..results import read_results

    redactor = redactor_for(args.redact)
    paths: list[str] = args.paths
    if paths[0] == "diff":
        return _diff(args, paths[1:], redactor)
    if len(paths) != 1:
        raise InputError(
            f"report takes one results file, got {len(paths)} (diff: report diff OLD NEW)"
        )
    targets = {name: getattr(args, name) for name in _RUN_FORMATS if getattr(args, name)}
    if args.format is not None:
        if args.format not in _RUN_FORMATS:
            raise InputError(
                f"--format {args.format}: a run report is one of {', '.join(_RUN_FORMATS)}"
            )
        targets[args.format] = args.output or "-"
    elif args.output is not None:
        raise InputError("-o needs --format (or use --junit/--json/--markdown/--html FILE)")
    if not targets:
        raise InputError("no report asked for: give --junit, --json, --markdown or --html FILE")
    from ..reports.formats import write_reports

    summary = write_reports(read_results(paths[0]), targets, redactor)
    if "-" not in targets.values():
        counts = summary.counts()["all"]
        score = "n/a" if summary.score is None else f"{summary.score}%"
        written = ", ".join(f"{name} {path}" for name, path in targets.items())
        grades = ", ".join(f"{n} {g}" for g, n in counts.items() if n)
        print(f"{len(summary.verdicts)} verdicts ({grades or 'none'}), score {score}: {written}")
    return 0


def _diff(args: argparse.Namespace, paths: list[str], redactor: Any) -> int:
    from ..reports.rundiff import diff_runs
    from ..results import read_results

    if len(paths) != 2:
        raise InputError(f"report diff takes OLD and NEW, got {len(paths)} files")
    if any(getattr(args, name) for name in _RUN_FORMATS):
        raise InputError(
            "report diff writes --format text|json|markdown (-o FILE), not run reports"
        )
    fmt = args.format or "text"
    if fmt not in _DIFF_FORMATS:
        raise InputError(f"--format {fmt}: a diff is one of {', '.join(_DIFF_FORMATS)}")
    diff = diff_runs(read_results(paths[0]), read_results(paths[1]), redactor)
    text = {"text": diff.text, "json": diff.to_json, "markdown": diff.markdown}[fmt]()
    if args.output and args.output != "-":
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{args.output}: cannot write: {exc.strerror or exc}") from None
        print(diff.text().splitlines()[0])
    else:
        sys.stdout.write(text)
    return 1 if diff.failed(args.fail_on) else 0
