"""The events OpenAI streams for a Responses API answer, derived from the final Response.

``response_events(response)`` turns a complete Response object (what ``POST /responses``
answers without ``stream``) into the stream the API sends for it with ``stream: true``:
``response.created`` → ``response.in_progress`` → per output item ``output_item.added`` → (per
content part ``content_part.added`` → ``output_text.delta``… → ``output_text.done`` →
``content_part.done``; or ``function_call_arguments.delta``… → ``.done``) →
``output_item.done`` → ``response.completed`` / ``incomplete`` / ``failed``. It is
deterministic: the same Response gives the same events, so a stream made from a complied answer
satisfies the stream rules, and the stream rules' fixers rebuild a broken stream from its final
Response.

>>> [e.event for e in response_events({"id": "resp_1", "status": "completed", "output": []})]
['response.created', 'response.in_progress', 'response.completed']
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from ... import sse
from .chunks import pieces, slices
from .exchange import Event, Exchange

__all__ = ["TERMINAL", "final_response", "pieces", "response_events", "restream"]

Obj = dict[str, Any]

# the events that end a Responses stream, by the status of the response they carry
TERMINAL = {
    "response.completed": "completed",
    "response.incomplete": "incomplete",
    "response.failed": "failed",
}
# output items whose status may be in_progress (added as such; any other keeps its final status)
_STARTED = frozenset(
    {
        "message",
        "function_call",
        "reasoning",
        "web_search_call",
        "file_search_call",
        "computer_call",
        "code_interpreter_call",
        "image_generation_call",
        "local_shell_call",
    }
)


def response_events(response: Obj, *, numbered: bool = True) -> tuple[sse.Event, ...]:
    """The SSE events the Responses API streams for this final Response, in order.

    ``numbered`` adds what the API sends since mid-2025 and the 2026-08 spec requires:
    ``sequence_number`` 0, 1, 2… on every event, ``logprobs: []`` on text events and the
    function ``name`` on ``function_call_arguments.done``; pass ``False`` for the 2.3.0 spec,
    which declares none of them. A response whose status is not final (``in_progress``,
    ``queued``…) is streamed as far as it got: no terminal event.

    >>> events = response_events(final_answer)  # doctest: +SKIP
    >>> Exchange.streamed("createResponse", request, events)  # doctest: +SKIP
    """
    final = copy.deepcopy(response)
    started = {**final, "status": "in_progress", "output": []}
    for key in ("incomplete_details", "error", "completed_at"):
        if key in started:
            started[key] = None
    # the API sends usage: null until the end, which neither spec allows: left out
    started.pop("usage", None)
    started.pop("output_text", None)
    data: list[Obj] = [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": copy.deepcopy(started)},
    ]
    for index, item in enumerate(final.get("output") or []):
        if isinstance(item, dict):
            data += _item_events(index, item, numbered)
    ending = f"response.{final.get('status')}"
    if ending in TERMINAL:
        data.append({"type": ending, "response": final})
    if numbered:
        data = [{**event, "sequence_number": i} for i, event in enumerate(data)]
    return tuple(sse.Event(data=json.dumps(event), event=event["type"]) for event in data)


def _item_events(index: int, item: Obj, numbered: bool) -> Iterator[Obj]:
    item_id = item.get("id")
    if not isinstance(item_id, str):
        item_id = f"item_{index}"
        item["id"] = item_id
    added = copy.deepcopy(item)
    kind = item.get("type")
    if "status" in added and kind in _STARTED:
        added["status"] = "in_progress"
    if kind == "message":
        added["content"] = []
    elif kind == "function_call":
        added["arguments"] = ""
    elif kind == "reasoning":
        added["summary"] = []
        if "content" in added:
            added["content"] = []
    yield {"type": "response.output_item.added", "output_index": index, "item": added}
    at = {"item_id": item_id, "output_index": index}
    if kind == "message":
        for part_index, part in enumerate(item.get("content") or []):
            if isinstance(part, dict):
                yield from _part_events({**at, "content_index": part_index}, part, numbered)
    elif kind == "function_call" and isinstance(item.get("arguments"), str):
        for piece in slices(item["arguments"]):
            yield {"type": "response.function_call_arguments.delta", **at, "delta": piece}
        done: Obj = {"type": "response.function_call_arguments.done", **at}
        if numbered and isinstance(item.get("name"), str):
            done["name"] = item["name"]
        yield {**done, "arguments": item["arguments"]}
    yield {"type": "response.output_item.done", "output_index": index, "item": item}


def _part_events(at: Obj, part: Obj, numbered: bool) -> Iterator[Obj]:
    kind = part.get("type")
    field, event = {"output_text": ("text", "output_text"), "refusal": ("refusal", "refusal")}.get(
        str(kind), (None, None)
    )
    empty = copy.deepcopy(part)
    if field is not None:
        empty[field] = ""
    for key in ("annotations", "logprobs"):
        if key in empty:
            empty[key] = []
    yield {"type": "response.content_part.added", **at, "part": empty}
    text = part.get(field) if field is not None else None
    if field is not None and isinstance(text, str):
        logprobs: Obj = {"logprobs": []} if numbered and kind == "output_text" else {}
        for piece in pieces(text):
            yield {"type": f"response.{event}.delta", **at, "delta": piece, **logprobs}
        yield {"type": f"response.{event}.done", **at, field: text, **logprobs}
    yield {"type": "response.content_part.done", **at, "part": part}


def final_response(x: Exchange) -> tuple[int | None, str, Obj] | None:
    """(event index or None, pointer, Response) of the answer's final Response: the JSON body,
    or the ``response`` of a stream's last terminal event."""
    if x.events is None:
        return (None, "", x.body) if isinstance(x.body, dict) else None
    for index in range(len(x.events) - 1, -1, -1):
        data = x.events[index].data
        if (
            isinstance(data, dict)
            and data.get("type") in TERMINAL
            and isinstance(data.get("response"), dict)
        ):
            return index, "/response", data["response"]
    return None


