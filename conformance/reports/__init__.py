"""Reports: what a run or a spec change means for the people who read it afterwards.

Spec diff (``conformance spec diff OLD NEW``): every change between two spec versions, per
direction, each named by a stable check id with its level and whom it breaks.

Run reports (``conformance report RESULTS --junit F --html F --markdown F --json F``): writers
over a results document (``conformance.results``), every one through a ``Redactor``; a
document without verdicts (the mock's log) is read as results grouped by operation. Run diff
(``conformance report diff OLD NEW``): regressions, fixes, new and gone operations, flaky
findings, keyed by fingerprints that survive rewording.

>>> from conformance.reports import Summary, diff_runs, to_html, to_junit, to_markdown
>>> summary = Summary.of(read_results("run.jsonl"), Redactor(values=["my-secret"]))  # doctest: +SKIP
>>> diff_runs(read_results("old.json"), read_results("new.json")).regressions  # doctest: +SKIP

>>> from conformance.reports import diff_specs
>>> diff = diff_specs(load_spec("openai-2.3.0.yaml"), load_spec("openai-2026-08.yaml"))  # doctest: +SKIP
>>> diff.counts()["breaking"]  # doctest: +SKIP
"""

from .curl import curl_command
from .formats import FORMATS, write_reports
from .html import to_html
from .json import to_json
from .junit import to_junit
from .markdown import to_markdown
from .operationdiff import diff_specs
from .redaction import redact_document
from .rundiff import Change, RunDiff, diff_runs, fingerprint
from .specchecks import SPEC_CHECKS, SpecCheck
from .specdiff import Finding, SpecDiff
from .summary import Summary

__all__ = [
    "FORMATS",
    "SPEC_CHECKS",
    "Change",
    "Finding",
    "RunDiff",
    "SpecCheck",
    "SpecDiff",
    "Summary",
    "curl_command",
    "diff_runs",
    "diff_specs",
    "fingerprint",
    "redact_document",
    "to_html",
    "to_json",
    "to_junit",
    "to_markdown",
    "write_reports",
]
