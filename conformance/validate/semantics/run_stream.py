"""Rules over Assistants run streams (``createRun``, ``createThreadAndRun``,
``submitToolOuputsToRun`` with ``stream: true``): the lifecycle order, each object's status
agreeing with its event's name, ids that agree across events, and message deltas adding up to
the message. ``assistants.py`` holds the helpers and the rules over run objects.

>>> x = Exchange.streamed("createRun", None, events_without_done)  # doctest: +SKIP
>>> [v.code for v in check(x)]  # doctest: +SKIP
['rule.assistants.stream-order']
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from .assistants import RUN_STREAMS, data_at, event_kind, events, name_at
from .chunks import pieces
from .exchange import Event, Exchange
from .registry import Finding, rule

__all__: list[str] = []

Obj = dict[str, Any]

_ENDS = ("completed", "requires_action", "incomplete", "failed", "cancelled", "expired")
_OPENING = ("thread.run.created", "thread.run.queued", "thread.run.in_progress")
_FINISHED = ("completed", "incomplete", "failed", "cancelled", "expired")  # steps, messages
_CREATED_STATUS = {"run": "queued", "step": "in_progress", "message": "in_progress"}


# --- order ----------------------------------------------------------------------------------


def _phase(event: Event) -> int:
    parsed = event_kind(event.name)
    if event.name == "done":
        return 6
    if parsed == ("thread", "created"):
        return 0
    if parsed is not None and parsed[0] == "run":
        name = f"thread.run.{parsed[1]}"
        if name in _OPENING:
            return 1 + _OPENING.index(name)
        if parsed[1] in _ENDS:
            return 5
    return 4


@rule("rule.assistants.stream-order", operations=RUN_STREAMS, stream=True)
def stream_order(x: Exchange) -> Iterator[Finding]:
    """thread.created (createThreadAndRun only) → run created (not after submit_tool_outputs:
    the run exists) → queued → in_progress → steps and messages (each created first, nothing
    after it finished) → one terminal run event → done."""
    events = x.events or []
    names = [e.name for e in events]
    with_thread = x.operation == "createThreadAndRun"
    if with_thread != ("thread.created" in names) or (
        with_thread and names[:1] != ["thread.created"]
    ):
        yield Finding(
            "thread.created " + ("must open the stream" if with_thread else "without a new thread"),
            "",
            0,
            "thread.created first" if with_thread else None,
            names[0] if names else None,
        )
    opening = [n for n in names if n in _OPENING]
    expected = _opening(x)
    if opening != expected:
        yield Finding(
            "the run does not open with " + ", ".join(expected), "", None, expected, opening
        )
    phases = [_phase(e) for e in events]
    for index in range(1, len(events)):
        if phases[index] < phases[index - 1]:
            yield Finding(
                f"{events[index].name} after {events[index - 1].name}",
                "",
                index,
                None,
                events[index].name,
            )
            break
    ends = [i for i, p in enumerate(phases) if p == 5]
    if len(ends) != 1:
        yield Finding(
            f"{len(ends)} terminal run events", "", ends[1] if ends[1:] else None, 1, len(ends)
        )
    if not events or events[-1].name != "done" or events[-1].data != "[DONE]":
        yield Finding(
            "the stream does not end with event: done, data: [DONE]",
            "",
            None,
            "[DONE]",
            events[-1].data if events and not events[-1].json else None,
        )
    yield from _lifecycles(x)


def _opening(x: Exchange) -> list[str]:
    """The run events that open the stream: a run given its tool outputs exists already."""
    return list(_OPENING[1:] if x.operation == "submitToolOuputsToRun" else _OPENING)


def _lifecycles(x: Exchange) -> Iterator[Finding]:
    state: dict[tuple[str, Any], str] = {}
    for index, kind, what, data in events(x):
        if kind not in ("step", "message"):
            continue
        key = (kind, data.get("id"))
        if what == "created":
            if key in state:
                yield Finding(f"{kind} {key[1]} created twice", "/id", index, None, key[1])
            state[key] = "open"
        elif key not in state or state[key] == "finished":
            why = "before it was created" if key not in state else "after it finished"
            yield Finding(f"thread.{kind} {what} {why}", "/id", index, None, key[1])
        elif what in _FINISHED:
            state[key] = "finished"


@stream_order.fixer
def _fix_stream_order(x: Exchange) -> None:
    events = list(x.events or [])
    runs = [e.data for e in events if (event_kind(e.name) or ("",))[0] == "run" and e.json]
    events = [e for e in events if e.name != "done" and e.data != "[DONE]"]
    if x.operation != "createThreadAndRun":
        events = [e for e in events if e.name != "thread.created"]
    opened: set[str] = set()
    kept = []
    for e in events:  # each opening event once, and only those the operation opens with
        if e.name in _OPENING:
            if e.name in opened or e.name not in _opening(x):
                continue
            opened.add(str(e.name))
        kept.append(e)
    events = kept
    if runs:
        for name in _opening(x):
            if name not in [e.name for e in events]:
                status = "queued" if name != "thread.run.in_progress" else "in_progress"
                events.append(Event({**copy.deepcopy(runs[0]), "status": status}, name))
    ends = [e for e in events if _phase(e) == 5]
    events = [e for e in events if _phase(e) != 5]
    if ends:
        events.append(ends[-1])
    elif runs:
        events.append(
            Event({**copy.deepcopy(runs[-1]), "status": "completed"}, "thread.run.completed")
        )
    events.sort(key=_phase)  # stable: the steps and messages keep their order
    x.events = [*_lifecycle_order(events), Event("[DONE]", "done")]


def _lifecycle_order(events: list[Event]) -> list[Event]:
    """Each step's and message's created event moved before its first event, its finishing
    event after its last."""
    out = list(events)
    for key in dict.fromkeys(k for k in map(_object_key, out) if k is not None):
        mine = [i for i, e in enumerate(out) if _object_key(e) == key]
        created = [i for i in mine if (event_kind(out[i].name) or ("", ""))[1] == "created"]
        if created and created[0] != mine[0]:
            out.insert(mine[0], out.pop(created[0]))
            mine = [i for i, e in enumerate(out) if _object_key(e) == key]
        ends = [i for i in mine if (event_kind(out[i].name) or ("", ""))[1] in _FINISHED]
        if ends and ends[-1] != mine[-1]:
            out.insert(mine[-1], out.pop(ends[-1]))
    return out


def _object_key(event: Event) -> tuple[str, Any] | None:
    parsed = event_kind(event.name)
    if parsed is None or parsed[0] not in ("step", "message") or not isinstance(event.data, dict):
        return None
    return parsed[0], event.data.get("id")


# --- status ---------------------------------------------------------------------------------


def _expected_status(kind: str, what: str) -> str | None:
    if what == "created":
        return _CREATED_STATUS.get(kind)
    if what == "delta" or kind == "thread":
        return None
    return what


@rule("rule.assistants.stream-status", operations=RUN_STREAMS, stream=True)
def stream_status(x: Exchange) -> Iterator[Finding]:
    """The status of a run, step or message event's object is the one its name says
    (thread.run.created: queued; thread.message.created: in_progress)."""
    for index, kind, what, data in events(x):
        want = _expected_status(kind, what)
        if want is not None and "status" in data and data["status"] != want:
            yield Finding(
                f"{name_at(x, index)} carries status {data['status']!r}",
                "/status",
                index,
                want,
                data["status"],
            )


@stream_status.fixer
def _fix_stream_status(x: Exchange) -> None:
    for _, kind, what, data in events(x):
        want = _expected_status(kind, what)
        if want is not None and "status" in data:
            data["status"] = want


# --- ids ------------------------------------------------------------------------------------


def _id_findings(x: Exchange) -> Iterator[tuple[int, str, Any, Any, str]]:
    """(event, pointer, expected, actual, what) of each id that disagrees with the run's."""
    run: Obj | None = None
    created: dict[str, set[Any]] = {"step": set(), "message": set()}
    thread: Any = None
    for index, kind, what, data in events(x):
        if kind == "thread":
            thread = data.get("id")
            continue
        if kind == "run":
            run = run or data
            for key in ("id", "thread_id", "assistant_id"):
                if data.get(key) != run.get(key):
                    yield index, f"/{key}", run.get(key), data.get(key), f"the run's {key} changed"
            if thread is not None and data.get("thread_id") != thread:
                yield index, "/thread_id", thread, data.get("thread_id"), "not the thread created"
            continue
        if what == "delta":
            if data.get("id") not in created[kind]:
                yield (
                    index,
                    "/id",
                    sorted(map(str, created[kind])),
                    data.get("id"),
                    f"a delta of no {kind} created",
                )
            continue
        if what == "created":
            created[kind].add(data.get("id"))
        if run is None:
            continue
        for key, want in (("run_id", run.get("id")), ("thread_id", run.get("thread_id"))):
            if key in data and data[key] != want:
                yield index, f"/{key}", want, data[key], f"the {kind}'s {key} is not the run's"
    for index, kind, _, data in events(x):
        details = data.get("step_details") if kind == "step" else None
        made = details.get("message_creation") if isinstance(details, dict) else None
        if (
            isinstance(made, dict)
            and created["message"]
            and made.get("message_id") not in created["message"]
        ):
            yield (
                index,
                "/step_details/message_creation/message_id",
                sorted(map(str, created["message"])),
                made.get("message_id"),
                "the step creates a message the stream never created",
            )


