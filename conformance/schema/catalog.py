"""``SchemaSet``: every schema of a spec, converted for one direction, as one JSON Schema document."""

from __future__ import annotations

import weakref
from typing import Any
from urllib.parse import quote

from ..spec import Spec
from ..spec.refs import escape, pointer_get, split_location, unescape
from ..spec.source import cache_get, cache_put
from .convert import FRAGMENT_SAFE, Converter
from .strict import strict_schema

__all__ = ["DIRECTIONS", "SchemaSet", "schema_set"]

DIRECTIONS = ("request", "response")
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _locations(spec: Spec, direction: str) -> list[str]:
    """Every schema location the operations use in a direction, then all component schemas."""
    found: list[str] = []
    for op in spec.operations:
        if direction == "request":
            found += [p.schema for p in op.parameters if p.schema]
            if op.request_body:
                found += [m.schema for m in op.request_body.content.values() if m.schema]
        else:
            for response in op.responses.values():
                found += [m.schema for m in response.content.values() if m.schema]
                found += [h.schema for h in response.headers.values() if h.schema]
    schemas = (spec.document.get("components") or {}).get("schemas") or {}
    found += [f"{spec.uri}#/components/schemas/{escape(name)}" for name in schemas]
    return found


class SchemaSet:
    """All schemas of a spec for one direction, converted to JSON Schema 2020-12.

    ``ref(location)`` gives the schema to validate against: ``{"$ref": "<uri>#/$defs/<key>"}``;
    ``document(strict)`` the resource that holds every ``$defs`` entry.

    >>> schemas = schema_set(spec, "response")  # doctest: +SKIP
    >>> schemas.schema(op.responses["200"].content["application/json"].schema)  # doctest: +SKIP
    {'$ref': 'urn:conformance:86ed5d92…:response#/$defs/~1components~1schemas~1…'}
    """

    def __init__(self, spec: Spec, direction: str) -> None:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
        self.spec = spec
        self.direction = direction
        self.uri = f"urn:conformance:{spec.sha256[:16]}:{direction}"
        self.strict_uri = self.uri + ":strict"
        self.converter = Converter(spec.documents, spec.version, direction, self.uri)
        self._docs: dict[bool, dict[str, Any]] = {}
        self._size = -1
        key = f"{spec.cache_key}-{direction}"
        if spec.cache_key and self._restore(cache_get("schemas", key)):
            return
        for location in _locations(spec, direction):
            self.converter.define(location)
        if spec.cache_key:
            strict = self.document(True)["$defs"]
            # locations as labels: the same spec read from another path must restore its own URIs
            labels = {k: spec.label(v) for k, v in self.converter.locations.items()}
            cache_put("schemas", key, [self.defs, labels, strict])

    def _restore(self, entry: Any) -> bool:
        """Take the conversions a cache entry holds (``[defs, location labels, strict defs]``)."""
        if not (isinstance(entry, list) and len(entry) == 3):
            return False
        if not all(isinstance(part, dict) for part in entry):
            return False
        defs, labels, strict = entry
        self.converter.defs.update(defs)
        root = self.spec.uri
        self.converter.locations.update(
            {k: root + v if v.startswith("#") else v for k, v in labels.items()}
        )
        self._size = len(self.defs)
        self._docs[True] = self._document(strict, True)
        return True

    @property
    def defs(self) -> dict[str, Any]:
        """Converted schemas by ``$defs`` key."""
        return self.converter.defs

    def ref(self, location: str, *, strict: bool = False) -> str:
        """The absolute ``$ref`` of a schema location (converted on first use)."""
        ref = self.converter.define(location)
        return ref.replace(self.uri, self.strict_uri, 1) if strict else ref

    def pointer_ref(self, pointer: str) -> str:
        """The absolute ``$ref`` of a JSON pointer inside the (lenient) document."""
        return f"{self.uri}#{quote(pointer, safe=FRAGMENT_SAFE)}"

    def schema(self, location: str, *, strict: bool = False) -> dict[str, Any]:
        """A root schema for the location: a ``$ref`` (strict: forbidding undeclared properties)."""
        if strict:
            return {"$ref": self.ref(location, strict=True), "unevaluatedProperties": False}
        return {"$ref": self.ref(location)}

    def document(self, strict: bool = False) -> dict[str, Any]:
        """The JSON Schema resource holding every converted schema (rebuilt when it grew)."""
        if self._size != len(self.defs):
            self._docs.clear()
            self._size = len(self.defs)
        if strict not in self._docs:
            if strict:
                defs = {
                    k: strict_schema(v, self.uri, self.strict_uri) for k, v in self.defs.items()
                }
            else:
                defs = dict(self.defs)
            self._docs[strict] = self._document(defs, strict)
        return self._docs[strict]

    def _document(self, defs: dict[str, Any], strict: bool) -> dict[str, Any]:
        return {"$schema": _DIALECT, "$id": self.strict_uri if strict else self.uri, "$defs": defs}

    def resolve(self, ref: str) -> Any:
        """The converted schema a ``$ref`` produced by this set points at."""
        uri, pointer = split_location(ref)
        doc = self.document(strict=uri == self.strict_uri)
        return pointer_get(doc, pointer)

    def spec_location(self, keyword_location: str) -> str:
        """Map a keyword location in the converted document back to the spec (``#/…``).

        >>> schemas.spec_location(schemas.uri + "#/$defs/~1components~1schemas~1A/required")  # doctest: +SKIP
        '#/components/schemas/A/required'
        """
        uri, pointer = split_location(keyword_location)
        if uri not in (self.uri, self.strict_uri) or not pointer.startswith("/$defs/"):
            return keyword_location
        token, _, rest = pointer[len("/$defs/") :].partition("/")
        key = unescape(token)
        location = self.converter.locations.get(key)
        if location is None:
            return keyword_location
        label = self.spec.label(location)
        return label + ("/" + rest if rest else "")


_SETS: weakref.WeakKeyDictionary[Spec, dict[str, SchemaSet]] = weakref.WeakKeyDictionary()


def schema_set(spec: Spec, direction: str) -> SchemaSet:
    """The (cached) :class:`SchemaSet` of a spec for ``"request"`` or ``"response"``.

    >>> schema_set(spec, "response").document()["$defs"]  # doctest: +SKIP
    """
    per_spec = _SETS.setdefault(spec, {})
    if direction not in per_spec:
        per_spec[direction] = SchemaSet(spec, direction)
    return per_spec[direction]
