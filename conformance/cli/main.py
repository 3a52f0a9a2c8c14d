"""Argument parsing and the ``spec check``, ``spec examples``, ``validate``, ``codes`` and
``mock`` commands.

Exit codes: 0 all good, 1 violations found (or, for ``spec examples``, an invalid or unparseable
example), 2 bad input (one line on stderr, no traceback).

Usage: ``conformance validate SPEC -o createChatCompletion --request req.json --response res.json``
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
from typing import Any, NoReturn

from ..errors import ConformanceError, InputError
from . import fuzz, report, specdiff
from . import run as suite_run
from .arguments import positive as _positive
from .messages import Message, parse_message

__all__ = ["main", "run"]


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="conformance",
        description="Make an OpenAPI spec executable: validate requests, responses and SSE streams.",
        epilog="exit codes: 0 all good, 1 violations found, 2 bad input",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    spec = commands.add_parser("spec", help="inspect a spec").add_subparsers(
        dest="spec_command", required=True
    )
    check = spec.add_parser(
        "check", help="load, index and compile every validator; list errata applied"
    )
    examples = spec.add_parser(
        "examples",
        help="validate every example the spec carries",
        description="Validate every example the spec carries. Exits 1 when any example is "
        "invalid or unparseable, 0 when all are valid (skipped ones aside): usable as a CI gate.",
    )
    examples.add_argument("--all", action="store_true", help="list valid examples too")
    examples.add_argument("--no-schemas", action="store_true", help="only operation examples")
    specdiff.add_parser(spec)

    validate = commands.add_parser(
        "validate",
        help="validate a request, response or stream (or a request with its answer)",
        description="Validate a request, a response or a stream against an operation. Give "
        "--request with --response or --stream to check the exchange: both against the spec, "
        "then the OpenAI semantic rules over the pair (n choices, tool calls, usage…).",
    )
    validate.add_argument(
        "--operation",
        "-o",
        default=None,
        help="operationId or 'METHOD /path' (default: routed by a raw request's request line)",
    )
    validate.add_argument(
        "--request", metavar="FILE", help="raw HTTP request, or a JSON body ('-' = stdin)"
    )
    what = validate.add_mutually_exclusive_group()
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

    codes = commands.add_parser(
        "codes",
        help="the verdict codes table, or what the given codes mean",
        description="Print the table of verdict codes (Violation.code), or the meaning of each "
        "code given; an unknown code is an error (exit 2).",
    )
    codes.add_argument("code", nargs="*", metavar="CODE", help="e.g. schema.required")
    codes.add_argument("--json", action="store_true", help="machine-readable output")

    mock = commands.add_parser(
        "mock", help="serve a mock of the API over HTTP until interrupted (SIGINT/SIGTERM)"
    )
    mock.add_argument("--port", type=_port, default=8000, help="port to listen on (default 8000)")
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
    mock.add_argument(
        "--max-objects",
        type=_positive,
        default=None,
        metavar="N",
        help="stored objects kept, the oldest evicted first (default 10000)",
    )
    mock.add_argument(
        "--max-bytes",
        type=_positive,
        default=None,
        metavar="N",
        help="stored bytes kept (objects' JSON, uploads), the oldest evicted first "
        "(default 268435456: 256 MiB)",
    )
    mock.add_argument("--no-auth", action="store_true", help="do not require an API key")
    mock.add_argument(
        "--max-header-bytes",
        type=_positive,
        default=None,
        metavar="N",
        help="request line and headers, past it 431 (default 65536)",
    )
    mock.add_argument(
        "--header-timeout",
        type=_seconds,
        default=None,
        metavar="S",
        help="seconds to send a request's head, past it 408; a connection that sends nothing "
        "is closed (default 10)",
    )
    mock.add_argument(
        "--body-timeout",
        type=_seconds,
        default=None,
        metavar="S",
        help="seconds to send a request's body once its head is in, past it 408 (default 60)",
    )
    mock.add_argument(
        "--keep-alive",
        type=_seconds,
        default=None,
        metavar="S",
        help="seconds an idle connection is kept between requests (default 5)",
    )
    mock.add_argument(
        "--max-connections",
        type=_positive,
        default=None,
        metavar="N",
        help="open connections; one more is answered 503 (default 1000, or fewer under a low "
        "descriptor limit: the soft RLIMIT_NOFILE less 64)",
    )
    mock.add_argument(
        "--base-path", default=None, metavar="PATH", help="serve under PATH (default: the spec's)"
    )
    mock.add_argument(
        "--log-level",
        default="warning",
        type=str.lower,
        choices=_LOG_LEVELS,
        help="uvicorn's log level (default warning)",
    )

    report.add_parser(commands)
    suite_run.add_parser(commands)
    fuzz.add_parser(commands)

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
        sub.add_argument(
            "--json",
            action="store_true",
            help="machine-readable output"
            + ("; mock: the start-up line as one JSON object" if sub is mock else ""),
        )
    return parser


_LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def _version() -> str:
    """The installed distribution's version (the package's own when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("openai-conformance")
    except PackageNotFoundError:
        from .. import __version__

        return __version__