@rule("rule.assistants.stream-ids", operations=RUN_STREAMS, stream=True)
def stream_ids(x: Exchange) -> Iterator[Finding]:
    """A run stream's events name one run and thread (the thread created, if any); its steps
    and messages carry that run_id and thread_id; deltas and message_creation steps name a step
    or message the stream created."""
    for index, pointer, expected, actual, what in _id_findings(x):
        yield Finding(f"{what}: {actual!r}", pointer, index, expected, actual)


@stream_ids.fixer
def _fix_stream_ids(x: Exchange) -> None:
    thread = next((d.get("id") for _, k, _, d in events(x) if k == "thread"), None)
    run = next((d for _, k, _, d in events(x) if k == "run"), None)
    if run is None:
        return
    if thread is not None:
        run["thread_id"] = thread
    last: dict[str, Any] = {}
    messages = [d.get("id") for _, k, w, d in events(x) if k == "message" and w == "created"]
    for _, kind, what, data in events(x):
        if kind == "run":
            for key in ("id", "thread_id", "assistant_id"):
                data[key] = run.get(key)
            continue
        if kind == "thread":
            continue
        if what == "created":
            last[kind] = data.get("id")
        elif what == "delta" and kind in last:
            data["id"] = last[kind]
        for key, want in (("run_id", run.get("id")), ("thread_id", run.get("thread_id"))):
            if key in data:
                data[key] = want
        details = data.get("step_details") if kind == "step" else None
        made = details.get("message_creation") if isinstance(details, dict) else None
        if isinstance(made, dict) and messages and made.get("message_id") not in messages:
            made["message_id"] = messages[0]


