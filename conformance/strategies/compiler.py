"""Converted JSON Schema (``conformance.schema``) → Hypothesis strategy.

The compiler aims to produce only valid values (so that shrinking stays inside the schema and
nothing is thrown away); the public builders then filter through the compiled validator as a
guarantee. Strategies are built once per ``$ref`` and profile and cached. Recursion is bounded:
a ``$ref`` met again inside itself more than ``MAX_CYCLE`` times is generated minimally
(required properties only, arrays at their minimum, null where allowed).
"""

from __future__ import annotations

import math
import re
import string
from typing import Any

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument

from ..schema import DISCRIMINATOR, SchemaSet
from ..validate.engine import engine_for
from .hints import hint_for
from .merge import ALSO, flatten, merge
from .profiles import Profile
from .scalars import json_key, long_text, multiples, string_format, text, within

__all__ = ["MAX_CYCLE", "Compiler"]

MAX_CYCLE = 2
_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
_OBJECT_KEYS = ("properties", "required", "additionalProperties", "minProperties", "maxProperties")
_ARRAY_KEYS = ("items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains")
_STRING_KEYS = ("minLength", "maxLength", "pattern", "format")
_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_ASCII = st.characters(min_codepoint=32, max_codepoint=126)
_UNICODE = st.characters(exclude_categories=["Cs"])  # no lone surrogates: not UTF-8
_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(_ASCII, max_size=8),
    lambda inner: (
        st.lists(inner, max_size=2)
        | st.dictionaries(
            st.text(string.ascii_lowercase, min_size=1, max_size=6), inner, max_size=2
        )
    ),
    max_leaves=4,
)


