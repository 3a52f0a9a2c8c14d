"""Shrinking a client finding: the smallest spec-valid answer that still breaks the client.

The answer a finding is about (a JSON body or an event stream the mock served as a valid 2xx, not
cut by a fault) is handed to :func:`conformance.fuzz.minimize.minimize` with an oracle that
re-runs the client against the case's recorded answers, that one replaced by the candidate, and
says whether the same outcome code comes back. Each oracle call is one client run: keep the budget
small (a few dozen).

>>> found = shrink(harness, done, budget=30)  # doctest: +SKIP
>>> found.exercises, json.dumps(found.answer)  # doctest: +SKIP
('/choices/0/message/content', '{"choices": [{"message": {"content": "é", ...}}], ...}')
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from .. import sse
from ..results import Response, Result
from .case import kind_of
from .classify import served_value
from .harness import CaseResult, Harness
from .minimize import Minimized, minimize

__all__ = ["encoded", "shrink", "shrinkable"]


def shrinkable(done: CaseResult) -> Result | None:
    """The answer a finding can be shrunk from: a 2xx the client was judged on, not broken
    by a fault (``None`` for a mock bug, a hang on a stall, a failure on a cut answer…)."""
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


def encoded(record: Result, candidate: Any) -> Result:
    """``record`` with its answer replaced by ``candidate`` (a JSON body, or ``sse.Event`` s),
    encoded as the mock encodes answers."""
    assert record.response is not None
    if record.response.stream:
        chunks = tuple(
            sse.encode(e.data, event=e.event, id=e.id, retry=e.retry).encode() for e in candidate
        )
    else:
        chunks = (json.dumps(candidate).encode(),)
    headers = {k: v for k, v in record.response.headers.items() if k.lower() != "content-length"}
    response = Response(record.response.status, headers, chunks, record.response.stream)
    return replace(record, response=response)


def shrink(harness: Harness, done: CaseResult, *, budget: int = 40) -> Minimized | None:
    """Shrink the answer behind a client finding (``None`` when it cannot be: see
    :func:`shrinkable`); the client is re-run at most ``budget`` times."""
    record = shrinkable(done)
    if record is None or record.response is None or record.response.body is None:
        return None
    index = done.outcome.exchange
    if record.response.stream:
        answer: Any = tuple(sse.parse(record.response.body).events)
    else:
        answer = json.loads(record.response.body)
    wanted = done.outcome.code

    def still_fails(candidate: Any) -> bool:
        script = list(done.records)
        script[index] = encoded(record, candidate)
        again = harness.run_case(done.case, script)
        return again.outcome.code == wanted

    assert record.operation is not None
    return minimize(
        record.operation,
        answer,
        still_fails,
        validator=harness.sessions.validator,
        status=record.response.status,
        budget=budget,
    )
