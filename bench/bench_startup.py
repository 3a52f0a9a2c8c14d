"""Start-up cost: load a spec and compile every validator, in a fresh process, cold and warm cache.

    python bench/bench_startup.py                  # 5 repeats, ~1 min
    python bench/bench_startup.py --quick          # 3 repeats
    python bench/bench_startup.py --against REV    # also cold/warm of git revision REV, same run

Each case runs in a fresh subprocess (``sys.executable -c …``):

- cold:  ``load_spec(spec, cache=True)`` with an empty ``CONFORMANCE_CACHE_DIR`` (a new temp dir
         each repeat) + ``Validator(spec).compile_all()``
- warm:  the same with the cache already populated
- baselines, in the same run: a process that only does ``yaml.load(…, Loader=yaml.CSafeLoader)``
  of the spec, one that only does ``import conformance.validate``, and an empty one (interpreter
  start-up and exit only)
- with ``--against REV``: cold and warm of the code at git revision REV (a temporary worktree put
  first on ``sys.path``), so a change is measured against its parent on the same machine state

Two times per case: *work* = wall clock inside the child from its first statement (imports
included) to the end, printed by the child; *process* = wall clock of the whole subprocess
(interpreter start-up and exit included), measured by this script. Cases are run round-robin
(one repeat of each, then the next…), so noise hits them alike; medians (and best) are printed,
with ratios to the yaml baseline. Nothing is asserted: this script reports.
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
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT.parent / "shared" / "specs"
MAIN_SPEC = SPECS / "openai-2.3.0.yaml"
EXTRA_SPEC = SPECS / "openai-2026-08.yaml"

TARGET_COLD = 1.5  # seconds, 2.3.0
TARGET_WARM = 0.5  # seconds, 2.3.0

_PRELUDE = """
import time
_t0 = time.perf_counter()
import json, os, sys
sys.path.insert(0, sys.argv[2])
"""

CHILD = {
    "yaml": _PRELUDE
    + """
import yaml
with open(sys.argv[1], "rb") as f:
    _doc = yaml.load(f.read(), Loader=yaml.CSafeLoader)
print(json.dumps({"work": time.perf_counter() - _t0}))
""",
    "pass": _PRELUDE
    + """
print(json.dumps({"work": time.perf_counter() - _t0}))
""",
    "import": _PRELUDE
    + """
import conformance.validate
print(json.dumps({"work": time.perf_counter() - _t0}))
""",
    # cold and warm are the same code; only the cache directory differs
    "spec": _PRELUDE
    + """
