"""What a suite sends: for each operation, realistic valid requests (``positive``), requests
that break one constraint of the spec (``negative``, each announcing the violation it
provokes: two drawn at random, and one just past each enum and numeric bound of the body), and
capability probes (``probe``: ``n: 2``, ``stream`` with and without
``include_usage``, ``encoding_format: base64``) whose answers show a parameter ignored.

Valid requests come from the ``typical`` profile (no undeclared keys, OpenAI's request rules
obeyed), with the target's model names and small token limits. Draws are deterministic: the
same spec, target and seed give the same cases.

>>> [c.label for c in cases_for(spec, op, target, Budget(), seed=1, positive=2, negative=1)]  # doctest: +SKIP
['positive #0', 'positive #1', 'negative: body property model removed (required)']
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..errors import InputError
from ..mock.draw import draw
from ..spec import Operation, Spec
from ..strategies import InvalidRequest, RequestCase, breaks_of, invalid_requests, requests
from ..strategies.cases import quote_segment
from ..validate import Violation
from .target import Budget, Target

__all__ = ["KINDS", "Case", "cases_for", "for_target", "probes_for"]

KINDS = ("positive", "negative", "probe", "flow")  # flow: a valid step of a stateful flow
# request fields that cap how much a model generates: set to the budget's max_tokens
_TOKEN_CAPS = ("max_tokens", "max_completion_tokens", "max_output_tokens")
_MIN_CAP = {"max_output_tokens": 16}  # the Responses API refuses fewer
# operations whose answer a model generates now (runs have their own, larger minimums)
_GENERATING = ("createChatCompletion", "createCompletion", "createResponse")


@dataclass(frozen=True)
class Case:
    """One request to send: its ``kind`` (``KINDS``), a ``label`` naming it in results,
    ``expects``: the violation a negative case provokes, ``probe``: the capability a probe
    tests (``n``, ``stream``, ``include_usage``, ``base64``)."""

    kind: str
    request: RequestCase
    label: str
    operation_path: str
    expects: Violation | None = None
    probe: str | None = None

    @property
    def operation(self) -> str:
        """The operationId."""
        return self.request.operation


def for_target(
    request: RequestCase, target: Target, budget: Budget, broken: Violation | None = None
) -> RequestCase:
    """A drawn request made fit to send to ``target``: the target's model, and small token
    limits — for a negative case (``broken``) except where it breaks the request: its broken
    value must reach the server.

    >>> for_target(drawn, Target("http://h/v1", models={"chat": "m"}), Budget()).body["model"]  # doctest: +SKIP
    'm'
    """
    request = _model_path(request, target) if broken is None else request
    body = request.body
    if not isinstance(body, dict) or request.media_type is None:
        return request
    body = dict(body)
    model = target.model_for(request.operation)
    kept = broken.pointer if broken is not None else None  # the broken value reaches the server
    if model is not None and isinstance(body.get("model"), str) and kept != "/model":
        body["model"] = model
    if request.operation not in _GENERATING:
        return replace(request, body=body)
    for name in _TOKEN_CAPS:
        value = body.get(name)
        if kept == f"/{name}" or name not in body:
            continue
        if value is None:  # null: the server's default, often no limit at all
            body[name] = max(budget.max_tokens, _MIN_CAP.get(name, 1))
        elif isinstance(value, int) and not isinstance(value, bool):
            body[name] = max(min(value, budget.max_tokens), _MIN_CAP.get(name, 1))
    if request.operation != "createResponse" and not any(n in body for n in _TOKEN_CAPS):
        body[
            "max_tokens" if request.operation == "createCompletion" else "max_completion_tokens"
        ] = budget.max_tokens
    return replace(request, body=body)


def _model_path(request: RequestCase, target: Target) -> RequestCase:
    """A ``{model}`` in the path names one of the target's models (a drawn one does not exist)."""
    if "model" not in request.path_params:
        return request
    models = target.models
    model = models.get("chat") or models.get("embeddings") or target.default_model
    model = model or next(iter(models.values()), None)
    if model is None:
        return request
    old = quote_segment(request.path_params["model"])
    head, sep, tail = request.path.rpartition(old)
    path = head + quote_segment(model) + tail if sep else request.path
    return replace(request, path=path, path_params={**request.path_params, "model": model})


def cases_for(
    spec: Spec,
    op: Operation,
    target: Target,
    budget: Budget,
    *,
    seed: int,
    positive: int = 3,
    negative: int = 2,
) -> list[Case]:
    """The positive and negative cases of one operation, then its probes."""
    out: list[Case] = []
    valid = requests(spec, op, profile="typical")
    seen: set[str] = set()
    for i in range(positive * 3):
        if sum(c.kind == "positive" for c in out) >= positive:
            break
        try:
            case = for_target(draw(valid, f"{seed}:{op.operation_id}:positive:{i}"), target, budget)
        except (ValueError, InputError):
            break
        key = repr((case.path, case.query, case.body))
        if key in seen:
            continue
        seen.add(key)
        out.append(Case("positive", case, f"positive #{len(out)}", op.path))
    if negative:
        try:
            broken = invalid_requests(spec, op, profile="typical")
        except InputError:
            broken = None  # nothing to break in this operation's requests
        for i in range(negative if broken is not None else 0):
            try:
                bad = draw(broken, f"{seed}:{op.operation_id}:negative:{i}")  # type: ignore[arg-type]
            except ValueError:
                break
            out.append(_negative(bad, target, budget, op.path))
    if negative:
        good = [c for c in out if c.kind == "positive"]
        out += _bounds(spec, good, target, budget, {c.label for c in out})
        out += _error_probes(op, good)
    out += probes_for(op, target, budget)
    return out


