"""Shrinking a client finding: the smallest spec-valid answer that still breaks the client.

The answer a finding is about (a JSON body or an event stream the mock served as a valid 2xx, not
cut by a fault) is handed to :func:`conformance.fuzz.minimize.minimize` with an oracle that
re-runs the client against the case's recorded answers, that one replaced by the candidate, and
says whether the same outcome code comes back. Each oracle call is one client run: keep the budget
small (a few dozen).

The answer is shrunk as the mock wrote it, before its wire faults: a stream's events without the
``id:``/``retry:`` fields ``sse-fields`` gave them; and each candidate is served with the wire
faults that fired on the answer applied again (:func:`framing`): the keep-alive comments, the
``id:`` fields, CRLF, raw UTF-8, the split pieces a client may fail on stay in every candidate.
A candidate is checked spec-valid as served (its bytes, framing and all) before the client runs.

>>> found = shrink(harness, done, budget=30)  # doctest: +SKIP
>>> found.exercises, json.dumps(found.answer)  # doctest: +SKIP
('/choices/0/message/content', '{"choices": [{"message": {"content": "é", ...}}], ...}')
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .. import sse
from ..mock.faults import Fault, apply_faults, parse_faults
from ..mock.message import MockResponse
from ..results import Result
from .case import kind_of
from .classify import served_value
from .harness import CaseResult, Harness
from .minimize import Minimized, minimize
from .session import served

__all__ = ["encoded", "framing", "shrink", "shrinkable"]


def shrinkable(done: CaseResult) -> Result | None:
    """The answer a finding can be shrunk from: a 2xx the client was judged on, not broken
    by a fault (``None`` for a mock bug, a hang on a stall, a failure on a cut answer…).

    >>> shrinkable(harness.run_case(Case("1", "", "edge")))  # doctest: +SKIP
    Result(operation='createChatCompletion', ...)
    """
    outcome = done.outcome
    if outcome.kind != "client" or not 0 <= outcome.exchange < len(done.records):
        return None
    record = done.records[outcome.exchange]
    response = record.response
    if record.operation is None or response is None or not 200 <= response.status < 300:
        return None
    if any(kind_of(f) != "wire" for f in record.faults):
        return None
    return record if served_value(record) is not None else None


def framing(done: CaseResult, record: Result) -> tuple[Fault, ...]:
    """The case's wire faults that fired on ``record`` (its answer), in the case's order, each
    set to fire every time: what :func:`encoded` applies again to a candidate.

    >>> framing(done, shrinkable(done))  # doctest: +SKIP
    (Fault(name='keepalive', rate=1.0, value=None), Fault(name='sse-fields', rate=1.0, value=None))
    """
    fired = {name.partition("=")[0] for name in record.faults}
    return tuple(
        dataclasses.replace(fault, rate=1.0)
        for fault in parse_faults(done.case.faults)
        if fault.name in fired and kind_of(fault.name) == "wire"
    )


def encoded(record: Result, candidate: Any, faults: Sequence[Fault] = ()) -> Result:
    """``record`` with its answer replaced by ``candidate`` (a JSON body, or ``sse.Event`` s),
    encoded as the mock encodes answers, then reshaped by ``faults`` (see :func:`framing`;
    deterministic: the same candidate is the same bytes).

    >>> encoded(record, {"object": "list", "data": []}).response.body  # doctest: +SKIP
    b'{"object": "list", "data": []}'
    """
    assert record.response is not None
    if record.response.stream:
        chunks = tuple(
            sse.encode(e.data, event=e.event, id=e.id, retry=e.retry).encode() for e in candidate
        )
    else:
        chunks = (json.dumps(candidate).encode(),)
    headers = {k: v for k, v in record.response.headers.items() if k.lower() != "content-length"}
    plain = MockResponse(record.response.status, headers, chunks, stream=record.response.stream)
    if faults:
        plain = apply_faults(plain, faults, random.Random("shrink"))
    return replace(record, response=served(plain))


def _unframed(events: Sequence[sse.Event], faults: Sequence[Fault]) -> tuple[sse.Event, ...]:
    """The events as the mock wrote them, before ``sse-fields`` gave them ``id:``/``retry:``."""
    if not any(f.name == "sse-fields" for f in faults):
        return tuple(events)
    return tuple(dataclasses.replace(e, id=None, retry=None) for e in events)


def shrink(harness: Harness, done: CaseResult, *, budget: int = 40) -> Minimized | None:
    """Shrink the answer behind a client finding (``None`` when it cannot be: see
    :func:`shrinkable`); the client is re-run at most ``budget`` times, each time served the
    candidate with the answer's wire faults (:func:`framing`) applied again.

    >>> shrink(harness, done, budget=30).answer  # doctest: +SKIP
    (Event(data='{"id": "", ...}'), Event(data='[DONE]'))
    """
    record = shrinkable(done)
    if record is None or record.response is None or record.response.body is None:
        return None
    index = done.outcome.exchange
    faults = framing(done, record)
    if record.response.stream:
        answer: Any = _unframed(sse.parse(record.response.body).events, faults)
    else:
        answer = json.loads(record.response.body)
    wanted = done.outcome.code
    validator = harness.sessions.validator
    assert record.operation is not None
    operation = record.operation
    status = record.response.status

    def valid(candidate: Any) -> bool:
        """Spec-valid as served: the bytes, with the faults' framing (free: no client run)."""
        response = encoded(record, candidate, faults).response
        assert response is not None and response.body is not None
        if response.stream:
            found = validator.stream(operation, response.body, status=status)
        else:
            found = validator.response(operation, status=status, body=json.loads(response.body))
        return not any(v.is_error for v in found)

    def still_fails(candidate: Any) -> bool:
        script = list(done.records)
        script[index] = encoded(record, candidate, faults)
        again = harness.run_case(done.case, script)
        return again.outcome.code == wanted

    return minimize(
        operation,
        answer,
        still_fails,
        validator=validator,
        status=status,
        budget=budget,
        valid=valid,
    )
