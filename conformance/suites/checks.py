"""The suite's checks over one exchange: what a live server's answer to a case shows.

- every answer: a 5xx is ``server.error``; an error answer must be OpenAI's envelope
  (``error.envelope``) and leak no stack trace or server path (``error.disclosure``) — a route
  the server does not serve (404, 405, 501: ``unserved``) is only ``capability.unsupported``;
- a valid request (``positive``, ``probe``) answered 2xx: the answer against the spec — JSON or
  the stream event by event, ``[DONE]``, undeclared fields as warnings, with the errata — then
  every OpenAI semantic rule of the exchange (``conformance.validate.semantics``);
- a valid request refused: ``capability.unsupported`` (404/405/501 on the route, OpenAI's
  unsupported-parameter error) or ``capability.refused`` (another 4xx: a warning);
- a request the spec forbids (``negative``) answered 2xx: ``error.accepted``.

Each check is a plain function ``(ctx, result) -> list[Violation]`` in ``CHECKS``; the same
functions are offered to schemathesis (``conformance.suites.schemathesis``).

>>> judge(validator, case, result).violations  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..results import Result
from ..validate import Validator, Violation
from ..validate.semantics import check as rules_check
from .cases import UNKNOWN_MODEL, Case

__all__ = ["CHECKS", "Context", "disclosure", "envelope_problems", "judge", "unserved"]

_UNSUPPORTED_CODES = {"unsupported_parameter", "unsupported_value", "unknown_parameter"}
_UNSUPPORTED_TEXT = re.compile(
    r"not (?:yet )?(?:supported|implemented)|unsupported|unrecognized request argument"
    r"|unknown (?:parameter|field|argument)|extra (?:fields|inputs) (?:are )?not permitted",
    re.I,
)
# what a router answers for a path it has no route for (Starlette/FastAPI, Flask, Go, Express…)
_GENERIC_404 = re.compile(
    r"(?:404[: ]*)?(?:not found|page not found|unknown route|no route[^.]*|cannot \w+ \S+"
    r"|invalid url \(\w+ [^)]*\))\.?",  # the last: OpenAI's own words for a path it lacks
    re.I,
)
# what a stack trace or a server path looks like, in the languages servers are written in
_DISCLOSURE = re.compile(
    r"Traceback \(most recent call last\)"
    r"|File \"[^\"]+\.py\", line \d+"
    r"|(?:/usr/(?:local/)?lib/|/site-packages/|/dist-packages/|/home/\w+/|/opt/\w+/)[\w./-]+"
    r"|[A-Za-z]:\\\\?(?:Users|Program Files|Windows)\\"
    r"|\bat [\w$.<>]+ \((?:file://)?/[^)]+:\d+:\d+\)"
    r"|goroutine \d+ \[[a-z ]+\]:"
    r"|thread '[^']*' panicked at"
    r"|\b\w+(?:Error|Exception): .{0,200}\n\s+at ",
)


@dataclass(frozen=True)
class Context:
    """What a check sees besides the exchange: the validator (spec and errata) and the case."""

    validator: Validator
    case: Case


Check = Callable[[Context, Result], list[Violation]]


def _text(result: Result) -> str:
    body = result.response.body if result.response is not None else None
    return body.decode("utf-8", "replace") if body else ""


def _error(body: Any) -> dict[str, Any]:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def unserved(ctx: Context, status: int | None, body: Any) -> bool:
    """Does the answer say the server does not serve the operation's route at all: a 405 or a
    501, or a 404 — on a route with ids, a 404 without an OpenAI error (an enveloped one there
    is an id that does not exist)? That is ``capability.unsupported``, judged on nothing else
    (a web framework's bare 404 is no error envelope to check).

    >>> unserved(ctx, 404, {"detail": "Not Found"})  # doctest: +SKIP
    True
    """
    if status in (405, 501):
        return True
    if status != 404:
        return False
    if "{" not in ctx.case.operation_path:
        return True  # no id in the route: a 404 means the route itself is not there
    # a route with ids: only a router's generic 404 ("Not Found", "unknown route") says the
    # route is not there; a message of the server's own ("No file found with id 'x'", "model x
    # does not exist") is its not-found answer, its shape judged by error.envelope
    error = _error(body)
    detail = (
        error.get("message") if error else body.get("detail") if isinstance(body, dict) else None
    )
    if not isinstance(detail, str):
        return not error
    return bool(_GENERIC_404.fullmatch(detail.strip()))


def server_error(ctx: Context, result: Result) -> list[Violation]:
    """A 5xx, to any request (a 501 aside: not implemented is ``capability.unsupported``)."""
    status = result.status
    if status is None or status < 500 or status == 501:
        return []
    text = " ".join(_text(result).split())[:200]
    return [
        Violation(
            f"{status} answered to a {ctx.case.kind} request: {text or '(no body)'}",
            where="response.status",
            code="server.error",
            actual=status,
        )
    ]


def envelope_problems(body: Any) -> list[str]:
    """What keeps an error body from being OpenAI's envelope (empty: it is one).

    >>> envelope_problems({"error": {"message": "m", "type": "t", "param": None, "code": 7}})
    ['error.code is an integer, not a string or null']
    """
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return ["the body is not a JSON object with an `error` object"]
    error = body["error"]
    problems = []
    for name in ("message", "type"):
        if not isinstance(error.get(name), str):
            problems.append(
                f"error.{name} is {_kind(error.get(name), name in error)}, not a string"
            )
    for name in ("param", "code"):
        if name not in error:
            problems.append(f"error.{name} is missing (OpenAI sends it, null when it has none)")
        elif error[name] is not None and not isinstance(error[name], str):
            problems.append(f"error.{name} is {_kind(error[name], True)}, not a string or null")
    return problems


def _kind(value: Any, present: bool) -> str:
    if not present:
        return "missing"
    names = {bool: "a boolean", int: "an integer", float: "a number", list: "an array"}
    return names.get(type(value), "an object" if isinstance(value, dict) else "null")


def envelope(ctx: Context, result: Result) -> list[Violation]:
    """An error answer (4xx, 5xx) is OpenAI's ``{"error": {message, type, param, code}}``."""
    status = result.status
    if status is None or status < 400 or not result.response or not result.response.body:
        return []
    body = result.exchange().body
    if unserved(ctx, status, body):
        return []
    problems = envelope_problems(body)
    if not problems:
        return []
    if body is None:
        kind = result.response.headers.get("content-type", "no content type")
        problems = [f"the body is not JSON ({kind}): {' '.join(_text(result).split())[:120]}"]
    return [
        Violation(
            f"{status} error answer: " + "; ".join(problems),
            where="response.body",
            code="error.envelope",
            actual=status,
        )
    ]


def disclosure(text: str) -> str | None:
    """The stack trace or server path an error text leaks (``None``: none).

    >>> disclosure('Traceback (most recent call last):\\n  File "/app/server.py", line 3')
    'Traceback (most recent call last)'
    """
    match = _DISCLOSURE.search(text)
    return match.group(0) if match else None


def leak(ctx: Context, result: Result) -> list[Violation]:
    """An error answer that shows a stack trace or a server file path."""
    status = result.status
    if status is None or status < 400:
        return []
    found = disclosure(_text(result))
    if found is None:
        return []
    return [
        Violation(
            f"the {status} error answer leaks server internals: {found[:160]!r}",
            where="response.body",
            code="error.disclosure",
            actual=found[:160],
        )
    ]


def answer(ctx: Context, result: Result) -> list[Violation]:
    """A valid request's 2xx answer against the spec, then the semantic rules of the exchange."""
    status = result.status
    response = result.response
    if ctx.case.kind == "negative" or response is None or status is None or status >= 300:
        return []
    if any(v.code == "transport.bound" for v in result.violations):
        return []  # a cut answer cannot be judged whole
    op = ctx.case.request.operation
    body: Any = response.body or b""
    ctype = response.headers.get("content-type")
    found = list(
        ctx.validator.response(
            op, status=status, headers=response.headers, body=body, content_type=ctype
        )
    )
    if not any(v.code.endswith(".decode") for v in found):
        found += rules_check(result.exchange(), side="answer")
    return [replace(v, operation=op) if not v.operation else v for v in found]


def capability(ctx: Context, result: Result) -> list[Violation]:
    """A valid request refused: unsupported (route absent, parameter refused as unsupported)
    or refused (another 4xx)."""
    status = result.status
    if ctx.case.kind == "negative" or status is None or status == 429:
        return []
    if ctx.case.probe == "no-auth" and status in (401, 403):
        return []  # what a request without the key should get
    if not (400 <= status < 500 or status == 501):
        return []
    body = result.exchange().body
    error = _error(body)
    message = str(error.get("message") or body.get("detail") if isinstance(body, dict) else "")
    message = message or " ".join(_text(result).split())[:200]
    has_path_ids = "{" in ctx.case.operation_path
    unsupported = unserved(ctx, status, body)
    if status == 400 or status == 422:
        unsupported = error.get("code") in _UNSUPPORTED_CODES or bool(
            _UNSUPPORTED_TEXT.search(message)
        )
    if status == 404 and has_path_ids and not unsupported:
        return []  # an id that does not exist: not a verdict on support (its shape is judged)
    code = "capability.unsupported" if unsupported else "capability.refused"
    param = error.get("param") if isinstance(error.get("param"), str) else None
    return [
        Violation(
            f"{status}: {message[:200]}",
            where="response.status",
            code=code,
            severity="warning",
            param=param,
            actual=status,
        )
    ]


def accepted(ctx: Context, result: Result) -> list[Violation]:
    """A request the spec forbids, answered 2xx."""
    status = result.status
    if ctx.case.kind != "negative" or status is None or not 200 <= status < 300:
        return []
    if ctx.case.probe == "unknown-model":
        return [
            Violation(
                f"{status} answered for model {UNKNOWN_MODEL!r}, which no server has: OpenAI "
                "answers 404 model_not_found",
                where="response.status",
                code="error.unknown-model",
                severity="warning",
                param="model",
                expected=404,
                actual=status,
            )
        ]
    expected = ctx.case.expects
    structural = expected is not None and expected.code in _STRUCTURAL
    return [
        Violation(
            f"{status} answered to a request the spec forbids: {ctx.case.label}",
            where="response.status",
            code="error.accepted",
            severity="error" if structural else "warning",
            expected="4xx",
            actual=status,
            pointer=expected.pointer if expected is not None else "",
        )
    ]


# a broken constraint that leaves the request meaningless: accepting it is a failure, not
# leniency (accepting a value out of range is graded a warning)
_STRUCTURAL = {
    "schema.required",
    "schema.type",
    "request.body-missing",
    "request.content-type",
    "request.decode",
    "request.parameter-missing",
}

CHECKS: dict[str, Check] = {
    "server.error": server_error,
    "error.envelope": envelope,
    "error.disclosure": leak,
    "answer": answer,
    "capability": capability,
    "error.accepted": accepted,
}


def judge(validator: Validator, case: Case, result: Result) -> Result:
    """The result with every check's violations added (after its transport verdicts).

    >>> judge(validator, case, sent).violations  # doctest: +SKIP
    """
    ctx = Context(validator, case)
    found: list[Violation] = list(result.violations)
    for check in CHECKS.values():
        found += check(ctx, result)
    return replace(result, violations=tuple(found))