def _numbered(x: Exchange) -> bool:
    return any(isinstance(e.data, dict) and "sequence_number" in e.data for e in x.events or ())


def restream(x: Exchange) -> None:
    """Rebuild a Responses stream from its final Response (the fixers' way to make every event
    agree with it); numbered as the stream was. A stream with no terminal event ends with the
    last Response it carried, ``completed`` with the items the stream finished. The opening
    events keep what their Responses said beyond the lifecycle (``model``, ``created_at``…)."""
    datas = [e.data for e in x.events or () if isinstance(e.data, dict)]
    found = final_response(x)
    if found is None:
        last = [d["response"] for d in datas if isinstance(d.get("response"), dict)]
        if not last:
            return
        done = [
            d["item"]
            for d in datas
            if d.get("type") == "response.output_item.done" and isinstance(d.get("item"), dict)
        ]
        final = {**last[-1], "status": "completed", "output": done}
    else:
        final = found[2]
        if final.get("status") not in TERMINAL.values():  # the terminal event says it
            final["status"] = TERMINAL[str((x.events or [])[found[0] or 0].data["type"])]
    opening = {
        d["type"]: d["response"]
        for d in datas
        if d.get("type") in ("response.created", "response.in_progress")
        and isinstance(d.get("response"), dict)
    }
    rebuilt = response_events(final, numbered=_numbered(x))
    x.events = []
    for e in rebuilt:
        data = json.loads(e.data)
        if data["type"] in opening:
            data["response"] = {**opening[data["type"]], **_lifecycle(data["response"])}
        x.events.append(Event(data, e.event))


def _lifecycle(started: Obj) -> Obj:
    """What an opening event's Response takes from the final one: its id and its state."""
    keep = ("id", "status", "output", "incomplete_details", "error", "completed_at")
    return {k: started[k] for k in keep if k in started}
