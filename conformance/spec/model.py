"""The operation index: what each operation accepts and answers, as plain frozen records.

Schemas are not copied here: each record names its schema by *location*
(``<document-uri>#<json-pointer>``); ``conformance.schema`` turns locations into JSON Schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MediaType", "Operation", "Parameter", "RequestBody", "Response", "Stream"]


@dataclass(frozen=True)
class Parameter:
    """A path, query, header or cookie parameter (or a response header)."""

    name: str
    location: str  # "path" | "query" | "header" | "cookie"
    required: bool
    schema: str | None  # schema location, None when the parameter declares none
    style: str
    explode: bool
    content_type: str | None = None  # set when the parameter uses ``content`` instead of ``schema``
    pointer: str = ""


@dataclass(frozen=True)
class MediaType:
    """One entry of a ``content`` map."""

    media_type: str
    schema: str | None  # schema location
    encoding: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    pointer: str = ""


@dataclass(frozen=True)
class RequestBody:
    """A request body: required flag and its media types."""

    required: bool
    content: dict[str, MediaType] = field(compare=False, hash=False)
    pointer: str = ""


@dataclass(frozen=True)
class Stream:
    """A server-sent-event response: the schema each event must match and how events are framed.

    ``envelope`` is true when the event schema is ``{event, data}`` (Assistants): the SSE
    ``event:`` field fills ``event`` and the parsed ``data:`` fills ``data``. Otherwise each
    ``data:`` payload is validated on its own (chat chunks, Responses events).
    ``done`` is the sentinel data that ends the stream (``"[DONE]"`` for chat), if any.
    """

    status: str
    media_type: str
    schema: str | None
    envelope: bool
    done: str | None
    pointer: str = ""


@dataclass(frozen=True)
class Response:
    """A documented response: status key (``"200"``, ``"2XX"``, ``"default"``), content, headers."""

    status: str
    description: str
    content: dict[str, MediaType] = field(compare=False, hash=False)
    headers: dict[str, Parameter] = field(compare=False, hash=False)
    pointer: str = ""


@dataclass(frozen=True)
class Operation:
    """One operation of the spec.

    >>> op = spec.operation("createChatCompletion")  # doctest: +SKIP
    >>> op.method, op.path
    ('POST', '/chat/completions')
    """

    operation_id: str
    method: str
    path: str
    parameters: tuple[Parameter, ...]
    request_body: RequestBody | None
    responses: dict[str, Response] = field(compare=False, hash=False)
    streams: tuple[Stream, ...] = ()
    stream_flag: str | None = None  # request-body property that switches streaming on
    pointer: str = ""
    node: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def key(self) -> str:
        """``METHOD /path``, unique within a spec."""
        return f"{self.method} {self.path}"

    def params(self, location: str) -> tuple[Parameter, ...]:
        """Parameters in one location (``path``, ``query``, ``header``, ``cookie``)."""
        return tuple(p for p in self.parameters if p.location == location)

    def response_for(self, status: int | str) -> Response | None:
        """The documented response for a concrete status: exact, then ``NXX`` range, then default.

        >>> op.response_for(200).status  # doctest: +SKIP
        '200'
        """
        code = str(status)
        if code in self.responses:
            return self.responses[code]
        ranged = code[:1] + "XX"
        for key, response in self.responses.items():
            if key.upper() == ranged:
                return response
        return self.responses.get("default")

    def stream_for(self, status: int | str = 200) -> Stream | None:
        """The SSE stream this operation answers with for a status, if it streams."""
        response = self.response_for(status)
        if response is None:
            return None
        for stream in self.streams:
            if stream.status == response.status:
                return stream
        return None

    def path_regex(self) -> re.Pattern[str]:
        """A regex matching concrete paths of this template (query part of the key ignored)."""
        template = self.path.split("?", 1)[0]
        parts = re.split(r"(\{[^}/]+\})", template)
        body = "".join(
            f"(?P<p{i}>[^/]+)" if part.startswith("{") else re.escape(part)
            for i, part in enumerate(parts)
        )
        return re.compile(f"^{body}/?$")

    def path_names(self) -> list[str]:
        """Names of the template's path parameters, in order."""
        return re.findall(r"\{([^}/]+)\}", self.path.split("?", 1)[0])
