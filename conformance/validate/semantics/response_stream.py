"""Rules over Responses API streams (``POST /responses`` with ``stream: true``): the lifecycle
order, ids that agree across events, ``sequence_number`` s, and the streamed pieces adding up to
the final Response. Their fixers rebuild the stream from its final Response
(``response_events``), or renumber it.

>>> x = Exchange.streamed("createResponse", None, response_events(final)[1:])  # doctest: +SKIP
>>> [v.code for v in check(x)]  # doctest: +SKIP
['rule.responses.stream-order']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .exchange import Exchange
from .registry import Finding, rule
from .response_events import TERMINAL, restream
from .responses import CREATE_OPS

__all__: list[str] = []

Obj = dict[str, Any]
_DELTAS = {  # event type → (the done event's type, the field the done event and the part hold)
    "response.output_text.delta": ("response.output_text.done", "text"),
    "response.refusal.delta": ("response.refusal.done", "refusal"),
    "response.function_call_arguments.delta": (
        "response.function_call_arguments.done",
        "arguments",
    ),
}
_DONE_FIELD = {done: name for done, name in _DELTAS.values()}
_STARTS = ("response.created", "response.in_progress", "response.queued")


def _typed(x: Exchange) -> Iterator[tuple[int, Obj]]:
    """(event index, data) of the stream's JSON events with a type."""
    for index, event in enumerate(x.events or ()):
        if isinstance(event.data, dict) and isinstance(event.data.get("type"), str):
            yield index, event.data


@dataclass
class _Item:
    added_at: int
    id: Any
    done: Obj | None = None  # the output_item.done item
    done_at: int | None = None
    parts: dict[Any, str] = field(default_factory=dict)  # content_index → "added" | "done"
    pieces: dict[Any, list[str]] = field(default_factory=dict)  # content_index → deltas
    # content_index → (done event's index, its field, the done text)
    finished: dict[Any, tuple[int, str, Any]] = field(default_factory=dict)


def _key(data: Obj) -> Any:
    """A delta's or done event's place inside its item (content_index; None for arguments)."""
    return data.get("content_index")


# --- order ----------------------------------------------------------------------------------


def _order(x: Exchange) -> Iterator[Finding]:
    typed = list(_typed(x))
    if not typed:
        return
    first_index, first = typed[0]
    if first["type"] != "response.created":
        yield Finding(
            f"the stream starts with {first['type']}",
            "/type",
            first_index,
            "response.created",
            first["type"],
        )
    items: dict[Any, _Item] = {}
    seen_start: set[str] = set()
    ended: int | None = None
    for index, data in typed:
        kind = data["type"]
        if ended is not None:
            yield Finding(f"{kind} after the stream's end ({ended})", "/type", index, None, kind)
            continue
        if kind in _STARTS:
            if kind in seen_start or items:
                yield Finding(f"{kind} out of place", "/type", index, None, kind)
            seen_start.add(kind)
            status = (data.get("response") or {}).get("status")
            if status not in ("in_progress", "queued"):
                yield Finding(
                    f"{kind} carries a response with status {status!r}",
                    "/response/status",
                    index,
                    "in_progress",
                    status,
                )
        elif kind in TERMINAL or kind == "error":
            ended = index
            open_items = [k for k, item in items.items() if item.done is None]
            if open_items and kind != "error":
                yield Finding(
                    f"{kind} while output items {open_items} are not done",
                    "/type",
                    index,
                    "output_item.done first",
                    kind,
                )
            status = (data.get("response") or {}).get("status")
            if kind in TERMINAL and status != TERMINAL[kind]:
                yield Finding(
                    f"{kind} carries a response with status {status!r}",
                    "/response/status",
                    index,
                    TERMINAL[kind],
                    status,
                )
        elif "output_index" in data:
            yield from _item_order(items, index, data)
    if ended is None:
        last_index, last = typed[-1]
        yield Finding(
            f"the stream ends with {last['type']}, not response.completed/incomplete/failed",
            "/type",
            last_index,
            "response.completed",
            last["type"],
        )


def _item_order(items: dict[Any, _Item], index: int, data: Obj) -> Iterator[Finding]:
    kind, at = data["type"], data["output_index"]
    if kind == "response.output_item.added":
        if at != len(items) or at in items:
            yield Finding(
                f"output item added at output_index {at}",
                "/output_index",
                index,
                len(items),
                at,
            )
        items[at] = _Item(index, (data.get("item") or {}).get("id"))
        return
    item = items.get(at)
    if item is None or item.done is not None:
        where = "before its output_item.added" if item is None else "after its output_item.done"
        yield Finding(f"{kind} for output item {at} {where}", "/output_index", index, None, at)
        return
    if kind == "response.output_item.done":
        item.done = data.get("item") if isinstance(data.get("item"), dict) else {}
        open_parts = [c for c, state in item.parts.items() if state != "done"]
        if open_parts:
            yield Finding(
                f"output item {at} done while content parts {open_parts} are not",
                "/type",
                index,
                "content_part.done first",
                kind,
            )
        return
    part = data.get("content_index")
    if kind == "response.content_part.added":
        if part in item.parts:
            yield Finding(f"content part {part} added twice", "/content_index", index, None, part)
        item.parts[part] = "added"
    elif "content_index" in data and item.parts.get(part) != "added":
        yield Finding(
            f"{kind} for content part {part} of item {at}, which is "
            + ("done" if part in item.parts else "not added"),
            "/content_index",
            index,
            None,
            part,
        )
    elif kind == "response.content_part.done":
        item.parts[part] = "done"


