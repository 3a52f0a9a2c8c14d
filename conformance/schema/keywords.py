"""Checks of keyword values a schema cannot work without: ``type`` names and ``pattern`` regexes.

They run while a schema is converted (:class:`~conformance.schema.convert.Converter`), once per
spec: the conversions are cached, so a warm start pays nothing. A failure is a
:class:`~conformance.errors.SpecError` naming the keyword's location in one line.

>>> check_keyword("type", "strin", "spec.yaml#/components/schemas/A/type")
Traceback (most recent call last):
...
conformance.errors.SpecError: spec.yaml#/components/schemas/A/type: unknown type 'strin' (expected one of: array, boolean, integer, null, number, object, string)
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import SpecError

__all__ = [
    "PROBLEMS",
    "SUBSCHEMA_LISTS",
    "SUBSCHEMA_MAPS",
    "SUBSCHEMA_ONE",
    "TYPES",
    "check_keyword",
    "pattern_problem",
    "type_problem",
]

TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})

# the keywords that hold subschemas: in a map (by name), in a list, or one schema
SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMA_ONE = (
    "additionalProperties",
    "items",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
    "additionalItems",
)
_EXPECTED = ", ".join(sorted(TYPES))

# ECMA-262 syntax Python's ``re`` lacks, made neutral before Python compiles the pattern: an
# escaped backslash (kept, so that what follows it is not read as an escape), \p{…}/\P{…},
# \u{…}, \cX, and the ``<`` of a named group ``(?<name>…)`` (not of a look-behind)
_ECMA_ONLY = re.compile(r"\\\\|\\[pP]\{[^}]*\}|\\u\{[0-9A-Fa-f]*\}|\\c[A-Za-z]|\(\?<(?![=!])")
# what Python refuses for the pattern's structure, which no dialect accepts; other refusals
# (unknown escapes, variable-width look-behind, Python-only group syntax) may be fine in
# ECMA-262 and the validation engine's dialect, so they are let through
_BROKEN = (
    "bad escape (end of pattern)",
    "missing )",
    "unbalanced parenthesis",
    "unterminated character set",
    "nothing to repeat",
    "multiple repeat",
    "min repeat greater than max repeat",
    "bad character range",
)


def _neutral(match: re.Match[str]) -> str:
    token = match.group()
    if token == "\\\\":
        return token
    return "(?:" if token == "(?<" else "x"


def type_problem(value: Any) -> str | None:
    """What is wrong with a ``type`` (not a type name or a list of distinct ones), or None.

    >>> type_problem(["string", "null"]) is None
    True
    """
    if isinstance(value, str) and value in TYPES:
        return None
    kinds = value if isinstance(value, list) else [value]
    if not isinstance(value, (str, list)) or not all(isinstance(k, str) for k in kinds):
        return f"type must be a type name or a list of them, not {value!r}"
    if not kinds:
        return "type lists no type"
    for kind in kinds:
        if kind not in TYPES:
            return f"unknown type {kind!r} (expected one of: {_EXPECTED})"
    if len(set(kinds)) != len(kinds):
        return f"type lists a type twice: {value!r}"
    return None


def pattern_problem(value: Any) -> str | None:
    """What is wrong with a ``pattern`` (not a string, or a broken regex: unbalanced, a
    quantifier with nothing to repeat, a bad range…), or None. ECMA-262 syntax Python lacks
    (``\\p{L}``, ``(?<name>…)``, identity escapes) is accepted.

    >>> pattern_problem(r"^\\p{L}+$") is None
    True
    """
    if not isinstance(value, str):
        return f"pattern must be a string, not {value!r}"
    python = _ECMA_ONLY.sub(_neutral, value)
    for _ in range(len(python) + 1):
        try:
            re.compile(python)
            return None
        except re.error as exc:
            if exc.msg.startswith("bad escape \\") and exc.pos is not None:
                # an identity escape (\z, \-) is fine in ECMA-262: read it as a plain character
                python = python[: exc.pos] + "x" + python[exc.pos + 2 :]
                continue
            if exc.msg.startswith(_BROKEN):
                return f"invalid pattern {value!r}: {exc}"
            return None
    return None


PROBLEMS = {"type": type_problem, "pattern": pattern_problem}
"""The checked keywords and the function that says what is wrong with a value of each."""


def check_keyword(keyword: str, value: Any, where: str) -> None:
    """Raise a one-line :class:`~conformance.errors.SpecError` if a checked keyword's value is bad.

    >>> check_keyword("pattern", "a(b", "#/components/schemas/A/pattern")
    Traceback (most recent call last):
    ...
    conformance.errors.SpecError: #/components/schemas/A/pattern: invalid pattern 'a(b': missing ), unterminated subpattern at position 1
    """
    problem = PROBLEMS[keyword](value) if keyword in PROBLEMS else None
    if problem is not None:
        raise SpecError(f"{where}: {problem}")
