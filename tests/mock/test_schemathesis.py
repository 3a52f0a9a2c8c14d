"""schemathesis against the mock's HTTP server, positive and negative modes: never a 5xx, and
every failure it reports belongs to a named disagreement about how to read OpenAI's spec.

schemathesis reads the spec as the mock serves it: with the errata applied (the spec document
the mock uses is written out for it). Checks left out, and why:

- ``status_code_conformance``: OpenAI's spec documents only the success status of almost every
  operation; the real API (and the mock) also answer 400, 401, 404, 405.
- ``ignored_auth``: the mock accepts any API key by design (it cannot know real ones).

What remains must pass, except for the disagreements in ``ACCEPTED`` (the first that matches a
failure names it): each is a place where schemathesis reads the spec differently from
``conformance`` on purpose (see the reasons). Any other failure fails this test. Disagreements that were the spec's errors (a file download
declared as a JSON string, base64 embeddings, a deepObject described in prose) are errata now,
and the document schemathesis reads has them applied; formats and int64 bounds are asserted in
requests.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support import SPECS, schemathesis

from conformance import load_spec
from conformance.mock import Mock
from conformance.mock.server import MockServer

pytestmark = pytest.mark.slow

ACCEPTED: dict[str, tuple[str, str]] = {
    "sse-envelope": (
        r"ST108 SSE event violates schema",
        "schemathesis validates the whole SSE event ({event, data}) against the stream's schema "
        "(OpenAPI 3.2's itemSchema reading, applied to 3.0 `schema`); OpenAI's spec describes "
        "each event's parsed data, and conformance validates that",
    ),
    "untyped-encodings": (
        r"ST201 Schema-violating request accepted[\s\S]*?Invalid component: "
        r"(parameter `[^`]+` in query - violates|in body[\s\S]*multipart/form-data)",
        "multipart fields and query values are text: a number or null schemathesis means as "
        "invalid arrives as text ('1.5', 'null') that a string field accepts; conformance reads "
        "the text as the API does",
    ),
    "api-refuses": (
        r"ST202 Schema-valid request rejected[\s\S]*?\[400\] Bad Request:[\s\S]*?"
        r"(only allowed when|must be set to true when|Invalid schema for|must contain the word 'json'"
        r"|larger than the model's|not found in 'tools')",
        "a request the schema allows but OpenAI's API refuses with a 400 (`stream_options` "
        "without `stream`, `tool_choice` without tools, `top_logprobs` without `logprobs`, a "
        "strict schema not closed, JSON mode without 'json', `dimensions` past 3,072): the mock "
        "answers as the API does (conformance.validate.semantics.requests)",
    ),
    "empty-path-parameter": (
        r"(ST108|ST201|ST202) [\s\S]*?X-Empty-Path-Parameter: ",
        "schemathesis joins the URL with urljoin, which drops an empty path segment "
        "(schemathesis#2790): an id the mock answered as '' (the spec allows any string) fed "
        "into a path by the stateful phase sends the request to another operation "
        "(`/organization/projects//archive` goes out as `/organization/projects/archive`); the "
        "request carries X-Empty-Path-Parameter (tests/schemathesis_hooks.py) so it is named",
    ),
    "other-anyof-branch": (
        r"ST201 Schema-violating request accepted[\s\S]*?Invalid component: in body - violates "
        r"`type` at \S*/anyOf/\d+ \(was null, became (?:number|integer)\)",
        "schemathesis' negative mode replaces a nullable field's null with a number and calls the "
        "request invalid by the null branch alone; the number it draws can satisfy the other "
        "branch (an integer, or an integral 1.0 / 1e3, which JSON Schema counts as one), and the "
        "mock validates the whole anyOf (a fractional max_completion_tokens, 1.5, is refused)",
    ),
    "nullable-enum": (
        r"ST201 Schema-violating request accepted[\s\S]*?Invalid component: .*(Incorrect type|violates `anyOf`)",
        "conformance lets `nullable: true` admit null even where an enum does not list it "
        "(OpenAPI 3.0.3 says the enum must); OpenAI's SDKs send null for these optional fields "
        "(`service_tier: None`) and the API accepts it",
    ),
}


def _failures(report: Path) -> list[tuple[str, str]]:
    found = []
    for case in ET.parse(report).iter("testcase"):
        for failure in case.iter("failure"):
            text = failure.text or ""
            blocks = re.split(r"\n(?=\d+\. Test Case ID: )", text)
            found += [
                (case.get("name") or "", block)
                for block in blocks
                if "- ST" in block or "Server error" in block
            ]
    return found


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_schemathesis_finds_nothing_but_known_disagreements(mode: str, tmp_path: Path) -> None:
    spec = load_spec(SPECS / "openai-2.3.0.yaml")
    report = tmp_path / "junit.xml"
    with MockServer(Mock(spec, seed=1)) as server:
        run = schemathesis(
            spec,
            server.base_url,
            tmp_path,
            "--continue-on-failure",
            "--exclude-checks",
            "status_code_conformance,ignored_auth",
            "--report-junit-path",
            str(report),
            mode=mode,
        )
    assert report.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    assert "Server error" not in run.stdout and "ST100" not in run.stdout  # never a 5xx
    unexplained = []
    counts = dict.fromkeys(ACCEPTED, 0)
    for operation, block in _failures(report):
        codes = re.findall(r"- (ST\d+ [^\n]+)", block)
        for code in codes:
            kind = next(
                (
                    k
                    for k, (pattern, _) in ACCEPTED.items()
                    if re.search(pattern, block) and code.split()[0] in pattern
                ),
                None,
            )
            if kind is None:
                unexplained.append(f"{operation}: {code}\n{block[:800]}")
            else:
                counts[kind] += 1
    print(f"schemathesis {mode}: accepted disagreements {counts}")
    assert unexplained == [], "\n\n".join(unexplained[:10])
    assert "generated" in run.stdout
