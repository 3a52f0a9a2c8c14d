"""OpenAI-style error responses: ``{"error": {"message", "type", "param", "code"}}``."""

from __future__ import annotations

import json
from typing import Any

from .message import MockResponse

__all__ = ["error_response"]

_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "requests",
}


def error_response(
    status: int,
    message: str,
    *,
    type: str | None = None,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> MockResponse:
    """An error answer shaped like OpenAI's, JSON body in one chunk.

    >>> error_response(404, "No such File object: file-abc", param="id").body
    b'{"error":{"message":"No such File object: file-abc","type":"invalid_request_error","param":"id","code":null}}'
    """
    kind = type or _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    error = {"message": message, "type": kind, "param": param, "code": code}
    body = json.dumps({"error": error}, separators=(",", ":"), ensure_ascii=False).encode()
    return MockResponse(
        status,
        {"content-type": "application/json", **(headers or {})},
        (body,),
        **fields,
    )
