"""Secret fields: values in a body found by the name of the key they are under.

A body can carry a secret that has no recognisable shape — ``{"password": "hunter2"}``, an
MCP tool's ``authorization``, a container's ``domain_secrets`` — so its key says what it is.
A key (a JSON object's key, a form or multipart field's name) names a secret when, split into
words at ``_``, ``-``, ``.``, spaces and camelCase humps and lower-cased:

* a word is ``password``, ``passwd``, ``passphrase``, ``secret``, ``secrets``, ``credential``,
  ``credentials``, ``authorization`` or ``apikey`` (``client_secret``, ``domain_secrets``,
  ``Authorization``, ``apiKey``);
* or the last word is ``token`` — singular (``token``, ``access_token``, ``refresh_token``,
  ``id_token``), so the counts ``max_tokens``, ``prompt_tokens``, ``total_tokens``,
  ``tokens``, ``token_logprobs`` and ``token_usage`` are kept;
* or the last word is ``key`` after ``api``, ``access``, ``secret``, ``private``, ``auth``,
  ``client``, ``signing``, ``session``, ``encryption``, ``master`` or ``subscription``
  (``api_key``, ``x-api-key``, ``private_key``), so the vector-store filter's ``key``,
  ``prompt_cache_key``, ``api_key_id`` and ``external_key_id`` are kept.

One exception: a ``token`` beside a ``logprob`` in the same object is the model's output
(``logprobs.content[].token``, ``top_logprobs[].token``), and is kept.

Under a secret key, a string or a number becomes the marker (a string keeps its quotes, a
number becomes a string); an object or array keeps its shape, numbers, booleans and nulls, and
every string in it at any depth becomes the marker but those under ``type`` and ``object`` (a
union's tag: ``client_secret.expires_at`` and an audit-log ``api_key.type`` stay). The marker
names the key: ``[redacted:password]``.

The JSON is found anywhere in a text — a JSON body, an event stream's ``data:`` lines, a JSON
part of a multipart form, a violation's message quoting an instance in Python's repr — by a
tolerant scan that edits only the secret values' bytes, so the rest stays byte for byte.
Form fields (``a=1&password=x``) and multipart fields (``name="password"``, not files) are
replaced whole.

>>> secret_field("client_secret"), secret_field("max_tokens"), secret_field("key")
(True, False, False)
>>> redact_fields('{"model": "m", "api_key": "abc123", "usage": {"total_tokens": 3}}')
'{"model": "m", "api_key": "[redacted:api_key]", "usage": {"total_tokens": 3}}'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

__all__ = [
    "field_label",
    "field_spans",
    "hidden",
    "may_name_secrets",
    "redact_fields",
    "secret_field",
]

MARKER = "[redacted:{}]"
_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "secret",
        "secrets",
        "credential",
        "credentials",
        "authorization",
        "apikey",
    }
)
_KEY_QUALIFIERS = frozenset(
    {
        "api",
        "access",
        "secret",
        "private",
        "auth",
        "client",
        "signing",
        "session",
        "encryption",
        "master",
        "subscription",
    }
)
_KEPT_IN_SECRETS = frozenset({"type", "object"})
_HUMP = re.compile(r"([a-z0-9])([A-Z])")
_WORD = re.compile(r"[a-z0-9]+")
# a key that may name a secret (the exact rule is ``secret_field``): a quoted key before a
# colon, a multipart field's name, a form field's name
_HINT = r"(?:key|token|secret|passw|passphrase|credential|authoriz)"


# the names a body gives its values: quoted keys before a colon (JSON, a Python repr) and
# multipart fields' names (form fields' are read whole)
_KEY = re.compile(r"""["']([^"'\\\n]{1,80})["']\s*:""")
_PART_NAME = re.compile(r'name="([^"\r\n]{1,80})"')
_TOKEN = re.compile(r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[{}\[\],:]|[^\s"'{}\[\],:]+|["']""")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_FORM = re.compile(r"[^=&\s]+=[^&\s]*(?:&[^=&\s]+(?:=[^&\s]*)?)*\s*")
_PART = re.compile(
    r'^content-disposition:[^\r\n]*?\bname="([^"\r\n]*)"([^\r\n]*)\r?\n(?:[^\r\n]+\r?\n)*?\r?\n',
    re.IGNORECASE | re.MULTILINE,
)
_BOUNDARY = re.compile(r"\r?\n--")