# --- message text ---------------------------------------------------------------------------


def _delta_texts(x: Exchange) -> dict[Any, dict[Any, str]]:
    """message id → content index → the text its deltas add up to."""
    out: dict[Any, dict[Any, str]] = {}
    for _, kind, what, data in events(x):
        if kind != "message" or what != "delta":
            continue
        delta = data.get("delta")
        for part in (delta.get("content") if isinstance(delta, dict) else None) or []:
            text = part.get("text") if isinstance(part, dict) else None
            if isinstance(text, dict) and isinstance(text.get("value"), str):
                by_index = out.setdefault(data.get("id"), {})
                by_index[part.get("index")] = by_index.get(part.get("index"), "") + text["value"]
    return out


def _final_texts(message: Obj) -> dict[int, str]:
    return {
        i: part["text"]["value"]
        for i, part in enumerate(message.get("content") or [])
        if isinstance(part, dict)
        and part.get("type") == "text"
        and isinstance(part.get("text"), dict)
        and isinstance(part["text"].get("value"), str)
    }


def _text_findings(x: Exchange) -> Iterator[tuple[int, int, str, str]]:
    """(event, content index, streamed, final) of each final message text its deltas miss."""
    streamed = _delta_texts(x)
    for index, kind, what, data in events(x):
        if kind == "message" and what in ("completed", "incomplete"):
            got = streamed.get(data.get("id"), {})
            for i, value in _final_texts(data).items():
                if got.get(i, "") != value:
                    yield index, i, got.get(i, ""), value


@rule("rule.assistants.stream-text", operations=RUN_STREAMS, stream=True)
def stream_text(x: Exchange) -> Iterator[Finding]:
    """A message's text deltas add up to the text of its thread.message.completed (or
    incomplete) event."""
    for index, i, joined, value in _text_findings(x):
        yield Finding(
            f"the deltas add up to another text than the message's content {i}",
            f"/content/{i}/text/value",
            index,
            joined[:200],
            value[:200],
        )


@stream_text.fixer
def _fix_stream_text(x: Exchange) -> None:
    """The deltas of each wrong message are made again from its final text."""
    wrong = {data_at(x, index).get("id") for index, *_ in _text_findings(x)}
    out: list[Event] = []
    for event in x.events or []:
        parsed = event_kind(event.name)
        data = event.data if isinstance(event.data, dict) else {}
        if parsed == ("message", "delta") and data.get("id") in wrong:
            continue
        if (
            parsed is not None
            and parsed[0] == "message"
            and parsed[1] in ("completed", "incomplete")
        ) and data.get("id") in wrong:
            out += [
                _delta(data["id"], i, piece, n == 0)
                for i, text in _final_texts(data).items()
                for n, piece in enumerate(pieces(text))
            ]
        out.append(event)
    x.events = out


def _delta(message_id: Any, index: int, piece: str, first: bool) -> Event:
    text: Obj = {"value": piece, **({"annotations": []} if first else {})}
    part = {"index": index, "type": "text", "text": text}
    data = {"id": message_id, "object": "thread.message.delta", "delta": {"content": [part]}}
    return Event(data, "thread.message.delta")
