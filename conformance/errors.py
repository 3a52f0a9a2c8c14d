"""User-facing errors: every one names the file, operation or JSON pointer it is about.

The CLI prints ``str(error)`` on one line and exits with code 2.
"""

from __future__ import annotations

__all__ = [
    "ConformanceError",
    "InputError",
    "RefError",
    "RefNotAllowedError",
    "SpecError",
    "SpecLoadError",
    "UnknownOperationError",
]


class ConformanceError(Exception):
    """Base of every error the toolkit raises on bad input.

    >>> raise ConformanceError("spec.yaml: something is wrong")
    Traceback (most recent call last):
    ...
    conformance.errors.ConformanceError: spec.yaml: something is wrong
    """


class SpecLoadError(ConformanceError):
    """The spec could not be read or parsed (missing file, unreachable URL, bad YAML/JSON)."""


class SpecError(ConformanceError):
    """The spec parsed but is not a usable OpenAPI 3.0/3.1 document."""


class RefError(SpecError):
    """A ``$ref`` points at nothing; the message names the ref and where it was found."""


class RefNotAllowedError(RefError):
    """A ``$ref`` leaves what the spec may read: its own folder (a local spec) or origin (a remote
    one), plus what ``load_spec(..., allow_refs=...)`` allows; the message names the ref and where it is.
    """


class UnknownOperationError(ConformanceError):
    """No operation has the operationId (or ``METHOD /path``) asked for."""


class InputError(ConformanceError):
    """Bad input from the user: an instance file given to the CLI (request, response, stream)
    that cannot be read or parsed, an unknown option value (profile, fault), or a strategy asked
    for what its operation does not offer (a stream of one that does not stream, an undocumented
    status or media type, invalid requests of one with no constraint to break)."""