@rule("rule.responses.stream-order", operations=CREATE_OPS, stream=True)
def stream_order(x: Exchange) -> Iterator[Finding]:
    """response.created → in_progress → per output item added → (content part added → deltas →
    done → part done)… → item done → one response.completed / incomplete / failed, last."""
    yield from _order(x)


stream_order.fixer(restream)


# --- ids ------------------------------------------------------------------------------------


@rule("rule.responses.stream-ids", operations=CREATE_OPS, stream=True)
def stream_ids(x: Exchange) -> Iterator[Finding]:
    """Every event of a stream carries the same response id; item_id is the id of the item added
    at that output_index, and output_item.done is that item."""
    response_id: Any = None
    ids: dict[Any, Any] = {}
    for index, data in _typed(x):
        response = data.get("response")
        if isinstance(response, dict):
            if response_id is None:
                response_id = response.get("id")
            elif response.get("id") != response_id:
                yield Finding(
                    "the response id changed",
                    "/response/id",
                    index,
                    response_id,
                    response.get("id"),
                )
            continue
        at = data.get("output_index")
        item = data.get("item") if isinstance(data.get("item"), dict) else None
        if data["type"] == "response.output_item.added" and item is not None:
            ids.setdefault(at, item.get("id"))
        elif at in ids:
            got = item.get("id") if item is not None else data.get("item_id", ids[at])
            if got != ids[at]:
                pointer = "/item/id" if item is not None else "/item_id"
                yield Finding(f"item id {got!r} at output_index {at}", pointer, index, ids[at], got)


stream_ids.fixer(restream)


# --- sequence numbers -----------------------------------------------------------------------


@rule("rule.responses.sequence-number", operations=CREATE_OPS, stream=True)
def sequence_number(x: Exchange) -> Iterator[Finding]:
    """When events carry sequence_number, every event does, numbered 0, 1, 2… in order."""
    typed = list(_typed(x))
    numbered = [i for i, data in typed if "sequence_number" in data]
    if not numbered:
        return
    for position, (index, data) in enumerate(typed):
        number = data.get("sequence_number")
        if number != position:
            yield Finding(
                "an event without sequence_number"
                if "sequence_number" not in data
                else f"sequence_number {number} at the stream's event {position}",
                "/sequence_number",
                index,
                position,
                number,
            )
            return  # the first break in the count says it; the rest follows from it


@sequence_number.fixer
def _fix_sequence_number(x: Exchange) -> None:
    for position, (_, data) in enumerate(_typed(x)):
        data["sequence_number"] = position


# --- pieces add up --------------------------------------------------------------------------


def _assembled(x: Exchange) -> tuple[dict[Any, _Item], Obj | None, int | None]:
    """The stream's items with their deltas and done texts; the terminal Response and its index."""
    items: dict[Any, _Item] = {}
    final: tuple[Obj | None, int | None] = (None, None)
    for index, data in _typed(x):
        kind, at = data["type"], data.get("output_index")
        if kind == "response.output_item.added":
            items.setdefault(at, _Item(index, (data.get("item") or {}).get("id")))
        elif kind in TERMINAL and isinstance(data.get("response"), dict):
            final = (data["response"], index)
        elif at in items:
            item = items[at]
            if kind in _DELTAS and isinstance(data.get("delta"), str):
                item.pieces.setdefault(_key(data), []).append(data["delta"])
            elif kind in _DONE_FIELD:
                name = _DONE_FIELD[kind]
                item.finished[_key(data)] = (index, name, data.get(name))
            elif kind == "response.output_item.done" and isinstance(data.get("item"), dict):
                item.done, item.done_at = data["item"], index
    return items, final[0], final[1]


def _held(item: Obj, key: Any) -> Any:
    """The text (or arguments) an output item holds at a content index (None: arguments)."""
    if key is None:
        return item.get("arguments")
    content = item.get("content")
    if isinstance(content, list) and isinstance(key, int) and 0 <= key < len(content):
        part = content[key]
        if isinstance(part, dict):
            return part.get("text", part.get("refusal"))
    return None


@rule("rule.responses.stream-text", operations=CREATE_OPS, stream=True)
def stream_text(x: Exchange) -> Iterator[Finding]:
    """The deltas of a text (or refusal, or function arguments) add up to its done event, which
    the done item holds; the final Response's output is the items streamed."""
    items, final, final_at = _assembled(x)
    for at, item in items.items():
        for key, (index, name, text) in item.finished.items():
            joined = "".join(item.pieces.get(key, []))
            if joined != text:
                yield Finding(
                    f"the deltas of output item {at} add up to another text than its done event",
                    f"/{name}",
                    index,
                    joined[:200],
                    text[:200] if isinstance(text, str) else text,
                )
            elif item.done is not None and _held(item.done, key) != text:
                yield Finding(
                    f"output item {at} is done with another text than its done event",
                    "/item",
                    item.done_at,
                    text,
                    _held(item.done, key),
                )
    if final is None or final.get("status") not in ("completed", "incomplete"):
        return
    output = final.get("output")
    output = output if isinstance(output, list) else []
    streamed = [items[k].done for k in sorted(items, key=lambda k: items[k].added_at)]
    if output != streamed:
        yield Finding(
            "the final response's output is not the items the stream sent",
            "/response/output",
            final_at,
            f"{len(streamed)} items as streamed",
            f"{len(output)} items",
        )


stream_text.fixer(restream)
