"""Stateful flows: the resource families driven through schemathesis' state machines, with the
OpenAPI links the OpenAI spec lacks supplied here — a file created, read back, listed,
downloaded, deleted, then a 404; a stored response continued by ``previous_response_id``;
vector stores and their files, batches, assistants, threads, messages and runs.

The links come from ``conformance.suites.links`` (derived from the spec's collections, and
``LINKS`` by hand). schemathesis' own link inference is off: on OpenAI's 2.3.0 it misses
the creates of responses, runs and stored chat completions, sends wrong values (a batch id to
vector-store file batches), and feeds ids picked from lists to deletes: on a live account, the
user's own files and assistants.

Each family (an operation's first path segment: ``files``, ``vector_stores``, ``threads``…),
with the operations producing what it consumes, is one state machine, seeded and derandomized,
its scenarios bounded. Every step's request is drawn from the ``typical`` profile (no undeclared
keys, the target's models, small token limits), the link's values laid over it, ``STORED``
fields set, streaming off, optional query parameters (filters, cursors) left out so that a list
shows what the flow created, and sent through the run's ``Sender``.

>>> doc = run_suite(spec, target, flows=flows(spec, target, Budget(), seed=1, steps=400))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import hypothesis
import requests
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.core.transforms import UNRESOLVABLE
from schemathesis.core.transport import Response as SchemathesisResponse
from schemathesis.generation.stateful.state_machine import (
    DEFAULT_STATE_MACHINE_SETTINGS,
    APIStateMachine,
    StepInput,
    StepOutput,
    normalize_name,
)

from ..errors import InputError
from ..mock.draw import draw
from ..results import Result
from ..spec import Spec
from ..strategies import RequestCase
from ..strategies import requests as request_strategy
from ..strategies.cases import quote_segment
from ..validate import Validator
from .cases import Case, for_target
from .links import LINKS, STORED, Link, links, with_links
from .runner import select
from .target import Budget, Target
from .transport import Sender

__all__ = ["LINKS", "STORED", "Flows", "Link", "flows", "links", "with_links"]


def _resolved(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_resolved(v) for v in value.values())
    if isinstance(value, list):
        return all(_resolved(v) for v in value)
    return value is not None and value is not UNRESOLVABLE


def _linked(step: StepInput | None) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The values a step's link extracted: by container (``path_parameters``, ``query``,
    ``headers``), and the body's top-level fields."""
    values: dict[str, dict[str, Any]] = {}
    if step is None or step.transition is None:
        return values, {}
    for container, params in step.transition.parameters.items():
        for name, extracted in params.items():
            if isinstance(extracted.value, Ok) and _resolved(extracted.value.ok()):
                values.setdefault(container, {})[name] = extracted.value.ok()
    body = step.transition.request_body
    fields = body.value.ok() if body is not None and isinstance(body.value, Ok) else None
    if not isinstance(fields, dict):
        return values, {}
    return values, {k: v for k, v in fields.items() if _resolved(v)}


class _Stop(Exception):
    """No more flow steps: the budget, the family's share or the consumer ended them."""