def _port(text: str) -> int:
    """A TCP port: 0 (any free one) to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535; 0 = any free one)")
    return port


def _seconds(text: str) -> float:
    """A timeout: a positive number of seconds, at most an hour."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds in (0, 3600]")
    return value


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line, as every other bad input (exit 2), pointing at ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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
    """Exit 1 when any example is invalid or unparseable (a CI gate), else 0."""
    from ..validate import Validator
    from ..validate.examples import INVALID, UNPARSEABLE, check_examples

    spec = _load(args)
    results = check_examples(Validator(spec), schemas=not args.no_schemas)
    failed = 1 if any(r.status in (INVALID, UNPARSEABLE) for r in results) else 0
    if args.json:  # a results document (conformance.results), one result per example
        from ..results import Document, Result
        from ..results.document import spec_info

        run = {"producer": "spec examples", "schemas": not args.no_schemas}
        made = [Result.from_example(r) for r in results]
        print(Document(made, spec=spec_info(spec), run=run).to_json(indent=2))
        return failed
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
    return failed


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
    """One message against its operation, or a request and its answer together (the exchange:
    ``Validator.exchange``, schema and semantic rules)."""
    from ..validate import Validator

    if args.request is None and args.response is None and args.stream is None:
        raise InputError("give --request, --response or --stream (or --request with one of them)")
    if [args.request, args.response, args.stream].count("-") > 1:
        raise InputError("only one of --request, --response and --stream can read stdin ('-')")
    request = (
        parse_message(_read(args.request), args.request, response=False)
        if args.request is not None
        else None
    )
    if args.operation is None and (request is None or request.method is None):
        raise InputError(
            "give --operation (-o), or a raw HTTP request whose request line names the operation"
        )
    spec = _load(args)
    validator = Validator(spec, strict=args.strict)
    op = validator.operation(args.operation) if args.operation is not None else None
    answer = _answer(args)
    if request is not None:
        headers = dict(request.headers)
        # --content-type is the answer's when there is one; a bare request body is JSON
        ctype = _content_type(args if answer is None else _NO_OVERRIDE, request)
        if ctype is not None:
            headers["content-type"] = ctype
        method = request.method if op is None else None
        if answer is None:
            violations = validator.request(
                op, method=method, path=request.target, headers=headers, body=request.body
            )
        else:
            status, response_headers, body = answer
            violations = validator.exchange(
                op,
                method=method,
                path=request.target,
                headers=headers,
                body=request.body,
                status=status,
                response_headers=response_headers,
                response=body,
            )
        if op is None and method is not None and request.target is not None:
            routed = spec.match(method, request.target.split("?", 1)[0])
            op = routed[0] if routed is not None else None
    else:
        assert op is not None and answer is not None
        status, response_headers, body = answer
        if args.stream is not None:
            violations = validator.stream(op, body, status=status)
        else:
            violations = validator.response(op, status=status, headers=response_headers, body=body)
    errors = [v for v in violations if v.is_error]
    if args.json:
        print(json.dumps([v.to_dict() for v in violations], indent=2))
    else:
        for violation in violations:
            print(violation)
        warnings = len(violations) - len(errors)
        subject = op.operation_id if op is not None else "no operation"
        print(f"{subject}: {len(errors)} violation(s), {warnings} warning(s)")
    return 1 if errors else 0


_NO_OVERRIDE = argparse.Namespace(content_type=None)


def _answer(args: argparse.Namespace) -> tuple[int, dict[str, str], bytes] | None:
    """The --response or --stream file as (status, headers, body); None when neither is given."""
    if args.stream is not None:
        return args.status or 200, {"content-type": "text/event-stream"}, _read(args.stream)
    if args.response is None:
        return None
    message = parse_message(_read(args.response), args.response, response=True)
    headers = dict(message.headers)
    ctype = _content_type(args, message)
    if ctype is not None:
        headers["content-type"] = ctype
    return args.status or message.status or 200, headers, message.body


