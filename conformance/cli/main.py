"""Argument parsing and the ``spec check``, ``spec examples``, ``validate`` and ``mock`` commands.

Exit codes: 0 all good, 1 violations found, 2 bad input (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConformanceError, InputError
from .messages import Message, parse_message

__all__ = ["main", "run"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conformance",
        description="Make an OpenAPI spec executable: validate requests, responses and SSE streams.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    spec = commands.add_parser("spec", help="inspect a spec").add_subparsers(
        dest="spec_command", required=True
    )
    check = spec.add_parser(
        "check", help="load, index and compile every validator; list errata applied"
    )
    examples = spec.add_parser("examples", help="validate every example the spec carries")
    examples.add_argument("--all", action="store_true", help="list valid examples too")
    examples.add_argument("--no-schemas", action="store_true", help="only operation examples")

    validate = commands.add_parser(
        "validate", help="validate a request, response or stream against an operation"
    )
    validate.add_argument("--operation", "-o", required=True, help="operationId or 'METHOD /path'")
    what = validate.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--request", metavar="FILE", help="raw HTTP request, or a JSON body ('-' = stdin)"
    )
    what.add_argument(
        "--response", metavar="FILE", help="raw HTTP response, or a JSON body ('-' = stdin)"
    )
    what.add_argument("--stream", metavar="FILE", help="raw text/event-stream ('-' = stdin)")
    validate.add_argument(
        "--status", type=int, default=None, help="status of a bare response body (default 200)"
    )
    validate.add_argument("--content-type", default=None, help="Content-Type of a bare body")
    validate.add_argument(
        "--strict", action="store_true", help="undeclared properties are errors, not warnings"
    )

    mock = commands.add_parser(
        "mock", help="serve a mock of the API over HTTP until interrupted (SIGINT/SIGTERM)"
    )
    mock.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    mock.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    mock.add_argument(
        "--profile", default="typical", help="generation profile: typical, default or edge"
    )
    mock.add_argument("--seed", default="0", help="seed: same seed + same requests, same answers")
    mock.add_argument(
        "--faults", default=None, metavar="SPEC", help="faults, e.g. 'rate-limit:0.1,drop:0.05'"
    )
    mock.add_argument("--log", default=None, metavar="FILE", help="append a JSONL request log")
    mock.add_argument(
        "--strict", action="store_true", help="reject requests with undeclared properties"
    )
    mock.add_argument("--no-state", action="store_true", help="do not remember created objects")
    mock.add_argument("--no-auth", action="store_true", help="do not require an API key")
    mock.add_argument(
        "--base-path", default=None, metavar="PATH", help="serve under PATH (default: the spec's)"
    )
    mock.add_argument(
        "--log-level", default="warning", help="uvicorn's log level (default warning)"
    )

    for sub in (check, examples, validate, mock):
        sub.add_argument(
            "spec", metavar="SPEC", help="path or http(s) URL of an OpenAPI 3.0/3.1 spec"
        )
        sub.add_argument(
            "--errata",
            default=None,
            metavar="IDS",
            help="comma-separated errata to apply (default: all); 'none' for none",
        )
        sub.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _load(args: argparse.Namespace) -> Any:
    from ..spec import load_spec

    errata = None
    if args.errata is not None:
        errata = (
            ()
            if args.errata.strip() in ("", "none")
            else tuple(e.strip() for e in args.errata.split(","))
        )
    return load_spec(args.spec, errata=errata)


def _spec_check(args: argparse.Namespace) -> int:
    from ..validate import Validator

    started = time.perf_counter()
    spec = _load(args)
    validator = Validator(spec)
    compiled = validator.compile_all()
    elapsed = time.perf_counter() - started
    ops = spec.operations
    streams = sum(len(op.streams) for op in ops)
    bodies = sum(op.request_body is not None for op in ops)
    responses = sum(len(op.responses) for op in ops)
    if args.json:
        print(
            json.dumps(
                {
                    "spec": args.spec,
                    "openapi": spec.openapi,
                    "title": spec.title,
                    "version": spec.api_version,
                    "operations": len(ops),
                    "paths": len(spec.document.get("paths") or {}),
                    "request_bodies": bodies,
                    "responses": responses,
                    "streams": streams,
                    "validators": compiled,
                    "errata": [vars(e) for e in spec.errata],
                    "seconds": round(elapsed, 3),
                },
                indent=2,
            )
        )
        return 0
    print(f"{args.spec}: OpenAPI {spec.openapi}, {spec.title} {spec.api_version}")
    print(f"  operations  {len(ops)} indexed ({len(spec.document.get('paths') or {})} paths)")
    print(f"  requests    {bodies} bodies, {sum(len(op.parameters) for op in ops)} parameters")
    print(f"  responses   {responses} documented, {streams} SSE streams")
    print(f"  validators  {compiled} compiled in {elapsed:.2f}s")
    print(f"  errata      {len(spec.errata)} applied")
    for erratum in spec.errata:
        print(f"    - {erratum}")
    return 0


def _spec_examples(args: argparse.Namespace) -> int:
    from ..validate import Validator
    from ..validate.examples import check_examples

    spec = _load(args)
    results = check_examples(Validator(spec), schemas=not args.no_schemas)
    if args.json:
        print(
            json.dumps(
                [{k: v for k, v in vars(r).items() if k != "violations"} for r in results], indent=2
            )
        )
        return 0
    shown = [r for r in results if args.all or r.status != "valid"]
    if shown:
        width = min(40, max(len(r.subject) for r in shown))
        print(f"{'status':<11} {'subject':<{width}}  {'example':<26} reason")
        for r in shown:
            print(f"{r.status:<11} {r.subject:<{width}}  {r.title[:26]:<26} {r.reason[:160]}")
    for label, group in (
        ("operation examples", [r for r in results if r.title != "schema example"]),
        ("schema examples", [r for r in results if r.title == "schema example"]),
    ):
        if group:
            counts = Counter(r.status for r in group)
            print(
                f"{label}: {counts['valid']}/{len(group)} valid, {counts['invalid']} invalid, "
                f"{counts['unparseable']} unparseable, {counts['skipped']} skipped"
            )
    return 0


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}") from None


def _content_type(args: argparse.Namespace, message: Message) -> str | None:
    """--content-type, else the message's header; a bare body file is JSON."""
    bare = message.method is None and message.status is None
    return (
        args.content_type
        or message.headers.get("content-type")
        or ("application/json" if bare else None)
    )