def _bounds(
    spec: Spec, valid: list[Case], target: Target, budget: Budget, labels: set[str]
) -> list[Case]:
    """One negative case per enum and numeric bound of the operation's requests, each on the
    first valid request: a value just past the bound (``max_tokens: -1``), an enum's stranger
    (``encoding_format: "__not_in_enum__"``) — a server must refuse each with a 4xx."""
    first = next((c for c in valid if isinstance(c.request.body, dict)), None)
    if first is None:
        return []
    cases = (
        _negative(bad, target, budget, first.operation_path)
        for bad in breaks_of(spec, first.request)
    )
    return [c for c in cases if c.label not in labels]


def _negative(bad: InvalidRequest, target: Target, budget: Budget, path: str) -> Case:
    """The negative case of a request that breaks one constraint, fit to send to ``target``."""
    return Case(
        "negative",
        for_target(bad.case, target, budget, bad.expected),
        f"negative: {bad.constraint}",
        path,
        expects=bad.expected,
    )


_HELLO = [{"role": "user", "content": "Say hello in one word."}]
UNKNOWN_MODEL = "conformance-no-such-model"  # OpenAI answers 404 model_not_found
_BAD_JSON = b'{"model": "gpt-4o-mini", "input": '  # cut short: not JSON


def _error_probes(op: Operation, valid: list[Case]) -> list[Case]:
    """Requests every server must refuse with a 4xx and OpenAI's envelope: a body that is not
    JSON, and an empty object where the body requires fields."""
    body = op.request_body
    media = body.content.get("application/json") if body is not None else None
    first = next((c.request for c in valid if c.request.media_type == "application/json"), None)
    if body is None or media is None or first is None:
        return []
    out = [
        Case(
            "negative",
            replace(first, body=_BAD_JSON),
            "negative: the body is not JSON",
            op.path,
            expects=Violation("not JSON", where="request.body", code="request.decode"),
            probe="bad-json",
        )
    ]
    if isinstance(first.body, dict) and any(first.body):
        out.append(
            Case(
                "negative",
                replace(first, body={}),
                "negative: an empty object for a body with required fields",
                op.path,
                expects=Violation("empty", where="request.body", code="schema.required"),
                probe="empty-body",
            )
        )
    return out


def no_auth(cases: list[Case]) -> list[Case]:
    """One valid request sent without the API key: a server that wants one must answer 401 (or
    403) with OpenAI's envelope; one that wants none answers it as usual (not a failure)."""
    first = next((c for c in cases if c.kind == "positive" and c.request.method == "GET"), None)
    first = first or next((c for c in cases if c.kind == "positive"), None)
    if first is None:
        return []
    return [
        Case("probe", first.request, "probe: no API key", first.operation_path, probe="no-auth")
    ]


def probes_for(op: Operation, target: Target, budget: Budget) -> list[Case]:
    """Capability probes: small requests whose answers show whether a parameter had effect.

    >>> [c.probe for c in probes_for(spec.operation("createEmbedding"), Target("http://h/v1"), Budget())]  # doctest: +SKIP
    ['base64']
    """
    model = target.model_for(op.operation_id)
    bodies: list[tuple[str, dict[str, Any]]] = []
    cap = budget.max_tokens
    if op.operation_id == "createChatCompletion":
        base = {"model": model or "gpt-4o-mini", "messages": _HELLO, "max_tokens": cap}
        bodies = [
            ("n", {**base, "n": 2}),
            ("stream", {**base, "stream": True}),
            ("include_usage", {**base, "stream": True, "stream_options": {"include_usage": True}}),
        ]
    elif op.operation_id == "createCompletion":
        base = {
            "model": model or "gpt-3.5-turbo-instruct",
            "prompt": "Say hello.",
            "max_tokens": cap,
        }
        bodies = [
            ("n", {**base, "n": 2}),
            ("stream", {**base, "stream": True}),
            ("include_usage", {**base, "stream": True, "stream_options": {"include_usage": True}}),
        ]
    elif op.operation_id == "createEmbedding":
        base = {"model": model or "text-embedding-3-small", "input": "hello"}
        bodies = [
            ("base64", {**base, "encoding_format": "base64"}),
            ("dimensions", {**base, "dimensions": 8}),
        ]
    # a name no server has, when the target named its models (a mock answers any name)
    unknown = [("unknown-model", {**base, "model": UNKNOWN_MODEL})] if bodies and model else []
    return [
        Case(
            "negative" if name == "unknown-model" else "probe",
            RequestCase(
                op.operation_id, op.method, op.path, media_type="application/json", body=body
            ),
            f"probe: {name}",
            op.path,
            probe=name,
        )
        for name, body in bodies + unknown
    ]
