"""Bounds on what the validator reads as JSON: nesting depth, number size, and what JSON is.

Hostile input must end in a verdict, never a raw exception or a wrong one. JSON text (a body,
an event's data, a JSON parameter) is decoded by :func:`loads`, and a value given already parsed
is checked by :func:`problem`; both refuse, naming the JSON pointer:

* nesting deeper than ``Limits.depth`` (default 128, serde_json's recursion limit, which
  jsonschema-rs reads JSON through);
* a number written with more than ``Limits.digits`` characters (default 4,300, Python's own
  int-string limit, ``sys.int_info.default_max_str_digits``; parsing longer ints is quadratic);
* ``NaN``, ``Infinity``, ``-Infinity`` (Python's ``json`` accepts them; JSON does not) and
  numbers beyond a double (``1e400``);
* strings with a lone UTF-16 surrogate (``"\\ud800"``: not Unicode text), and, in a value given
  already parsed, anything that is not JSON (bytes, sets, non-string keys).

>>> loads('{"a": [1, NaN]}')
Traceback (most recent call last):
...
conformance.validate.limits.DecodeError: /a/1: NaN is not a JSON number
"""

from __future__ import annotations

import json
import math
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "MAX_DIGITS",
    "DecodeError",
    "Limits",
    "loads",
    "number",
    "problem",
    "refused",
]

MAX_DEPTH = 128
MAX_DIGITS = 4300


class DecodeError(ValueError):
    """A body that cannot be decoded as its media type says; the message says why and where,
    ``pointer`` is the JSON pointer of the value at fault when there is one."""

    def __init__(self, message: str, pointer: str = "") -> None:
        super().__init__(message)
        self.pointer = pointer


def refused(value: Any, limits: Limits | None = None) -> DecodeError | None:
    """The ``DecodeError`` for a parsed value that is not JSON within ``limits`` (see
    :func:`problem`), or ``None``.

    >>> str(refused([float("inf")]))
    '/0: Infinity is not a JSON number'
    """
    if value is not None and value is getattr(_VOUCHED, "value", None):
        return None
    found = problem(value, limits if limits is not None else DEFAULT)
    if found is None:
        return None
    pointer, reason = found
    shown = pointer if len(pointer) <= 60 else pointer[:40] + "…" + pointer[-16:]
    return DecodeError(f"{shown or '/'}: {reason}", pointer)


@dataclass(frozen=True)
class Limits:
    """How deep JSON may nest (``depth`` levels of arrays and objects) and how long a number
    may be written (``digits`` characters).

    >>> Limits(depth=8).digits
    4300
    """

    depth: int = MAX_DEPTH
    digits: int = MAX_DIGITS


DEFAULT = Limits()
_VOUCHED = threading.local()


@contextmanager
def vouched(value: Any) -> Iterator[None]:
    """Within the block, :func:`refused` passes ``value`` without walking it: for a caller that
    just decoded it with :func:`loads` under the same limits (the mock, which parses a body once
    and hands the validator the parsed value). Per thread.
    """
    previous = getattr(_VOUCHED, "value", None)
    _VOUCHED.value = value
    try:
        yield
    finally:
        _VOUCHED.value = previous