def _kind(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [t for t in _TYPES if t in declared]
    for values in ([schema["const"]] if "const" in schema else [], schema.get("enum") or []):
        if values:
            return []  # enum/const decide
    inferred = []
    if any(k in schema for k in _OBJECT_KEYS):
        inferred.append("object")
    if any(k in schema for k in _ARRAY_KEYS):
        inferred.append("array")
    if any(k in schema for k in _STRING_KEYS):
        inferred.append("string")
    if any(k in schema for k in _NUMBER_KEYS):
        inferred.append("number")
    return inferred


_IDENTITY = ("id", "object", "created_at", "created")


class Compiler:
    """Builds strategies for one :class:`SchemaSet` and :class:`Profile`.

    >>> strategy = Compiler(schema_set(spec, "response"), TYPICAL).ref(ref)  # doctest: +SKIP
    """

    def __init__(self, schemas: SchemaSet, profile: Profile) -> None:
        self.schemas = schemas
        self.profile = profile
        self._cache: dict[tuple[str, int, bool], st.SearchStrategy[Any]] = {}
        self._stack: list[str] = []

    # -- entry points -------------------------------------------------------------------------

    def ref(self, ref: str, *, minimal: bool = False) -> st.SearchStrategy[Any]:
        """The strategy for an absolute ``$ref`` of the set (cached per recursion level)."""
        cycles = self._stack.count(ref)
        if cycles >= MAX_CYCLE:
            if minimal and cycles > MAX_CYCLE:
                return st.nothing()  # recursion through required properties: no finite value
            minimal = True
        key = (ref, min(cycles, MAX_CYCLE + 1), minimal)
        if key not in self._cache:
            self._stack.append(ref)
            try:
                self._cache[key] = self.compile(self.schemas.resolve(ref), minimal=minimal)
            finally:
                self._stack.pop()
        return self._cache[key]

    def compile(
        self,
        schema: Any,
        *,
        minimal: bool = False,
        name: str | None = None,
        parent: dict[str, Any] | None = None,
    ) -> st.SearchStrategy[Any]:
        """The strategy for a converted schema node."""
        if schema is True or schema == {}:
            return _ANY_JSON
        if schema is False:
            return st.nothing()
        if not isinstance(schema, dict):
            return _ANY_JSON
        if set(schema) == {"$ref"}:
            return self.ref(schema["$ref"], minimal=minimal)
        inlined: list[str] = []
        flat = flatten(self.schemas, schema, inlined=inlined)
        if not isinstance(flat, dict):
            return self.compile(flat, minimal=minimal)
        # refs that allOf inlined recurse like any other ref (``allOf: [$ref: Self]``)
        cycles = max((self._stack.count(r) for r in inlined), default=0)
        if cycles >= MAX_CYCLE:
            if minimal and cycles > MAX_CYCLE:
                return st.nothing()
            minimal = True
        self._stack.extend(inlined)
        try:
            strategy = self._compile_flat(flat, minimal, name, parent)
        finally:
            del self._stack[len(self._stack) - len(inlined) :]
        if ALSO in flat:
            checks = [self.is_valid_for(extra) for extra in flat[ALSO]]
            strategy = strategy.filter(lambda v: all(ok(v) for ok in checks))
        return strategy

    # -- flat schemas -------------------------------------------------------------------------

    def _compile_flat(
        self, schema: dict[str, Any], minimal: bool, name: str | None, parent: dict[str, Any] | None
    ) -> st.SearchStrategy[Any]:
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._union(schema, key, minimal, name, parent)
        if "allOf" in schema:  # composites that merge() kept: distribute the first over the rest
            parts = list(schema["allOf"])
            first, rest = parts[0], parts[1:]
            base = {k: v for k, v in schema.items() if k != "allOf"}
            if rest:
                base["allOf"] = rest
            return self.compile(merge([base, first]), minimal=minimal, name=name, parent=parent)
        if "not" in schema:
            base = {k: v for k, v in schema.items() if k != "not"}
            banned = self.is_valid_for(schema["not"])
            return self.compile(base, minimal=minimal, name=name, parent=parent).filter(
                lambda v: not banned(v)
            )
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            values = list(schema["enum"])
            if minimal and None in values:
                return st.none()
            return st.sampled_from(values) if values else st.nothing()
        kinds = _kind(schema)
        if not kinds:
            return _ANY_JSON
        if minimal and "null" in kinds:
            return st.none()
        if self.profile.boundaries and "null" in kinds:
            kinds = ["null", *[k for k in kinds if k != "null"]]
        strategies = [self._typed(kind, schema, minimal, name, parent) for kind in kinds]
        return st.one_of(strategies) if len(strategies) > 1 else strategies[0]

    def _union(
        self,
        schema: dict[str, Any],
        key: str,
        minimal: bool,
        name: str | None,
        parent: dict[str, Any] | None,
    ) -> st.SearchStrategy[Any]:
        base = {k: v for k, v in schema.items() if k not in (key, DISCRIMINATOR)}
        every = list(schema[key])
        chosen = list(enumerate(every))
        if minimal:
            nulls = [(i, b) for i, b in chosen if isinstance(b, dict) and b.get("type") == "null"]
            chosen = nulls or chosen[:1]
        options = []
        for index, branch in chosen:
            flat = flatten(self.schemas, branch) if base else branch
            merged = merge([base, flat]) if base and isinstance(flat, dict) else branch
            option = self.compile(merged, minimal=minimal, name=name, parent=parent)
            if key == "oneOf" and len(every) > 1:  # exclusive: against every other branch
                others = [self.is_valid_for(b) for i, b in enumerate(every) if i != index]
                option = option.filter(_matches_none(others))
            options.append(option)
        return st.one_of(options) if options else st.nothing()

    def _typed(
        self,
        kind: str,
        schema: dict[str, Any],
        minimal: bool,
        name: str | None,
        parent: dict[str, Any] | None,
    ) -> st.SearchStrategy[Any]:
        if kind == "null":
            return st.none()
        if kind == "boolean":
            return st.booleans()
        if kind in ("integer", "number"):
            return self._number(kind, schema, name)
        if kind == "string":
            return self._string(schema, name, parent)
        if kind == "array":
            return self._array(schema, minimal)
        return self._object(schema, minimal)

    def _number(
        self, kind: str, schema: dict[str, Any], name: str | None
    ) -> st.SearchStrategy[Any]:
        lo, hi = schema.get("minimum"), schema.get("maximum")
        xlo, xhi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        multiple = schema.get("multipleOf")
        if kind == "integer" or (multiple is not None and float(multiple).is_integer()):
            low = (
                None
                if lo is None and xlo is None
                else max(
                    math.ceil(lo) if lo is not None else -(10**400),
                    math.floor(xlo) + 1 if xlo is not None else -(10**400),
                )
            )
            high = (
                None
                if hi is None and xhi is None
                else min(
                    math.floor(hi) if hi is not None else 10**400,
                    math.ceil(xhi) - 1 if xhi is not None else 10**400,
                )
            )
            if multiple:
                step = int(multiple)
                first = math.ceil(low / step) if low is not None else None
                last = math.floor(high / step) if high is not None else None
                return st.integers(first, last).map(lambda n: n * step)
            if self.profile.realistic and (hinted := hint_for(name, "integer", schema)) is not None:
                return hinted
            if self.profile.boundaries:
                edges = [
                    v
                    for v in (low, high, 0, -1, 1, 2**53, -(2**63), 2**64)
                    if v is not None and within(v, low, high)
                ]
                return (
                    st.sampled_from(edges) | st.integers(low, high)
                    if edges
                    else st.integers(low, high)
                )
            if low is None and high is None:
                return st.integers(-(2**31), 2**31)
            return st.integers(low, high)
        floats = st.floats(
            min_value=lo if xlo is None else xlo if lo is None else max(lo, xlo),
            max_value=hi if xhi is None else xhi if hi is None else min(hi, xhi),
            exclude_min=xlo is not None and (lo is None or xlo >= lo),
            exclude_max=xhi is not None and (hi is None or xhi <= hi),
            allow_nan=False,
            allow_infinity=False,
        )
        if multiple:
            return multiples(multiple, lo, hi, xlo, xhi)
        if self.profile.realistic and (hinted := hint_for(name, "number", schema)) is not None:
            return hinted
        if self.profile.boundaries:
            edges = [
                v
                for v in (lo, hi, 0.0, 1e308, -1e308, 5e-324)
                if v is not None
                and within(v, lo, hi)
                and (xlo is None or v > xlo)
                and (xhi is None or v < xhi)
            ]
            return st.sampled_from(edges) | floats if edges else floats
        return floats

    def _string(
        self, schema: dict[str, Any], name: str | None, parent: dict[str, Any] | None
    ) -> st.SearchStrategy[str]:
        low = int(schema.get("minLength", 0))
        high = schema.get("maxLength")
        high = int(high) if high is not None else None

        def fits(text: str) -> bool:
            return low <= len(text) and (high is None or len(text) <= high)

        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            try:
                # re.ASCII: \\d and \\w mean ASCII digits and word characters, as in ECMA-262
                regex = re.compile(pattern, re.ASCII)
                return st.from_regex(regex, fullmatch=True).filter(fits)
            except (re.error, InvalidArgument):
                return st.text(
                    _ASCII, min_size=low, max_size=high if high is not None else low + 16
                ).filter(lambda s: re.search(pattern, s) is not None)
        fmt = schema.get("format")
        formatted = string_format(fmt) if isinstance(fmt, str) else None
        if formatted is not None:
            return formatted.filter(fits)
        if (
            self.profile.realistic
            and (hinted := hint_for(name, "string", schema, parent)) is not None
        ):
            return hinted.filter(fits)
        alphabet = _UNICODE if self.profile.unicode else _ASCII
        cap = high if high is not None else max(low, 0) + self.profile.max_string
        plain = text(alphabet, low, cap)
        if self.profile.boundaries:
            longest = high if high is not None else max(low, self.profile.long_string)
            edges = [
                st.just("x" * low) if low else st.just(""),
                long_text(alphabet, longest) if longest <= 100_000 else st.nothing(),
                st.just("\U0001f600" * max(low, 1)).filter(fits),
            ]
            return st.one_of(*edges, plain)
        return plain

    def _array(self, schema: dict[str, Any], minimal: bool) -> st.SearchStrategy[list[Any]]:
        low = int(schema.get("minItems", 0))
        high = schema.get("maxItems")
        cap = low + (0 if minimal else self.profile.max_extra_items)
        top = min(int(high), cap) if high is not None else cap
        prefix = schema.get("prefixItems") or []
        items = schema.get("items", True)
        element = self.compile(items, minimal=minimal) if items is not False else st.nothing()
        unique = bool(schema.get("uniqueItems"))
        if prefix:
            head = st.tuples(*[self.compile(p, minimal=minimal) for p in prefix]).map(list)
            tail = (
                st.lists(element, max_size=max(0, top - len(prefix)))
                if items is not False
                else st.just([])
            )
            return st.builds(lambda h, t: h + t, head, tail)
        if unique:
            made = st.lists(element, min_size=low, max_size=max(top, low), unique_by=json_key)
        else:
            made = st.lists(element, min_size=low, max_size=max(top, low))
        if self.profile.boundaries and high is not None and int(high) <= 64 and not minimal:
            full = st.lists(
                element,
                min_size=int(high),
                max_size=int(high),
                unique_by=json_key if unique else None,
            )
            return st.one_of(made, full)
        return made

    def _object(self, schema: dict[str, Any], minimal: bool) -> st.SearchStrategy[dict[str, Any]]:
        props: dict[str, Any] = schema.get("properties") or {}
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        if self.profile.realistic and self.schemas.direction == "response" and "object" in props:
            # an API object the spec leaves loosely specified (AdminApiKey, Invite, Upload…)
            # still comes with its identity, as the API sends it
            required += [n for n in _IDENTITY if n in props and n not in required]
        extra = schema.get("additionalProperties")
        req = {
            n: self.compile(props.get(n, True), minimal=minimal, name=n, parent=schema)
            for n in required
        }
        optional = (
            {}
            if minimal
            else {
                n: self.compile(s, minimal=minimal, name=n, parent=schema)
                for n, s in props.items()
                if n not in req
            }
        )
        if not props and isinstance(extra, dict) and not minimal:
            keys = st.text(string.ascii_lowercase + "_", min_size=1, max_size=12)
            low = int(schema.get("minProperties", 0))
            values = self.compile(extra)
            made: st.SearchStrategy[dict[str, Any]] = st.builds(
                lambda fixed, more: {**more, **fixed},
                st.fixed_dictionaries(req),
                st.dictionaries(keys, values, min_size=low, max_size=low + 3),
            )
        elif self.profile.boundaries and optional:
            made = st.one_of(
                st.fixed_dictionaries(req),
                st.fixed_dictionaries({**req, **optional}),
                st.fixed_dictionaries(req, optional=optional),
            )
        else:
            made = st.fixed_dictionaries(req, optional=optional)
        fewest, most = schema.get("minProperties"), schema.get("maxProperties")
        if fewest is not None or most is not None:
            made = made.filter(
                lambda d: (fewest is None or len(d) >= fewest) and (most is None or len(d) <= most)
            )
        return made

    def is_valid_for(self, schema: Any) -> Any:
        """An ``is_valid`` for an arbitrary converted schema node (refs resolved in the set)."""
        return engine_for(self.schemas).compile_schema(schema).is_valid


def _matches_none(validators: list[Any]) -> Any:
    def check(value: Any) -> bool:
        return not any(ok(value) for ok in validators)

    return check
