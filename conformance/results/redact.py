"""Redaction: secrets never reach a result, a log line, a report or a terminal.

What is redacted, always:

* the value of every credential header — ``Authorization`` and ``Proxy-Authorization`` (the
  scheme is kept: ``Bearer [redacted:authorization]``), ``Cookie``, ``Set-Cookie``, and any
  header whose name says key, token, secret or password (``api-key``, ``x-api-key``…);
* the value of every query parameter whose name says key, token, secret, password or
  signature (``api_key``, ``key``, ``access_token``…);
* API-key-like tokens anywhere — in header values, paths, queries, bodies, stream chunks,
  violation messages and notes: ``sk-…`` (``sk-proj-…``, ``sk-svcacct-…``, ``sk-admin-…``)
  and ``sess-…`` followed by at least 8 key characters;
* the value under every body key whose name says it holds a secret (``api_key``,
  ``password``, ``client_secret``, ``access_token``… — not ``max_tokens``, ``prompt_tokens``
  nor a logprobs ``token``: the rule is ``conformance.results.fields``'), in JSON bodies at
  any depth, event streams' data, form and multipart fields, and JSON values;
* every value the user names (``Redactor(values=[...])``), wherever it occurs;
* the password of a URL's userinfo (``https://user:[redacted:password]@host``).

Each secret becomes a fixed marker, ``[redacted:WHAT]``, that says what was there and keeps a
JSON body valid JSON. Binary bodies are redacted byte for byte; a secret a stream's chunk
boundaries cut in two is still found (chunks are searched joined, and re-cut where they were).

>>> Redactor().headers({"authorization": "Bearer sk-proj-abcdefgh12", "accept": "*/*"})
{'authorization': 'Bearer [redacted:authorization]', 'accept': '*/*'}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate, pairwise
from typing import Any
from urllib.parse import unquote_plus

from .fields import (
    field_label,
    field_spans,
    hidden,
    may_name_secrets,
    redact_fields,
    secret_field,
)

__all__ = ["MARKER", "Redactor", "marker"]

MARKER = "[redacted:{}]"
_TOKEN = r"(?<![A-Za-z0-9_-])(?:sk|sess)-[A-Za-z0-9_-]{8,}"
_HEADER_NAMES = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_SECRET_NAME = re.compile(r"key|token|secret|passw(?:or)?d|credential", re.IGNORECASE)
_PARAM_NAME = re.compile(
    r"key|token|secret|passw(?:or)?d|credential|^sig(?:nature)?$|^auth(?:orization)?$",
    re.IGNORECASE,
)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*://[^/:@]*):[^/@]*@", re.IGNORECASE)


def marker(what: str) -> str:
    """The text that replaces a secret.

    >>> marker("api_key")
    '[redacted:api_key]'
    """
    return MARKER.format(what)


class Redactor:
    """Replaces secrets with markers; ``values`` are more secrets to find anywhere, ``headers``,
    ``params`` and ``fields`` more header, query parameter and body key names whose values are
    secret.

    A redactor is cheap to call on clean data (two regular expressions per text) and idempotent.

    >>> r = Redactor(values=["hunter2-is-my-password"])
    >>> r.text("login with hunter2-is-my-password or sk-proj-0123456789")
    'login with [redacted:value] or [redacted:token]'
    """

    def __init__(
        self,
        values: Iterable[str] = (),
        *,
        headers: Iterable[str] = (),
        params: Iterable[str] = (),
        fields: Iterable[str] = (),
    ) -> None:
        self.values = tuple(sorted({v for v in values if v}, key=len, reverse=True))
        self.header_names = _HEADER_NAMES | {h.lower() for h in headers}
        self.param_names = frozenset(params)
        self.field_names = frozenset(f.lower() for f in fields)
        named = "|".join(re.escape(v) for v in self.values)
        pattern = f"(?P<value>{named})|{_TOKEN}" if named else _TOKEN
        self._text = re.compile(pattern)
        self._bytes = re.compile(pattern.encode())
        # what every match contains: clean text (nearly all of it) is passed by plain ``in``
        self._needles = ("sk-", "sess-", *self.values)
        self._byte_needles = tuple(n.encode() for n in self._needles)
        self._secret_headers: dict[str, bool] = {}

    # -- text and bytes ------------------------------------------------------------------------

    def _replace(self, match: re.Match[Any]) -> Any:
        text = marker("value" if match.lastgroup == "value" else "token")
        return text if isinstance(match.group(), str) else text.encode()

    def text(self, value: str) -> str:
        """``value`` with every token, named value and value under a secret key replaced.

        >>> Redactor().text("key sk-abcdefgh12345678, not sk-short or task-abcdefghijkl")
        'key [redacted:token], not sk-short or task-abcdefghijkl'
        >>> Redactor().text("{'password': 'hunter2'} is not of type 'string'")
        "{'password': '[redacted:password]'} is not of type 'string'"
        """
        value = redact_fields(value, self.secret_field)
        if not any(n in value for n in self._needles):
            return value
        return self._text.sub(self._replace, value)

    def body(self, value: bytes) -> bytes:
        """``value`` (a body of any media type) with every token and named value replaced.

        >>> Redactor().body(b'{"key": "sk-proj-0123456789", "api_key": "abc123"}')
        b'{"key": "[redacted:token]", "api_key": "[redacted:api_key]"}'
        """
        value = self._fields(value)
        if not any(n in value for n in self._byte_needles):
            return value
        return self._bytes.sub(self._replace, value)

    def chunks(self, chunks: Sequence[bytes]) -> tuple[bytes, ...]:
        """Chunks redacted as if joined (a secret cut by a boundary is found), then cut again at
        the same places; a replaced secret lands in the chunk where it began.

        >>> Redactor().chunks([b"data: sk-proj-01", b"23456789\\n\\n"])
        (b'data: [redacted:token]', b'\\n\\n')
        """
        joined = b"".join(chunks)
        spans = []
        if may_name_secrets(joined, self.secret_field):
            spans = field_spans(joined.decode("latin-1"), self.secret_field)
        if spans:
            chunks = _recut(chunks, joined, [(a, b, r.encode("latin-1")) for a, b, r in spans])
            joined = b"".join(chunks)
        if not any(n in joined for n in self._byte_needles):
            return tuple(chunks)
        found = [(m.start(), m.end(), self._replace(m)) for m in self._bytes.finditer(joined)]
        return _recut(chunks, joined, found) if found else tuple(chunks)

    def _fields(self, value: bytes) -> bytes:
        """``value`` with the values under secret keys replaced (bytes map to text 1:1)."""
        if not may_name_secrets(value, self.secret_field):
            return value
        text = value.decode("latin-1")
        redacted = redact_fields(text, self.secret_field)
        return value if redacted is text else redacted.encode("latin-1")

    def value(self, value: Any) -> Any:
        """A JSON value with every string in it redacted (keys too, URLs as URLs), and the
        values under secret keys replaced.

        A violation's message (a dict with a ``message`` and a ``pointer`` through a secret key)
        is replaced whole: a validator's message quotes the value it judged.

        >>> Redactor().value({"a": ["sk-0123456789abc", 1], "secret": 5, "u": "http://h?key=k"})
        {'a': ['[redacted:token]', 1], 'secret': '[redacted:secret]', 'u': 'http://h?key=[redacted:key]'}
        >>> Redactor().value({"message": "'pw1' is too short", "pointer": "/tools/0/authorization"})["message"]
        '[redacted:authorization] is not valid here (the message quoted it)'
        """
        if isinstance(value, str):
            return self.url(value) if _URL.match(value) else self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.value(v) for v in value)
        if isinstance(value, dict):
            logprob = any(isinstance(k, str) and k.lower() == "logprob" for k in value)
            out = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    out[k] = self.value(v)
                elif self.secret_field(k) and not (logprob and k.lower() == "token"):
                    out[self.text(k)] = hidden(v, field_label(k))
                else:
                    out[self.text(k)] = self.value(v)
            secret = self._pointed(value.get("pointer"))
            if secret and isinstance(value.get("message"), str):
                out["message"] = f"{marker(secret)} is not valid here (the message quoted it)"
            return out
        return value

    def _pointed(self, pointer: Any) -> str | None:
        """The label of the secret key a violation's JSON pointer goes through, if any: its
        message may quote the value (a ``token`` under ``logprobs`` is no secret)."""
        if not isinstance(pointer, str) or not pointer:
            return None
        parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
        for part in parts:
            if self.secret_field(part):
                if part.lower() == "token" and any(p.lower() == "logprobs" for p in parts):
                    continue
                return field_label(part)
        return None

    # -- HTTP parts ----------------------------------------------------------------------------

    def secret_header(self, name: str) -> bool:
        """True when a header's whole value is a credential.

        >>> Redactor().secret_header("X-Api-Key"), Redactor().secret_header("content-type")
        (True, False)
        """
        known = self._secret_headers.get(name)
        if known is None:
            lower = name.lower()
            known = lower in self.header_names or bool(_SECRET_NAME.search(lower))
            if len(self._secret_headers) < 1024:
                self._secret_headers[name] = known
        return known

    def secret_param(self, name: str) -> bool:
        """True when a query parameter's value is a credential.

        >>> Redactor().secret_param("api_key"), Redactor().secret_param("limit")
        (True, False)
        """
        return name in self.param_names or bool(_PARAM_NAME.search(name))

    def secret_field(self, name: str) -> bool:
        """True when a body field's (a JSON key's, a form field's) value is a secret.

        >>> Redactor(fields=["pin"]).secret_field("PIN"), Redactor().secret_field("max_tokens")
        (True, False)
        """
        return name.lower() in self.field_names or secret_field(name)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers with credential values replaced (an ``Authorization`` scheme is kept) and
        tokens removed from the others."""
        out: dict[str, str] = {}
        for name, value in headers.items():
            if self.secret_header(name):
                scheme, space, rest = value.partition(" ")
                lower = name.lower()
                keep = space and rest and lower.endswith("authorization") and scheme.isalpha()
                out[name] = f"{scheme} {marker(lower)}" if keep else marker(lower)
            else:
                out[name] = self.text(value)
        return out

    def query(self, query: str) -> str:
        """A raw query string with secret parameters' values replaced, names and order kept.

        >>> Redactor().query("limit=2&api_key=abc%2Fdef&key")
        'limit=2&api_key=[redacted:api_key]&key'
        """
        if not query:
            return query
        parts = []
        for part in query.split("&"):
            name, equals, value = part.partition("=")
            plain = unquote_plus(name)
            if equals and value and self.secret_param(plain):
                part = f"{name}={marker(plain)}"
            elif equals and self.values and any(v in unquote_plus(value) for v in self.values):
                part = f"{name}={marker('value')}"
            else:
                part = self.text(part)
            parts.append(part)
        return "&".join(parts)

    def url(self, url: str) -> str:
        """A URL (or origin) with its userinfo password, secret query values and tokens replaced.

        >>> Redactor().url("https://me:pw@example.com/v1?token=t")
        'https://me:[redacted:password]@example.com/v1?token=[redacted:token]'
        """
        url = _USERINFO.sub(lambda m: f"{m.group(1)}:{marker('password')}@", url)
        head, question, query = url.partition("?")
        return self.text(head) + (question + self.query(query) if question else "")


DEFAULT = Redactor()


def _recut(
    chunks: Sequence[bytes], joined: bytes, found: Sequence[tuple[int, int, bytes]]
) -> tuple[bytes, ...]:
    """``joined`` (the chunks joined) with ``found`` replaced, cut again where the chunks were;
    a replacement lands in the chunk where its span began."""
    out: list[bytes] = []
    starts = [0, *accumulate(len(c) for c in chunks)]
    for begin, end in pairwise(starts):
        piece, at = [], begin
        for start, stop, replacement in found:
            if stop <= at or start >= end:
                continue
            if start >= at:
                piece.append(joined[at:start])
                piece.append(replacement)
            at = min(max(at, stop), end)
        piece.append(joined[at:end])
        out.append(b"".join(piece))
    return tuple(out)