Span = tuple[int, int, str]
"""A part of a text to replace: start, end, replacement."""


@lru_cache(maxsize=2048)
def secret_field(name: str) -> bool:
    """True when a body field named ``name`` holds a secret (the rule is the module's).

    >>> [secret_field(n) for n in ("password", "apiKey", "access_token", "token", "tokens")]
    [True, True, True, True, False]
    >>> [secret_field(n) for n in ("prompt_tokens", "prompt_cache_key", "bytes", "author")]
    [False, False, False, False]
    """
    words = _WORD.findall(_HUMP.sub(r"\1_\2", name).lower())
    if not words:
        return False
    if _WORDS.intersection(words) or words[-1] == "token":
        return True
    return words[-1] == "key" and len(words) > 1 and words[-2] in _KEY_QUALIFIERS


def field_label(name: str) -> str:
    """The marker's name for a key: its lower-cased letters, digits, ``_`` and ``-``.

    >>> field_label("Client Secret")
    'client_secret'
    """
    return re.sub(r"[^a-z0-9_-]+", "_", name.lower()).strip("_")[:40] or "secret"


def hidden(value: Any, label: str, *, top: bool = True) -> Any:
    """A parsed JSON value under a secret key, redacted by the module's rule.

    >>> hidden({"value": "ek_1", "expires_at": 9, "type": "t"}, "client_secret")
    {'value': '[redacted:client_secret]', 'expires_at': 9, 'type': 't'}
    """
    text = MARKER.format(label)
    if isinstance(value, str) or (
        top and isinstance(value, int | float) and not isinstance(value, bool)
    ):
        return text
    if isinstance(value, list | tuple):
        return [hidden(v, label, top=False) for v in value]
    if isinstance(value, dict):
        return {
            k: v
            if str(k).lower() in _KEPT_IN_SECRETS and isinstance(v, str)
            else hidden(v, label, top=False)
            for k, v in value.items()
        }
    return value


def _unquoted(token: str) -> str:
    """A quoted key's text (escapes other than quotes are left as written: names are ASCII)."""
    return token[1:-1].replace("\\" + token[0], token[0])


@dataclass
class _Frame:
    """An open object or array of the scan."""

    is_object: bool
    secret: str | None  # the label, when inside a secret key's value
    key: str | None = None  # the key whose value comes next
    expect_key: bool = True
    keys: set[str] = field(default_factory=set)
    held: list[Span] = field(default_factory=list)  # ``token`` values: kept beside a logprob


def _replacement(token: str, label: str, *, numbers: bool) -> str | None:
    """What replaces a scalar under a secret key, or None to keep it."""
    text = MARKER.format(label)
    if token[0] in "\"'" and len(token) > 1 and token[-1] == token[0]:
        return None if token[1:-1] == text else f"{token[0]}{text}{token[0]}"
    if numbers and _NUMBER.fullmatch(token):
        return f'"{text}"'
    return None


def _json_spans(text: str, is_secret: Callable[[str], bool]) -> list[Span]:
    """Where the values under secret keys are, in every JSON (or Python repr) value of ``text``."""
    spans: list[Span] = []
    stack: list[_Frame] = []

    def close(frame: _Frame) -> None:
        if "logprob" not in frame.keys:
            spans.extend(frame.held)

    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        top = stack[-1] if stack else None
        if first in "{[":
            label = None
            if top is not None:
                label = top.secret
                if label is None and top.is_object and top.key is not None:
                    label = field_label(top.key) if is_secret(top.key) else None
                top.key = None
                top.expect_key = False
            stack.append(_Frame(first == "{", label))
            continue
        if first in "}]":
            if stack:
                close(stack.pop())
            continue
        if top is None or token == ":":
            continue
        if token == ",":
            top.key, top.expect_key = None, top.is_object
            continue
        if top.is_object and top.expect_key:
            name = _unquoted(token) if first in "\"'" and len(token) > 1 else token
            top.key, top.expect_key = name, False
            top.keys.add(name.lower())
            continue
        key, top.key = top.key, None
        if top.secret is not None:
            if key is None or key.lower() not in _KEPT_IN_SECRETS:
                new = _replacement(token, top.secret, numbers=False)
                if new is not None:
                    spans.append((match.start(), match.end(), new))
        elif top.is_object and key is not None and is_secret(key):
            new = _replacement(token, field_label(key), numbers=True)
            if new is not None:
                span = (match.start(), match.end(), new)
                (top.held if key.lower() == "token" else spans).append(span)
    for frame in stack:
        close(frame)
    return spans


