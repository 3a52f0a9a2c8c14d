"""Per spec and profile: the compilers for both directions and the strict validator that
guards what is generated."""

from __future__ import annotations

import dataclasses
import weakref
from typing import Any

import hypothesis.strategies as st

from ..schema import schema_set
from ..spec import Operation, Spec
from ..validate import Validator
from .compiler import Compiler
from .profiles import Profile, get_profile

__all__ = ["Context", "context"]


class Context:
    """Compilers and validator for one spec and profile."""

    def __init__(self, spec: Spec, profile: Profile) -> None:
        self.spec = spec
        self.profile = profile
        self.validator = Validator(spec, strict=True)
        self.requests = Compiler(schema_set(spec, "request"), profile)
        # parameters travel in URLs and headers: "very long" stays within what clients send
        short = dataclasses.replace(profile, long_string=min(profile.long_string, 32))
        self.parameters = Compiler(schema_set(spec, "request"), short)
        self.responses = Compiler(schema_set(spec, "response"), profile)
        self._cache: dict[Any, st.SearchStrategy[Any]] = {}

    def operation(self, operation: str | Operation) -> Operation:
        """Look an operation up (or pass it through)."""
        return self.validator.operation(operation)

    def cached(self, key: Any, build: Any) -> st.SearchStrategy[Any]:
        """Build a strategy once per key."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def request_schema(
        self, location: str | None, name: str | None = None, *, parameter: bool = False
    ) -> st.SearchStrategy[Any]:
        """Strategy for a request-side schema location (anything when there is no schema)."""
        if location is None:
            return st.text(max_size=8)
        compiler = self.parameters if parameter else self.requests
        return compiler.compile({"$ref": compiler.schemas.ref(location)}, name=name)

    def response_schema(self, location: str | None) -> st.SearchStrategy[Any]:
        """Strategy for a response-side schema location."""
        if location is None:
            return st.none()
        return self.responses.compile({"$ref": self.responses.schemas.ref(location)})


_CONTEXTS: weakref.WeakKeyDictionary[Spec, dict[str, Context]] = weakref.WeakKeyDictionary()


def context(spec: Spec, profile: str | Profile) -> Context:
    """The (cached) context of a spec and profile."""
    resolved = get_profile(profile)
    per_spec = _CONTEXTS.setdefault(spec, {})
    if resolved.name not in per_spec or per_spec[resolved.name].profile != resolved:
        per_spec[resolved.name] = Context(spec, resolved)
    return per_spec[resolved.name]
