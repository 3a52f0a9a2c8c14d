"""Server-sent-event streams checked against an operation's stream declaration."""

from __future__ import annotations

from functools import partial
from typing import Any

from .. import sse
from ..spec import Operation, Stream
from .engine import Engine
from .limits import DEFAULT, DecodeError, Limits, loads
from .violation import Violation

__all__ = ["check_stream"]


def check_stream(
    engine: Engine,
    op: Operation,
    stream: Stream,
    events: Any,
    *,
    strict: bool = False,
    limits: Limits = DEFAULT,
) -> list[Violation]:
    """Violations of an SSE stream: framing, each event's data against the event schema, the
    event name (envelope streams) or its agreement with ``data.type``, and the end sentinel.

    ``events`` is the raw stream (``bytes``/``str``) or parsed ``sse.Event`` s.

    >>> check_stream(validator.responses, op, op.stream_for(200), raw)  # doctest: +SKIP
    """
    fail = partial(Violation, operation=op.operation_id)
    out: list[Violation] = []
    if isinstance(events, (bytes, bytearray, str)):
        parsed = sse.parse(bytes(events) if isinstance(events, bytearray) else events)
        items = parsed.events
        out += [
            fail(issue.message, where="stream", code="stream.framing") for issue in parsed.issues
        ]
    else:
        items = list(events)
    if not items:
        out.append(fail("stream has no events", where="stream", code="stream.empty"))
        return out
    done_at: int | None = None
    for index, event in enumerate(items):
        at = partial(fail, event=index, where="stream.event")
        if done_at is not None:
            out.append(
                at(f"event after {stream.done} (sent at event {done_at})", code="stream.after-done")
            )
            continue
        if stream.done is not None and event.data == stream.done and not stream.envelope:
            done_at = index
            continue
        instance: Any
        try:
            data: Any = loads(event.data, limits)
        except DecodeError as exc:
            if not stream.envelope:
                out.append(
                    at(
                        f"event data is not JSON: {event.data[:80]!r} ({exc})",
                        code="stream.json",
                        pointer=exc.pointer,
                    )
                )
                continue
            data = event.data
        if stream.envelope:
            if event.event is None:
                out.append(at("event has no 'event:' name", code="stream.event-name"))
                continue
            instance = {"event": event.event, "data": data}
        else:
            instance = data
            kind = data.get("type") if isinstance(data, dict) else None
            if event.event is not None and isinstance(kind, str) and event.event != kind:
                out.append(
                    at(
                        f"SSE event name {event.event!r} differs from data type {kind!r}",
                        code="stream.event-name",
                        pointer="/type",
                    )
                )
        if stream.schema is not None:
            out += engine.check(
                stream.schema,
                instance,
                where="stream.event",
                operation=op.operation_id,
                strict=strict,
                event=index,
            )
    if stream.done is not None and done_at is None:
        out.append(
            fail(
                f"stream ended without data: {stream.done}",
                where="stream",
                code="stream.done-missing",
            )
        )
    return out
