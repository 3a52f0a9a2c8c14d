"""Generation throughput: ``conformance.strategies`` vs. schemathesis ``as_strategy()``, every operation.

    python bench/bench_strategies.py              # all 126 operations of 2.3.0, 200 cases each (several minutes)
    python bench/bench_strategies.py --quick      # 50 cases each
    python bench/bench_strategies.py --ops 10     # only the first 10 operations
    python bench/bench_strategies.py --op createChatCompletion --op getRun

For every operation, three candidates are drawn through Hypothesis in the same way:

- ``responses(spec, op)``     (ours, every documented status and media type)
- ``requests(spec, op)``      (ours)
- ``operation.as_strategy()`` (schemathesis 4.x, positive mode), the baseline for requests

Each one is a ``@given`` test with ``settings(max_examples=N, database=None, derandomize=True,
deadline=None, suppress_health_check=list(HealthCheck), phases=[Phase.generate])`` whose body only
appends the case to a list, so neither the database nor shrinking is counted. It is run once as a
warm-up (lazy strategy set-up, validator compilation, caches), then once more timed; the rate is
cases / seconds of the whole second run. Strategy construction (``requests(...)``, ``as_strategy()``)
is timed separately and not included. The candidates of one operation run one after the other
(round-robin per operation) so a noisy stretch hits them alike.

A run is capped at ``--timeout`` seconds (default 20, a SIGALRM). A *failure* is an exception, a
timeout or fewer than N cases — unless Hypothesis says it stopped because the search space was
exhausted ("nothing left to do", e.g. a GET without parameters has exactly one request), which is
reported as *exhausted* and not as a failure.

Afterwards (not timed), the JSON request bodies of both generators are checked with the strict
validator: the % of bodies with an ``undeclared`` violation (keys the schema does not declare).
Nothing is asserted: this script reports.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import signal
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, Verbosity, given, settings  # noqa: E402
from hypothesis.statistics import collector  # noqa: E402

from conformance.spec import load_spec  # noqa: E402
from conformance.strategies import requests, responses  # noqa: E402
from conformance.validate import Validator  # noqa: E402

SPEC = ROOT.parent / "shared" / "specs" / "openai-2.3.0.yaml"

TARGET_RESP_MEDIAN = 500.0  # responses: median cases/s over operations
TARGET_RESP_WORST = 50.0  # responses: worst operation, and no failure or timeout


# -- running one strategy ------------------------------------------------------------------------


class Timeout(BaseException):
    """Raised by SIGALRM. A BaseException so that Hypothesis does not treat it as a test failure."""


def _alarm(signum: int, frame: Any) -> None:
    raise Timeout


@dataclass
class Run:
    count: int = 0
    seconds: float = 0.0
    cpu: float = (
        0.0  # process CPU time of the run (less sensitive to other jobs on a shared machine)
    )
    invalid: int = 0  # Hypothesis test cases thrown away (filters gave up) — wasted draws
    overrun: int = (
        0  # Hypothesis test cases that ran out of choices (cheap; part of normal generation)
    )
    gc: float = 0.0  # seconds in the garbage collector, as Hypothesis measured it
    stopped: str = ""
    error: str | None = None
    timed_out: bool = False
    cases: list[Any] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_rate(self) -> float:
        return self.count / self.cpu if self.cpu > 0 else 0.0


def run_given(strategy: Any, n: int, timeout: float, keep: bool = False) -> Run:
    """One @given run of ``strategy``: how many cases in how long, and why it stopped."""
    run = Run()
    cases = run.cases

    @settings(
        max_examples=n,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
        verbosity=Verbosity.quiet,  # no "Falsifying example" printing; failures are reported below
    )
    @given(strategy)
    def draw(case: Any) -> None:
        cases.append(case)

    stats: dict[str, Any] = {}
    gc.collect()  # start every run from the same state, as timeit does (GC stays on during the run)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    start = time.perf_counter()
    cpu_start = time.process_time()
    try:
        with collector.with_value(stats.update):
            draw()
    except Timeout:
        run.timed_out = True
    except Exception as exc:
        run.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        run.error_tb = traceback.format_exc()  # type: ignore[attr-defined]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    run.seconds = time.perf_counter() - start
    run.cpu = time.process_time() - cpu_start
    run.stopped = stats.get("stopped-because", "")
    run.count = len(cases)
    calls = stats.get("generate-phase", {}).get("test-cases", [])
    run.invalid = sum(c["status"] == "invalid" for c in calls)
    run.overrun = sum(c["status"] == "overrun" for c in calls)
    run.gc = sum(c.get("gctime", 0.0) for c in calls)
    if not keep:
        run.cases = []
    return run


@dataclass
class Result:
    """One candidate on one operation."""

    build: float = 0.0  # seconds to construct the strategy (not in the rate)
    warm: Run | None = None
    timed: Run | None = None
    build_error: str | None = None

    @property
    def final(self) -> Run | None:
        return self.timed or self.warm

    @property
    def exhausted(self) -> bool:
        r = self.final
        return bool(r and r.stopped == "nothing left to do" and not r.error and not r.timed_out)

    def failure(self, n: int) -> str | None:
        if self.build_error:
            return f"construction: {self.build_error}"
        r = self.final
        assert r is not None
        if r.timed_out:
            return f"timeout ({r.count} cases in {r.seconds:.1f} s, {'warm-up' if self.timed is None else 'timed run'})"
        if r.error:
            return r.error
        if r.count < n and not self.exhausted:
            return f"only {r.count}/{n} cases ({r.stopped or 'no reason given'})"
        return None

    @property
    def rate(self) -> float | None:
        return self.timed.rate if self.timed is not None and self.timed.count else None

    @property
    def cpu_rate(self) -> float | None:
        return self.timed.cpu_rate if self.timed is not None and self.timed.count else None


def measure(make: Callable[[], Any], n: int, timeout: float, keep: bool = False) -> Result:
    result = Result()
    start = time.perf_counter()
    try:
        strategy = make()
    except Exception as exc:
        result.build_error = f"{type(exc).__name__}: {exc}"
        return result
    result.build = time.perf_counter() - start
    result.warm = run_given(strategy, n, timeout)
    if result.warm.timed_out or result.warm.error:
        return result
    result.timed = run_given(strategy, n, timeout, keep=keep)
    return result


# -- undeclared keys -----------------------------------------------------------------------------


def _is_json(media: str | None) -> bool:
    if not media:
        return False
    base = media.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def _printable(text: str) -> str:
    """Control and other non-printable characters (generated keys carry NULs…) escaped, as repr() does."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@dataclass
