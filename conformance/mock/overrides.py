"""Overrides: what a test fixes about one operation's answers.

- ``headers``, ``latency``, ``status`` alone: the generated answer, with them applied;
- a ``body`` that is a complete, valid answer on its own: served as given;
- a partial ``body``: merged into the generated answer (objects key by key, lists item by
  item), as the openai-responses plugin does, and the merge is validated;
- a ``handler(request)``: called for each request, its result served unchecked (the escape
  hatch for answers the spec does not allow); returning ``None`` serves the generated answer.

A body is checked when it is registered: an undeclared key or a wrong type raises
:class:`OverrideError` naming the operation and the JSON pointer.

>>> mock.override("createChatCompletion", body={"choices": [{"message": {"content": "hi"}}]})  # doctest: +SKIP
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConformanceError
from ..spec import Operation
from ..validate import Validator, Violation
from ..validate.body import media_kind
from .message import MockRequest

__all__ = ["Override", "OverrideError", "check_body", "merge"]

Handler = Callable[[MockRequest], Any]


class OverrideError(ConformanceError):
    """An override body the operation's answer cannot be: names the operation and the pointer."""


@dataclass(frozen=True)
class Override:
    """A fixed answer for one operation: a body, a status, headers, latency, or a callable.

    ``complete`` says the body is a whole valid answer (served as given); otherwise it is merged
    into the generated answer. ``handler(request)`` may return a ``MockResponse``, a JSON body
    to send with ``status``, or ``None`` for the generated answer.
    """

    operation: str
    body: Any = None
    status: int | None = None
    headers: Mapping[str, str] | None = None
    latency: float = 0.0
    handler: Handler | None = None
    complete: bool = True


def _schema(op: Operation, status: int | None) -> str | None:
    """The JSON schema location of the answer the override replaces (status, else the first
    documented 2xx)."""
    if status is not None:
        response = op.response_for(status)
    else:
        keys = sorted(k for k in op.responses if k[:1] == "2")
        response = op.responses[keys[0]] if keys else None
    if response is None:
        return None
    return next(
        (m.schema for k, m in response.content.items() if media_kind(k) == "json" and m.schema),
        None,
    )


def check_body(validator: Validator, op: Operation, body: Any, status: int | None) -> bool:
    """Check an override body when it is registered; True when it is a complete answer.

    Only the properties it leaves out may be missing (it is then merged into generated answers,
    and the merge is checked); anything else wrong raises :class:`OverrideError`.

    >>> check_body(validator, op, {"choices": [{"mesage": {}}]}, None)  # doctest: +SKIP
    Traceback (most recent call last):
    conformance.mock.overrides.OverrideError: override of createChatCompletion: /choices/0/mesage: property 'mesage' is not declared by the schema
    """
    location = _schema(op, status)
    if location is None or isinstance(body, (bytes, str)):
        return True
    found = validator.responses.check(
        location, body, where="response.body", operation=op.operation_id, strict=True
    )
    wrong = [v for v in found if v.code != "schema.required"]
    if wrong:
        raise OverrideError(describe(op, wrong))
    return not found


def describe(op: Operation, violations: list[Violation], what: str = "body") -> str:
    """One line: the override, the first violation's pointer and message, how many more."""
    first = violations[0]
    more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
    return (
        f"override of {op.operation_id}: {what} {first.pointer or '/'}: {first.message}"
        f" [{first.code}]{more}; pass handler= to serve an answer the spec does not allow"
    )


def merge(base: Any, patch: Any) -> Any:
    """``patch`` laid over ``base``: objects key by key, lists item by item (items past the end
    of ``base`` are laid over a copy of its last item, their ``index`` renumbered), anything
    else replaced. Neither argument is changed.

    >>> merge({"a": 1, "b": [{"x": 1, "y": 2}]}, {"b": [{"y": 3}]})
    {'a': 1, 'b': [{'x': 1, 'y': 3}]}
    >>> merge({"c": [{"index": 0, "t": "a"}]}, {"c": [{}, {"t": "b"}]})
    {'c': [{'index': 0, 't': 'a'}, {'index': 1, 't': 'b'}]}
    """
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(patch, list) and base:
        items = []
        for index in range(max(len(base), len(patch))):
            if index >= len(patch):
                items.append(base[index])
                continue
            template = base[min(index, len(base) - 1)]
            if index >= len(base) and isinstance(template, dict) and "index" in template:
                template = {**template, "index": index}
            items.append(merge(template, patch[index]))
        return items
    return copy.deepcopy(patch)
