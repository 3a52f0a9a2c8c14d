"""OpenAPI 3.0/3.1 Schema Object → JSON Schema 2020-12, per direction.

Every schema location of a spec becomes one entry of a single ``$defs`` document; ``$ref`` become
absolute refs into it. What changes on the way:

- ``nullable: true`` allows ``null``: added to ``type`` (and to ``enum``), or, where the schema
  composes or references others, as an ``anyOf`` with ``{"type": "null"}``. A ``nullable``
  without ``type`` does the same. A ``nullable`` beside a 3.0 ``$ref`` is honoured too.
- 3.0 boolean ``exclusiveMinimum``/``exclusiveMaximum`` become the 2020-12 numeric form.
- OpenAPI's ``format: int32``/``int64`` on an integer become the bounds they mean (signed 32/64
  bits), intersected with the schema's own. Other formats stay annotations here; requests
  assert them (see ``conformance.validate.engine``).
- 3.0 ``$ref`` siblings are ignored (as 3.0 says); 3.1 ``$ref`` siblings apply.
- ``$recursiveRef``/``$dynamicRef`` ``"#"`` refer to the component schema they sit in.
- ``readOnly`` properties are not required in requests, ``writeOnly`` ones not in responses.
- ``discriminator`` without ``mapping``: the mapping is derived from each branch's
  ``enum``/``const``/``x-stainless-const`` and kept as ``x-conformance-discriminator``
  (value → branch index) for precise errors and for generators.
- annotations that validate nothing (``description``, ``example``, ``x-*``, ``xml``…) are dropped.

On the way, a ``type`` that names no type and a ``pattern`` that is no regex are refused
(:mod:`conformance.schema.keywords`): a :class:`~conformance.errors.SpecError` naming the pointer.
So is a schema nested more than :data:`MAX_DEPTH` JSON levels deep once converted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..errors import SpecError
from ..spec.refs import Documents, escape, split_location
from .keywords import PROBLEMS, SUBSCHEMA_LISTS, SUBSCHEMA_MAPS, SUBSCHEMA_ONE

__all__ = ["DISCRIMINATOR", "FRAGMENT_SAFE", "MAX_DEPTH", "Converter", "allow_null", "def_key"]

DISCRIMINATOR = "x-conformance-discriminator"

_KEEP = {
    "type",
    "enum",
    "const",
    "multipleOf",
    "maximum",
    "minimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxContains",
    "minContains",
    "maxProperties",
    "minProperties",
    "required",
    "dependentRequired",
    "format",
    "default",
    "contentEncoding",
    "contentMediaType",
}
FRAGMENT_SAFE = "/~$!&'()*+,;=:@-._"
_INT_FORMATS = {"int32": 2**31, "int64": 2**63}
_COMPOSED = ("$ref", "allOf", "anyOf", "oneOf", "not", "if")

MAX_DEPTH = 64
"""How deep a converted schema may nest, in JSON levels below its root (``properties/a`` is two
levels, ``items`` one, ``allOf/0`` two, a ``nullable`` composition two more); a ``$ref`` target
starts afresh, so recursive schemas are fine. Deeper is a :class:`~conformance.errors.SpecError`
naming the pointer. jsonschema-rs refuses documents nested past 255 levels, and every walk over
schemas (conversion, strict forms, strategies) recurses; the OpenAI specs nest at most 18."""


def _deeper(value: Any, levels: int) -> bool:
    """Whether a JSON value (an ``enum``, ``const`` or ``default``) nests more than ``levels``
    levels of arrays and objects (counted breadth first: no recursion).

    >>> _deeper([[1]], 2), _deeper([[[1]]], 2)
    (False, True)
    """
    layer = [value]
    for _ in range(max(levels, 0)):
        layer = [
            child
            for item in layer
            if isinstance(item, (dict, list))
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not any(isinstance(item, (dict, list)) for item in layer):
            return False
    return True


def def_key(documents: Documents, location: str) -> str:
    """The ``$defs`` key for a schema location: its pointer in the root document, else the URI.

    >>> def_key(docs, docs.root_uri + "#/components/schemas/A")  # doctest: +SKIP
    '/components/schemas/A'
    """
    uri, pointer = split_location(location)
    return pointer if uri == documents.root_uri else location


def allow_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema that also accepts ``null``.

    >>> allow_null({"type": "string", "enum": ["a"]})
    {'type': ['string', 'null'], 'enum': ['a', None]}
    """
    if any(k in schema for k in _COMPOSED):
        return {"anyOf": [{"type": "null"}, schema]}
    out = dict(schema)
    kind = out.get("type")
    if kind is not None:
        kinds = list(kind) if isinstance(kind, list) else [kind]
        if "null" not in kinds:
            out["type"] = [*kinds, "null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    if "const" in out:
        out["enum"] = [out.pop("const"), None]
    return out


def _int_bounds(out: dict[str, Any], half: int) -> None:
    """Bound an integer schema to ``[-half, half - 1]``, keeping tighter bounds of its own.

    >>> s = {"type": "integer", "minimum": 0}; _int_bounds(s, 2**31); s["minimum"], s["maximum"]
    (0, 2147483647)
    """
    kind = out.get("type")
    if kind != "integer" and not (isinstance(kind, list) and "integer" in kind):
        return
    low, high = out.get("minimum"), out.get("maximum")
    number = (int, float)
    out["minimum"] = max(low, -half) if isinstance(low, number) else -half
    out["maximum"] = min(high, half - 1) if isinstance(high, number) else half - 1


class Converter:
    """Converts schemas of one spec for one direction (``"request"`` or ``"response"``).

    ``convert(location)`` returns the converted schema at that location and queues every
    location it references; ``defs`` accumulates them all, keyed by :func:`def_key`.

    >>> conv = Converter(spec.documents, (3, 0), "response", "urn:x")  # doctest: +SKIP
    >>> conv.define(loc); conv.defs[def_key(spec.documents, loc)]  # doctest: +SKIP
    """

    def __init__(self, documents: Documents, version: tuple[int, int], direction: str, uri: str):
        self.documents = documents
        self.openapi31 = version >= (3, 1)
        self.direction = direction
        self.uri = uri
        self.defs: dict[str, Any] = {}
        self.locations: dict[str, str] = {}  # def key -> location
        self._todo: list[str] = []
        self._refs: dict[str, str] = {}  # location -> $ref (quote() is slow on hot paths)

    def ref(self, location: str) -> str:
        """The absolute ``$ref`` for a location, queuing it for conversion."""
        ref = self._refs.get(location)
        if ref is None:
            key = def_key(self.documents, location)
            if key not in self.defs and key not in self.locations:
                self.locations[key] = location
                self._todo.append(location)
            ref = f"{self.uri}#/$defs/{quote(escape(key), safe=FRAGMENT_SAFE)}"
            self._refs[location] = ref
        return ref

    def define(self, location: str) -> str:
        """Convert a location and everything it references; returns its ``$ref``."""
        ref = self.ref(location)
        while self._todo:
            loc = self._todo.pop()
            key = def_key(self.documents, loc)
            self.defs[key] = self._convert(self.documents.get(loc), loc, 0)
        return ref

    # -- conversion ---------------------------------------------------------------------------

    def _convert(self, node: Any, location: str, depth: int) -> Any:
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict):
            return {}  # not a schema: accept anything rather than crash; spec check reports it
        if depth > MAX_DEPTH:
            where = self.documents.where(location)
            raise SpecError(f"{where}: schema nested more than {MAX_DEPTH} levels deep")
        if node.get("nullable") is True:
            depth += 2  # allow_null may wrap what is below in an anyOf
        base = split_location(location)[0]
        for dynamic in ("$recursiveRef", "$dynamicRef"):
            if isinstance(node.get(dynamic), str) and "$ref" not in node:
                node = {
                    **{k: v for k, v in node.items() if k != dynamic},
                    "$ref": self._dynamic(node[dynamic], location),
                }
        if "$ref" in node and isinstance(node["$ref"], str):
            target = self.documents.absolute(node["$ref"], base)
            ref = {"$ref": self.ref(target)}
            if not self.openapi31:
                return allow_null(ref) if node.get("nullable") is True else ref
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            out = self._keywords(siblings, location, depth)
            out["$ref"] = ref["$ref"]
        else:
            out = self._keywords(node, location, depth)
        if node.get("nullable") is True:
            out = allow_null(out)
        return out

    def _dynamic(self, ref: str, location: str) -> str:
        """Where a ``$recursiveRef``/``$dynamicRef`` points: ``#`` means the enclosing component.

        OpenAPI 3.1 documents are not schema resources, so the "resource root" these keywords
        name is the component schema they sit in (OpenAI 2026-08 ``CompoundFilter``).
        """
        parts = split_location(location)[1].split("/")
        if ref.startswith("#") and len(parts) >= 4 and parts[1:3] == ["components", "schemas"]:
            return "#" + "/".join(parts[:4])
        return ref

    def _keywords(self, node: dict[str, Any], location: str, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}

        def sub(value: Any, suffix: str, levels: int = 2) -> Any:
            return self._convert(value, f"{location}/{suffix}", depth + levels)

        for key, value in node.items():
            if key in _KEEP:
                if key in PROBLEMS:
                    self._check(key, value, location)
                elif isinstance(value, (dict, list)) and _deeper(value, MAX_DEPTH - depth):
                    where = self.documents.where(f"{location}/{key}")
                    raise SpecError(f"{where}: value nested more than {MAX_DEPTH} levels deep")
                out[key] = value
            elif key in SUBSCHEMA_MAPS and isinstance(value, dict):
                out[key] = {n: sub(s, f"{key}/{escape(n)}") for n, s in value.items()}
            elif key in SUBSCHEMA_LISTS and isinstance(value, list):
                out[key] = [sub(s, f"{key}/{i}") for i, s in enumerate(value)]
            elif key in SUBSCHEMA_ONE and isinstance(value, (dict, bool)):
                out[key] = sub(value, key, 1)
            elif key == "items" and isinstance(value, list):  # draft-4 style tuple items
                out["prefixItems"] = [sub(s, f"items/{i}") for i, s in enumerate(value)]
        if not self.openapi31:
            for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
                flag = node.get(bound)
                if flag is True and plain in node:
                    out[bound] = out.pop(plain)
        elif "exclusiveMinimum" in node or "exclusiveMaximum" in node:
            for bound in ("exclusiveMinimum", "exclusiveMaximum"):
                if isinstance(node.get(bound), (int, float)) and not isinstance(
                    node.get(bound), bool
                ):
                    out[bound] = node[bound]
        if isinstance(out.get("format"), str) and out["format"] in _INT_FORMATS:
            _int_bounds(out, _INT_FORMATS[out["format"]])
        if "required" in out and isinstance(node.get("properties"), dict):
            out["required"] = self._required(out["required"], node["properties"], location)
        if isinstance(node.get("discriminator"), dict):
            mapping = self._discriminator(node, location)
            if mapping is not None:
                out[DISCRIMINATOR] = mapping
        return out

    def _check(self, key: str, value: Any, location: str) -> None:
        problem = PROBLEMS[key](value)
        if problem is not None:
            raise SpecError(f"{self.documents.where(f'{location}/{key}')}: {problem}")

    def _required(self, required: list[Any], props: dict[str, Any], location: str) -> list[Any]:
        hidden = "readOnly" if self.direction == "request" else "writeOnly"
        keep = []
        for name in required:
            prop = props.get(name)
            if isinstance(prop, dict):
                try:
                    _, target = self.documents.deref(
                        prop, f"{location}/properties/{escape(str(name))}"
                    )
                except Exception:  # dangling refs are reported by load_spec
                    target = prop
                if isinstance(target, dict) and (prop.get(hidden) or target.get(hidden)):
                    continue
            keep.append(name)
        return keep

    def _discriminator(self, node: dict[str, Any], location: str) -> dict[str, Any] | None:
        disc = node["discriminator"]
        prop = disc.get("propertyName")
        branches_key = "oneOf" if "oneOf" in node else "anyOf" if "anyOf" in node else None
        if not isinstance(prop, str) or branches_key is None:
            return None
        base = split_location(location)[0]
        branches = node[branches_key]
        mapping: dict[str, list[int]] = {}
        explicit = disc.get("mapping") or {}
        targets = {}
        for i, branch in enumerate(branches):
            if isinstance(branch, dict) and isinstance(branch.get("$ref"), str):
                targets[self.documents.absolute(branch["$ref"], base)] = i
        for value, ref in explicit.items():
            target = self.documents.absolute(
                ref if "#" in ref or "/" in ref else f"#/components/schemas/{ref}", base
            )
            if target in targets:
                mapping.setdefault(str(value), []).append(targets[target])
        for i, _ in enumerate(branches):
            for value in self._branch_values(f"{location}/{branches_key}/{i}", prop, 0):
                if i not in mapping.setdefault(value, []):
                    mapping[value].append(i)
        # complete: every branch is reachable by some value, so an unknown value is an error
        complete = {i for indexes in mapping.values() for i in indexes} == set(range(len(branches)))
        return {
            "propertyName": prop,
            "keyword": branches_key,
            "mapping": mapping,
            "complete": complete,
        }

    def _branch_values(self, location: str, prop: str, depth: int) -> list[str]:
        """Tag values a branch accepts: its own property, its allOf parts, its nested unions."""
        if depth > 6:
            return []
        try:
            location, node = self.documents.deref(self.documents.get(location), location)
        except Exception:
            return []
        if not isinstance(node, dict):
            return []
        schema = (node.get("properties") or {}).get(prop)
        if isinstance(schema, dict):
            found = self._tag_values(schema, f"{location}/properties/{escape(prop)}", depth)
            if found:
                return found
        values: list[str] = []
        for key in ("allOf", "anyOf", "oneOf"):
            for i, _ in enumerate(node.get(key) or []):
                values += self._branch_values(f"{location}/{key}/{i}", prop, depth + 1)
        return values

    def _tag_values(self, schema: Any, location: str, depth: int) -> list[str]:
        """Values a tag property's schema allows: const, enum, or those of its union branches."""
        try:
            location, schema = self.documents.deref(schema, location)
        except Exception:
            return []
        if not isinstance(schema, dict) or depth > 6:
            return []
        if "const" in schema:
            return [str(schema["const"])]
        if isinstance(schema.get("enum"), list):
            return [str(v) for v in schema["enum"] if v is not None]
        values: list[str] = []
        for key in ("anyOf", "oneOf"):
            for i, sub in enumerate(schema.get(key) or []):
                values += self._tag_values(sub, f"{location}/{key}/{i}", depth + 1)
        return values
