"""The ``run`` command: check a server against the spec with the live suite.

``conformance run SPEC [--base-url URL | --target FILE] [--model [FAMILY=]NAME]…
[--api-key-env VAR] [--operations ID,…] [--seed N] [--workers N] [--max-requests N] …
[--results F.jsonl] [--junit F] [--html F] [--markdown F] [--json F]``

With no ``--base-url`` (nor a target file) it runs against the toolkit's own mock on a free
port: nothing to configure, and every operation should pass. Exit codes: 0 no verdict
``fail``, 1 a ``fail``, 2 bad input (an unreachable server included), 130 interrupted (the
results so far are written).

Usage: ``conformance run openai.yaml --base-url http://127.0.0.1:8080/v1 --model chat=qwen``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import InputError
from ..results import AXES, GRADES, Document, Result, Verdict, worst
from ..results.document import result_line, spec_info, verdict_line

__all__ = ["add_parser", "execute"]

_MOCK_KEY = "sk-conformance-embedded-mock"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``run`` to the CLI's subcommands."""
    run: argparse.ArgumentParser = commands.add_parser(
        "run",
        help="check a server (by default: the toolkit's own mock) against the spec",
        description="Send realistic valid requests, requests the spec forbids and capability "
        "probes to a server, judge every answer (schema, streams, OpenAI's semantic rules, "
        "error envelope) and grade each operation on three axes: schema, semantics, "
        "capability. Without --base-url or --target, the toolkit's own mock is started on a "
        "free port and checked.",
        epilog="exit codes: 0 no failure, 1 a verdict failed, 2 bad input, 130 interrupted",
    )
    run.add_argument("spec", help="OpenAPI spec: a path or URL")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--base-url", help="the server's base URL, e.g. http://127.0.0.1:8080/v1")
    where.add_argument("--target", metavar="FILE", help="a target file (TOML): URL, models, auth…")
    run.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="[FAMILY=]NAME",
        help="model to send: NAME for every family, or chat=NAME, embeddings=NAME… (repeatable)",
    )
    run.add_argument(
        "--api-key-env",
        default=None,
        metavar="VAR",
        help="environment variable holding the API key (default OPENAI_API_KEY; never printed)",
    )
    run.add_argument(
        "--header", action="append", default=[], metavar="NAME:VALUE", help="extra header"
    )
    run.add_argument(
        "--operations", "-o", default="", help="comma-separated operationIds (default: all)"
    )
    run.add_argument("--tag", action="append", default=[], help="only operations with this tag")
    run.add_argument("--seed", type=int, default=0, help="same seed, same cases (default 0)")
    run.add_argument("--workers", type=int, default=1, help="requests in flight (default 1)")
    run.add_argument("--positive", type=int, default=3, help="valid requests per operation")
    run.add_argument("--negative", type=int, default=2, help="invalid requests per operation")
    run.add_argument("--no-flows", action="store_true", help="skip the stateful flows")
    budget = run.add_argument_group("budget and politeness")
    budget.add_argument("--max-requests", type=int, default=2000)
    budget.add_argument("--max-tokens", type=int, default=200_000, help="summed from usage")
    budget.add_argument("--max-seconds", type=float, default=600.0, help="wall time")
    budget.add_argument("--rate", type=float, default=0.0, help="requests per second (0: no cap)")
    budget.add_argument("--timeout", type=float, default=60.0, help="per request, and idle stream")
    budget.add_argument(
        "--generate-tokens", type=int, default=16, help="max_tokens put on requests"
    )
    profile = run.add_argument_group("capability profiles")
    profile.add_argument(
        "--probe", metavar="FILE", help="only probe what the server serves; write the profile"
    )
    profile.add_argument(
        "--capabilities", metavar="FILE", help="a profile from --probe: skip what is not served"
    )
    out = run.add_argument_group("outputs (results are written as they come)")
    out.add_argument("--results", metavar="FILE", help="JSON lines: every exchange, then verdicts")
    for name in ("junit", "html", "markdown", "json"):
        out.add_argument(f"--{name}", metavar="FILE", help=f"{name} report ('-': stdout)")
    out.add_argument("--quiet", "-q", action="store_true", help="only the summary line")
    return run


def _target(args: argparse.Namespace) -> Any:
    from ..suites import Target, load_target

    headers = {}
    for given in args.header:
        name, sep, value = given.partition(":")
        if not sep or not name.strip():
            raise InputError(f"--header {given!r}: expected NAME:VALUE")
        headers[name.strip()] = value.strip()
    if args.target:
        target = load_target(args.target)
    else:
        target = Target(args.base_url or "http://127.0.0.1:1/v1")
    target = target.with_models(args.model)
    changes: dict[str, Any] = {}
    if headers:
        changes["headers"] = {**target.headers, **headers}
    if args.api_key_env:
        changes["api_key_env"] = args.api_key_env
    if args.tag:
        changes["tags"] = tuple(args.tag)
    return target.with_(**changes) if changes else target


@contextlib.contextmanager
def _server(args: argparse.Namespace, spec: Any, target: Any) -> Iterator[Any]:
    """The target, or our own mock started for the run when no server was named."""
    if args.base_url or args.target:
        yield target
        return
    from ..mock import Mock
    from ..mock.server import MockServer

    with MockServer(Mock(spec, seed=args.seed, profile="typical")) as server:
        yield target.with_(
            base_url=server.base_url,
            api_key_env=None,
            headers={**target.headers, "Authorization": f"Bearer {_MOCK_KEY}"},
            name="embedded mock",
        )


def _open(path: str | None) -> IO[str] | None:
    if not path:
        return None
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--results {path}: cannot write: {exc.strerror or exc}") from None


