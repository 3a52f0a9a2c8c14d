"""Strategies for valid responses of an operation: JSON bodies and SSE event lists."""

from __future__ import annotations

import json
from typing import Any

import hypothesis.strategies as st

from .. import sse
from ..errors import InputError
from ..spec import Operation, Response, Spec, Stream
from ..validate.body import media_kind
from ..validate.semantics import Exchange, comply
from .cases import ResponseCase, _scalar
from .context import Context, context
from .profiles import Profile

__all__ = ["concrete_status", "response_errors", "responses", "stream_events"]

_FALLBACK_STATUS = (500, 503, 400, 404, 599)


def concrete_status(op: Operation, key: str) -> int:
    """A concrete status for a documented key: ``"2XX"`` → 200, ``"default"`` → an undocumented one.

    >>> concrete_status(op, "4XX")  # doctest: +SKIP
    400
    """
    if key.isdigit():
        return int(key)
    if key.upper().endswith("XX"):
        return int(key[0]) * 100
    return next(s for s in _FALLBACK_STATUS if str(s) not in op.responses)


def stream_events(
    ctx: Context, stream: Stream, *, max_events: int = 4
) -> st.SearchStrategy[tuple[sse.Event, ...]]:
    """Events whose data each match the stream's event schema, ended by its sentinel if any."""
    data = ctx.response_schema(stream.schema)

    def event(value: Any) -> sse.Event:
        if stream.envelope and isinstance(value, dict):
            payload = value.get("data")
            text = payload if isinstance(payload, str) else json.dumps(payload)
            return sse.Event(data=text, event=str(value.get("event")))
        kind = (
            value.get("type")
            if isinstance(value, dict) and isinstance(value.get("type"), str)
            else None
        )
        return sse.Event(data=json.dumps(value), event=kind)

    if ctx.profile.semantic:
        data = data.map(lambda value: _complied("", value))
    events = st.lists(data.map(event), min_size=1, max_size=max_events)
    if stream.done is not None:
        done = sse.Event(data=stream.done)
        return events.map(lambda items: (*items, done))
    return events.map(tuple)


def _complied(operation: str, body: Any) -> Any:
    """A body made to satisfy the semantic rules that need no request (``typical``)."""
    x = Exchange(operation, None, body=body)
    comply(x)
    return x.body


def _headers(ctx: Context, response: Response) -> st.SearchStrategy[dict[str, str]]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, header in response.headers.items():
        strategy = (
            ctx.response_schema(header.schema)
            .map(_scalar)
            .filter(lambda t: t.isprintable() and t.isascii() and t == t.strip())
        )
        (required if header.required else optional)[name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def response_errors(ctx: Context, case: ResponseCase) -> list[Any]:
    """Error-severity violations of a response case, checked as it goes on the wire."""
    op = ctx.operation(case.operation)
    headers = dict(case.headers)
    if case.media_type is not None:
        headers["content-type"] = case.media_type
    found = ctx.validator.response(op, status=case.status, headers=headers, body=case.content())
    return [v for v in found if v.is_error]


def responses(
    spec: Spec,
    operation: str | Operation,
    *,
    status: int | str | None = None,
    media_type: str | None = None,
    profile: str | Profile = "default",
) -> st.SearchStrategy[ResponseCase]:
    """Valid responses for an operation, optionally for one status and media type.

    A ``text/event-stream`` response is a list of events (``ResponseCase.events``) ending with the
    stream's sentinel; under ``typical``, a whole lifecycle as :func:`streams` draws it, so the
    stream rules hold too. Every case is checked by the strict validator: no undeclared keys.

    >>> @given(responses(spec, "createChatCompletion", status=200, profile="typical"))  # doctest: +SKIP
    ... def test_sdk_parses(case): ...
    """
    ctx = context(spec, profile)
    op = ctx.operation(operation)

    def build() -> st.SearchStrategy[ResponseCase]:
        options = []
        for key, response in op.responses.items():
            code = concrete_status(op, key)
            if status is not None and str(status) not in (key, str(code)):
                continue
            medias: list[str | None] = list(response.content) or [None]
            for media in medias:
                if media_type is not None and media != media_type:
                    continue
                options.append(_response(ctx, op, code, response, media))
        if not options:
            raise InputError(
                f"{op.operation_id} documents no response for status={status} media_type={media_type}"
            )
        return st.one_of(options).filter(lambda case: not response_errors(ctx, case))

    return ctx.cached(("response", op.operation_id, str(status), media_type), build)


def _response(
    ctx: Context, op: Operation, code: int, response: Response, media: str | None
) -> st.SearchStrategy[ResponseCase]:
    headers = _headers(ctx, response)
    if media is None:
        return headers.map(lambda h: ResponseCase(op.operation_id, code, None, h))
    kind = media_kind(media)
    if kind == "sse":
        stream = next(
            (s for s in op.streams if s.status == response.status and s.media_type == media), None
        )
        if stream is None:
            return st.nothing()
        events = stream_events(ctx, stream)
        if ctx.profile.semantic and stream == op.stream_for(200):
            from .streams import streams  # streams.py builds on this module

            events = streams(ctx.spec, op, profile=ctx.profile)  # whole lifecycles obey the rules
        return st.builds(
            lambda h, events: ResponseCase(op.operation_id, code, media, h, events=events),
            headers,
            events,
        )
    if kind == "json":
        body = ctx.response_schema(response.content[media].schema)
        if ctx.profile.semantic:
            body = body.map(lambda value: _complied(op.operation_id, value))
    else:
        body = st.binary(min_size=1, max_size=64)
    return st.builds(
        lambda h, b: ResponseCase(op.operation_id, code, media, h, body=b), headers, body
    )