def _codes(args: argparse.Namespace) -> int:
    """The codes table (Markdown), or the given codes' meanings; an unknown code is exit 2."""
    from ..validate.codes import CODES, table

    unknown = [c for c in args.code if c not in CODES]
    if unknown:
        raise InputError(
            f"unknown code{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
            "(conformance codes lists them all)"
        )
    chosen = {c: CODES[c] for c in args.code} if args.code else dict(CODES)
    if args.json:
        print(json.dumps(chosen, indent=2))
    elif args.code:
        width = max(map(len, chosen))
        for code, meaning in chosen.items():
            print(f"{code:<{width}}  {meaning}")
    else:
        print(table())
    return 0


def _mock(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM. Bad options (base path, log file, port, log level) are
    refused before the spec is even loaded: one line, exit 2."""
    from ..mock import Mock
    from ..mock.server import ServerLimits, bind, serve
    from ..mock.state import MAX_BYTES, MAX_OBJECTS

    base_path = _base_path(args.base_path)
    log = _log_file(args.log)
    seed: int | str = int(args.seed) if args.seed.lstrip("-").isdigit() else args.seed
    mock = Mock(
        _load(args),
        profile=args.profile,
        seed=seed,
        state=not args.no_state,
        faults=args.faults,
        strict=args.strict,
        auth=not args.no_auth,
        base_path=base_path,
        log=log,
        max_objects=args.max_objects or MAX_OBJECTS,
        max_bytes=args.max_bytes or MAX_BYTES,
    )
    defaults = ServerLimits()
    limits = ServerLimits(
        max_header_bytes=args.max_header_bytes or defaults.max_header_bytes,
        header_timeout=args.header_timeout or defaults.header_timeout,
        body_timeout=args.body_timeout or defaults.body_timeout,
        keep_alive=args.keep_alive or defaults.keep_alive,
        max_connections=args.max_connections or defaults.max_connections,
    )
    sock = bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    spec = mock.spec
    url = f"http://{host}:{port}"
    if args.json:
        info = {
            "url": url,
            "base_url": url + mock.base_path,
            "host": args.host,
            "port": port,
            "spec": args.spec,
            "title": spec.title,
            "version": spec.api_version,
            "operations": len(spec.operations),
            "errata": [e.id for e in spec.errata],
            "profile": mock.profile,
            "seed": mock.seed,
            "faults": args.faults,
            "strict": args.strict,
            "state": not args.no_state,
            "max_objects": args.max_objects or MAX_OBJECTS,
            "max_bytes": args.max_bytes or MAX_BYTES,
            "auth": mock.auth,
            "max_header_bytes": limits.max_header_bytes,
            "header_timeout": limits.header_timeout,
            "body_timeout": limits.body_timeout,
            "keep_alive": limits.keep_alive,
            "max_connections": limits.max_connections,
            "log": str(log) if log is not None else None,
            "log_level": args.log_level,
        }
        print(json.dumps(info), flush=True)
    else:
        print(
            f"mocking {spec.title} {spec.api_version} ({len(spec.operations)} operations) "
            f"at {url}{mock.base_path}",
            file=sys.stderr,
            flush=True,
        )
    serve(mock, sock=sock, log_level=args.log_level, limits=limits)
    return 0


def _base_path(given: str | None) -> str | None:
    """``--base-path`` as the mock routes it: one leading slash, none trailing (``v1`` and
    ``/v1/`` are ``/v1``; ``/`` is the root); a URL, query or fragment is refused."""
    if given is None:
        return None
    text = given.strip()
    if "://" in text or any(c in text for c in "?# \t"):
        raise InputError(f"--base-path {given!r}: give a path such as /v1, not a URL or query")
    return "/" + text.strip("/") if text.strip("/") else ""


def _log_file(given: str | None) -> Path | None:
    """``--log`` checked at start-up: a file that can be appended to (its folder is made)."""
    if given is None:
        return None
    path = Path(given)
    if path.is_dir():
        raise InputError(
            f"--log {given}: is a directory (give a file, e.g. {given}/requests.jsonl)"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise InputError(f"--log {given}: cannot write: {exc.strerror or exc}") from None
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code.

    >>> main(["validate", "spec.yaml", "-o", "listModels", "--response", "models.json"])  # doctest: +SKIP
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "spec" and args.spec_command == "diff":
            return specdiff.execute(args)
        if args.command == "spec":
            return _spec_check(args) if args.spec_command == "check" else _spec_examples(args)
        if args.command == "mock":
            return _mock(args)
        if args.command == "codes":
            return _codes(args)
        if args.command == "report":
            return report.execute(args)
        if args.command == "run":
            return suite_run.execute(args)
        if args.command == "fuzz":
            return fuzz.execute(args)
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