def _validate(args: argparse.Namespace) -> int:
    from ..validate import Validator

    spec = _load(args)
    validator = Validator(spec, strict=args.strict)
    op = validator.operation(args.operation)
    if args.stream is not None:
        violations = validator.stream(op, _read(args.stream), status=args.status or 200)
    elif args.request is not None:
        message = parse_message(_read(args.request), args.request, response=False)
        violations = validator.request(
            op,
            path=message.target,
            headers=message.headers,
            body=message.body,
            content_type=_content_type(args, message),
        )
    else:
        message = parse_message(_read(args.response), args.response, response=True)
        violations = validator.response(
            op,
            status=args.status or message.status or 200,
            headers=message.headers,
            body=message.body,
            content_type=_content_type(args, message),
        )
    errors = [v for v in violations if v.is_error]
    if args.json:
        print(json.dumps([v.to_dict() for v in violations], indent=2))
    else:
        for violation in violations:
            print(violation)
        warnings = len(violations) - len(errors)
        print(f"{op.operation_id}: {len(errors)} violation(s), {warnings} warning(s)")
    return 1 if errors else 0


def _mock(args: argparse.Namespace) -> int:
    from ..mock import Mock
    from ..mock.server import bind, serve

    seed: int | str = int(args.seed) if args.seed.lstrip("-").isdigit() else args.seed
    mock = Mock(
        _load(args),
        profile=args.profile,
        seed=seed,
        state=not args.no_state,
        faults=args.faults,
        strict=args.strict,
        auth=not args.no_auth,
        base_path=args.base_path,
        log=args.log,
    )
    sock = bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    spec = mock.spec
    print(
        f"mocking {spec.title} {spec.api_version} ({len(spec.operations)} operations) "
        f"at http://{host}:{port}{mock.base_path}",
        file=sys.stderr,
        flush=True,
    )
    serve(mock, sock=sock, log_level=args.log_level)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code.

    >>> main(["validate", "spec.yaml", "-o", "listModels", "--response", "models.json"])  # doctest: +SKIP
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "spec":
            return _spec_check(args) if args.spec_command == "check" else _spec_examples(args)
        if args.command == "mock":
            return _mock(args)
        return _validate(args)
    except ConformanceError as exc:
        print(f"conformance: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 0 if args.command == "mock" else 130


def run() -> None:
    """Console-script entry: run, flush, and exit without tearing down thousands of validators."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    os._exit(code)