cache = os.path.join(os.environ["CONFORMANCE_CACHE_DIR"], "specs")
before = len(os.listdir(cache)) if os.path.isdir(cache) else 0
_t1 = time.perf_counter()
from conformance.spec import load_spec
from conformance.validate import Validator
_t2 = time.perf_counter()
spec = load_spec(sys.argv[1], cache=True)
_t3 = time.perf_counter()
v = Validator(spec)
_t4 = time.perf_counter()
n = v.compile_all()
_t5 = time.perf_counter()
print(json.dumps({
    "work": _t5 - _t0,
    "import": _t2 - _t1, "load": _t3 - _t2, "schemas": _t4 - _t3, "compile": _t5 - _t4,
    "validators": n, "cache_files_before": before,
}))
""",
}


def run_child(kind: str, spec: Path, cache_dir: str | None, root: Path = ROOT) -> dict[str, Any]:
    env = dict(os.environ)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    # as installed code runs: bytecode cached in __pycache__ (this sandbox sets the variable,
    # which made every child compile our modules from source)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if cache_dir is not None:
        env["CONFORMANCE_CACHE_DIR"] = cache_dir
    code = CHILD["spec" if kind in ("cold", "warm") else kind]
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, str(spec), str(root)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"child {kind} {spec.name} failed:\n{proc.stderr}")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process"] = elapsed
    if kind == "cold" and out["cache_files_before"] != 0:
        raise SystemExit("cold run found a populated cache")
    if kind == "warm" and out["cache_files_before"] == 0:
        raise SystemExit("warm run found an empty cache")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 5")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--against", metavar="REV", help="also time the code of this git revision, same run"
    )
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 5)

    for spec in (MAIN_SPEC, EXTRA_SPEC):
        if not spec.exists():
            raise SystemExit(f"missing spec {spec}")

    print("bench_startup: fresh-process start-up (load_spec + Validator(spec).compile_all())")
    print(
        f"  python {sys.version.split()[0]} ({sys.executable}), nproc {os.cpu_count()}, {repeats} repeats, "
        "round-robin; median (best) in seconds"
    )
    print(
        "  work = inside the child, imports included; process = whole subprocess incl. interpreter start/exit"
    )
    print("  proc−work = interpreter start-up + exit (teardown) of the child, median")
    print(
        "  cold = empty CONFORMANCE_CACHE_DIR (new temp dir per repeat; the spec file itself is in the OS page cache)"
    )

    scratch = tempfile.mkdtemp(prefix="bench-startup-")
    roots = {"": ROOT}
    git = ["git", "-C", str(ROOT), "worktree"]
    worktree = str(Path(scratch) / "against")
    try:
        if args.against:
            subprocess.run([*git, "add", "--detach", worktree, args.against], check=True)
            roots[f" @{args.against}"] = Path(worktree)
        warm_dirs = {}
        for spec in (MAIN_SPEC, EXTRA_SPEC):
            for tag, root in roots.items():  # primes the warm caches (and the page cache), untimed
                warm_dirs[spec, tag] = os.path.join(scratch, f"warm-{spec.stem}{tag.strip()}")
                run_child("cold", spec, warm_dirs[spec, tag], root)

        cases: list[tuple[str, Path, str, str]] = [
            ("baseline: yaml.load CSafeLoader", MAIN_SPEC, "yaml", ""),
            ("baseline: python, nothing imported", MAIN_SPEC, "pass", ""),
            ("baseline: import conformance.validate", MAIN_SPEC, "import", ""),
        ]
        for spec in (MAIN_SPEC, EXTRA_SPEC):
            if spec != MAIN_SPEC:
                cases.append(("baseline: yaml.load CSafeLoader", spec, "yaml", ""))
            for tag in roots:
                cases += [
                    (f"cold{tag}: load_spec + compile_all", spec, "cold", tag),
                    (f"warm{tag}: load_spec + compile_all", spec, "warm", tag),
                ]
        results: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(cases))}
        for r in range(repeats):
            for i, (_, spec, kind, tag) in enumerate(cases):
                cache = None
                if kind == "cold":
                    cache = os.path.join(scratch, f"cold-{spec.stem}{tag.strip()}-{r}")
                elif kind == "warm":
                    cache = warm_dirs[spec, tag]
                results[i].append(run_child(kind, spec, cache, roots[tag]))
            print(f"  … repeat {r + 1}/{repeats} done", file=sys.stderr, flush=True)
    finally:
        if len(roots) > 1:
            subprocess.run([*git, "remove", "--force", worktree], check=False)
        shutil.rmtree(scratch, ignore_errors=True)

    def med(i: int, key: str) -> float:
        return float(statistics.median(x[key] for x in results[i]))

    def best(i: int, key: str) -> float:
        return float(min(x[key] for x in results[i]))

    summary: list[tuple[str, bool]] = []
    for spec, label in ((MAIN_SPEC, "main"), (EXTRA_SPEC, "extra line")):
        idx = [i for i, c in enumerate(cases) if c[1] == spec]
        base = next(i for i in idx if cases[i][2] == "yaml")
        size = spec.stat().st_size / 1e6
        print(f"\n{spec.name} ({size:.1f} MB YAML) — {label}")
        print(
            f"  {'case':<40} {'work med (best)':>17} {'× yaml':>7} {'process med (best)':>19} {'× yaml':>7} {'proc−work':>9}"
            f"   {'import':>6} {'load':>6} {'schemas':>7} {'compile':>7}  target"
        )
        print("  " + "-" * 148)
        for i in idx:
            name, _, kind, tag = cases[i]
            work, proc = med(i, "work"), med(i, "process")
            parts = ""
            if kind in ("cold", "warm"):
                parts = "   " + " ".join(
                    f"{med(i, k):>{w}.3f}"
                    for k, w in (("import", 6), ("load", 6), ("schemas", 7), ("compile", 7))
                )
            target = ""
            if spec == MAIN_SPEC and kind in ("cold", "warm") and not tag:
                limit = TARGET_COLD if kind == "cold" else TARGET_WARM
                ok_work, ok_proc = work <= limit, proc <= limit
                target = f"  ≤ {limit} s: work {'met' if ok_work else 'NOT MET'}, process {'met' if ok_proc else 'NOT MET'}"
                summary.append(
                    (f"{kind} start {spec.name} ≤ {limit} s — work {work:.3f} s", ok_work)
                )
                summary.append(
                    (f"{kind} start {spec.name} ≤ {limit} s — whole process {proc:.3f} s", ok_proc)
                )
            print(
                f"  {name:<40} {work:>7.3f} ({best(i, 'work'):.3f}) {work / med(base, 'work'):>6.2f}×"
                f" {proc:>9.3f} ({best(i, 'process'):.3f}) {proc / med(base, 'process'):>6.2f}×"
                f" {statistics.median(x['process'] - x['work'] for x in results[i]):>9.3f}{parts:<33}{target}"
            )
        for i in idx:
            if cases[i][2] == "cold":
                print(f"  validators compiled{cases[i][3]}: {results[i][0]['validators']}")
        for kind in ("cold", "warm") if args.against else ():
            ours, theirs = (next(i for i in idx if cases[i][2:] == (kind, t)) for t in roots)
            print(
                f"  {kind}: this tree / {args.against} = "
                f"{med(ours, 'work') / med(theirs, 'work'):.2f}× (work), "
                f"{med(ours, 'process') / med(theirs, 'process'):.2f}× (process)"
            )

    print("\ntargets (openai-2.3.0.yaml)")
    for line, ok in summary:
        print(f"  {'met' if ok else 'NOT MET':<8} {line}")


if __name__ == "__main__":
    main()