class _Refused:
    """What a JSON hook returns instead of a number that is not one (found later by the walk)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


# text that may hold a lone surrogate: a \uD800-\uDFFF escape, or the character itself
_SURROGATE_TEXT = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")


def _shown(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}…{text[-6:]} ({len(text)} characters)"


def loads(text: bytes | str, limits: Limits = DEFAULT) -> Any:
    """JSON text parsed within ``limits``; ``DecodeError`` (naming the pointer, or the line and
    column) when it is not JSON or passes them.

    >>> loads(b'{"n": 1e400}')
    Traceback (most recent call last):
    ...
    conformance.validate.limits.DecodeError: /n: 1e400 is beyond the range of a JSON number (a double)
    """
    ints = limits.digits < sys.get_int_max_str_digits() or not sys.get_int_max_str_digits()
    _MARKED.value = False
    try:
        if isinstance(text, (bytes, bytearray)):  # as json.loads reads bytes
            text = bytes(text).decode(json.detect_encoding(text), "surrogatepass")
        elif text.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        try:
            value = _decoder(limits, ints).decode(text)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer longer than Python reads: again, reading each int
            value = _decoder(limits, True).decode(text)
    except json.JSONDecodeError as exc:
        raise DecodeError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except UnicodeDecodeError as exc:
        raise DecodeError(f"body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    except RecursionError:
        raise _too_deep_text(text, limits.depth) from None
    # a lone surrogate needs a \u escape or a non-ASCII character
    odd = ("\\u" in text or not text.isascii()) and _SURROGATE_TEXT.search(text) is not None
    if _MARKED.value or odd or text.count("[") + text.count("{") > limits.depth:
        error = refused(value, limits)
        if error is not None:
            raise error
    return value


_MARKED = threading.local()  # set by a decoder's hooks when they refused a number


def _refuse(reason: str) -> _Refused:
    _MARKED.value = True
    return _Refused(reason)


@lru_cache(maxsize=16)
def _decoder(limits: Limits, ints: bool) -> json.JSONDecoder:
    """A JSON decoder whose number hooks refuse what ``limits`` do not allow (an int hook costs
    a Python call per integer: only for a digits limit below Python's own int-string limit, or
    after an integer past that limit made Python's own reading fail)."""

    def _int(raw: str) -> Any:
        if len(raw) > limits.digits:
            return _refuse(f"number {_shown(raw)} is longer than {limits.digits} digits")
        return int(raw)

    def _float(raw: str) -> Any:
        if len(raw) > limits.digits:
            return _refuse(f"number {_shown(raw)} is longer than {limits.digits} digits")
        value = float(raw)
        if math.isinf(value):
            return _refuse(f"{_shown(raw)} is beyond the range of a JSON number (a double)")
        return value

    def _constant(raw: str) -> Any:
        return _refuse(f"{raw} is not a JSON number")

    if ints:
        return json.JSONDecoder(parse_float=_float, parse_int=_int, parse_constant=_constant)
    return json.JSONDecoder(parse_float=_float, parse_constant=_constant)


def number(raw: str, limits: Limits = DEFAULT) -> int | float:
    """A number written in a parameter or form field (``int`` when it is one), within
    ``limits``; ``DecodeError`` when it is too long or beyond a double.

    >>> number("20"), number("2.5")
    (20, 2.5)
    """
    if len(raw) > limits.digits:
        raise DecodeError(f"number {_shown(raw)} is longer than {limits.digits} digits")
    if raw.lstrip("-").isdigit() and raw.isascii():
        return int(raw)
    value = float(raw)
    if math.isinf(value) or math.isnan(value):
        raise DecodeError(f"{_shown(raw)} is beyond the range of a JSON number (a double)")
    return value


def problem(value: Any, limits: Limits = DEFAULT) -> tuple[str, str] | None:
    """The first thing that keeps a parsed value from being JSON within ``limits``, as
    ``(pointer, reason)``; ``None`` when it is fine. Walks without recursion.

    >>> problem({"a": [float("nan")]})
    ('/a/0', 'NaN is not a JSON number')
    """
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, pointer, depth = stack.pop()
        if isinstance(node, (dict, list, tuple)):
            if depth >= limits.depth:
                return pointer, f"JSON nested deeper than {limits.depth} levels"
            if isinstance(node, dict):
                for key, child in node.items():
                    if not isinstance(key, str):
                        return pointer, f"object key {key!r} is not a string"
                    where = f"{pointer}/{_escape(key)}"
                    if not _is_text(key):
                        return where, "object key holds a lone surrogate (not Unicode text)"
                    stack.append((child, where, depth + 1))
            else:
                stack.extend((child, f"{pointer}/{i}", depth + 1) for i, child in enumerate(node))
            continue
        reason = _scalar(node, limits)
        if reason is not None:
            return pointer, reason
    return None


def _scalar(node: Any, limits: Limits) -> str | None:
    if node is None or isinstance(node, bool):
        return None
    if isinstance(node, str):
        return None if _is_text(node) else "string holds a lone surrogate (not Unicode text)"
    if isinstance(node, int):
        # bit_length * log10(2) bounds the digits without writing a number Python may refuse to
        if node.bit_length() * 0.30103 > limits.digits:
            return f"integer of about {int(node.bit_length() * 0.30103)} digits is longer than {limits.digits} digits"
        return None
    if isinstance(node, float):
        if math.isnan(node):
            return "NaN is not a JSON number"
        if math.isinf(node):
            return f"{'-' if node < 0 else ''}Infinity is not a JSON number"
        return None
    if isinstance(node, _Refused):
        return node.reason
    return f"a {type(node).__name__} is not a JSON value"


def _is_text(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _too_deep_text(text: bytes | str, depth: int) -> DecodeError:
    """Where JSON text first nests deeper than ``depth``: its pointer, line and column, found by
    a scan of the tokens (the parser gave up before it could say)."""
    raw = text.decode("utf-8", "replace") if isinstance(text, (bytes, bytearray)) else text
    path: list[list[Any]] = []  # per open container: [is_array, index or last key]
    key: str | None = None
    for match in _TOKENS.finditer(raw):
        token = match.group()
        if token[0] == '"':
            key = token
        elif token == ":" and path and not path[-1][0] and key is not None:
            try:
                path[-1][1] = json.loads(key)
            except ValueError:
                path[-1][1] = key[1:-1]
        elif token == "," and path and path[-1][0]:
            path[-1][1] += 1
        elif token in "[{":
            if len(path) >= depth:
                start = match.start()
                line = raw.count("\n", 0, start) + 1
                column = start - (raw.rfind("\n", 0, start) + 1) + 1
                pointer = "".join(f"/{_escape(str(p[1]))}" for p in path)
                shown = pointer if len(pointer) <= 60 else pointer[:40] + "…" + pointer[-16:]
                return DecodeError(
                    f"{shown}: JSON nested deeper than {depth} levels "
                    f"(line {line} column {column})",
                    pointer,
                )
            path.append([token == "[", 0 if token == "[" else ""])
        elif token in "]}" and path:
            path.pop()
    return DecodeError(f"JSON nested deeper than {depth} levels")


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]')
