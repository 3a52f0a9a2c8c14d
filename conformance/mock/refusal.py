"""Records of the requests the server refused before the mock answered them, and of those the
client gave up on: so that every request is in the request log, as the client got it.

The mock records what it answers (``Mock.handle``). Below it, the server answers some requests
itself — ``413`` (body too large, ``conformance.mock.app``), ``408`` (header or body timeout),
``431`` (head too large), ``400`` (malformed HTTP), ``503`` (connection limit, all in
``conformance.mock.protocol``) — and a client can close the connection before its request is
whole. Each becomes a ``Result`` here: ``operation`` when the method and path are known and
route, the ``request`` as far as it arrived (body not kept: ``None``, its ``size`` the bytes
received), the ``response`` exactly as sent (``None`` when nothing was: the client went away,
so the record's ``status`` is ``None``), no ``request_id`` or ``replay`` (none was sent, there
is nothing to serve again), and one note saying why: ``refused at the protocol layer: …`` or
``the client closed the connection mid-…: no answer sent``.

A connection that sends no byte made no request and is not recorded (the header timeout closes
it silently; the connection limit may answer it ``503``).

>>> note("header too large", "70000 bytes")
'refused at the protocol layer: header too large (70000 bytes)'
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..results import Request, Response, Result
from .message import MockResponse

if TYPE_CHECKING:
    from .core import Mock

__all__ = ["REFUSED", "header_dict", "note", "record"]

# set in an ASGI scope when the server refused its request while the app was reading the body:
# the app then sees a disconnect and must not record the request a second time
REFUSED = "conformance.refused"
_PREFIX = "refused at the protocol layer: "
_logger = logging.getLogger("uvicorn.error")


def note(reason: str, detail: str = "") -> str:
    """The note of a refusal: ``refused at the protocol layer: REASON (DETAIL)``."""
    return _PREFIX + reason + (f" ({detail})" if detail else "")


def header_dict(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """ASGI header pairs as the mock reads them: names lower-cased, repeated ones joined.

    >>> header_dict([(b"X-A", b"1"), (b"x-a", b"2")])
    {'x-a': '1, 2'}
    """
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def record(
    mock: Mock,
    why: str,
    *,
    method: str = "",
    path: str = "",
    query: str = "",
    headers: dict[str, str] | None = None,
    size: int = 0,
    response: MockResponse | None = None,
    started: float | None = None,
) -> Result | None:
    """Add the record of a request the mock did not answer to ``mock``'s log; the record kept.

    ``size`` is the body bytes received (the body itself is not kept); ``response`` what was
    sent (``None``: nothing); ``started`` unix seconds when the request's first byte came.
    Never raises: a log that cannot be written must not stop the refusal (``None``, logged).
    """
    now = time.time()
    began = now if started is None else started
    result = Result(
        _operation(mock, method, path),
        Request(method, path, query, headers or {}, None, size=max(0, size)),
        None
        if response is None
        else Response(response.status, dict(response.headers), response.chunks),
        round(began, 6),
        round(max(0.0, now - began) * 1000, 3),
        None,
        None,
        (why,),
    )
    try:
        with mock._lock:
            return mock.log.add(result)
    except Exception:
        _logger.exception("could not record a refused request")
        return None


def _operation(mock: Mock, method: str, path: str) -> str | None:
    """The operation a method and path route to, when both are known."""
    base = mock.base_path
    if not method or not path or (base and not (path == base or path.startswith(base + "/"))):
        return None
    try:
        routed = mock.spec.match(method, path, base_path=base)
    except Exception:  # a path cut mid-way, odd bytes: the record goes without an operation
        return None
    return routed[0].operation_id if routed is not None else None