def _form_spans(text: str, is_secret: Callable[[str], bool]) -> list[Span]:
    """Secret fields of an ``application/x-www-form-urlencoded`` body."""
    spans: list[Span] = []
    at = 0
    for part in text.rstrip().split("&"):
        name, equals, value = part.partition("=")
        plain = unquote_plus(name)
        if equals and value and is_secret(plain):
            start = at + len(name) + 1
            new = MARKER.format(field_label(plain))
            if value != new:
                spans.append((start, start + len(value), new))
        at += len(part) + 1
    return spans


def _multipart_spans(text: str, is_secret: Callable[[str], bool]) -> list[Span]:
    """Secret fields (not files) of a ``multipart/form-data`` body."""
    spans: list[Span] = []
    for match in _PART.finditer(text):
        name, rest = match.group(1), match.group(2)
        if "filename=" in rest.lower() or not is_secret(name):
            continue
        end = _BOUNDARY.search(text, match.end())
        stop = end.start() if end else len(text)
        new = MARKER.format(field_label(name))
        if text[match.end() : stop] != new:
            spans.append((match.end(), stop, new))
    return spans


_KEY_BYTES = re.compile(_KEY.pattern.encode())
_PART_NAME_BYTES = re.compile(_PART_NAME.pattern.encode())
_FORM_BYTES = re.compile(_FORM.pattern.encode())


def may_name_secrets(raw: bytes, is_secret: Callable[[str], bool] = secret_field) -> bool:
    """Whether ``field_spans`` could find anything in ``raw`` decoded as latin-1 — decided on
    the bytes, without a copy (a 16 MiB upload is not turned into a 16 MiB string for nothing).

    >>> may_name_secrets(b'{"model": "m"}'), may_name_secrets(b'{"api_key": "k"}')
    (False, True)
    """
    if b"{" not in raw and _FORM_BYTES.fullmatch(raw):
        return True  # a form: its keys are read by the text scan
    keys = _KEY_BYTES.finditer(raw)
    if any(is_secret(m.group(1).decode("latin-1")) for m in keys):
        return True
    names = _PART_NAME_BYTES.finditer(raw) if b'name="' in raw else ()
    return any(is_secret(m.group(1).decode("latin-1")) for m in names)


def field_spans(text: str, is_secret: Callable[[str], bool] = secret_field) -> list[Span]:
    """The parts of ``text`` that are values under secret keys, sorted, not overlapping, as
    ``(start, end, replacement)``; ``[]`` at once when no key could name a secret.

    >>> field_spans('a=1&password=hunter2')
    [(13, 20, '[redacted:password]')]
    """
    if "{" not in text and _FORM.fullmatch(text):
        return _form_spans(text, is_secret)
    spans: list[Span] = []
    if any(is_secret(m.group(1)) for m in _KEY.finditer(text)):
        spans += _json_spans(text, is_secret)
    if 'name="' in text and any(is_secret(m.group(1)) for m in _PART_NAME.finditer(text)):
        spans += _multipart_spans(text, is_secret)
    if not spans:
        return spans
    kept: list[Span] = []
    for span in sorted(spans):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def redact_fields(text: str, is_secret: Callable[[str], bool] = secret_field) -> str:
    """``text`` with the values under secret keys replaced by markers (see the module).

    >>> redact_fields("{'token': 'Hel', 'logprob': -0.1, 'top_logprobs': []}")
    "{'token': 'Hel', 'logprob': -0.1, 'top_logprobs': []}"
    >>> redact_fields('{"client_secret": {"value": "ek_1", "expires_at": 9}}')
    '{"client_secret": {"value": "[redacted:client_secret]", "expires_at": 9}}'
    """
    spans = field_spans(text, is_secret)
    if not spans:
        return text
    out, at = [], 0
    for start, end, new in spans:
        out += [text[at:start], new]
        at = end
    out.append(text[at:])
    return "".join(out)