class _Progress:
    """A rich progress bar on a terminal, a plain line per operation elsewhere (CI)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.rich: Any = None
        self.task: Any = None
        self.last_op = ""
        self.count = 0
        self.started = time.monotonic()
        if not quiet and sys.stderr.isatty():
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.rich = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed} exchanges"),
                TimeElapsedColumn(),
                transient=True,
            )
            self.rich.start()
            self.task = self.rich.add_task("running", total=None)

    def __call__(self, result: Result) -> None:
        self.count += 1
        op = result.operation or "?"
        if self.rich is not None:
            self.rich.update(self.task, advance=1, description=op)
        elif not self.quiet and op != self.last_op:
            elapsed = time.monotonic() - self.started
            print(f"[{elapsed:6.1f}s] {self.count:5d} {op}", file=sys.stderr, flush=True)
        self.last_op = op

    def close(self) -> None:
        if self.rich is not None:
            self.rich.stop()


def _table(verdicts: list[Verdict]) -> list[tuple[str, dict[str, str]]]:
    cells: dict[str, dict[str, list[str]]] = {}
    for v in verdicts:
        cells.setdefault(v.operation, {a: [] for a in AXES})[v.axis].append(v.grade)
    rows = [
        (op, {a: worst(g, default="-") if g else "-" for a, g in axes.items()})
        for op, axes in cells.items()
    ]
    rank = {g: i for i, g in enumerate((*GRADES, "-"))}
    rows.sort(key=lambda row: (min(rank[g] for g in row[1].values()), row[0]))
    return rows


def _summary(doc: Document, quiet: bool) -> None:
    rows = _table(doc.verdicts)
    counts = Counter(v.grade for v in doc.verdicts)
    run = doc.run
    line = (
        f"{len(rows)} operations, {run.get('requests', 0)} requests in {run.get('seconds', 0):.1f} s: "
        + ", ".join(f"{counts[g]} {g}" for g in GRADES if counts[g])
    )
    if not quiet:
        if sys.stdout.isatty():
            from rich.console import Console
            from rich.table import Table

            colors = {
                "fail": "red",
                "inconclusive": "magenta",
                "ignored": "yellow",
                "warn": "yellow",
                "unsupported": "cyan",
                "pass": "green",
            }
            table = Table("operation", *AXES)
            for op, axes in rows:
                table.add_row(op, *(f"[{colors.get(g, 'white')}]{g}[/]" for g in axes.values()))
            Console().print(table)
        else:
            width = max((len(op) for op, _ in rows), default=9)
            print(f"{'operation':<{width}}  " + "  ".join(f"{a:<12}" for a in AXES))
            for op, axes in rows:
                print(f"{op:<{width}}  " + "  ".join(f"{g:<12}" for g in axes.values()))
        for v in doc.verdicts:
            if v.grade == "fail":
                print(f"fail  {v.operation} [{v.axis}] {v.check}: {v.message[:300]}")
    print(line)


def execute(args: argparse.Namespace) -> int:
    """Run the command; returns the exit code."""
    from .. import load_spec
    from ..reports import write_reports
    from ..suites import Budget, run_suite
    from ..suites.capabilities import load_capabilities, probe

    spec = load_spec(args.spec)
    target = _target(args)
    budget = Budget(
        requests=args.max_requests,
        tokens=args.max_tokens,
        seconds=args.max_seconds,
        rate=args.rate,
        timeout=args.timeout,
        max_tokens=args.generate_tokens,
    )
    for name in ("positive", "negative"):
        if getattr(args, name) < 0:
            raise InputError(f"--{name} must not be negative")
    operations = tuple(o.strip() for o in args.operations.split(",") if o.strip())
    unsupported: tuple[str, ...] = ()
    if args.capabilities:
        unsupported = tuple(load_capabilities(args.capabilities).unsupported())
    reports = {
        n: getattr(args, n) for n in ("junit", "html", "markdown", "json") if getattr(args, n)
    }
    sink = _open(args.results)
    if sink is not None:
        head = Document(spec=spec_info(spec), run={"kind": "suite", "seed": str(args.seed)})
        sink.write(json.dumps(head.head(), ensure_ascii=False) + "\n")
    progress = _Progress(args.quiet)
    interrupted = False
    try:
        with _server(args, spec, target) as live:
            if args.probe:
                caps = probe(spec, live, budget, operations=operations, seed=args.seed)
                caps.write(args.probe)
                served = Counter(caps.operations.values())
                print(
                    f"capability profile {args.probe}: "
                    + ", ".join(f"{n} {s}" for s, n in sorted(served.items()))
                )
                return 0

            def on_result(result: Result) -> None:
                if sink is not None:
                    sink.write(result_line(result) + "\n")
                    sink.flush()
                progress(result)

            flows = None
            if not args.no_flows:
                flows = _flows(spec, live, budget, args.seed)
            doc = run_suite(
                spec,
                live,
                operations=operations,
                budget=budget,
                seed=args.seed,
                positive=args.positive,
                negative=args.negative,
                workers=args.workers,
                on_result=on_result,
                flows=flows,
                unsupported=unsupported,
            )
            interrupted = bool(doc.run.get("interrupted"))
    finally:
        progress.close()
    if sink is not None:
        for verdict in doc.verdicts:
            sink.write(verdict_line(verdict) + "\n")
        sink.close()
    if reports:
        write_reports(doc, reports)
    _summary(doc, args.quiet)
    if interrupted:
        return 130
    return 1 if any(v.grade == "fail" for v in doc.verdicts) else 0


def _flows(spec: Any, target: Any, budget: Any, seed: int) -> Any:
    import importlib

    try:
        module = importlib.import_module("conformance.suites.flows")
    except ImportError:  # pragma: no cover - flows land separately
        return None
    return module.flows(spec, target, budget, seed=seed)
