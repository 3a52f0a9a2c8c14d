"""``to_html``: one self-contained HTML file — no network (inline CSS and JavaScript, a
Content-Security-Policy that forbids every fetch), no CDN — for a maintainer to open.

What it shows: the counts per axis and grade and a score; the capability profile; the
operation × axis matrix, worst first; the verdicts, worst first, filtered by grade, axis, code
and operation (a click on a count or a matrix cell sets the filters); and for the verdict
selected, its exchanges one at a time — the exact request and the response or stream, the
violating part of each body, event, header, query parameter or status highlighted by its JSON
pointer, each violation's code with the rule's text (``conformance.validate.codes.CODES``), its
schema location, and a ``curl`` command that sends the request again (``$OPENAI_API_KEY`` where
the key was).

The page is drawn by script from JSON embedded in it, and only what is in view is in the DOM
(the matrix and the verdict list are virtual lists; an exchange is drawn when selected), so a run
of 10,000 results opens in well under a second (``bench/bench_report.py``). Bodies longer than
``max_body`` characters are cut in the embedded data, with a note; exchanges no verdict shows
are left out.

>>> from conformance.results import Document, Result
>>> page = to_html(Document([Result("listModels")]))
>>> page.startswith("<!doctype html>"), "https://" in page
(True, False)
"""

from __future__ import annotations

import json
import re
from html import escape
from importlib.resources import files
from typing import Any

from ..results import GRADES, Document, Result
from ..validate.codes import CODES
from .curl import curl_command
from .summary import Summary

__all__ = ["MAX_BODY", "to_html"]

MAX_BODY = 256 * 1024
_SLOT = re.compile(r"\{\{(\w+)\}\}")


def _asset(name: str) -> str:
    return files(__package__).joinpath("assets").joinpath(name).read_text(encoding="utf-8")


def _text(raw: bytes | None, max_body: int) -> tuple[str | None, str]:
    """A body as text for the page, and a note when it is not all there."""
    if raw is None:
        return None, ""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, f"{len(raw):,} bytes of binary, not shown"
    if len(text) > max_body:
        return text[:max_body], f"{len(text):,} characters, the first {max_body:,} shown"
    return text, ""


def _result(result: Result, max_body: int, with_curl: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "op": result.operation,
        "ms": round(result.duration_ms, 1),
        "vi": [
            [v.code, v.where, v.pointer, v.schema_path, v.message, v.severity, v.event]
            for v in result.violations
        ],
        "no": list(result.notes),
        "sk": result.skipped,
        "rp": result.replay.to_dict() if result.replay is not None else None,
    }
    request, response = result.request, result.response
    if request is not None:
        text, note = _text(request.body, max_body)
        out["rq"] = {"m": request.method, "url": request.url, "h": dict(request.headers)}
        out["rq"]["b"], out["rq"]["note"] = text, note
        if with_curl:
            stream = response is not None and response.stream
            out["curl"] = curl_command(request, stream=stream)
    if response is not None:
        rs: dict[str, Any] = {"st": response.status, "h": dict(response.headers)}
        rs["stream"] = response.stream
        if response.stream and response.chunks is not None:
            events = response.events
            rs["ev"] = [[e.event or "", e.data[:max_body]] for e in events[:2_000]]
            rs["note"] = (
                f"{len(events):,} events, the first 2,000 shown" if len(events) > 2_000 else ""
            )
        else:
            rs["b"], rs["note"] = _text(response.body, max_body)
        out["rs"] = rs
    return out


def _data(summary: Summary, max_body: int) -> dict[str, Any]:
    doc = summary.document
    shown: dict[int, bool] = {}  # result index -> whether it gets a curl command
    for verdict in summary.verdicts:
        for index in verdict.results:
            if 0 <= index < len(doc.results):
                wanted = verdict.grade != "pass" or not doc.results[index].valid
                shown[index] = shown.get(index, False) or wanted
    results: list[dict[str, Any] | None] = [None] * len(doc.results)
    for index, curl in shown.items():
        results[index] = _result(doc.results[index], max_body, curl)
    codes = {c for v in summary.verdicts for c in v.codes}
    for r in results:
        if r:
            codes.update(v[0] for v in r["vi"])
    spec = doc.spec
    tool = doc.tool
    return {
        "facts": {
            "spec": " ".join(str(spec[k]) for k in ("title", "version", "source") if spec.get(k)),
            "seed": doc.run.get("seed"),
            "tool": " ".join(str(tool[k]) for k in ("name", "version") if tool.get(k)),
        },
        "derived": summary.derived,
        "grades": list(GRADES),
        "axes": list(summary.axes),
        "score": summary.score,
        "counts": summary.counts(),
        "codes": {c: CODES[c] for c in sorted(codes) if c in CODES},
        "matrix": summary.matrix(),
        "verdicts": [
            [v.operation, v.check, v.axis, v.grade, [*v.codes], [*v.notes], v.message, [*v.results]]
            for v in summary.verdicts
        ],
        "results_count": len(doc.results),
        "results": results,
    }


def _embedded(data: dict[str, Any]) -> str:
    """JSON safe inside ``<script>``: no ``<`` (so no ``</script>`` nor ``<!--``)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def to_html(
    report: Document | Summary, *, title: str | None = None, max_body: int = MAX_BODY
) -> str:
    """The HTML report of a document (redacted with the default redactor) or of a summary."""
    from .. import __version__

    summary = report if isinstance(report, Summary) else Summary.of(report)
    slots = {
        "title": escape(title or summary.title()),
        "generator": f"openai-conformance {__version__}",
        "css": _asset("report.css"),
        "js": _asset("report.js"),
        "data": _embedded(_data(summary, max_body)),
    }
    return _SLOT.sub(lambda m: slots[m.group(1)], _asset("report.html"))
