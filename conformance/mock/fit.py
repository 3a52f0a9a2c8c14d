"""Fit a generated response to the request it answers, without ever making it invalid.

Generated bodies are valid but know nothing of the request. Clients rely on some echoes: ids
from the path (``thread_id`` of a run), the fields they just created an object with (an
assistant's ``name``). Each change is kept only if the body still validates (``ok``), so
fitting can lose an echo but never produce a response the spec forbids. What OpenAI's answers
do for a request beyond echoes (``n`` choices, tool calls only when tools were sent…) is the
semantic rules' (``conformance.validate.semantics``), which the ``typical`` profile obeys.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from .. import sse

__all__ = ["fit_body", "fit_events", "overlay", "replaced", "request_fields"]

Check = Callable[[Any], bool]
# request fields that steer the response rather than describe the object
_STEERING = frozenset({"stream", "stream_options", "n", "response_format", "include", "store"})


def request_fields(body: Any) -> dict[str, Any]:
    """The top-level fields of a decoded request body worth echoing."""
    if not isinstance(body, Mapping):
        return {}
    return {k: v for k, v in body.items() if k not in _STEERING and not isinstance(v, bytes)}


def replaced(obj: dict[str, Any], changes: Mapping[str, Any], ok: Check) -> dict[str, Any]:
    """``obj`` with all ``changes`` when the result validates, else ``obj`` unchanged.

    >>> replaced({"id": "a"}, {"id": 1}, ok=lambda b: isinstance(b["id"], str))
    {'id': 'a'}
    """
    candidate = {**obj, **changes}
    return candidate if ok(candidate) else obj


def overlay(obj: dict[str, Any], fields: Mapping[str, Any], ok: Check) -> dict[str, Any]:
    """``obj`` with each field set when the result still validates (all at once if possible).

    >>> overlay({"id": "a"}, {"id": 1, "name": "n"}, ok=lambda b: isinstance(b["id"], str))
    {'id': 'a', 'name': 'n'}
    """
    if not fields:
        return obj
    merged = {**obj, **fields}
    if ok(merged):
        return merged
    for key, value in fields.items():
        obj = replaced(obj, {key: value}, ok)
    return obj


def fit_body(
    body: Any,
    *,
    fields: Mapping[str, Any],
    path_params: Mapping[str, str],
    item: str | None,
    ok: Check,
) -> Any:
    """A JSON response body fitted to the request: the path's ids and the request's echoed
    fields. (What OpenAI does for ``n``, tools, embeddings… is the semantic rules' business:
    ``conformance.validate.semantics``, applied by the ``typical`` profile.)

    >>> fit_body({"id": "x", "model": "m"}, fields={"model": "gpt-4o"}, path_params={}, item=None, ok=lambda b: True)
    {'id': 'x', 'model': 'gpt-4o'}
    """
    if not isinstance(body, dict):
        return body
    ids = {k: v for k, v in path_params.items() if k in body and k != item}
    if item is not None and item in path_params and "id" in body:
        ids["id"] = path_params[item]
    body = overlay(body, ids, ok)
    body = overlay(body, {k: v for k, v in fields.items() if k in body}, ok)
    body = overlay(body, {k: v for k, v in fields.items() if k not in body}, ok)
    if isinstance(body.get("data"), list) and body.get("object") not in (None, "list"):
        body = overlay(body, {"object": "list"}, ok)  # list envelopes say "list"
    return body


def fit_events(
    events: tuple[sse.Event, ...], *, path_params: Mapping[str, str]
) -> tuple[sse.Event, ...]:
    """Stream events with the path's ids (``thread_id``, ``run_id``…) in every object they carry
    (the requested ``model`` is the ``rule.model.echo`` rule's).

    The caller validates the whole stream afterwards and keeps the unfitted one if it fails.
    """
    changes = dict(path_params)
    if not changes:
        return events
    out = []
    for event in events:
        try:
            data = json.loads(event.data)
        except ValueError:
            out.append(event)
            continue
        if isinstance(data, dict):
            for target in (data, data.get("response"), data.get("data")):
                if isinstance(target, dict):
                    target.update({k: v for k, v in changes.items() if k in target})
            event = sse.Event(data=json.dumps(data), event=event.event, id=event.id)
        out.append(event)
    return tuple(out)
