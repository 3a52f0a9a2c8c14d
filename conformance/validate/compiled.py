"""Every validator of a ``SchemaSet``, compiled once and shared.

jsonschema-rs compiles what a ``$ref`` reaches into the validator that holds it: a validator per
schema location would copy every schema the location reaches, so a spec whose operations all
reach a long chain of schemas would cost operations × schemas (1,000 chained schemas answered by
100 operations: 1.7 GB). Within one validator, a schema reached twice is compiled once. So the
set is compiled as one validator, whose root is ``{"properties": {<key>: {"$ref": <ref>}, …}}``
with an entry for every ``$defs`` entry (lenient, and strict with ``unevaluatedProperties:
false``) and every ``oneOf``/``anyOf`` branch (the error path scores branches): memory grows with
the spec. A location is validated as ``{<key>: instance}`` (one small dict: the hot path is as
fast); its errors have the wrapper's part taken off their paths (also in a union error's
``kind.context``, when read), so they read as those of a validator rooted at the location. Only
``verbose_message`` (and ``str()``) still shows the wrapper.

A schema jsonschema-rs refuses to compile (a pattern outside its regex dialect, such as ``\\Z``
or ``x{,3}``, that the load-time check let through) is a
:class:`~conformance.errors.SpecError` naming the spec location, raised on first use.

>>> compiled = Compiled(schema_set(spec, "response"), formats=False)  # doctest: +SKIP
>>> compiled.root(ref, strict=False).is_valid({"id": "x"})  # doctest: +SKIP
True
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs

from ..errors import SpecError
from ..schema import SchemaSet
from ..schema.keywords import SUBSCHEMA_LISTS, SUBSCHEMA_MAPS, SUBSCHEMA_ONE
from ..spec.refs import escape

__all__ = ["Compiled", "Root"]


class Root:
    """The validator of one location: the shared validator applied under the location's key.

    Offers what callers use of a jsonschema-rs validator: ``is_valid`` and ``iter_errors``.
    """

    __slots__ = ("_key", "_shared")

    def __init__(self, shared: Any, key: str) -> None:
        self._shared = shared
        self._key = key

    def is_valid(self, instance: Any) -> Any:
        return self._shared.is_valid({self._key: instance})

    def iter_errors(self, instance: Any) -> Iterator[Any]:
        for error in self._shared.iter_errors({self._key: instance}):
            _unwrap(error)
            yield error

    def __repr__(self) -> str:
        return f"<Root {self._key}>"


def _unwrap(error: Any) -> None:
    """Take the wrapper's part (``{key: …}`` and ``properties/<key>``) off an error's paths
    (those of a union error's ``kind.context`` when they are first read)."""
    error.instance_path = error.instance_path[1:]
    error.schema_path = error.schema_path[2:]
    error.evaluation_path = error.evaluation_path[2:]
    if getattr(error.kind, "context", None):
        error.kind = _Kind(error.kind)


class _Kind:
    """A union error's kind, whose ``context`` errors are unwrapped when first read (a union of
    fifty branches holds a list of errors per branch; most callers read few or none)."""

    __slots__ = ("_context", "_kind")

    def __init__(self, kind: Any) -> None:
        self._kind = kind
        self._context: list[list[Any]] | None = None

    @property
    def context(self) -> list[list[Any]]:
        if self._context is None:
            self._context = self._kind.context
            for branch in self._context:
                for sub in branch:
                    _unwrap(sub)
        return self._context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kind, name)

    def __repr__(self) -> str:
        return repr(self._kind)


def _branches(node: Any, pointer: str, out: list[str]) -> None:
    """Pointers of every ``oneOf``/``anyOf`` branch inside a converted schema (not across refs;
    converted schemas nest at most ``MAX_DEPTH`` levels, so the recursion is bounded)."""
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in SUBSCHEMA_LISTS and isinstance(value, list):
            for i, sub in enumerate(value):
                if key in ("anyOf", "oneOf"):
                    out.append(f"{pointer}/{key}/{i}")
                _branches(sub, f"{pointer}/{key}/{i}", out)
        elif key in SUBSCHEMA_MAPS and isinstance(value, dict):
            for name, sub in value.items():
                _branches(sub, f"{pointer}/{key}/{escape(name)}", out)
        elif key in SUBSCHEMA_ONE:
            _branches(value, f"{pointer}/{key}", out)


