"""The ``fuzz`` command: run a client against the mock until something breaks it; replay a case.

``conformance fuzz SPEC [--seed N] [--cases N] [--calls A,B…] [--profile typical|edge|default]
[--faults SPEC] [--timeout S] [--jobs N] [--base-url-env VAR] [--api-key-env VAR] [--oracle]
[--typed REGEX] [--loop N] [--results F.jsonl] -- CMD ARGS…`` runs ``CMD`` once per case
(``{call}`` in an argument is replaced by the case's call) with the base URL of the case's own
session and an API key in the environment; ``conformance fuzz replay CASE --results F.jsonl
[--serve] [-- CMD ARGS…]`` serves a case's recorded answers again and re-runs its client (or, with
``--serve``, serves them until interrupted). Exit codes: 0 no finding, 1 a client finding or a
mock bug (replay: the case still fails as recorded), 2 bad input, 130 interrupted.

Usage: ``conformance fuzz openai.yaml --cases 50 --calls chat,chat-stream --oracle --results
fuzz.jsonl -- python tests/fuzz/clients/openai_python.py {call}``
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from types import MethodType
from typing import Any

from ..errors import InputError
from .arguments import positive as _count

__all__ = ["add_parser", "execute"]


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``fuzz`` to the CLI's subcommands (everything after ``--`` is the client command)."""
    fuzz: argparse.ArgumentParser = commands.add_parser(
        "fuzz",
        help="run a client command against the mock, one isolated session per case; replay one",
        description="Start the mock on a free loopback port and run the client command once per "
        "case, with the case's own session URL (…/v1) and an API key in its environment; judge "
        "each run (exit, signal, hang, loop, untyped exception, success on a cut answer, "
        "--oracle) and record every answer served. 'fuzz replay CASE' serves a case's bytes again.",
        epilog="exit codes: 0 no finding, 1 a finding, 2 bad input, 130 interrupted",
    )
    fuzz.add_argument("spec", metavar="SPEC|replay", help="OpenAPI spec (or: replay CASE)")
    fuzz.add_argument("case", nargs="?", default=None, help=argparse.SUPPRESS)
    fuzz.add_argument("--seed", default="0", help="run seed: case N's mock is seeded SEED:N")
    fuzz.add_argument("--cases", type=_count, default=20, help="cases to run (default 20)")
    fuzz.add_argument("--start", type=_count0, default=0, help="first case number (default 0)")
    fuzz.add_argument(
        "--calls", default="", help="comma-separated calls, each in turn the {call} of a case"
    )
    fuzz.add_argument(
        "--profile",
        default=None,
        choices=("typical", "edge", "default"),
        help="generation profile (default: typical, edge, default in turn)",
    )
    fuzz.add_argument(
        "--faults",
        default=None,
        metavar="SPEC",
        help="faults of every case, e.g. 'split,drop:0.3' ('' none; default: none on half the "
        "cases, one of a mix on the others)",
    )
    fuzz.add_argument("--timeout", type=_seconds, default=20.0, help="seconds per run (20)")
    fuzz.add_argument("--jobs", type=_count, default=1, help="runs at once (default 1)")
    fuzz.add_argument("--base-url-env", default="OPENAI_BASE_URL", help="variable for the URL")
    fuzz.add_argument("--api-key-env", default="OPENAI_API_KEY", help="variable for the key")
    fuzz.add_argument(
        "--oracle",
        action="store_true",
        help="the client prints what it parsed as JSON (last stdout line): compare with the answer",
    )
    fuzz.add_argument(
        "--typed",
        default=None,
        metavar="REGEX",
        help="exception names the SDK declares (default '^openai\\.')",
    )
    fuzz.add_argument("--loop", type=_count, default=5, help="most requests to one path (5)")
    fuzz.add_argument("--results", metavar="F.jsonl", default=None, help="write every exchange")
    fuzz.add_argument(
        "--minimize",
        type=_count0,
        default=0,
        metavar="BUDGET",
        help="shrink each client finding to the smallest spec-valid answer that still breaks "
        "the client, re-running it at most BUDGET times (default 0: off)",
    )
    fuzz.add_argument("--serve", action="store_true", help="replay: serve until interrupted")
    fuzz.set_defaults(client=[])
    _split_at_dashes(fuzz)
    return fuzz


def _split_at_dashes(parser: argparse.ArgumentParser) -> None:
    """Make ``parser`` keep everything after the first ``--`` as ``client`` (argparse alone
    cannot tell a command's words from the positionals before them)."""
    parse = parser.parse_known_args

    def parse_known_args(
        self: argparse.ArgumentParser,
        args: Sequence[str] | None = None,
        namespace: argparse.Namespace | None = None,
    ) -> tuple[argparse.Namespace, list[str]]:
        words = list(sys.argv[1:] if args is None else args)
        after: list[str] = []
        if "--" in words:
            at = words.index("--")
            words, after = words[:at], words[at + 1 :]
        parsed, extra = parse(words, namespace)
        parsed.client = after
        return parsed, extra

    setattr(parser, "parse_known_args", MethodType(parse_known_args, parser))  # noqa: B010


