"""The suite against our own mock beside plain schemathesis on the same operations, same server,
same run: requests sent, wall time, and what each reports (the suite's failures should be 0 —
the mock follows the spec — and every one schemathesis reports is a false alarm or a reading of
the spec the suite does not share).

    .venv/bin/python bench/bench_suite.py [--spec ../shared/specs/openai-2.3.0.yaml] [--examples 5]
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
import time
from pathlib import Path

from conformance import load_spec
from conformance.mock import Mock
from conformance.mock.server import MockServer
from conformance.suites import Target, run_suite

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from support import schemathesis  # noqa: E402  (the tests' schemathesis run, with their hooks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--spec", default=str(ROOT.parent / "shared" / "specs" / "openai-2.3.0.yaml")
    )
    parser.add_argument("--examples", type=int, default=5, help="schemathesis --max-examples")
    parser.add_argument("--flows", action="store_true", help="the suite with its stateful flows")
    args = parser.parse_args()
    spec = load_spec(args.spec)
    mock = Mock(spec, seed=1, profile="typical")
    with MockServer(mock) as server:
        target = Target(
            server.base_url, api_key_env=None, headers={"Authorization": "Bearer sk-bench"}
        )
        flows = None
        if args.flows:
            import importlib

            from conformance.suites import Budget

            flows = importlib.import_module("conformance.suites.flows").flows(
                spec, target, Budget(), seed=1
            )
        started = time.perf_counter()
        doc = run_suite(spec, target, seed=1, flows=flows)
        suite_s = time.perf_counter() - started
        grades = collections.Counter(v.grade for v in doc.verdicts)
        ops = len({r.operation for r in doc.results})
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            st = schemathesis(
                spec,
                server.base_url,
                Path(tmp),
                "--continue-on-failure",
                "--phases",
                "examples,coverage,fuzzing",
                examples=args.examples,
                timeout=3600,
            )
            st_s = time.perf_counter() - started
        requests = len(mock.records) if hasattr(mock, "records") else 0
    text = st.stdout
    cases = re.search(r"Test cases:\s*(\d+) generated", text)
    failures = re.findall(r"^\s*- (ST\d+[^\n]*)", text, re.M)
    kinds = collections.Counter(f.split(" ", 1)[1].strip() if " " in f else f for f in failures)
    print(f"spec {spec.title} {spec.api_version}: {len(spec.operations)} operations")
    print(f"{'':<24}{'requests':>10}{'wall s':>10}{'operations':>12}  reported")
    print(
        f"{'conformance run':<24}{doc.run['requests']:>10}{suite_s:>10.1f}{ops:>12}  "
        + ", ".join(f"{n} {g}" for g, n in grades.most_common())
    )
    print(
        f"{'schemathesis run':<24}{(cases.group(1) if cases else '?'):>10}{st_s:>10.1f}{'':>12}  "
        f"{len(failures)} failures: " + "; ".join(f"{n}× {k}" for k, n in kinds.most_common(6))
    )
    print(f"mock requests logged in all: {requests}")


if __name__ == "__main__":
    main()
