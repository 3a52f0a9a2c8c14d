"""A request and its answer checked together: each against the spec, then the semantic rules
over the pair (``Validator.exchange``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from .. import sse
from ..spec import Operation
from .body import media_kind
from .limits import DecodeError, loads, refused
from .params import MISSING
from .semantics import Exchange, check
from .violation import Violation

if TYPE_CHECKING:
    from .validator import Query, Validator

__all__ = ["check_exchange"]


def _parsed(body: Any) -> Any:
    """A JSON body as the rules see it: parsed, or None when it is not JSON (within the
    decoder's limits: the request and response checks have said why)."""
    if isinstance(body, (bytes, bytearray, str)):
        try:
            return loads(bytes(body) if isinstance(body, bytearray) else body)
        except DecodeError:
            return None
    if body is MISSING or refused(body) is not None:
        return None
    return body


def _is_stream(response: Any, ctype: str | None) -> bool:
    if ctype is not None:
        return media_kind(ctype.split(";")[0].strip()) == "sse"
    return not isinstance(response, (bytes, bytearray, str, Mapping, list)) and isinstance(
        response, Iterable
    )


def check_exchange(
    validator: Validator,
    operation: str | Operation | None,
    *,
    method: str | None,
    path: str | None,
    query: Query,
    headers: Mapping[str, str] | None,
    body: Any,
    status: int,
    response_headers: Mapping[str, str] | None,
    response: Any,
) -> list[Violation]:
    """Violations of the request, of the answer (JSON or stream), and of the rules over both."""
    out = validator.request(
        operation, method=method, path=path, query=query, headers=headers, body=body
    )
    if operation is None:
        if method is None or path is None:
            return out
        routed = validator.spec.match(method, path.split("?", 1)[0])
        if routed is None:
            return out
        op = routed[0]
    else:
        op = validator.operation(operation)
    rheaders = {k.lower(): str(v) for k, v in (response_headers or {}).items()}
    ctype = rheaders.get("content-type")
    streamed = _is_stream(response, ctype)
    if streamed and op.stream_for(status) is not None:
        events = (
            sse.parse(bytes(response) if isinstance(response, bytearray) else response).events
            if isinstance(response, (bytes, bytearray, str))
            else list(response)
        )
        out += validator.stream(op, events, status=status)
        x = Exchange.streamed(op.operation_id, _parsed(body), events, status=status)
    else:
        out += validator.response(op, status=status, headers=rheaders, body=response)
        x = Exchange(op.operation_id, _parsed(body), body=_parsed(response), status=status)
        if streamed:  # a stream where none is documented: the rules see no body
            x.events = []
    if isinstance(query, str):
        x.query = dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))
    return out + check(x)
