"""``to_junit``: the run as JUnit XML, as GitHub (test-reporter actions), GitLab
(``artifacts:reports:junit``) and Jenkins (the JUnit plugin) read it.

One ``<testsuite>`` per axis (``schema``, ``semantics``, ``capability``), one ``<testcase>``
per verdict (operation × check): ``classname`` is the operation, ``name`` the check with its
axis (``rule.chat.n-choices [semantics]``), ``time`` the seconds its exchanges took. Grades
become what those readers know:

* ``fail`` → ``<failure type="CODE" message="CODE at POINTER: message">``, whose text lists
  every violation of the example exchange (code, where, pointer, schema location, message),
  the request line and status, and a ``curl`` command that sends the request again;
* ``inconclusive`` and ``unsupported`` → ``<skipped message="GRADE: why">`` (nothing failed:
  the check could not be judged, or the server says properly that it does not serve it);
* ``ignored`` and ``warn`` → a passing testcase whose ``<system-out>`` says so (readers show
  it, none counts it as a failure);
* every testcase carries ``<properties>`` — ``grade``, ``axis``, ``codes`` — for readers that
  show them (Jenkins, junitparser); GitLab ignores them.

``<error>`` is not used: it means the test harness broke, which a verdict never says.

>>> from conformance.results import Document, Result
>>> to_junit(Document([Result("listModels")])).count("<testcase ")
1
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ..results import Document, Verdict
from .curl import curl_command
from .summary import Summary

__all__ = ["to_junit"]

_SKIPPED = frozenset({"inconclusive", "unsupported"})
_NOTED = frozenset({"ignored", "warn"})


def _clean(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry."""
    return "".join(
        c if c in "\t\n\r" or 0x20 <= ord(c) < 0xD800 or 0xE000 <= ord(c) < 0xFFFE else "\ufffd"
        for c in text
    )


def _headline(summary: Summary, verdict: Verdict) -> str:
    first = next(iter(summary.violations(verdict)), None)
    code = verdict.codes[0] if verdict.codes else verdict.check
    if first is None:
        return f"{code}: {verdict.message}" if verdict.message else code
    return f"{first.code or code} at {first.where} {first.pointer or '/'}: {first.message}"


def _details(summary: Summary, verdict: Verdict) -> str:
    lines = [f"{verdict.grade}: {verdict.operation} {verdict.check} [{verdict.axis}]"]
    if verdict.message:
        lines.append(verdict.message)
    lines += [f"note: {n}" for n in verdict.notes]
    for v in summary.violations(verdict):
        at = f" (schema {v.schema_path})" if v.schema_path else ""
        event = f"[{v.event}]" if v.event is not None else ""
        lines.append(f"- {v.code} at {v.where}{event} {v.pointer or '/'}{at}: {v.message}")
    example = summary.example(verdict)
    if example is not None and example.request is not None:
        status = example.status if example.status is not None else "no answer"
        lines.append(f"exchange: {example.method} {example.request.url} -> {status}")
        stream = example.response is not None and example.response.stream
        lines.append("reproduce:\n" + curl_command(example.request, stream=stream))
    if len(verdict.results) > 1:
        lines.append(f"{len(verdict.results)} exchanges show it (results {list(verdict.results)})")
    return "\n".join(lines)


def _testcase(summary: Summary, verdict: Verdict) -> ET.Element:
    results = summary.document.results
    seconds = sum(results[i].duration_ms for i in verdict.results if 0 <= i < len(results))
    case = ET.Element(
        "testcase",
        classname=_clean(verdict.operation),
        name=_clean(f"{verdict.check} [{verdict.axis}]"),
        time=f"{seconds / 1000:.3f}",
    )
    properties = ET.SubElement(case, "properties")
    for name, value in (
        ("grade", verdict.grade),
        ("axis", verdict.axis),
        ("codes", " ".join(verdict.codes)),
    ):
        ET.SubElement(properties, "property", name=name, value=_clean(value))
    if verdict.grade == "fail":
        code = verdict.codes[0] if verdict.codes else verdict.check
        failure = ET.SubElement(
            case, "failure", type=_clean(code), message=_clean(_headline(summary, verdict))
        )
        failure.text = _clean(_details(summary, verdict))
    elif verdict.grade in _SKIPPED:
        why = verdict.message or "; ".join(verdict.notes) or verdict.check
        ET.SubElement(case, "skipped", message=_clean(f"{verdict.grade}: {why}"))
    elif verdict.grade in _NOTED:
        ET.SubElement(case, "system-out").text = _clean(_details(summary, verdict))
    return case


def to_junit(report: Document | Summary) -> str:
    """The JUnit XML of a document (redacted with the default redactor) or of a summary.

    >>> from conformance.results import Verdict
    >>> doc = Document(verdicts=[Verdict("x", "stream", "schema", "unsupported")])
    >>> "<skipped message=\\"unsupported: stream\\"" in to_junit(doc)
    True
    """
    summary = report if isinstance(report, Summary) else Summary.of(report)
    root = ET.Element("testsuites", name=_clean(summary.title()))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for axis in summary.axes:
        verdicts = [v for v in summary.verdicts if v.axis == axis]
        if not verdicts:
            continue
        counts = {
            "tests": len(verdicts),
            "failures": sum(v.grade == "fail" for v in verdicts),
            "errors": 0,
            "skipped": sum(v.grade in _SKIPPED for v in verdicts),
        }
        attributes = {"name": axis, **{k: str(n) for k, n in counts.items()}}
        suite = ET.SubElement(root, "testsuite", attributes)
        for verdict in verdicts:
            suite.append(_testcase(summary, verdict))
        totals = {k: totals[k] + counts[k] for k in totals}
    root.attrib.update({k: str(n) for k, n in totals.items()})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
