"""Memory and time of ``conformance spec check``: synthetic chained specs and both OpenAI specs.

    python bench/bench_spec_check.py                    # 3 repeats, ~3 min on 2 busy CPUs
    python bench/bench_spec_check.py --against 23489d3  # also the code of a git revision, same run
    python bench/bench_spec_check.py --quick            # 1 repeat
    python bench/bench_spec_check.py --hot-path         # validation speed, shared vs per location

Each case is a fresh subprocess (``sys.executable -c …``) that runs
``conformance.cli.main(["spec", "check", SPEC])`` with an empty ``CONFORMANCE_CACHE_DIR`` (cold:
the spec is read, converted and every validator compiled) and prints its peak RSS (``VmHWM``;
``ru_maxrss`` where there is no ``/proc``) and the wall time of the call. Beside each figure, in
the same run:

- ``load only``: the same child without compiling (``load_spec`` + ``Validator(spec)``, which
  converts both directions): the floor the compiled validators add to;
- with ``--against REV``: ``spec check`` by the code at git revision REV (a temporary worktree
  put first on ``sys.path``), e.g. the commit before a change.

Every child runs under an address-space limit (``--limit-mb``, default 6144) so that a baseline
that explodes fails alone ("over the limit") instead of taking the machine with it. Specs:
chained 1,000 × 100 and 5,000 × 100 (``bench/chained_spec.py``: N schemas each ``$ref``-ing
the next, M operations answering the head), ``../shared/specs/openai-2.3.0.yaml`` and
``openai-2026-08.yaml``. Cases run round-robin; medians of the repeats. Nothing is asserted.

``--hot-path`` instead measures validation speed in one process on openai-2.3.0: validators that
share one compilation (``conformance.validate.compiled``, this tree) against validators compiled
one per location as before (the same tree with ``Engine._validators`` swapped for
:class:`PerLocation`), on the valid and error paths, round-robin, so the sharing's cost on the
hot path is measured without another tree's changes mixed in.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from chained_spec import chained_spec  # noqa: E402

SPECS = ROOT.parent / "shared" / "specs"
GOAL_MB = 1024  # the chained 1,000 × 100 spec checks in less than this

CHILD = """
import json, os, resource, sys, time
root, spec, kind, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.path.insert(0, root)
import contextlib, io
t0 = time.perf_counter()
if kind == "load":
    from conformance.spec import load_spec
    from conformance.validate import Validator
    Validator(load_spec(spec))
    code = 0
else:
    from conformance.cli import main
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["spec", "check", spec])
elapsed = time.perf_counter() - t0
try:  # VmHWM: ru_maxrss keeps the parent's peak across fork + exec on Linux
    with open("/proc/self/status") as status:
        peak = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"code": code, "seconds": elapsed, "peak_mb": peak}))
