"""``curl_command``: the shell command that sends a recorded request again.

The request is the redacted one, so no secret is in the command: a credential a redactor
replaced (``Authorization``, ``api-key``, an ``api_key`` query parameter, an ``sk-…`` token)
reads ``$OPENAI_API_KEY`` instead, left for the shell to expand; other redacted values
(cookies, values the user named) stay as their ``[redacted:…]`` markers. A request recorded
without its origin is sent to ``${CONFORMANCE_ORIGIN:-http://127.0.0.1:8000}``. Headers that
curl sets itself (``host``, ``content-length``…) are left out; a body is sent with
``--data-raw`` when it is text, and named with its size when it is binary or was not recorded.

>>> from conformance.results import Request
>>> print(curl_command(Request("POST", "/v1/embeddings", headers={"authorization": "Bearer [redacted:authorization]"}, body=b'{"input": "it\\'s"}', origin="http://h:1")))
curl -sS -X POST 'http://h:1/v1/embeddings' \\
  -H "authorization: Bearer $OPENAI_API_KEY" \\
  --data-raw '{"input": "it'\\''s"}'
"""

from __future__ import annotations

import re

from ..results import Request

__all__ = ["ORIGIN", "curl_command"]

ORIGIN = "${CONFORMANCE_ORIGIN:-http://127.0.0.1:8000}"
_SKIP = frozenset(
    {"host", "content-length", "connection", "accept-encoding", "transfer-encoding", "expect"}
)
# markers of credentials that stand for the API key (``[redacted:authorization]``…)
_KEY = re.compile(
    r"\[redacted:(?:authorization|proxy-authorization|token|[a-z0-9_-]*(?:key|token))\]",
    re.IGNORECASE,
)


def _single(text: str) -> str:
    """``text`` as one single-quoted shell word."""
    return "'" + text.replace("'", "'\\''") + "'"


def _quoted(text: str) -> str:
    """``text`` quoted for the shell, with credential markers read as ``$OPENAI_API_KEY``."""
    if not _KEY.search(text):
        return _single(text)
    parts = _KEY.split(text)
    escaped = [re.sub(r'([\\"$`!])', r"\\\1", p) for p in parts]
    return '"' + "$OPENAI_API_KEY".join(escaped) + '"'


def curl_command(request: Request, *, stream: bool = False) -> str:
    """A ``curl`` command that sends ``request`` again (``-N`` when its answer streams).

    >>> curl_command(Request("GET", "/v1/models", "api_key=[redacted:api_key]", origin="http://h"))
    'curl -sS "http://h/v1/models?api_key=$OPENAI_API_KEY"'
    """
    head = ["curl", "-sS"] + (["-N"] if stream else [])
    if request.method != "GET":
        head += ["-X", request.method]
    target = _quoted(request.url)
    if not request.origin:  # concatenated: the default origin expands, the rest is quoted
        target = f'"{ORIGIN}"{target}'
    lines = [" ".join([*head, target])]
    for name, value in request.headers.items():
        if name.lower() not in _SKIP:
            lines.append(f"-H {_quoted(f'{name}: {value}')}")
    body = request.body
    if body is None:
        if request.size > 0:
            lines.append(f"# the body ({request.size} bytes) was not recorded")
    elif body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            lines.append(f"--data-binary @body.bin  # {len(body)} bytes of binary")
        else:
            lines.append(f"--data-raw {_single(text)}")
    return " \\\n  ".join(lines)
