"""Request and response cases: what the strategies generate, ready to send or to serve."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx  # imported here, not while drawing: its first import touches `random`

from .. import sse

__all__ = ["RequestCase", "ResponseCase", "form_parts"]


@dataclass(frozen=True)
class RequestCase:
    """A concrete request for one operation.

    ``path`` is the concrete path without the base path (``/chat/completions``); ``body`` is the
    JSON body, or for forms the field object (files as ``bytes``).

    >>> case.to_httpx("https://api.openai.com/v1")  # doctest: +SKIP
    <Request('POST', 'https://api.openai.com/v1/chat/completions')>
    """

    operation: str
    method: str
    path: str
    path_params: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str | None = None
    body: Any = None

    def query_string(self) -> str:
        """The query as sent: arrays repeated (form, exploded), objects as ``name[key]``."""
        pairs: list[tuple[str, str]] = []
        for name, value in self.query.items():
            if isinstance(value, list):
                pairs += [(name, _scalar(v)) for v in value]
            elif isinstance(value, dict):
                pairs += [(f"{name}[{k}]", _scalar(v)) for k, v in value.items()]
            else:
                pairs.append((name, _scalar(value)))
        return urlencode(pairs)

    def url(self, base_url: str = "https://api.openai.com/v1") -> str:
        """Base URL + concrete path + query string."""
        query = self.query_string()
        return base_url.rstrip("/") + self.path + (f"?{query}" if query else "")

    def httpx_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``httpx.Client.request`` (besides method and URL)."""
        kwargs: dict[str, Any] = {"headers": dict(self.headers)}
        if self.media_type is None:
            return kwargs
        kind = self.media_type.split(";")[0].strip().lower()
        if kind == "multipart/form-data":
            # every field as a part (httpx writes multipart only for `files`), files with names
            data, files = form_parts(self.body)
            parts: list[tuple[str, tuple[str | None, bytes] | tuple[str, bytes, str]]] = [
                (name, (None, v.encode()))
                for name, vs in data.items()
                for v in (vs if isinstance(vs, list) else [vs])
            ]
            parts += files
            kwargs["files"] = parts
        elif kind == "application/x-www-form-urlencoded":
            kwargs["data"] = form_parts(self.body)[0]
        else:
            # bytes are sent as they are (a malformed body, on purpose)
            raw = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
            kwargs["content"] = raw
            kwargs["headers"].setdefault("content-type", self.media_type)
        return kwargs

    def to_httpx(self, base_url: str = "https://api.openai.com/v1") -> Any:
        """An ``httpx.Request``.

        >>> httpx.Client().send(case.to_httpx(base))  # doctest: +SKIP
        """
        return httpx.Request(self.method, self.url(base_url), **self.httpx_kwargs())


@dataclass(frozen=True)
class ResponseCase:
    """A concrete response: status, headers, and a JSON body or a list of SSE events."""

    operation: str
    status: int
    media_type: str | None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    events: tuple[sse.Event, ...] | None = None

    def content(self) -> bytes:
        """The body as sent on the wire."""
        if self.events is not None:
            return "".join(sse.encode(e.data, event=e.event) for e in self.events).encode()
        if self.media_type is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


def _scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def form_parts(body: Any) -> tuple[dict[str, Any], list[tuple[str, tuple[str, bytes, str]]]]:
    """Split a form object into fields and files (``bytes`` values, or lists of them, are files)."""
    data: dict[str, Any] = {}
    files: list[tuple[str, tuple[str, bytes, str]]] = []
    for name, value in (body or {}).items():
        if isinstance(value, bytes):
            files.append((name, (f"{name}.bin", value, "application/octet-stream")))
        elif isinstance(value, list) and value and all(isinstance(v, bytes) for v in value):
            files += [
                (name, (f"{name}{i}.bin", v, "application/octet-stream"))
                for i, v in enumerate(value)
            ]
        elif isinstance(value, list):
            data[name] = [_scalar(v) for v in value]
        else:
            data[name] = _scalar(value)
    return data, files


def quote_segment(value: Any) -> str:
    """A path parameter as one URL path segment."""
    return quote(_scalar(value), safe="")
