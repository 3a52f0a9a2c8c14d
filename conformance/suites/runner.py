"""``run_suite``: every chosen operation's cases sent to a target, each exchange judged, the
run graded — a results ``Document`` with the exchanges (redacted) and the ``Verdict`` s.

Results are handed to ``on_result`` in case order as they complete (so a JSON-lines writer
keeps a readable prefix if the run is killed); Ctrl-C stops sending and still grades what ran,
the rest ``inconclusive``. Same target, same seed → same cases, in the same order.

>>> doc = run_suite(spec, Target("http://127.0.0.1:8080/v1"), seed=1)  # doctest: +SKIP
>>> sorted({v.grade for v in doc.verdicts})  # doctest: +SKIP
['pass', 'unsupported', 'warn']
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import httpx

from ..errors import InputError
from ..results import Document, Redactor, Result
from ..results.document import spec_info
from ..spec import Operation, Spec
from ..validate import Validator
from .cases import Case, cases_for, no_auth
from .checks import judge
from .grade import Noter, grade
from .target import Budget, Target
from .transport import Sender

__all__ = ["reachable", "run_suite", "select"]


def select(spec: Spec, target: Target, operations: Sequence[str] = ()) -> list[Operation]:
    """The operations a run covers: those named (operationId or ``METHOD /path``) by the
    arguments or the target, or tagged with one of the target's tags; all by default.

    >>> [op.operation_id for op in select(spec, Target("http://h/v1"), ["listModels"])]  # doctest: +SKIP
    ['listModels']
    """
    names = list(operations) or list(target.operations)
    if names:
        return [spec.operation(name) for name in names]  # InputError names an unknown one
    if target.tags:
        tags = set(target.tags)
        chosen = [op for op in spec.operations if tags & set(op.node.get("tags") or ())]
        if not chosen:
            raise InputError(f"no operation is tagged {', '.join(sorted(tags))}")
        return chosen
    return list(spec.operations)


def reachable(target: Target, timeout: float = 10.0) -> None:
    """Raise ``InputError`` (one line) unless the target answers HTTP at all.

    >>> reachable(Target("http://127.0.0.1:9/v1"))  # doctest: +SKIP
    Traceback (most recent call last):
    conformance.errors.InputError: cannot reach http://127.0.0.1:9/v1: connection refused
    """
    try:
        with httpx.Client(timeout=timeout, headers=target.request_headers()) as client:
            answer = client.get(target.base_url + "/models")
    except httpx.TimeoutException:
        raise InputError(f"cannot reach {target.base_url}: no answer in {timeout:g} s") from None
    except httpx.ConnectError as exc:
        why = "connection refused" if "refused" in str(exc).lower() else str(exc) or "connect error"
        raise InputError(f"cannot reach {target.base_url}: {why}") from None
    except httpx.HTTPError as exc:
        raise InputError(f"cannot reach {target.base_url}: {type(exc).__name__}: {exc}") from None
    if answer.status_code in (401, 403):
        variable = target.api_key_env or "an API key variable"
        if target.api_key_env and os.environ.get(target.api_key_env):
            raise InputError(
                f"{target.base_url} refused the API key in ${variable} ({answer.status_code})"
            )
        raise InputError(
            f"{target.base_url} wants an API key ({answer.status_code}): set ${variable}"
            " (or name another variable with --api-key-env)"
        )


def run_suite(
    spec: Spec,
    target: Target,
    *,
    operations: Sequence[str] = (),
    budget: Budget | None = None,
    seed: int = 0,
    positive: int = 3,
    negative: int = 2,
    workers: int = 1,
    on_result: Callable[[Result], None] | None = None,
    known: Noter | None = None,
    flows: Callable[[Sender, Validator], Iterable[tuple[Case, Result]]] | None = None,
    check_reachable: bool = True,
    unsupported: Sequence[str] = (),
) -> Document:
    """Run the suite (see the module's docstring); the document's ``run`` says how.

    ``known`` notes deviations OpenAI's own API makes (default: learned from recorded
    traffic for the OpenAI specs); ``flows`` adds stateful sequences (``conformance.suites.flows``);
    ``unsupported`` operations (from a capability profile) are not sent, and graded so.
    """
    budget = budget or Budget()
    if workers < 1:
        raise InputError(f"workers must be at least 1 (got {workers})")
    chosen = select(spec, target, operations)
    absent = {op.operation_id for op in chosen} & set(unsupported)
    chosen = [op for op in chosen if op.operation_id not in absent]
    if check_reachable:
        reachable(target, min(budget.timeout, 10.0))
    if known is None:
        known = _known(spec)
    validator = Validator(spec)
    redactor = Redactor(values=target.secrets())
    cases: list[Case] = []
    for op in chosen:
        cases += cases_for(
            spec, op, target, budget, seed=seed, positive=positive, negative=negative
        )
    cases = [c for c in cases if c.probe != "empty-body" or _requires(validator, c)]
    if "Authorization" in target.request_headers():
        cases += no_auth(cases)
    results: list[Result | None] = [None] * len(cases)
    interrupted = False
    emitted = 0
    lock = threading.Lock()
    started = time.time()

    def emit(final: bool = False) -> None:
        """Hand the results on in case order; ``final``: past the holes of unsent cases."""
        nonlocal emitted
        with lock:
            while emitted < len(results) and (final or results[emitted] is not None):
                done = results[emitted]
                if done is not None and on_result is not None:
                    on_result(done)
                emitted += 1

    with Sender(target, budget) as send:

        def one(index: int) -> None:
            case = cases[index]
            sent = send(case.request, case.label, auth=case.probe != "no-auth")
            if sent is None:
                return  # the budget is spent
            results[index] = judge(validator, case, sent).redacted(redactor)
            emit()

        try:
            if workers == 1:
                for index in range(len(cases)):
                    if send.spent():
                        break
                    one(index)
            else:
                _parallel(one, len(cases), workers, send)
            emit(final=True)
            if flows is not None and not send.spent():
                for case, result in flows(send, validator):
                    cases.append(case)
                    results.append(judge(validator, case, result).redacted(redactor))
                    emit()
        except KeyboardInterrupt:
            interrupted = True
            emit(final=True)
        spent = send.spent()
        sent_count, tokens = send.sent, send.tokens
    kept = [(c, r) for c, r in zip(cases, results, strict=True) if r is not None]
    not_run = {c.operation for c, r in zip(cases, results, strict=True) if r is None}
    ran_ops = {c.operation for c, _ in kept}
    why = "interrupted (Ctrl-C)" if interrupted else (spent or "not run")
    skipped = {op: why for op in sorted(not_run - ran_ops)}
    skipped.update({op.operation_id: why for op in chosen if op.operation_id not in ran_ops})
    done_results = [r for _, r in kept]
    verdicts = grade(
        spec,
        [c for c, _ in kept],
        done_results,
        known=known,
        skipped=skipped,
        unsupported={op: "not served, per the capability profile" for op in sorted(absent)},
    )
    run: dict[str, Any] = {
        "kind": "suite",
        "target": target.describe(),
        "seed": str(seed),
        "positive": positive,
        "negative": negative,
        "workers": workers,
        "budget": {k: getattr(budget, k) for k in budget.__dataclass_fields__},
        "operations": [op.operation_id for op in chosen],
        "unsupported": sorted(absent),
        "requests": sent_count,
        "tokens": tokens,
        "seconds": round(time.time() - started, 3),
        "interrupted": interrupted,
        "budget_spent": spent,
    }
    return Document(done_results, spec=spec_info(spec), run=run, verdicts=verdicts)


def _requires(validator: Validator, case: Case) -> bool:
    """Whether the operation refuses an empty JSON object (it requires some field)."""
    found = validator.request(
        case.operation,
        path_params={k: str(v) for k, v in case.request.path_params.items()},
        query=case.request.query_string(),
        body={},
        content_type="application/json",
    )
    return any(v.code == "schema.required" for v in found)


def _parallel(one: Callable[[int], None], count: int, workers: int, send: Sender) -> None:
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="conformance-run") as pool:
        pending: set[Future[None]] = set()
        index = 0
        try:
            while index < count or pending:
                while index < count and len(pending) < workers * 2 and not send.spent():
                    pending.add(pool.submit(one, index))
                    index += 1
                if not pending:
                    break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()
        except KeyboardInterrupt:
            for future in pending:
                future.cancel()
            raise


def _known(spec: Spec) -> Noter:
    from .deviations import known

    return known(spec).note