class Flows:
    """A run's flows (``flows`` makes one): called with the run's ``Sender``, it yields each
    step's case and unjudged result. ``links``: the links added; ``families``: the operations
    of each state machine; ``errors``: what ended a machine early, besides the bounds;
    ``sent``: the steps sent in the last call."""

    def __init__(
        self, spec: Spec, target: Target, budget: Budget, *, seed: int, steps: int, scenario: int
    ) -> None:
        if steps < 1 or scenario < 2:
            raise InputError(f"flows need steps >= 1 and scenario >= 2 (got {steps}, {scenario})")
        self.spec, self.target, self.budget = spec, target, budget
        self.seed, self.steps, self.scenario = seed, steps, scenario
        self.links = links(spec)
        self.errors: list[str] = []
        self.ops = {op.operation_id: op for op in spec.operations}
        chosen = [op.operation_id for op in select(spec, target)]
        self.families: dict[str, list[str]] = {}
        for oid in chosen:
            family = self.ops[oid].path.strip("/").split("/", 1)[0]
            self.families.setdefault(family, []).append(oid)
        for family, members in list(self.families.items()):
            feed = [k.source for k in self.links if k.target in members and k.source in chosen]
            members += [oid for oid in dict.fromkeys(feed) if oid not in members]
            if not any(k.source in members and k.target in members for k in self.links):
                del self.families[family]
        self._draws: dict[str, int] = {}
        self.sent = 0

    def __call__(self, send: Sender, validator: Validator) -> Iterator[tuple[Case, Result]]:
        """Run the state machines in a thread; yield each step as it completes (stopping the
        machines when the consumer stops)."""
        out: queue.Queue[tuple[Case, Result] | None] = queue.Queue(maxsize=1)  # no running ahead
        stop = threading.Event()
        self._draws, self.sent = {}, 0
        worker = threading.Thread(
            target=self._run, args=(send, out, stop), name="conformance-flows", daemon=True
        )
        worker.start()
        try:
            while (item := out.get()) is not None:
                yield item
            worker.join()
        finally:
            stop.set()

    def _run(self, send: Sender, out: queue.Queue[Any], stop: threading.Event) -> None:
        try:
            config = {"base-url": self.target.base_url, "generation": {"mode": "positive"}}
            config["phases"] = {"stateful": {"inference": {"algorithms": []}}}
            document = with_links(self.spec.document, self.links)
            schema = schemathesis.openapi.from_dict(
                document, config=SchemathesisConfig.from_dict(config)
            )
            # each family a scenario's worth of steps, the rest shared by family size
            total = sum(len(members) for members in self.families.values())
            least = max(min(self.scenario, self.steps // max(len(self.families), 1)), 1)
            rest = max(self.steps - least * len(self.families), 0)
            for family, members in self.families.items():
                if stop.is_set() or send.spent():
                    break
                stepper = _Stepper(self, family, send, out, stop)
                stepper.share = least + rest * len(members) // total
                digest = hashlib.sha256(f"{self.seed}:{family}".encode()).digest()
                try:
                    machine = schema.include(operation_id=members).as_state_machine()
                    _drive(machine, stepper, int.from_bytes(digest[:8], "big"), self.scenario)
                except Exception as exc:  # an engine error ends this family only
                    if stepper.stopped is None:
                        self.errors.append(f"{family}: {type(exc).__name__}: {exc}"[:500])
        except Exception as exc:
            self.errors.append(f"flows: {type(exc).__name__}: {exc}"[:500])
        finally:
            _hand(out, stop, None)

    def request(self, case: Any, step: StepInput | None) -> RequestCase:
        """Our request for a schemathesis case: a ``typical`` draw, the link's values over it,
        ``STORED`` fields set, streaming off, no optional query parameter."""
        op = self.ops[case.operation.definition.raw["operationId"]]
        n = self._draws[op.operation_id] = self._draws.get(op.operation_id, -1) + 1
        try:
            strategy = request_strategy(self.spec, op, profile="typical")
            drawn = draw(strategy, f"{self.seed}:{op.operation_id}:flow:{n}")
        except (ValueError, InputError):  # no typical request: schemathesis' own
            body = None if case.media_type is None else case.body
            path = {k: str(v) for k, v in case.path_parameters.items()}
            drawn = RequestCase(
                op.operation_id,
                op.method,
                op.path,
                path,
                dict(case.query or {}),
                {},
                case.media_type,
                body,
            )
        drawn = for_target(drawn, self.target, self.budget)
        values, fields = _linked(step)
        path = {**drawn.path_params, **values.get("path_parameters", {})}
        body = drawn.body
        if isinstance(body, dict):
            body = {**body, **fields, **STORED.get(op.operation_id, {})}
            if op.stream_flag is not None and body.get(op.stream_flag):
                body[op.stream_flag] = False
                body.pop("stream_options", None)
        concrete = op.path.split("?", 1)[0]
        for name, value in path.items():
            concrete = concrete.replace("{" + name + "}", quote_segment(value))
        headers = {k: str(v) for k, v in values.get("headers", {}).items()}
        optional = {p.name for p in op.params("query") if not p.required}  # filters, cursors
        query = {k: v for k, v in drawn.query.items() if k not in optional}
        query.update(values.get("query", {}))
        return replace(
            drawn,
            path=concrete,
            path_params=path,
            query=query,
            headers={**drawn.headers, **headers},
            body=body,
        )


@dataclass
class _Stepper:
    """One family's steps: each request built, mirrored into schemathesis' case (for the links
    that read the request), sent, handed on; ``stopped`` says why the machine was stopped."""

    flows: Flows
    family: str
    send: Sender
    out: queue.Queue[Any]
    stop: threading.Event
    share: int = 2
    sent: int = 0
    stopped: str | None = None
    sources: dict[str, str] = field(default_factory=dict)  # schemathesis case id → operationId

    def __call__(self, case: Any, step: StepInput | None) -> SchemathesisResponse:
        if self.stopped is None and self.stop.is_set():
            self.stopped = "stopped"
        elif self.stopped is None and self.sent >= self.share:
            self.stopped = f"the family's share of {self.share} steps is spent"
        elif self.stopped is None and self.flows.sent >= self.flows.steps:
            self.stopped = f"the flows' {self.flows.steps} steps are spent"
        if self.stopped is not None:
            raise _Stop(self.stopped)
        request = self.flows.request(case, step)
        case.path_parameters = dict(request.path_params)
        case.query = dict(request.query)
        if request.media_type is not None:
            case.body = request.body
        self.sources[case.id] = request.operation
        parent = step.transition.parent_id if step and step.transition else None
        after = f" after {self.sources[parent]}" if parent in self.sources else ""
        label = f"flow {self.family} #{self.sent}: {request.operation}{after}"
        self.sent += 1
        self.flows.sent += 1
        result = self.send(request, label)
        if result is None:
            self.stopped = self.send.spent() or "the budget is spent"
            raise _Stop(self.stopped)
        step_case = Case("flow", request, label, self.flows.ops[request.operation].path)
        _hand(self.out, self.stop, (step_case, result))
        return _response(result, request, self.flows.target.base_url)


def _hand(out: queue.Queue[Any], stop: threading.Event, item: Any) -> None:
    """Put ``item`` once the consumer takes the one before (or drop it: the consumer stopped)."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.05)
        except queue.Full:
            continue
        return


def _response(result: Result, request: RequestCase, base_url: str) -> SchemathesisResponse:
    """A result as schemathesis' response, for the link expressions to read."""
    prepared = requests.Request(request.method, request.url(base_url)).prepare()
    answer = result.response
    seconds = result.duration_ms / 1000
    if answer is None:  # no answer (a transport error): a status no link follows
        return SchemathesisResponse(0, {}, b"", prepared, seconds, True)
    headers = {k: [v] for k, v in answer.headers.items()}
    return SchemathesisResponse(answer.status, headers, answer.body or b"", prepared, seconds, True)


def _drive(machine: type[APIStateMachine], stepper: _Stepper, seed: int, length: int) -> None:
    """Run one family's state machine, seeded and derandomized, every call through ``stepper``;
    scenarios of at most ``length`` steps until the family's share is spent."""

    class Flow(machine):  # type: ignore[valid-type,misc]
        current: StepInput | None = None

        def step(self, input: StepInput) -> StepOutput:
            self.current = input
            return super().step(input)  # type: ignore[no-any-return]

        def call(self, case: Any, **kwargs: Any) -> SchemathesisResponse:
            return stepper(case, self.current)

        def validate_response(self, *args: Any, **kwargs: Any) -> None:
            return None  # the suite's checks judge every step

    # a scenario starts with an operation that needs no earlier answer: not one with path
    # parameters, which could only guess ids (the stateless cases do that already). schemathesis
    # 4.x has no public way to choose the roots: `_root_labels` and `root_rules` are its
    # internals (pinned <5 in pyproject.toml; tests/suites/test_flows.py fails if they move)
    roots = {normalize_name(f"RANDOM -> {label}"): label for label in machine._root_labels}  # type: ignore[attr-defined]
    guessing = {name for name, label in roots.items() if "{" in label}
    if guessing < set(machine.root_rules):
        for name in guessing:
            setattr(Flow, name, None)
        Flow.root_rules = frozenset(machine.root_rules - guessing)
        Flow._root_labels = frozenset(roots[name] for name in roots if name not in guessing)
    settings = hypothesis.settings(
        DEFAULT_STATE_MACHINE_SETTINGS,
        max_examples=stepper.share // length + 2,
        stateful_step_count=length,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.generate],
        report_multiple_bugs=False,
        print_blob=False,
    )
    hypothesis.seed(seed)(Flow)
    Flow.run(settings=settings)


def flows(
    spec: Spec,
    target: Target,
    budget: Budget,
    *,
    seed: int = 0,
    steps: int = 400,
    scenario: int = 12,
) -> Callable[[Sender, Validator], Iterable[tuple[Case, Result]]]:
    """The stateful flows for ``run_suite(..., flows=...)``: one seeded state machine per family
    of the target's operations, at most ``steps`` requests in all (shared by family size), in
    scenarios of at most ``scenario`` steps. The run's budget bounds them too.

    >>> doc = run_suite(spec, target, flows=flows(spec, target, Budget(), seed=1))  # doctest: +SKIP
    """
    return Flows(spec, target, budget, seed=seed, steps=steps, scenario=scenario)
