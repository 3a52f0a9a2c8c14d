"""The spec-diff checks: one stable id per kind of change, with its level and whom it breaks.

Ids follow oasdiff's where oasdiff has one (``response-property-became-optional``,
``new-required-request-property``, ``api-removed-without-deprecation``…); the few it lacks are
named the same way (``api-path-changed``, ``response-stream-event-type-added``). Ids are never
renamed, so a CI gate or a baseline may key on them.

Whom a change breaks follows from what was valid before and what is valid now:

- request side: a request valid before and refused now (narrowed) breaks **clients**; a request
  refused before and valid now (widened: a new enum value, a new field, a wider type) breaks
  **servers**, which must now accept and honour it;
- response side: an answer valid now that was not before (widened: a new enum value, a field
  made optional or nullable, a new event type) breaks **clients**; an answer valid before and
  refused now (narrowed: a new required field) breaks **servers**, which must now produce it.

Levels: ``breaking`` (someone's code that followed the old spec is wrong under the new one),
``warning`` (possibly: bounds, patterns, removals a lenient party ignores) and ``info`` (breaks
no one, never fails a gate).

An open enum — a union with a branch that is any string beside one that lists values
(``anyOf: [{type: string}, {type: string, enum: [...]}]``, as OpenAI's model and voice ids) —
lists values without binding them: its value changes are ``x-extensible-enum-value-added``
(info) and ``x-extensible-enum-value-removed`` (warning), after oasdiff's ``x-extensible-enum``.

>>> SPEC_CHECKS["response-property-enum-value-added"].breaks
('clients',)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BOUNDS",
    "BREAKING",
    "INFO",
    "LEVELS",
    "SIDES",
    "SPEC_CHECKS",
    "SUBJECTS",
    "WARNING",
    "SpecCheck",
    "check_id",
]

BREAKING, WARNING, INFO = "breaking", "warning", "info"
LEVELS = (BREAKING, WARNING, INFO)
"""Levels, worst first."""
SIDES = ("clients", "servers")

_CLIENTS, _SERVERS, _BOTH, _NONE = ("clients",), ("servers",), SIDES, ()


@dataclass(frozen=True)
class SpecCheck:
    """One kind of change: its id, the direction it is about, its level and whom it breaks.

    ``direction`` is ``"operation"`` (the operation as a whole), ``"request"`` or ``"response"``.
    """

    id: str
    direction: str
    level: str
    breaks: tuple[str, ...]
    summary: str


SPEC_CHECKS: dict[str, SpecCheck] = {}
"""Every check, by id."""


def _add(id: str, direction: str, level: str, breaks: tuple[str, ...], summary: str) -> None:
    SPEC_CHECKS[id] = SpecCheck(id, direction, level, breaks, summary)


for _args in (
    ("endpoint-added", "operation", INFO, _NONE, "a new operation"),
    ("api-removed-without-deprecation", "operation", BREAKING, _CLIENTS, "operation removed"),
    (
        "api-removed-with-deprecation",
        "operation",
        WARNING,
        _CLIENTS,
        "deprecated operation removed",
    ),
    ("api-path-changed", "operation", BREAKING, _BOTH, "operation moved to another method or path"),
    (
        "api-operation-id-removed",
        "operation",
        INFO,
        _NONE,
        "operationId changed, same method and path",
    ),
    ("endpoint-deprecated", "operation", INFO, _NONE, "operation deprecated"),
    ("endpoint-reactivated", "operation", INFO, _NONE, "operation no longer deprecated"),
    ("request-body-added-required", "request", BREAKING, _CLIENTS, "a required request body"),
    ("request-body-added-optional", "request", WARNING, _SERVERS, "an optional request body"),
    ("request-body-removed", "request", WARNING, _CLIENTS, "request body removed"),
    ("request-body-became-required", "request", BREAKING, _CLIENTS, "request body now required"),
    ("request-body-became-optional", "request", WARNING, _SERVERS, "request body now optional"),
    ("request-body-media-type-added", "request", BREAKING, _SERVERS, "a new request media type"),
    (
        "request-body-media-type-removed",
        "request",
        BREAKING,
        _CLIENTS,
        "request media type removed",
    ),
    ("new-required-request-parameter", "request", BREAKING, _BOTH, "a new required parameter"),
    ("new-optional-request-parameter", "request", WARNING, _SERVERS, "a new optional parameter"),
    ("request-parameter-removed", "request", WARNING, _CLIENTS, "parameter removed"),
    ("request-parameter-became-required", "request", BREAKING, _CLIENTS, "parameter now required"),
    ("request-parameter-became-optional", "request", WARNING, _SERVERS, "parameter now optional"),
    ("new-required-request-property", "request", BREAKING, _BOTH, "a new required field"),
    ("new-optional-request-property", "request", WARNING, _SERVERS, "a new optional field"),
    ("request-property-removed", "request", WARNING, _CLIENTS, "field removed"),
    ("request-property-became-required", "request", BREAKING, _CLIENTS, "field now required"),
    ("request-property-became-optional", "request", WARNING, _SERVERS, "field now optional"),
    ("response-success-status-removed", "response", BREAKING, _CLIENTS, "success status removed"),
    ("response-success-status-added", "response", INFO, _NONE, "a new success status"),
    ("response-non-success-status-removed", "response", WARNING, _CLIENTS, "error status removed"),
    ("response-non-success-status-added", "response", INFO, _NONE, "a new error status"),
    ("response-media-type-removed", "response", BREAKING, _CLIENTS, "response media type removed"),
    ("response-media-type-added", "response", INFO, _NONE, "a new response media type"),
    ("required-response-header-removed", "response", BREAKING, _CLIENTS, "required header removed"),
    ("optional-response-header-removed", "response", WARNING, _CLIENTS, "optional header removed"),
    ("response-header-added", "response", INFO, _NONE, "a new response header"),
    ("response-header-became-optional", "response", BREAKING, _CLIENTS, "header now optional"),
    ("response-header-became-required", "response", BREAKING, _SERVERS, "header now required"),
    (
        "response-required-property-removed",
        "response",
        BREAKING,
        _CLIENTS,
        "required field removed",
    ),
    ("response-optional-property-removed", "response", WARNING, _CLIENTS, "optional field removed"),
    ("response-required-property-added", "response", BREAKING, _SERVERS, "a new required field"),
    ("response-optional-property-added", "response", INFO, _NONE, "a new optional field"),
    ("response-property-became-optional", "response", BREAKING, _CLIENTS, "field now optional"),
    ("response-property-became-required", "response", BREAKING, _SERVERS, "field now required"),
    ("response-stream-event-type-added", "response", BREAKING, _CLIENTS, "a new stream event type"),
    (
        "response-stream-event-type-removed",
        "response",
        BREAKING,
        _SERVERS,
        "stream event type removed",
    ),
):
    _add(*_args)

# -- schema-level families: {direction}-{subject}-{change} ----------------------------------------

SUBJECTS = {
    "request": ("body", "property", "parameter"),
    "response": ("body", "property", "header"),
}

_NARROW, _WIDEN, _CHANGED, _NEUTRAL = "narrowed", "widened", "changed", "neutral"
_CHANGES = {  # change -> (effect on the set of valid values, level, summary)
    "type-changed": (_CHANGED, BREAKING, "type changed"),
    "type-generalized": (_WIDEN, BREAKING, "type widened"),
    "type-specialized": (_NARROW, BREAKING, "type narrowed"),
    "became-nullable": (_WIDEN, BREAKING, "now nullable"),
    "became-not-nullable": (_NARROW, BREAKING, "no longer nullable"),
    "enum-value-added": (_WIDEN, BREAKING, "enum value added"),
    "enum-value-removed": (_NARROW, BREAKING, "enum value removed"),
    "x-extensible-enum-value-added": (_WIDEN, INFO, "value listed in an open enum"),
    "x-extensible-enum-value-removed": (_NARROW, WARNING, "value unlisted from an open enum"),
    "became-enum": (_NARROW, BREAKING, "restricted to an enum"),
    "became-not-enum": (_WIDEN, BREAKING, "enum restriction lifted"),
    "one-of-added": (_WIDEN, BREAKING, "oneOf branch added"),
    "one-of-removed": (_NARROW, BREAKING, "oneOf branch removed"),
    "any-of-added": (_WIDEN, BREAKING, "anyOf branch added"),
    "any-of-removed": (_NARROW, BREAKING, "anyOf branch removed"),
    "pattern-added": (_NARROW, WARNING, "pattern added"),
    "pattern-removed": (_WIDEN, WARNING, "pattern removed"),
    "pattern-changed": (_CHANGED, WARNING, "pattern changed"),
    "deprecated": (_NEUTRAL, INFO, "deprecated"),
}
BOUNDS = {  # keyword -> (slug, is an upper bound)
    "maximum": ("max", True),
    "exclusiveMaximum": ("exclusive-max", True),
    "maxLength": ("max-length", True),
    "maxItems": ("max-items", True),
    "maxProperties": ("max-properties", True),
    "minimum": ("min", False),
    "exclusiveMinimum": ("exclusive-min", False),
    "minLength": ("min-length", False),
    "minItems": ("min-items", False),
    "minProperties": ("min-properties", False),
}
for _slug, _upper in BOUNDS.values():
    for _change, _tighter in (("set", True), ("unset", False)):
        _CHANGES[f"{_slug}-{_change}"] = (
            _NARROW if _tighter else _WIDEN,
            WARNING,
            f"{_slug} {_change}",
        )
    _CHANGES[f"{_slug}-decreased"] = (_NARROW if _upper else _WIDEN, WARNING, f"{_slug} decreased")
    _CHANGES[f"{_slug}-increased"] = (_WIDEN if _upper else _NARROW, WARNING, f"{_slug} increased")


def _breaks(direction: str, effect: str) -> tuple[str, ...]:
    if effect == _CHANGED:
        return _BOTH
    if effect == _NEUTRAL:
        return _NONE
    narrowed = effect == _NARROW
    # request: narrowed refuses what clients sent; response: widened surprises clients
    return _CLIENTS if narrowed == (direction == "request") else _SERVERS


for _direction, _subjects in SUBJECTS.items():
    for _subject in _subjects:
        for _change, (_effect, _level, _summary) in _CHANGES.items():
            _add(
                f"{_direction}-{_subject}-{_change}",
                _direction,
                _level,
                _breaks(_direction, _effect) if _level != INFO else _NONE,
                f"{_subject} {_summary}",
            )

_PROPERTY_IDS = {
    ("request", "property-added-required"): "new-required-request-property",
    ("request", "property-added-optional"): "new-optional-request-property",
    ("request", "property-removed-required"): "request-property-removed",
    ("request", "property-removed-optional"): "request-property-removed",
    ("request", "property-became-required"): "request-property-became-required",
    ("request", "property-became-optional"): "request-property-became-optional",
    ("response", "property-added-required"): "response-required-property-added",
    ("response", "property-added-optional"): "response-optional-property-added",
    ("response", "property-removed-required"): "response-required-property-removed",
    ("response", "property-removed-optional"): "response-optional-property-removed",
    ("response", "property-became-required"): "response-property-became-required",
    ("response", "property-became-optional"): "response-property-became-optional",
}


def check_id(direction: str, subject: str, kind: str, *, root: bool, stream: bool = False) -> str:
    """The check id of a schema change of ``kind`` (from :mod:`conformance.reports.schemadiff`)
    in a ``direction``, under a root ``subject`` (``body``, ``parameter``, ``header``); ``root``
    when the change is at the schema's root, ``stream`` when that schema is an SSE event's.

    >>> check_id("response", "body", "enum-value-added", root=False)
    'response-property-enum-value-added'
    >>> check_id("response", "body", "any-of-added", root=True, stream=True)
    'response-stream-event-type-added'
    """
    named = _PROPERTY_IDS.get((direction, kind))
    if named is not None:
        return named
    if stream and root and kind in ("one-of-added", "any-of-added"):
        return "response-stream-event-type-added"
    if stream and root and kind in ("one-of-removed", "any-of-removed"):
        return "response-stream-event-type-removed"
    if not root and subject == "body":
        subject = "property"
    return f"{direction}-{subject}-{kind}"
