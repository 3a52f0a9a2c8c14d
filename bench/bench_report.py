"""How fast the HTML report opens at 10,000 results, beside two baselines of the same results in
the same run, in the same headless Chromium (Debian's; ``bash scripts/browser.sh``):

* **ours**: ``conformance.reports.to_html`` — embedded JSON, virtual lists, an exchange drawn
  when selected;
* **ours, 10**: the same writer on 10 results — the floor: opening a tab and a file;
* **full DOM**: the same verdicts and every exchange they show as one static HTML table, each
  exchange's request and answer pretty-printed in a ``<details>`` (how static reports are built);
* **pytest-html** 4 (``pip install -e '.[bench]'``): one test per result — failing with the
  violations as its message, the exchange as its captured output — run by pytest with
  ``--html --self-contained-html`` (skipped when pytest-html is not installed, or with
  ``--no-pytest-html``).

Open time: from the navigation's start to the first animation frame after the report is usable
(ours: its ready mark; full DOM: the load event; pytest-html: every result row drawn), the
median of ``--repeat`` fresh tabs after one
warm-up. Also the file size, the time to write it, the DOM nodes and
the JS heap once open.

Usage: ``.venv/bin/python bench/bench_report.py [--results 10000] [--repeat 3] [--no-pytest-html]``
"""

from __future__ import annotations

import argparse
import html
import json
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "reports"))

from chromium import Chromium  # noqa: E402
from runs import synthetic_run  # noqa: E402

from conformance.reports import Summary, to_html  # noqa: E402
from conformance.results import Result  # noqa: E402

READY = {
    "ours": "document.documentElement.dataset.ready",
    "ours, 10": "document.documentElement.dataset.ready",
    "full DOM": "document.readyState === 'complete'",
    "pytest-html": "document.querySelectorAll('#results-table tbody.results-table-row').length >= {n}",
}


def _pretty(raw: bytes | None) -> str:
    if raw is None:
        return "(not recorded)"
    text = raw.decode("utf-8", "replace")
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


def full_dom(summary: Summary) -> str:
    """The same report as one static table: every verdict, every exchange it shows."""
    results = summary.document.results
    rows = []
    for v in summary.verdicts:
        exchanges = []
        for i in v.results:
            r = results[i]
            violations = "".join(
                f"<li><code>{html.escape(x.code)}</code> {html.escape(x.where)} "
                f"<code>{html.escape(x.pointer or '/')}</code>: {html.escape(x.message)}</li>"
                for x in r.violations
            )
            request = r.request
            head = f"{request.method} {request.url}" if request is not None else ""
            answer = _pretty(r.response.body) if r.response is not None else "no answer"
            exchanges.append(
                f"<details><summary>{html.escape(head)}</summary><ul>{violations}</ul>"
                f"<pre>{html.escape(_pretty(request.body if request else None))}</pre>"
                f"<pre>{html.escape(answer)}</pre></details>"
            )
        rows.append(
            f'<tr class="g-{v.grade}"><td>{v.grade}</td><td>{html.escape(v.operation)}</td>'
            f"<td>{html.escape(v.check)}</td><td>{v.axis}</td><td>{html.escape(v.message)}</td>"
            f"<td>{''.join(exchanges)}</td></tr>"
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>full DOM</title>"
        "<style>td{border:1px solid #ddd;vertical-align:top}.g-fail{background:#fdd}</style>"
        "</head><body><table><thead><tr><th>grade</th><th>operation</th><th>check</th>"
        "<th>axis</th><th>message</th><th>exchanges</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>"
    )


_TESTS = """
import json, pytest
from pathlib import Path
CASES = json.loads(Path(__file__).with_name("cases.json").read_text())

@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_result(case):
    print(case["exchange"])
    assert not case["violations"], "\\n".join(case["violations"])
"""


def _case(k: int, r: Result) -> dict[str, object]:
    request = r.request
    exchange = f"{request.method} {request.url}\n{_pretty(request.body)}" if request else ""
    if r.response is not None:
        exchange += f"\n-> {r.response.status}\n{_pretty(r.response.body)}"
    return {
        "id": f"{r.operation}-{k}",
        "exchange": exchange,
        "violations": [str(v) for v in r.violations if v.is_error],
    }


def pytest_html(summary: Summary, folder: Path) -> tuple[Path, float]:
    """The results as a pytest run, reported by pytest-html: the file and how long it took."""
    cases = [_case(k, r) for k, r in enumerate(summary.document.results)]
    (folder / "cases.json").write_text(json.dumps(cases))
    (folder / "test_results.py").write_text(_TESTS)
    out = folder / "pytest-html.html"
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--rootdir",
            str(folder),
            f"--html={out}",
            "--self-contained-html",
            str(folder / "test_results.py"),
        ],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return out, time.perf_counter() - started


def open_time(browser: Chromium, path: Path, ready: str) -> tuple[float, dict[str, float]]:
    """Milliseconds from the navigation's start to the first frame after ``ready``; metrics."""
    page = browser.open(path.as_uri(), timeout=600)
    took = page.evaluate(
        "new Promise(done => { const check = () => { if (" + ready + ") "
        "requestAnimationFrame(() => done(performance.now())); else setTimeout(check, 5); };"
        " check(); })"
    )
    metrics = page.metrics()
    page.close()
    return float(took), metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-pytest-html", action="store_true")
    args = parser.parse_args()

    summary = Summary.of(synthetic_run(args.results))
    n = len(summary.document.results)
    print(
        f"{n:,} results, {len(summary.verdicts):,} verdicts (tests/reports/runs.py synthetic_run)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        folder = Path(tmp)
        files: dict[str, tuple[Path, float]] = {}
        started = time.perf_counter()
        text = to_html(summary)
        files["ours"] = (folder / "ours.html", time.perf_counter() - started)
        files["ours"][0].write_text(text, encoding="utf-8")
        small = folder / "ours-10.html"
        small.write_text(to_html(synthetic_run(10)), encoding="utf-8")
        files["ours, 10"] = (small, 0.0)
        started = time.perf_counter()
        text = full_dom(summary)
        files["full DOM"] = (folder / "full.html", time.perf_counter() - started)
        files["full DOM"][0].write_text(text, encoding="utf-8")
        if not args.no_pytest_html:
            if find_spec("pytest_html") is None:
                print("pytest-html is not installed (pip install -e '.[bench]'): left out")
            else:
                files["pytest-html"] = pytest_html(summary, folder)
        rows = []
        with Chromium() as browser:
            for name, (path, wrote) in files.items():
                ready = READY[name].format(n=n)
                open_time(browser, path, ready)  # warm-up: the file in the page cache
                times, metrics = [], {}
                for _ in range(args.repeat):
                    took, metrics = open_time(browser, path, ready)
                    times.append(took)
                rows.append(
                    (name, path.stat().st_size, wrote, statistics.median(times), times, metrics)
                )
    ours = rows[0][3]
    print(
        f"{'report':<12} {'file':>9} {'write':>8} {'open (median)':>14} {'vs ours':>8} "
        f"{'DOM nodes':>10} {'JS heap':>9}  runs (ms)"
    )
    for name, size, wrote, median, times, metrics in rows:
        print(
            f"{name:<12} {size / 1e6:>7.1f}MB {wrote:>7.2f}s {median:>11.0f} ms {median / ours:>7.1f}x "
            f"{int(metrics.get('Nodes', 0)):>10,} {metrics.get('JSHeapUsedSize', 0) / 1e6:>7.1f}MB  "
            + ", ".join(f"{t:.0f}" for t in times)
        )


if __name__ == "__main__":
    main()
