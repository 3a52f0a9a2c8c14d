"""``Exchange``: what a semantic rule sees — the operation, the request sent, the answer got."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ... import sse
from ..limits import loads

__all__ = ["Event", "Exchange"]


@dataclass
class Event:
    """One event of a stream, as rules see it: its ``event:`` name and its data, parsed when it
    is JSON (else the text, e.g. ``"[DONE]"``)."""

    data: Any
    name: str | None = None

    @property
    def json(self) -> bool:
        """True when the data was JSON (an object, list, number…), not bare text."""
        return not isinstance(self.data, str)

    def to_sse(self) -> sse.Event:
        """The event as it goes on the wire.

        >>> Event({"a": 1}).to_sse().data
        '{"a": 1}'
        """
        text = self.data if isinstance(self.data, str) else json.dumps(self.data)
        return sse.Event(data=text, event=self.name)


def _parsed(text: str) -> Any:
    try:
        return loads(text)
    except ValueError:
        return text


@dataclass
class Exchange:
    """A request and its answer, for the rules: ``request`` is the parsed JSON (or form) body the
    client sent (``None``: not known — request-aware rules then stay silent), ``body`` the
    parsed JSON answer, or ``events`` the stream's events. Fixers change ``body``/``events`` in
    place.

    >>> x = Exchange("createEmbedding", {"input": ["a", "b"], "model": "m"}, body={"data": []})
    >>> x.asked("dimensions", 1536)
    1536
    """

    operation: str
    request: Mapping[str, Any] | None = None
    body: Any = None
    events: list[Event] | None = None
    status: int = 200
    query: Mapping[str, str] = field(default_factory=dict)
    path_params: Mapping[str, str] = field(default_factory=dict)
    time: float | None = None  # when the answer was received (unix seconds), for timestamps
    # every object of the answer, walked once for all rules (``located``); fixers that add or
    # remove objects call ``changed()``
    walked: list[tuple[int | None, str, dict[str, Any]]] | None = field(
        default=None, repr=False, compare=False
    )

    def changed(self) -> None:
        """Forget the walk of the answer's objects (after a change of its structure)."""
        self.walked = None

    @classmethod
    def streamed(
        cls,
        operation: str,
        request: Mapping[str, Any] | None,
        events: Iterable[sse.Event],
        **kw: Any,
    ) -> Exchange:
        """An exchange whose answer is a stream of ``sse.Event`` s (their data parsed here).

        >>> Exchange.streamed("createChatCompletion", None, [sse.Event("[DONE]")]).events[0].data
        '[DONE]'
        """
        return cls(
            operation, request, events=[Event(_parsed(e.data), e.event) for e in events], **kw
        )

    @property
    def is_stream(self) -> bool:
        """True when the answer is a stream."""
        return self.events is not None

    def asked(self, name: str, default: Any = None) -> Any:
        """A top-level field of the request body (``default`` when absent or unknown)."""
        if not isinstance(self.request, Mapping):
            return default
        value = self.request.get(name, default)
        return default if value is None else value

    def sent(self, name: str) -> bool:
        """True when the request carried the field with a non-null value."""
        return isinstance(self.request, Mapping) and self.request.get(name) is not None

    def data(self) -> list[Any]:
        """The JSON data of each event (text sentinels left out); ``[body]`` for a JSON answer."""
        if self.events is None:
            return [self.body]
        return [e.data for e in self.events if e.json]

    def sse_events(self) -> tuple[sse.Event, ...]:
        """The stream as ``sse.Event`` s, after any fix."""
        return tuple(e.to_sse() for e in self.events or ())