"""


def run_child(root: Path, spec: Path, kind: str, cache: str, limit_mb: int) -> dict[str, Any]:
    env = dict(os.environ, CONFORMANCE_CACHE_DIR=cache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    limit = str(limit_mb * 1024 * 1024)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), str(spec), kind, limit],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1][:120]
        return {"failed": f"exit {proc.returncode}: {tail}"}
    out: dict[str, Any] = json.loads(lines[-1])
    return out


class PerLocation:
    """The compilation before sharing: one jsonschema-rs validator per location (``--hot-path``)."""

    def __init__(self, schemas: Any, formats: bool) -> None:
        import jsonschema_rs

        self.make = jsonschema_rs.Draft202012Validator
        self.schemas, self.formats = schemas, formats
        self.registry = jsonschema_rs.Registry(
            [
                (schemas.uri, schemas.document(False)),
                (schemas.strict_uri, schemas.document(True)),
            ]
        )
        self.cache: dict[tuple[str, bool], Any] = {}

    def root(self, ref: str, strict: bool = False) -> Any:
        if (ref, strict) not in self.cache:
            schema: dict[str, Any] = {"$ref": ref}
            if strict:
                strict_ref = ref.replace(self.schemas.uri, self.schemas.strict_uri, 1)
                schema = {"$ref": strict_ref, "unevaluatedProperties": False}
            self.cache[ref, strict] = self.node(schema)
        return self.cache[ref, strict]

    def node(self, schema: Any) -> Any:
        return self.make(schema, registry=self.registry, validate_formats=self.formats)


def hot_path(repeats: int) -> None:
    import gc
    import time

    sys.path.insert(0, str(ROOT))
    from bench_validate import CHAT_COMPLETION, invalid_response_branch

    from conformance.spec import load_spec
    from conformance.validate import Validator

    path = SPECS / "openai-2.3.0.yaml"
    shared, per_location = Validator(load_spec(path)), Validator(load_spec(path))
    for engine in (per_location.requests, per_location.responses):
        engine._validators = PerLocation(engine.schemas, engine._formats)  # type: ignore[assignment]
    chat = shared.spec.operation("createChatCompletion")
    loc = chat.responses["200"].content["application/json"].schema
    assert loc is not None
    bad_message = {"model": "gpt-4o", "messages": [{"role": "user", "content": 5}]}
    delta = {"type": "response.output_text.delta", "item_id": "m", "output_index": 0}
    bad_event = f"event: response.output_text.delta\ndata: {json.dumps(delta)}\n\n"

    def cases(v: Validator) -> dict[str, Any]:
        lenient, strict = v.responses.validator(loc), v.responses.validator(loc, True)
        bad = invalid_response_branch()
        return {
            "(a) validator(loc).is_valid, chat completion": lambda: lenient.is_valid(
                CHAT_COMPLETION
            ),
            "(b) validator(loc, strict).is_valid, same": lambda: strict.is_valid(CHAT_COMPLETION),
            "(c) v.response chat completion, valid": lambda: v.response(
                "createChatCompletion", body=CHAT_COMPLETION
            ),
            "(g) v.response Response, bad output item": lambda: v.response(
                "createResponse", body=bad
            ),
            "(i) v.request chat, user content 5": lambda: v.request(
                "createChatCompletion", body=bad_message
            ),
            "(l) v.stream Responses, bad delta event": lambda: v.stream(
                "createResponse", bad_event
            ),
        }

    sides = {"shared": cases(shared), "per location": cases(per_location)}
    for name in sides["shared"]:  # same verdicts, and warm
        got = [repr(side[name]()) for side in sides.values()]
        assert got[0] == got[1], (name, got)
    rates: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeats):
        for name in sides["shared"]:
            for side, fns in sides.items():
                fn, n = fns[name], 0
                gc.disable()
                t0 = time.perf_counter()
                while time.perf_counter() - t0 < 0.3:
                    fn()
                    n += 1
                elapsed = time.perf_counter() - t0
                gc.enable()
                rates.setdefault((name, side), []).append(n / elapsed)
    print("bench_spec_check --hot-path: validations/s on openai-2.3.0, one process, round-robin")
    print(f"  {repeats} repeats × 0.3 s per case and side; medians; same verdicts checked first")
    print(f"\n  {'case':<48} {'shared':>10} {'per location':>13} {'ratio':>7}")
    print("  " + "-" * 82)
    for name in sides["shared"]:
        a = statistics.median(rates[name, "shared"])
        b = statistics.median(rates[name, "per location"])
        print(f"  {name:<48} {a:>10,.0f} {b:>13,.0f} {a / b:>6.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1 repeat instead of 3")
    parser.add_argument("--hot-path", action="store_true", help="validation speed instead")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--against", metavar="REV", help="also check with this git revision")
    parser.add_argument("--limit-mb", type=int, default=6144, help="address space per child")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    if args.hot_path:
        hot_path(args.repeats or (3 if args.quick else 7))
        return

    scratch = tempfile.mkdtemp(prefix="bench-spec-check-")
    roots = {"this tree": ROOT}
    git = ["git", "-C", str(ROOT), "worktree"]
    worktree = str(Path(scratch) / "against")
    specs = [
        chained_spec(Path(scratch), 1000, 100),
        chained_spec(Path(scratch), 5000, 100),
        SPECS / "openai-2.3.0.yaml",
        SPECS / "openai-2026-08.yaml",
    ]
    results: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    try:
        if args.against:
            subprocess.run(
                [*git, "add", "--detach", worktree, args.against], check=True, capture_output=True
            )
            roots[f"@{args.against}"] = Path(worktree)
        sizes = {s.name: s.stat().st_size / 1024 for s in specs}
        cases = [(s, "load", "this tree") for s in specs]
        cases += [(s, "check", tag) for s in specs for tag in roots]
        for r in range(repeats):
            for n, (spec, kind, tag) in enumerate(cases):
                cache = os.path.join(scratch, f"cache-{r}-{n}")
                got = run_child(roots[tag], spec, kind, cache, args.limit_mb)
                results.setdefault((spec.name, kind, tag), []).append(got)
            print(f"  … repeat {r + 1}/{repeats} done", file=sys.stderr, flush=True)
    finally:
        if len(roots) > 1:
            subprocess.run([*git, "remove", "--force", worktree], check=False)
        shutil.rmtree(scratch, ignore_errors=True)

    print("bench_spec_check: `conformance spec check SPEC` in a fresh process, empty cache")
    print(
        f"  python {sys.version.split()[0]}, nproc {os.cpu_count()}, {repeats} repeat(s), "
        f"round-robin, medians; address space capped at {args.limit_mb} MB per child"
    )
    goal = ""
    for spec in specs:
        print(f"\n{spec.name} ({sizes[spec.name]:,.0f} KB)")
        print(f"  {'case':<34} {'peak RSS MB':>11} {'× load':>7} {'seconds':>8} {'× load':>7}")
        print("  " + "-" * 72)
        base = _median(results[(spec.name, "load", "this tree")])
        rows = [("load only (no compile)", "load", "this tree")]
        rows += [(f"spec check, {tag}", "check", tag) for tag in roots]
        for label, kind, tag in rows:
            got = _median(results[(spec.name, kind, tag)])
            if "failed" in got:
                print(f"  {label:<34} {got['failed']}")
                continue
            print(
                f"  {label:<34} {got['peak_mb']:>11,.0f} {got['peak_mb'] / base['peak_mb']:>6.2f}×"
                f" {got['seconds']:>8.2f} {got['seconds'] / base['seconds']:>6.2f}×"
            )
            if spec.name == "chained-1000x100.json" and tag == "this tree" and kind == "check":
                verdict = "met" if got["peak_mb"] < GOAL_MB else "NOT MET"
                goal = (
                    f"{verdict}: chained 1,000 × 100 under {GOAL_MB} MB ({got['peak_mb']:,.0f} MB)"
                )
        if len(roots) > 1:
            ours = _median(results[(spec.name, "check", "this tree")])
            theirs = _median(results[(spec.name, "check", f"@{args.against}")])
            if "failed" not in ours and "failed" not in theirs:
                print(
                    f"  this tree / @{args.against}: {ours['peak_mb'] / theirs['peak_mb']:.2f}× "
                    f"memory, {ours['seconds'] / theirs['seconds']:.2f}× time"
                )
    print(f"\ngoal: {goal}")


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if "failed" not in r]
    if not ok:
        return runs[0]
    return {k: statistics.median(r[k] for r in ok) for k in ("peak_mb", "seconds", "code")}


if __name__ == "__main__":
    main()
