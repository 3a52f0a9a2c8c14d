"""``to_json``: the JSON report — the results document itself (``conformance.results``, valid
against its published schema), redacted, with its verdicts.

A document that had no verdicts gets the derived ones (see ``conformance.reports.summary``), so
every JSON report can be read the same way: ``jq '.verdicts[] | select(.grade == "fail")'``.

>>> from conformance.results import Document, Result
>>> import json; json.loads(to_json(Document([Result("listModels")])))["verdicts"][0]["check"]
'valid'
"""

from __future__ import annotations

from dataclasses import replace

from ..results import Document
from .summary import Summary

__all__ = ["to_json"]


def to_json(report: Document | Summary, *, indent: int | None = None) -> str:
    """The redacted document as JSON text, with verdicts (derived when it had none)."""
    summary = report if isinstance(report, Summary) else Summary.of(report)
    return replace(summary.document, verdicts=list(summary.verdicts)).to_json(indent) + "\n"