class Compiled:
    """The compiled validators of one :class:`SchemaSet` (rebuilt if the set grows)."""

    def __init__(self, schemas: SchemaSet, *, formats: bool) -> None:
        self.schemas = schemas
        self.formats = formats
        self._size = -1
        self._registry: Any = None
        self._shared: Any = None
        self._keys: dict[tuple[str, bool], str] = {}  # (ref, strict) -> wrapper key
        self._roots: dict[tuple[str, bool], Any] = {}

    def _build(self) -> None:
        schemas = self.schemas
        if self._size == len(schemas.defs):
            return
        self._roots.clear()
        self._shared = None
        lenient, strict = schemas.document(False), schemas.document(True)
        self._registry = self._compile(
            jsonschema_rs.Registry, [(schemas.uri, lenient), (schemas.strict_uri, strict)]
        )
        # entries named by short keys: every error of a location carries its key in its paths
        entries: dict[tuple[str, bool], Any] = {}
        branches: list[str] = []
        for key, schema in lenient["$defs"].items():
            pointer = "/$defs/" + escape(key)
            ref = schemas.pointer_ref(pointer)
            entries[ref, False] = {"$ref": ref}
            strict_ref = ref.replace(schemas.uri, schemas.strict_uri, 1)
            entries[ref, True] = {"$ref": strict_ref, "unevaluatedProperties": False}
            _branches(schema, pointer, branches)
        for pointer in branches:
            ref = schemas.pointer_ref(pointer)
            entries[ref, False] = {"$ref": ref}
        self._keys = {entry: format(i, "x") for i, entry in enumerate(entries)}
        wrapper = {self._keys[entry]: schema for entry, schema in entries.items()}
        self._shared = self._validator({"properties": wrapper})
        self._size = len(schemas.defs)

    def root(self, ref: str, strict: bool = False) -> Any:
        """The validator for an absolute ``$ref`` of the set (strict: no undeclared property)."""
        key = (ref, strict)
        found = self._roots.get(key)
        if found is not None and self._size == len(self.schemas.defs):
            return found
        self._build()
        found = self._roots.get(key)
        if found is None:
            name = self._keys.get(key)
            if name is not None:
                found = Root(self._shared, name)
            else:  # a ref into the middle of a schema: compiled on its own
                schema: dict[str, Any] = {"$ref": ref}
                if strict:
                    strict_ref = ref.replace(self.schemas.uri, self.schemas.strict_uri, 1)
                    schema = {"$ref": strict_ref, "unevaluatedProperties": False}
                found = self._validator(schema)
            self._roots[key] = found
        return found

    def node(self, schema: Any) -> Any:
        """A jsonschema-rs validator for any converted schema node (refs resolve in the set)."""
        self._build()
        return self._validator(schema)

    def _validator(self, schema: Any) -> Any:
        return self._compile(
            jsonschema_rs.Draft202012Validator,
            schema,
            registry=self._registry,
            validate_formats=self.formats,
        )

    def _compile(self, make: Any, *args: Any, **kwargs: Any) -> Any:
        """``make(*args, **kwargs)``, with jsonschema-rs' refusals as one-line SpecErrors."""
        try:
            return make(*args, **kwargs)
        except jsonschema_rs.ValidationError as exc:
            raise SpecError(self._refusal(exc)) from None
        except (jsonschema_rs.ReferencingError, ValueError) as exc:
            raise SpecError(f"{self._where()}: {exc}") from None

    def _refusal(self, exc: Any) -> str:
        path = [str(p) for p in exc.instance_path]
        where = self._where()
        if path[:1] == ["$defs"]:
            pointer = "".join("/" + escape(p) for p in path)
            where = self._where(self.schemas.spec_location(self.schemas.pointer_ref(pointer)))
        if exc.kind.name == "format" and path[-1:] == ["pattern"]:
            return f"{where}: invalid pattern {exc.instance!r}: jsonschema-rs cannot compile it"
        return f"{where}: jsonschema-rs refuses this schema: {exc.message}"

    def _where(self, label: str = "") -> str:
        """A spec location as errors name it (the spec's name, then ``#/…``); the spec alone
        for no label."""
        documents = self.schemas.converter.documents
        if not label:
            return documents.where(documents.root_uri).removesuffix("#")
        return documents.name + label if label.startswith("#") else label
