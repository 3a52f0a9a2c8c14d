"""Redaction for reports: every writer sees a document passed through a
:class:`~conformance.results.Redactor` once more, whatever its producer did.

Results may come redacted already (the mock's log, the suites); a report redacts them again —
a redactor is idempotent — so a log written by an older tool, a hand-made document or a value
only the report's user knows (``conformance report --redact VALUE``) never reaches a report.
Verdict texts, the run's settings (URLs with ``api_key=`` queries or userinfo passwords,
values under secret keys: ``Redactor.value``) and the spec's description are redacted too;
this module only applies the redactor to each part of a document, the rules are all in
``conformance.results.redact`` and ``conformance.results.fields``.

>>> from conformance.results import Document, Request, Result
>>> doc = Document([Result("listModels", Request("GET", "/v1/models", "api_key=abc"))])
>>> redact_document(doc, Redactor()).results[0].request.query
'api_key=[redacted:api_key]'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ..results import Document, Redactor, Verdict

__all__ = ["redact_document", "redactor_for"]


def redactor_for(values: Iterable[str] = ()) -> Redactor:
    """The redactor reports use: the defaults plus ``values`` the user names.

    >>> redactor_for(["hunter2-secret"]).text("pw hunter2-secret")
    'pw [redacted:value]'
    """
    return Redactor(values=values)


def _verdict(redactor: Redactor, verdict: Verdict) -> Verdict:
    text = redactor.text
    return replace(
        verdict,
        operation=text(verdict.operation),
        check=text(verdict.check),
        codes=tuple(text(c) for c in verdict.codes),
        notes=tuple(text(n) for n in verdict.notes),
        message=text(verdict.message),
    )


def redact_document(doc: Document, redactor: Redactor | None = None) -> Document:
    """``doc`` with every secret replaced: results (headers, URLs, bodies, stream chunks,
    violations, notes), verdicts, and the ``run``, ``spec`` and ``tool`` settings."""
    redactor = redactor if redactor is not None else Redactor()
    results = []
    for result in doc.results:
        redacted = result.redacted(redactor)
        results.append(
            replace(
                redacted,
                operation=None if result.operation is None else redactor.text(result.operation),
                name=redactor.text(result.name),
                skipped=redactor.text(result.skipped),
                request_id=None if result.request_id is None else redactor.text(result.request_id),
            )
        )
    return Document(
        results,
        redactor.value(doc.spec),
        redactor.value(doc.run),
        redactor.value(doc.tool),
        doc.version,
        [_verdict(redactor, v) for v in doc.verdicts],
    )
