"""``Shape``: a converted schema in one normal form, the form the spec diff compares.

:class:`ShapeReader` reads the converted JSON Schemas of one :class:`~conformance.schema.SchemaSet`
(so ``nullable``, 3.0/3.1 differences, ``readOnly``/``writeOnly`` in ``required`` and errata are
already settled) into shapes: ``$ref`` resolved (each ref's shape built once), ``allOf`` merged,
``null`` taken out of ``type``, ``enum`` and ``anyOf``/``oneOf`` branches into a ``nullable``
flag, nested unions flattened into one. What conversion drops and a diff wants
(``deprecated``, ``title``, ``readOnly``/``writeOnly``) is read from the spec's own node, walked
alongside. Union branches are named for pointers and texts by :func:`branch_label`.

>>> reader = ShapeReader(schema_set(spec, "response"))  # doctest: +SKIP
>>> reader.shape(reader.root(location)).properties.keys()  # doctest: +SKIP
dict_keys(['id', 'object', 'created', 'model', 'choices', 'usage'])
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ConformanceError
from ..schema import SchemaSet
from ..spec.refs import split_location, unescape
from ..validate.shape import json_type
from .specchecks import BOUNDS

__all__ = [
    "Shape",
    "ShapeReader",
    "Sub",
    "branch_label",
    "branches",
    "canonical",
    "covered",
    "is_null",
    "merge",
    "pure_ref",
    "show",
    "structure",
    "tag_values",
]

_FLATTEN_DEPTH = 24  # refs and compositions followed to build one Shape
Sub = tuple[Any, Any]
"""A schema node as found: (the converted node, the spec's own node or None)."""


@dataclass
class Shape:
    """A schema in normal form (see the module docstring)."""

    types: frozenset[str] | None = None
    nullable: bool = False
    enum: dict[str, Any] | None = None  # canonical JSON -> value
    properties: dict[str, Sub] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    items: Sub | None = None
    additional: Sub | None = None
    union: list[Sub] = field(default_factory=list)
    keyword: str = ""  # "oneOf" or "anyOf" when ``union``
    bounds: dict[str, Any] = field(default_factory=dict)
    pattern: str | None = None
    deprecated: bool = False
    read_only: bool = False
    write_only: bool = False
    title: str | None = None
    name: str | None = None  # component name when reached through a $ref

    def kinds(self) -> frozenset[str] | None:
        """JSON types, declared or implied (properties: object, items: array, enum values)."""
        if self.types is not None:
            return self.types
        if self.properties or self.required:
            return frozenset({"object"})
        if self.items is not None:
            return frozenset({"array"})
        if self.enum:
            return frozenset(json_type(v) for v in self.enum.values())
        return None

    def signature(self) -> str:
        """The JSON types as one label (``integer|string``), ``any`` when unconstrained."""
        if self.union:
            return f"{self.keyword}[{len(self.union)}]"
        kinds = self.kinds()
        return "|".join(sorted(kinds)) if kinds else "any"


def canonical(value: Any) -> str:
    """A value as canonical JSON (keys sorted): how enum values are compared and named.

    >>> canonical({"b": 1, "a": "é"})
    '{"a": "é", "b": 1}'
    """
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def is_null(node: Any) -> bool:
    """Whether a converted schema accepts only ``null`` (a union's null branch).

    >>> is_null({"type": "null"}), is_null({"type": ["string", "null"]})
    (True, False)
    """
    if not isinstance(node, dict):
        return False
    kind = node.get("type")
    return kind == "null" or kind == ["null"] or node.get("enum") == [None]


def pure_ref(node: Any) -> str | None:
    """The ``$ref`` of a node that is nothing but a ``$ref``, else None.

    >>> pure_ref({"$ref": "#/a"}), pure_ref({"$ref": "#/a", "type": "object"})
    ('#/a', None)
    """
    if isinstance(node, dict) and len(node) == 1 and isinstance(node.get("$ref"), str):
        return str(node["$ref"])
    return None


def covered(kind: str, kinds: frozenset[str]) -> bool:
    """Whether values of a JSON type are allowed by a set of types (integers are numbers).

    >>> covered("integer", frozenset({"number"})), covered("number", frozenset({"integer"}))
    (True, False)
    """
    return kind in kinds or (kind == "integer" and "number" in kinds)


def merge(a: Shape, b: Shape) -> Shape:
    """Both at once (``allOf``): properties and required united, types and enums intersected,
    the tighter bound of each."""
    if a.types is not None and b.types is not None:
        types: frozenset[str] | None = frozenset(
            t for t in a.types | b.types if covered(t, a.types) and covered(t, b.types)
        )
        nullable = a.nullable and b.nullable
    else:
        types = a.types if a.types is not None else b.types
        nullable = a.nullable if a.types is not None else b.nullable if b.types else a.nullable
    if a.enum is not None and b.enum is not None:
        enum: dict[str, Any] | None = {k: v for k, v in a.enum.items() if k in b.enum}
    else:
        enum = a.enum if a.enum is not None else b.enum
    bounds = dict(b.bounds)
    for key, value in a.bounds.items():
        upper = BOUNDS[key][1]
        other = bounds.get(key)
        bounds[key] = value if other is None else min(value, other) if upper else max(value, other)
    return Shape(
        types=types,
        nullable=nullable,
        enum=enum,
        properties={**b.properties, **a.properties},
        required=a.required | b.required,
        items=a.items or b.items,
        additional=a.additional or b.additional,
        union=a.union or b.union,
        keyword=a.keyword or b.keyword,
        bounds=bounds,
        pattern=a.pattern or b.pattern,
        deprecated=a.deprecated or b.deprecated,
        read_only=a.read_only or b.read_only,
        write_only=a.write_only or b.write_only,
        title=a.title or b.title,
        name=a.name or b.name,
    )


class ShapeReader:
    """Reads one schema set's schemas as shapes; each ref's shape is built once.

    >>> ShapeReader(schema_set(spec, "request")).shape(({"type": ["string", "null"]}, None)).nullable  # doctest: +SKIP
    True
    """

    def __init__(self, schemas: SchemaSet) -> None:
        self.schemas = schemas
        self.docs = schemas.spec.documents
        self._shapes: dict[str, Shape] = {}

    def root(self, location: str) -> Sub:
        """The schema at a spec location, as a node of the converted set (a ``$ref``)."""
        return {"$ref": self.schemas.ref(location)}, None

    def shape(self, sub: Sub, depth: int = 0) -> Shape:
        """The shape of a node (a pure ``$ref``\'s built once and kept)."""
        conv, raw = sub
        ref = pure_ref(conv)
        if ref is None:
            return self._flatten(conv, raw, depth)
        cached = self._shapes.get(ref)
        if cached is None:
            self._shapes[ref] = Shape()  # a ref that reaches itself while flattening: any
            target, traw, name = self._target(ref)
            cached = self._flatten(target, traw, depth + 1)
            cached = replace(cached, name=name or cached.name)
            self._shapes[ref] = cached
        return cached

    def follow(self, sub: Sub) -> Sub:
        """The last ``$ref`` of a chain of refs (a body schema that is a ref to a component):
        pairs of refs are remembered and guarded against recursion by their final names."""
        for _ in range(_FLATTEN_DEPTH):
            ref = pure_ref(sub[0])
            target = self._target(ref)[0] if ref is not None else None
            if pure_ref(target) is None:
                break
            sub = (target, None)
        return sub

    def _target(self, ref: str) -> tuple[Any, Any, str | None]:
        pointer = split_location(ref)[1]
        key = unescape(pointer[len("/$defs/") :]) if pointer.startswith("/$defs/") else ""
        location = self.schemas.converter.locations.get(key)
        raw = None
        if location is not None:
            try:
                raw = self.docs.get(location)
            except ConformanceError:  # reported by load_spec; the converted side still compares
                raw = None
        prefix = "/components/schemas/"
        name = unescape(key[len(prefix) :]) if key.startswith(prefix) else None
        return self.schemas.defs.get(key, {}), raw, name

    def _flatten(self, conv: Any, raw: Any, depth: int) -> Shape:
        if not isinstance(conv, dict) or depth > _FLATTEN_DEPTH:
            return Shape()
        raw = raw if isinstance(raw, dict) else {}
        ref = conv.get("$ref")
        if isinstance(ref, str):  # a 3.1 $ref with siblings: both apply
            rest = {k: v for k, v in conv.items() if k != "$ref"}
            own = self._flatten(rest, raw, depth + 1)
            return merge(own, self.shape(({"$ref": ref}, None), depth + 1))
        shape = self._own(conv, raw)
        for keyword in ("oneOf", "anyOf"):
            branches = conv.get(keyword)
            if isinstance(branches, list):
                shape = self._union(shape, keyword, branches, raw, depth)
        for i, part in enumerate(conv.get("allOf") or []):
            raw_parts = raw.get("allOf")
            raw_part = raw_parts[i] if isinstance(raw_parts, list) and i < len(raw_parts) else None
            shape = merge(shape, self.shape((part, raw_part), depth + 1))
        return shape

    def _own(self, conv: dict[str, Any], raw: dict[str, Any]) -> Shape:
        shape = Shape()
        kind = conv.get("type")
        if isinstance(kind, (str, list)):
            kinds = {kind} if isinstance(kind, str) else {str(k) for k in kind}
            if "null" in kinds and len(kinds) > 1:
                shape.nullable = True
                kinds.discard("null")
            shape.types = frozenset(kinds)
        values = conv.get("enum") if isinstance(conv.get("enum"), list) else None
        if "const" in conv:
            values = [conv["const"]]
        if values is not None:
            if None in values and len(values) > 1:
                shape.nullable = True
            shape.enum = {canonical(v): v for v in values if v is not None or len(values) == 1}
        props = conv.get("properties")
        if isinstance(props, dict):
            raw_props = raw.get("properties")
            raw_props = raw_props if isinstance(raw_props, dict) else {}
            shape.properties = {str(n): (s, raw_props.get(n)) for n, s in props.items()}
        if isinstance(conv.get("required"), list):
            shape.required = frozenset(str(n) for n in conv["required"])
        if isinstance(conv.get("items"), (dict, bool)):
            shape.items = (conv["items"], raw.get("items"))
        if isinstance(conv.get("additionalProperties"), dict):
            shape.additional = (conv["additionalProperties"], raw.get("additionalProperties"))
        for key in BOUNDS:
            value = conv.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                shape.bounds[key] = value
        if isinstance(conv.get("pattern"), str):
            shape.pattern = conv["pattern"]
        shape.deprecated = raw.get("deprecated") is True
        shape.read_only = raw.get("readOnly") is True
        shape.write_only = raw.get("writeOnly") is True
        shape.title = raw["title"] if isinstance(raw.get("title"), str) else None
        return shape

    def _union(
        self, shape: Shape, keyword: str, branches: list[Any], raw: dict[str, Any], depth: int
    ) -> Shape:
        raw_branches = raw.get(keyword)
        aligned = isinstance(raw_branches, list) and len(raw_branches) == len(branches)
        subs: list[Sub] = []
        for i, branch in enumerate(branches):
            if is_null(branch):
                shape.nullable = True
                continue
            sub = (branch, raw_branches[i] if aligned else raw)  # type: ignore[index]
            inner = self.shape(sub, depth + 1)
            if inner.union and inner.kinds() is None and not inner.properties:
                subs += inner.union  # a union of unions is one union
                shape.nullable = shape.nullable or inner.nullable
            else:
                subs.append(sub)
        if len(subs) == 1 and not shape.union:  # X or null
            merged = merge(shape, self.shape(subs[0], depth + 1))
            merged.nullable = shape.nullable or merged.nullable
            return merged
        if subs and not shape.union:
            shape.union, shape.keyword = subs, keyword
        return shape


def show(values: list[Any], limit: int = 5) -> str:
    """A few values as canonical JSON, for texts.

    >>> show(["a", "b", "c"], 2)
    '"a", "b", … (3 in all)'
    """
    shown = ", ".join(canonical(v) for v in values[:limit])
    return shown + (f", … ({len(values)} in all)" if len(values) > limit else "")


def branches(side: ShapeReader, shape: Shape) -> list[tuple[Sub | None, Shape]]:
    """A union's branches (with what the union's own schema adds to each: ``properties`` beside
    ``anyOf: [{required: [a]}, {required: [b]}]``); a schema that is no union is one branch."""
    if not shape.union:
        return [(None, replace(shape, nullable=False))]
    base = replace(shape, union=[], keyword="", nullable=False)
    if not (base.properties or base.required):
        return [(sub, side.shape(sub)) for sub in shape.union]
    return [(None, merge(base, side.shape(sub))) for sub in shape.union]


def tag_values(side: ShapeReader, shape: Shape, *, single: bool = True) -> dict[str, list[str]]:
    """Properties of an object branch that hold one value (``single``) or a few: name -> values."""
    out: dict[str, list[str]] = {}
    for name, sub in shape.properties.items():
        prop = side.shape(sub)
        if prop.enum and len(prop.enum) <= (1 if single else 8):
            out[name] = [v if isinstance(v, str) else canonical(v) for v in prop.enum.values()]
    return out


def structure(side: ShapeReader, shape: Shape, depth: int, *, values: bool = True) -> str:
    """A short label of a schema's structure: ``array<integer>``, ``object{id,type}``,
    ``string=["a","b"]`` (``string enum`` without ``values``; three levels at most)."""
    if shape.union:
        if depth >= 2:
            return shape.signature()
        inner = sorted(
            structure(side, side.shape(s), depth + 1, values=values) for s in shape.union
        )
        return f"{shape.keyword}[{'|'.join(inner)}]"
    label = shape.signature()
    if shape.items is not None and depth < 3:
        label = f"array<{structure(side, side.shape(shape.items), depth + 1, values=values)}>"
    elif shape.properties or shape.required:
        names = sorted(shape.required or shape.properties)
        label = f"object{{{','.join(names[:6])}{',…' if len(names) > 6 else ''}}}"
    if shape.enum and values:
        label += "=" + show(sorted(shape.enum.values(), key=canonical), 3)
    elif shape.enum:
        label += " enum"
    return label


def branch_label(side: ShapeReader, shape: Shape, tag: str | None, index: int) -> str:
    """How a branch is named in pointers and texts: its tag value (``type=message``), component
    name, title, one of its tag values, its structure, else its position (``#2``)."""
    values = sorted(tag_values(side, shape, single=False).get(tag, [])) if tag else []
    if len(values) == 1:
        return f"{tag}={values[0]}"
    if shape.name or shape.title:
        return str(shape.name or shape.title)
    if values:
        return f"{tag}={values[0]}"
    short = structure(side, shape, 0, values=False)
    return short if short != "any" else f"#{index}"
