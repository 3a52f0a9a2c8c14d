"""Fuzz harness throughput: cases per minute against openai-python, beside the harness' own cost
(a stdlib client that makes one request), and the time from start to the first minimized finding
(the planted non-ASCII bug of tests/fuzz/clients/planted.py, edge profile).

Usage: .venv/bin/python bench/bench_fuzz.py [--cases 36] [--jobs 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT.parent / "shared" / "specs" / "openai-2.3.0.yaml"
CALLS = [
    "models",
    "chat",
    "chat-stream",
    "embeddings-float",
    "embeddings-base64",
    "files-create",
    "files-retrieve",
    "responses",
    "responses-stream",
]


def rate(argv: list[str], cases: int, jobs: int, calls: tuple[str, ...], faults: str | None) -> str:
    from conformance.fuzz import Client, Harness, plan

    client = Client(argv, timeout=30)
    started = time.monotonic()
    with Harness(SPEC, client, seed="bench", jobs=jobs, oracle=True) as harness:
        done = list(harness.run(plan("bench", cases, calls=calls, faults=faults)))
    elapsed = time.monotonic() - started
    kinds: dict[str, int] = {}
    for d in done:
        kinds[d.outcome.kind] = kinds.get(d.outcome.kind, 0) + 1
    return f"{len(done) / elapsed * 60:6.0f} cases/min  ({len(done)} in {elapsed:.1f}s: {kinds})"


def first_minimized() -> str:
    from conformance.fuzz import Client, Harness, plan
    from conformance.fuzz.shrink import shrink

    client = Client([sys.executable, str(ROOT / "tests/fuzz/clients/planted.py"), "nonascii"])
    started = time.monotonic()
    with Harness(SPEC, client, seed="bench") as harness:
        for done in harness.run(plan("bench", 50, profile="edge", faults="")):
            if done.outcome.kind == "client":
                found = shrink(harness, done, budget=60)
                assert found is not None
                return (
                    f"{time.monotonic() - started:6.1f} s to the first minimized finding "
                    f"(case {done.case.id}, {found.calls} runs, exercises {found.exercises})"
                )
    return "no finding"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=36)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    python = [sys.executable, str(ROOT / "tests/fuzz/clients/openai_python.py"), "{call}"]
    planted = [sys.executable, str(ROOT / "tests/fuzz/clients/planted.py"), "echo"]
    print(
        f"baseline  stdlib client, no faults     {rate(planted, args.cases, args.jobs, ('',), '')}"
    )
    print(
        f"openai-python, no faults              {rate(python, args.cases, args.jobs, tuple(CALLS), '')}"
    )
    print(
        f"openai-python, default fault mix      {rate(python, args.cases, args.jobs, tuple(CALLS), None)}"
    )
    print(f"planted bug: {first_minimized()}")


if __name__ == "__main__":
    main()