class BodyCheck:
    bodies: int = 0
    undeclared: int = 0
    other_errors: int = 0  # bodies with some other error-severity violation (info only)
    examples: list[str] = field(default_factory=list)
    ops_undeclared: set[str] = field(default_factory=set)

    def add(self, op_id: str, found: list[Any]) -> None:
        self.bodies += 1
        und = [v for v in found if v.keyword == "undeclared"]
        if und:
            self.undeclared += 1
            self.ops_undeclared.add(op_id)
            if len(self.examples) < 5 and op_id not in {e.split(":")[0] for e in self.examples}:
                self.examples.append(_printable(f"{op_id}: {und[0]}"))
        # only body-related errors: schemathesis bodies are validated without path/query/headers
        if any(
            v.is_error
            and v.keyword != "undeclared"
            and str(getattr(v, "where", "")).startswith("request.body")
            for v in found
        ):
            self.other_errors += 1

    @property
    def pct(self) -> float:
        return 100.0 * self.undeclared / self.bodies if self.bodies else 0.0


def check_ours(v: Validator, op_id: str, cases: list[Any], out: BodyCheck) -> None:
    for case in cases:
        if not _is_json(case.media_type):
            continue
        found = v.request(
            op_id,
            path=case.path,
            query=case.query_string(),
            body=case.body,
            content_type="application/json",
        )
        out.add(op_id, found)


def check_schemathesis(v: Validator, op_id: str, cases: list[Any], out: BodyCheck) -> None:
    from schemathesis.core import NOT_SET

    for case in cases:
        if not _is_json(getattr(case, "media_type", None)) or case.body is NOT_SET:
            continue
        out.add(op_id, v.request(op_id, body=case.body, content_type="application/json"))


# -- report --------------------------------------------------------------------------------------


def _fmt_rate(r: float | None) -> str:
    return f"{r:,.0f}" if r is not None else "—"


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _version(dist: str) -> str:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return "?"


