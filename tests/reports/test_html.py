"""The HTML report: one self-contained file, drawn from embedded JSON; opened in a real headless
Chromium (``scripts/browser.sh`` installs Debian's) to check the matrix, the filters and the
highlighted pointer. The screenshots are kept in ``$CONFORMANCE_ARTIFACTS`` (else pytest's
temporary directory)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import Chromium, Page, chromium_binary
from runs import synthetic_run

from conformance.reports import Summary, to_html
from conformance.results import Document, Request, Response, Result, Verdict, read_results
from conformance.validate import Violation
from conformance.validate.codes import CODES

DATA = re.compile(r'<script id="report-data" type="application/json">(.*?)</script>', re.S)


def _data(page: str) -> dict[str, Any]:
    match = DATA.search(page)
    assert match is not None
    loaded: dict[str, Any] = json.loads(match.group(1))
    return loaded


# -- the file ------------------------------------------------------------------------------------


def test_self_contained_no_network() -> None:
    page = to_html(synthetic_run(200))
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    outside = DATA.sub("", page)
    assert not re.search(r"https?://", outside)
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", outside)
    assert page.count("<script") == 2  # the data, the viewer


def test_the_embedded_data_is_inert_and_complete() -> None:
    hostile = "</script><script>alert(1)</script><!-- \u2028"
    bad = Result(
        "createX",
        Request("POST", "/v1/x", body=json.dumps({"text": hostile}).encode()),
        Response(200, chunks=(hostile.encode(),)),
        violations=(Violation(hostile, where="response.body", code="response.decode"),),
    )
    page = to_html(Document([bad, Result("createX")]))
    assert page.count("</script>") == 2 and "<!--" not in page
    data = _data(page)
    assert data["results"][0]["rs"]["b"] == hostile
    assert data["results"][0]["vi"][0][4] == hostile
    assert "curl" in data["results"][0] and "curl" not in data["results"][1]  # valid: no curl
    assert [v[3] for v in data["verdicts"]] == ["fail", "pass"]
    assert data["codes"] == {"response.decode": CODES["response.decode"]}


def test_only_the_exchanges_verdicts_show_are_embedded() -> None:
    doc = Document(
        [Result("a"), Result("b")],
        verdicts=[Verdict("a", "schema", "schema", "pass", results=(0,))],
    )
    data = _data(to_html(doc))
    assert data["results"][0]["op"] == "a" and data["results"][1] is None
    assert data["results_count"] == 2


def test_big_and_binary_bodies_are_noted() -> None:
    big = Result(
        "x",
        Request("POST", "/v1/x", body=b"\xff\x00binary"),
        Response(200, chunks=(b'"' + b"a" * 5_000 + b'"',)),
        violations=(Violation("m", where="response.body", code="schema.maxLength"),),
    )
    result = _data(to_html(Document([big]), max_body=1_000))["results"][0]
    assert result["rq"]["b"] is None and result["rq"]["note"] == "8 bytes of binary, not shown"
    assert len(result["rs"]["b"]) == 1_000
    assert result["rs"]["note"] == "5,002 characters, the first 1,000 shown"
    assert "--data-binary @body.bin  # 8 bytes of binary" in result["curl"]


def test_streams_are_events() -> None:
    result = _data(to_html(synthetic_run(100)))["results"]
    streamed = next(r for r in result if r and r.get("rs", {}).get("stream"))
    assert [e[0] for e in streamed["rs"]["ev"]] == ["", "", "", "", ""]
    assert streamed["rs"]["ev"][-1][1] == "[DONE]"
    assert streamed["curl"].startswith("curl -sS -N -X POST")


# -- in a browser --------------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(
    chromium_binary() is None, reason="no chromium (bash scripts/browser.sh installs it)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    with Chromium() as running:
        yield running


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("CONFORMANCE_ARTIFACTS")
    path = Path(given) if given else tmp_path_factory.mktemp("artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _open(browser: Chromium, tmp_path: Path, doc: Document | Summary) -> Page:
    path = tmp_path / "report.html"
    path.write_text(to_html(doc), encoding="utf-8")
    page = browser.open(path.as_uri())
    page.wait("document.documentElement.dataset.ready")
    return page


def _shown(page: Page) -> int:
    return int(page.evaluate("window.conformanceReport.shown().length"))


def _visible_in_pane(page: Page) -> bool:
    return bool(
        page.evaluate(
            "(() => { const m = document.querySelector('#detail mark.hit'); if (!m) return false;"
            " const r = m.getBoundingClientRect(), p = document.getElementById('detail').getBoundingClientRect();"
            " return r.height > 0 && r.top >= p.top && r.top < p.bottom && r.top < window.innerHeight; })()"
        )
    )


@needs_chromium
def test_matrix_filters_and_highlight(browser: Chromium, tmp_path: Path, artifacts: Path) -> None:
    doc = synthetic_run(3_000)
    summary = Summary.of(doc)
    page = _open(browser, tmp_path, summary)
    total = len(summary.verdicts)
    # the matrix: its rows in view only, worst first
    rows = page.evaluate(
        "Array.from(document.querySelectorAll('#matrix .mrow .op')).map(e => e.textContent)"
    )
    assert 0 < len(rows) < len(summary.matrix())
    assert rows[0] == summary.matrix()[0][0]
    # the list is virtual too: far fewer rows in the DOM than verdicts
    assert 0 < page.evaluate("document.querySelectorAll('#list .row').length") < 100 < total
    assert _shown(page) == total
    # the worst verdict is open, its violating part highlighted and scrolled into view
    assert page.evaluate("document.querySelector('#detail h2').textContent").endswith(
        summary.verdicts[0].operation
    )
    assert (
        page.evaluate("document.querySelector('#detail mark.hit').dataset.pointer") == "/choices/0"
    )
    assert _visible_in_pane(page)
    page.screenshot(artifacts / "report-open.png")

    # a grade chip toggles that grade off
    page.click('#grades button[data-grade="fail"]')
    assert _shown(page) == total - summary.counts()["all"]["fail"]
    # a count in the summary table: that axis and grade only
    page.click('#counts td[data-axis="capability"][data-grade="unsupported"]')
    assert _shown(page) == summary.counts()["capability"]["unsupported"]
    assert page.evaluate("document.querySelector('#f-axis').value") == "capability"
    # a matrix cell: that operation and axis
    page.click("#f-reset")
    assert _shown(page) == total
    op = summary.matrix()[0][0]
    page.click(f'#matrix [data-op="{op}"][data-axis="semantics"]')
    expected = [v for v in summary.verdicts if v.operation == op and v.axis == "semantics"]
    assert _shown(page) == len(expected) > 0
    # the code filter, then a stream event's pointer highlighted
    page.click("#f-reset")
    page.evaluate(
        "(() => { const s = document.getElementById('f-code'); s.value = 'schema.type';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    assert _shown(page) == sum("schema.type" in v.codes for v in summary.verdicts)
    page.click("#list .row")
    assert page.evaluate("document.querySelectorAll('#detail .event.hit-event').length") == 1
    assert page.evaluate("document.querySelector('#detail .hit-event mark.hit').textContent") == "7"
    assert _visible_in_pane(page)
    # typing an operation filters by it
    page.click("#f-reset")
    page.click("#f-op")
    page.call("Input.insertText", {"text": "listMod"})  # a part: every operation it is in
    assert 0 < _shown(page) == sum("listMod" in v.operation for v in summary.verdicts)
    page.call("Input.insertText", {"text": "els"})  # a whole name: that operation only
    assert 0 < _shown(page) == sum(v.operation == "listModels" for v in summary.verdicts)
    page.screenshot(artifacts / "report-filtered.png")
    # nothing but the file itself was fetched
    urls = [e["params"]["request"]["url"] for e in browser.events("Network.requestWillBeSent")]
    assert urls and all(u.startswith("file://") for u in urls), urls


@needs_chromium
def test_a_run_of_the_mock_in_the_browser(
    browser: Chromium, tmp_path: Path, artifacts: Path, mock_log: Path
) -> None:
    page = _open(browser, tmp_path, read_results(mock_log))
    assert page.evaluate("document.getElementById('score').textContent").endswith("%")
    page.click('#grades button[data-grade="warn"]')
    page.click('#grades button[data-grade="pass"]')
    page.evaluate(
        "(() => { const s = document.getElementById('f-code'); s.value = 'schema.oneOf';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    page.evaluate("window.conformanceReport.state.op = ''")
    page.click("#list .row")
    detail = page.evaluate("document.getElementById('detail').textContent")
    assert "createChatCompletion" in detail or "createEmbedding" in detail
    assert "a value matches none (or more than one) of a oneOf's branches" in detail
    assert _visible_in_pane(page)
    assert "$OPENAI_API_KEY" in page.evaluate("document.getElementById('curl').textContent")
    page.screenshot(artifacts / "report-mock.png")


@needs_chromium
def test_an_empty_run_opens(browser: Chromium, tmp_path: Path) -> None:
    page = _open(browser, tmp_path, Document(verdicts=[Verdict("a", "schema", "schema", "pass")]))
    assert page.evaluate("document.getElementById('score').textContent") == "100%"
    assert page.evaluate("document.querySelector('#detail .hint') !== null")