def execute(args: argparse.Namespace) -> int:
    """Run ``fuzz`` (``fuzz replay``) as parsed; the exit code."""
    if args.spec == "replay":
        return _replay(args)
    if args.case is not None:
        raise InputError(f"unexpected argument {args.case!r} (the client command goes after --)")
    if not args.client:
        raise InputError("give the client command after --, e.g. -- python client.py {call}")
    from ..fuzz import Client, Harness, plan
    from ..fuzz.classify import TYPED
    from ..mock.faults import parse_faults

    if args.faults:
        parse_faults(args.faults)  # a bad fault is one line, before anything starts
    calls = tuple(c.strip() for c in args.calls.split(",") if c.strip()) or ("",)
    client = Client(
        args.client,
        timeout=args.timeout,
        base_url_env=args.base_url_env,
        api_key_env=args.api_key_env,
    )
    cases = plan(
        args.seed,
        args.cases,
        calls=calls,
        profile=args.profile,
        faults=args.faults,
        start=args.start,
    )
    settings = {"calls": list(calls), "profile": args.profile, "faults": args.faults}
    tally: Counter[str] = Counter()
    started = time.monotonic()
    findings = 0
    harness = Harness(
        args.spec,
        client,
        seed=args.seed,
        oracle=args.oracle,
        typed=args.typed or TYPED,
        loop=args.loop,
        results=args.results,
        jobs=args.jobs,
        settings=settings,
    )
    try:
        with harness:
            print(
                f"fuzzing at {harness.server.url}/fuzz/…{harness.sessions.spec.base_path}",
                file=sys.stderr,
            )
            for done in harness.run(cases):
                outcome = done.outcome
                tally[outcome.code or "ok"] += 1
                if outcome.finding:
                    findings += 1
                    print(
                        f"case {done.case.id} [{done.case.call or '-'} {done.case.profile} "
                        f"{done.case.faults or 'no faults'}]: {outcome.code}: {outcome.detail}"
                    )
                    if args.minimize and outcome.kind == "client":
                        _shrink(harness, done, args, time.monotonic() - started)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    elapsed = time.monotonic() - started
    ran = sum(tally.values())
    rate = ran / elapsed * 60 if elapsed else 0.0
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(tally.items()))
    where = f"; results in {args.results}" if args.results else ""
    print(f"{ran} cases in {elapsed:.1f}s ({rate:.0f}/min): {kinds}{where}")
    if findings and args.results:
        print(f"replay one: conformance fuzz replay CASE --results {args.results}")
    return 1 if findings else 0


def _shrink(harness: Any, done: Any, args: argparse.Namespace, elapsed: float) -> None:
    """Print the smallest answer that still breaks the client, and how to see it again."""
    import json

    from ..fuzz.shrink import encoded, framing, shrink, shrinkable

    found = shrink(harness, done, budget=args.minimize)
    if found is None:
        print("  (not minimized: the answer was an error, cut by a fault, or not JSON)")
        return
    answer = found.answer
    if isinstance(answer, tuple):  # stream events
        answer = [getattr(e, "data", e) for e in answer]
    text = json.dumps(answer, ensure_ascii=False)
    more = " (budget spent)" if found.exhausted else ""
    print(f"  minimal answer ({found.calls} runs{more}, at {elapsed:.0f}s): {text[:400]}")
    print(f"  exercises {found.exercises or '(the whole answer)'}")
    record = shrinkable(done)
    faults = framing(done, record) if record is not None else ()
    if record is not None and faults:  # the wire framing is part of the finding: show it
        served = encoded(record, found.answer, faults).response
        wire = b"".join(served.chunks or ()) if served is not None else b""
        names = ",".join(f.name for f in faults)
        print(f"  as served ({names}): {wire.decode('utf-8', 'replace')[:400]!r}")
    if args.results:
        print(f"  reproduce: conformance fuzz replay {done.case.id} --results {args.results}")


def _replay(args: argparse.Namespace) -> int:
    from ..fuzz.replay import harness_for, load_case, replay

    if args.case is None:
        raise InputError("give the case to replay: conformance fuzz replay CASE --results F.jsonl")
    if args.results is None:
        raise InputError("give the results file the case is in: --results F.jsonl")
    recorded = load_case(args.results, args.case)
    if args.serve:
        with harness_for(recorded, argv=args.client or ["true"]) as harness:
            session = harness.session(recorded.case, recorded.exchanges)
            print(session.base_url(harness.server.url), flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
    again, same = replay(recorded, argv=args.client or None, timeout=args.timeout)
    outcome = again.outcome
    print(
        f"case {args.case}: recorded {recorded.code or 'ok'}; replayed {outcome.code or 'ok'}"
        + f" ({'same bytes served' if same else 'answers differ from the recording'})"
    )
    if outcome.detail:
        print(f"  {outcome.detail}")
    return 1 if outcome.finding and outcome.code == recorded.code else 0


def _count0(text: str) -> int:
    return 0 if text.strip() == "0" else _count(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds in (0, 3600]")
    return value