def _git_state() -> str:
    import subprocess

    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "conformance"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
    except Exception:
        return "?"
    changed = [line[3:] for line in dirty if line.strip()]
    return f"commit {head}" + (
        f" + uncommitted: {', '.join(changed)}" if changed else ", conformance/ clean"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="50 cases per operation instead of 200"
    )
    parser.add_argument(
        "-n", "--cases", type=int, default=None, help="cases per operation (default 200, quick 50)"
    )
    parser.add_argument(
        "--ops", type=int, default=None, help="only the first N operations (spec order)"
    )
    parser.add_argument(
        "--op", action="append", default=[], help="only this operationId (repeatable)"
    )
    parser.add_argument("--profile", default="default", help="default | typical | edge (ours only)")
    parser.add_argument(
        "--timeout", type=float, default=20.0, help="cap per run in seconds (default 20)"
    )
    parser.add_argument("--no-schemathesis", action="store_true", help="skip the baseline")
    parser.add_argument(
        "--json", type=Path, default=None, help="also write the raw figures to this file"
    )
    parser.add_argument(
        "--tracebacks", action="store_true", help="print the traceback of every failure"
    )
    args = parser.parse_args()
    n = args.cases or (50 if args.quick else 200)
    signal.signal(signal.SIGALRM, _alarm)
    # The requests() filter builds an httpx.Request. Importing httpx pulls in `rich` (when installed), whose
    # import calls random.getrandbits: imported while drawing, Hypothesis warns about the global `random`
    # module in a strategy (conformance imports httpx at module level since dc5877b). Import it up front
    # anyway so that no import is ever timed.
    import httpx  # noqa: F401

    t0 = time.perf_counter()
    spec = load_spec(SPEC)
    t_spec = time.perf_counter() - t0
    ops = list(spec.operations)
    if args.op:
        wanted = set(args.op)
        ops = [o for o in ops if o.operation_id in wanted]
        missing = wanted - {o.operation_id for o in ops}
        if missing:
            parser.error(f"unknown operation(s): {', '.join(sorted(missing))}")
    if args.ops is not None:
        ops = ops[: args.ops]

    from conformance.strategies.context import context

    t0 = time.perf_counter()
    context(spec, args.profile)  # validator + both compilers, shared by every strategy
    t_ctx = time.perf_counter() - t0

    st_ops: dict[str, Any] = {}
    t_st = 0.0
    if not args.no_schemathesis:
        import schemathesis

        t0 = time.perf_counter()
        schema = schemathesis.openapi.from_path(SPEC)
        for res in schema.get_all_operations():
            op = res.ok()
            op_id = op.definition.raw.get("operationId")
            if op_id:
                st_ops[op_id] = op
        t_st = time.perf_counter() - t0

    print(
        "bench_strategies: generated cases per second, per operation (ours vs schemathesis as_strategy())"
    )
    print(
        f"  spec {SPEC.name} ({len(spec.operations)} operations, {len(ops)} measured), profile {args.profile!r}, "
        f"N = {n} cases per run, cap {args.timeout:.0f} s per run"
    )
    print(
        f"  python {sys.version.split()[0]}, hypothesis {_version('hypothesis')}, schemathesis "
        f"{_version('schemathesis')}, jsonschema-rs {_version('jsonschema-rs')}, nproc {os.cpu_count()}"
    )
    print(
        "  @given(max_examples=N, database=None, derandomize=True, deadline=None, all health checks "
        "suppressed, phases=[generate]); warm-up run, then the timed run"
    )
    print(f"  code: {_git_state()}")
    print(f"  load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"  set-up (not in the rates): load_spec {t_spec:.2f} s, our context (validator + compilers) "
        f"{t_ctx:.2f} s, schemathesis from_path + operations {t_st:.2f} s"
    )
    print()

    v = Validator(spec, strict=True)
    ours_body = BodyCheck()
    st_body = BodyCheck()
    rows: list[dict[str, Any]] = []
    header = (
        f"  {'operation':<38} {'resp/s':>8} {'req/s':>8} {'st req/s':>9} {'req/st':>7}"
        f" {'build ms r/q/st':>17}  notes"
    )
    print(header)
    print("  " + "-" * (len(header) + 20))
    start_all = time.perf_counter()
    for op in ops:
        op_id = op.operation_id
        resp = measure(lambda o=op_id: responses(spec, o, profile=args.profile), n, args.timeout)
        req = measure(
            lambda o=op_id: requests(spec, o, profile=args.profile), n, args.timeout, keep=True
        )
        stq: Result | None = None
        if not args.no_schemathesis and op_id in st_ops:
            stq = measure(lambda o=op_id: st_ops[o].as_strategy(), n, args.timeout, keep=True)
        if req.timed is not None:
            check_ours(v, op_id, req.timed.cases, ours_body)
            req.timed.cases = []
        if stq is not None and stq.timed is not None:
            check_schemathesis(v, op_id, stq.timed.cases, st_body)
            stq.timed.cases = []

        notes = []
        for label, res in (("resp", resp), ("req", req), ("st", stq)):
            if res is None:
                continue
            fail = res.failure(n)
            if fail:
                notes.append(f"{label} FAIL: {fail}")
            elif res.exhausted:
                notes.append(f"{label} exhausted after {res.final.count}")  # type: ignore[union-attr]
            if res.timed is not None and res.timed.invalid >= n // 4:
                notes.append(f"{label} {res.timed.invalid} draws rejected")
        ratio = (req.rate / stq.rate) if stq is not None and req.rate and stq.rate else None
        builds = "/".join(
            f"{r.build * 1000:.0f}" if r is not None else "—" for r in (resp, req, stq)
        )
        print(
            f"  {op_id:<38} {_fmt_rate(resp.rate):>8} {_fmt_rate(req.rate):>8} "
            f"{_fmt_rate(stq.rate if stq else None):>9} {(f'{ratio:.2f}×' if ratio else '—'):>7} "
            f"{builds:>17}  {'; '.join(notes)}",
            flush=True,
        )
        if args.tracebacks:
            for res in (resp, req, stq):
                for r in (res.warm, res.timed) if res else ():
                    if r is not None and getattr(r, "error_tb", None):
                        print(r.error_tb)  # type: ignore[attr-defined]
        rows.append(
            {
                "operation": op_id,
                **{
                    f"{label}_{key}": value
                    for label, res in (("resp", resp), ("req", req), ("st", stq))
                    for key, value in (
                        {
                            "rate": res.rate if res else None,
                            "cpu_rate": res.cpu_rate if res else None,
                            "build_s": res.build if res else None,
                            "warm_s": res.warm.seconds if res and res.warm else None,
                            "timed_s": res.timed.seconds if res and res.timed else None,
                            "cpu_s": res.timed.cpu if res and res.timed else None,
                            "gc_s": res.timed.gc if res and res.timed else None,
                            "invalid": res.timed.invalid if res and res.timed else None,
                            "overrun": res.timed.overrun if res and res.timed else None,
                            "count": res.final.count if res and res.final else None,
                            "failure": res.failure(n) if res else None,
                            "exhausted": res.exhausted if res else None,
                            "stopped": res.final.stopped if res and res.final else None,
                        }
                    ).items()
                },
            }
        )
    wall = time.perf_counter() - start_all

    # -- summary ---------------------------------------------------------------------------------
    def summary(
        label: str, key: str
    ) -> tuple[float | None, list[dict[str, Any]], list[dict[str, Any]]]:
        measured = [r for r in rows if r[f"{key}_rate"] is not None]
        failed = [r for r in rows if r[f"{key}_failure"]]
        med = _median([r[f"{key}_rate"] for r in measured])
        worst = sorted(measured, key=lambda r: r[f"{key}_rate"])[:5]
        exhausted = [r["operation"] for r in rows if r[f"{key}_exhausted"]]
        cpu_med = _median([r[f"{key}_cpu_rate"] for r in measured])
        print(
            f"  {label}: median {_fmt_rate(med)}/s over {len(measured)} operations"
            f" (per CPU second {_fmt_rate(cpu_med)}/s; failures {len(failed)}, exhausted {len(exhausted)})"
        )
        print(
            "    worst 5: "
            + ", ".join(f"{r['operation']} {_fmt_rate(r[f'{key}_rate'])}/s" for r in worst)
        )
        full = [r[f"{key}_rate"] for r in measured if not r[f"{key}_exhausted"]]
        if exhausted:
            print(
                f"    median without exhausted operations {_fmt_rate(_median(full))}/s; exhausted: "
                + ", ".join(
                    f"{r['operation']} ({r[f'{key}_count']})" for r in rows if r[f"{key}_exhausted"]
                )
            )
        builds = [r[f"{key}_build_s"] for r in rows if r[f"{key}_build_s"] is not None]
        warms = [r[f"{key}_warm_s"] for r in rows if r[f"{key}_warm_s"] is not None]
        if builds:
            print(
                f"    construction: median {statistics.median(builds) * 1000:.1f} ms, max "
                f"{max(builds) * 1000:.0f} ms, total {sum(builds):.1f} s; warm-up runs total {sum(warms):.1f} s"
            )
        timed = sum(r[f"{key}_timed_s"] or 0 for r in rows)
        gcs = sum(r[f"{key}_gc_s"] or 0 for r in rows)
        rejected = sum(r[f"{key}_invalid"] or 0 for r in rows)
        many = [r for r in rows if (r[f"{key}_invalid"] or 0) >= n // 4]
        print(
            f"    timed runs total {timed:.1f} s, of which GC {gcs:.1f} s ({100 * gcs / timed if timed else 0:.0f}%); "
            f"rejected draws {rejected} (≥ N/4 in {len(many)} operations"
            + (
                ": " + ", ".join(f"{r['operation']} {r[f'{key}_invalid']}" for r in many)
                if many
                else ""
            )
            + ")"
        )
        for r in failed:
            print(f"    FAIL {r['operation']}: {r[f'{key}_failure']}")
        return med, worst, failed

    print()
    print(
        f"summary ({wall:.0f} s for the per-operation loop; load average at end "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})"
    )
    resp_med, resp_worst, resp_failed = summary("ours responses()", "resp")
    req_med, _, req_failed = summary("ours requests() ", "req")
    st_med = None
    if not args.no_schemathesis:
        st_med, _, _ = summary("schemathesis as_strategy()", "st")
        both = [r for r in rows if r["req_rate"] and r["st_rate"]]
        ratios = [r["req_rate"] / r["st_rate"] for r in both]
        if req_med and st_med:
            print(
                f"  requests: ours median / schemathesis median = {req_med:,.0f} / {st_med:,.0f} = "
                f"{req_med / st_med:.2f}×; per-operation ratio median {statistics.median(ratios):.2f}× "
                f"(ours faster on {sum(x > 1 for x in ratios)}/{len(ratios)} operations)"
            )

    print()
    print(
        "JSON request bodies with keys the schema does not declare (strict validator, keyword 'undeclared')"
    )
    for label, check in (("ours", ours_body), ("schemathesis", st_body)):
        if label == "schemathesis" and args.no_schemathesis:
            continue
        print(
            f"  {label:<13} {check.undeclared:>6} / {check.bodies:<6} bodies = {check.pct:5.1f}%"
            f"  in {len(check.ops_undeclared)} operations; other body errors {check.other_errors}"
            f" ({100.0 * check.other_errors / check.bodies if check.bodies else 0:.1f}%)"
        )
        for ex in check.examples[:3]:
            print(f"      e.g. {ex[:220]}")

    resp_worst_rate = resp_worst[0]["resp_rate"] if resp_worst else None
    targets = [
        (
            f"responses median ≥ {TARGET_RESP_MEDIAN:.0f}/s",
            resp_med is not None and resp_med >= TARGET_RESP_MEDIAN,
            f"{_fmt_rate(resp_med)}/s",
        ),
        (
            f"responses worst ≥ {TARGET_RESP_WORST:.0f}/s, no failure or timeout",
            resp_worst_rate is not None
            and resp_worst_rate >= TARGET_RESP_WORST
            and not resp_failed,
            f"worst {_fmt_rate(resp_worst_rate)}/s, {len(resp_failed)} failures",
        ),
    ]
    if not args.no_schemathesis:
        targets.append(
            (
                "requests median ≥ schemathesis median",
                req_med is not None and st_med is not None and req_med >= st_med,
                f"{_fmt_rate(req_med)}/s vs {_fmt_rate(st_med)}/s",
            )
        )
    targets.append(
        (
            "0% undeclared keys in our request bodies",
            ours_body.undeclared == 0 and ours_body.bodies > 0,
            f"{ours_body.pct:.1f}% of {ours_body.bodies}",
        )
    )
    print()
    print("targets")
    for name, ok, figure in targets:
        print(f"  {'met    ' if ok else 'NOT met'}  {name}: {figure}")
    if req_failed:
        print(f"  (requests failures: {len(req_failed)})")

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "n": n,
                    "profile": args.profile,
                    "rows": rows,
                    "wall_s": wall,
                    "setup": {"load_spec": t_spec, "context": t_ctx, "schemathesis": t_st},
                    "undeclared": {
                        k: {
                            "bodies": c.bodies,
                            "undeclared": c.undeclared,
                            "other_errors": c.other_errors,
                            "ops": sorted(c.ops_undeclared),
                            "examples": c.examples,
                        }
                        for k, c in (("ours", ours_body), ("schemathesis", st_body))
                    },
                    "machine": {
                        "python": sys.version.split()[0],
                        "platform": platform.platform(),
                        "nproc": os.cpu_count(),
                    },
                },
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
