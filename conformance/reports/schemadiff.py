"""Compare two schemas of one direction, structurally: what changed between an old and a new
spec's request (or response) schema for the same place.

Both sides are the converted JSON Schemas of :mod:`conformance.schema`, read as
:class:`~conformance.reports.schemashape.Shape` s (refs resolved, ``allOf`` merged, ``null``
as a flag, nested unions flattened). The walk compares types, nullability, enums, bounds, patterns,
properties (required or not), ``items``, ``additionalProperties`` and union branches — matched by
a tag property's value (``type``, ``event``, ``role``, ``object``), else by component name,
title or JSON type, else by position. It is bounded (:data:`MAX_DEPTH` pointer levels), cuts
recursion (a pair of refs already being compared) and remembers each pair of refs it compared.

A :class:`SchemaChange` carries a kind (``enum-value-added``, ``property-became-optional``…), a
normalized pointer (``/choices/items/message/content``; a union branch is
``oneOf[role=user]``) and a one-line detail; :mod:`conformance.reports.specchecks` names its check.
A change found inside a pair of referenced schemas also carries that pair and its pointer there
(``origin``, ``at``): the same change reached by several paths (one component embedded in many
stream events) is one change, which the caller reports once with its places.

Bounds compare as IEEE doubles (``9223372036854775807`` and ``9223372036854776000`` are one
bound), and an integer's bound at the very edge of int64 is no bound: ``format: int64`` (which
:mod:`conformance.schema` reads as those bounds), its bounds written out, ``format: unixtime``
and no format at all allow the same integers to every client that reads JSON numbers as int64
or doubles.

>>> differ = SchemaDiffer(schema_set(old, "response"), schema_set(new, "response"))  # doctest: +SKIP
>>> differ.compare(old_location, new_location)  # doctest: +SKIP
[SchemaChange(kind='enum-value-added', pointer='/service_tier', detail='enum value "flex" added', name='"flex"')]
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..schema import SchemaSet
from ..spec.refs import escape
from .schemashape import (
    Shape,
    ShapeReader,
    Sub,
    branch_label,
    branches,
    covered,
    pure_ref,
    show,
    structure,
    tag_values,
)
from .specchecks import BOUNDS

__all__ = ["MAX_DEPTH", "SchemaChange", "SchemaDiffer"]

MAX_DEPTH = 48
"""How many pointer levels below a schema's root the walk descends."""

_TAGS = ("type", "event", "role", "object")  # preferred tag properties, in this order
# how union branches are matched, most telling first: a tag property's value, the component's
# name, its title, its structure (types, items, required names, enum), its JSON types
_SCHEMES = ("tag", "name", "title", "structure", "kind", "type")


@dataclass(frozen=True)
class SchemaChange:
    """One difference: its kind, where (a pointer relative to the compared root), what."""

    kind: str
    pointer: str
    detail: str
    name: str = ""  # the enum value (JSON), union branch or property the change is about
    origin: tuple[str, str] | None = None  # the innermost pair of refs the change is inside
    at: str = ""  # its pointer within ``origin``


def _under(token: str, changes: list[SchemaChange]) -> list[SchemaChange]:
    prefix = "/" + escape(token)
    return [replace(c, pointer=prefix + c.pointer) for c in changes]


class SchemaDiffer:
    """Compares schemas of one direction between an old and a new spec's schema sets.

    >>> differ = SchemaDiffer(schema_set(old, "request"), schema_set(new, "request"))  # doctest: +SKIP
    >>> [c.kind for c in differ.compare(old_location, new_location)]  # doctest: +SKIP
    ['property-became-required']
    """

    def __init__(self, old: SchemaSet, new: SchemaSet) -> None:
        self.direction = new.direction
        self.old, self.new = ShapeReader(old), ShapeReader(new)
        self._memo: dict[tuple[str, str], list[SchemaChange]] = {}
        self._active: set[tuple[str, str]] = set()

    def compare(self, old_location: str, new_location: str) -> list[SchemaChange]:
        """Changes from the schema at ``old_location`` (old spec) to ``new_location`` (new)."""
        return self._compare(self.old.root(old_location), self.new.root(new_location), 0)

    def _compare(self, old: Sub, new: Sub, depth: int) -> list[SchemaChange]:
        if depth > MAX_DEPTH:
            return []
        old, new = self.old.follow(old), self.new.follow(new)
        old_ref, new_ref = pure_ref(old[0]), pure_ref(new[0])
        if old_ref is None or new_ref is None:
            return self._shapes(self.old.shape(old), self.new.shape(new), depth)
        key = (old_ref, new_ref)
        done = self._memo.get(key)
        if done is not None:
            return done
        if key in self._active:  # recursion: this pair is being compared further up
            return []
        self._active.add(key)
        try:
            out = self._shapes(self.old.shape(old), self.new.shape(new), depth)
        finally:
            self._active.discard(key)
        out = [c if c.origin else replace(c, origin=key, at=c.pointer) for c in out]
        self._memo[key] = out
        return out

    def _shapes(self, a: Shape, b: Shape, depth: int) -> list[SchemaChange]:
        out: list[SchemaChange] = []
        if a.union or b.union:
            out += self._unions(a, b, depth)
            out += self._nullable(a, b)
            return out
        kind = _type_change(a, b)
        if kind is not None:
            out.append(SchemaChange(kind, "", f"type {a.signature()} → {b.signature()}"))
            ka, kb = a.kinds(), b.kinds()
            if ka and kb and not any(covered(t, kb) or covered(u, ka) for t in ka for u in kb):
                return out  # nothing in common: what is below does not compare
        out += self._nullable(a, b)
        out += _enum(a, b)
        out += _bounds(a, b)
        if a.pattern != b.pattern:
            change = "added" if a.pattern is None else "removed" if b.pattern is None else "changed"
            out.append(
                SchemaChange(f"pattern-{change}", "", f"pattern {a.pattern!r} → {b.pattern!r}")
            )
        out += self._properties(a, b, depth)
        if a.items is not None and b.items is not None:
            out += _under("items", self._compare(a.items, b.items, depth + 1))
        if a.additional is not None and b.additional is not None:
            deeper = self._compare(a.additional, b.additional, depth + 1)
            out += _under("additionalProperties", deeper)
        return out

    def _nullable(self, a: Shape, b: Shape) -> list[SchemaChange]:
        typed = (a.kinds() is not None or a.union) and (b.kinds() is not None or b.union)
        if not typed or a.nullable == b.nullable:
            return []
        if b.nullable:
            return [SchemaChange("became-nullable", "", "now nullable")]
        return [SchemaChange("became-not-nullable", "", "no longer nullable")]

    def _properties(self, a: Shape, b: Shape, depth: int) -> list[SchemaChange]:
        out: list[SchemaChange] = []
        hidden = "read_only" if self.direction == "request" else "write_only"
        for name, old_sub in a.properties.items():
            token = "/" + escape(name)
            was = "required" if name in a.required else "optional"
            new_sub = b.properties.get(name)
            if new_sub is None:
                if not getattr(self.old.shape(old_sub), hidden):
                    out.append(
                        SchemaChange(
                            f"property-removed-{was}", token, f"{was} {name} removed", name
                        )
                    )
                continue
            sa, sb = self.old.shape(old_sub), self.new.shape(new_sub)
            if getattr(sa, hidden) and getattr(sb, hidden):
                continue
            now = "required" if name in b.required else "optional"
            if was != now:
                out.append(SchemaChange(f"property-became-{now}", token, f"{name} now {now}", name))
            if sb.deprecated and not sa.deprecated:
                out.append(SchemaChange("deprecated", token, f"{name} deprecated", name))
            out += _under(name, self._compare(old_sub, new_sub, depth + 1))
        for name, new_sub in b.properties.items():
            if name not in a.properties and not getattr(self.new.shape(new_sub), hidden):
                now = "required" if name in b.required else "optional"
                token = "/" + escape(name)
                out.append(
                    SchemaChange(f"property-added-{now}", token, f"{now} {name} added", name)
                )
        return out

    # -- unions ---------------------------------------------------------------------------------

    def _unions(self, a: Shape, b: Shape, depth: int) -> list[SchemaChange]:
        """Match branches; compare matched pairs; the rest were added or removed. A side that is
        no union is one branch (compared at the same pointer when it matches one)."""
        old, new = branches(self.old, a), branches(self.new, b)
        tag = self._tag(old, new)
        pairs, left_old, left_new = self._match(old, new, tag)
        out: list[SchemaChange] = []
        # an open enum (anyOf: [string, {string, enum}]): its values document, they do not bind
        extensible = _open(old) and _open(new)
        for i, j, name in pairs:
            (sub_a, sa), (sub_b, sb) = old[i], new[j]
            deeper = (
                self._compare(sub_a, sub_b, depth + 1)
                if sub_a is not None and sub_b is not None
                else self._shapes(sa, sb, depth + 1)
            )
            if extensible:
                deeper = [_extensible(c) for c in deeper]
            out += (
                _under(f"{b.keyword or a.keyword}[{name}]", deeper)
                if a.union and b.union
                else deeper
            )
        if not pairs and (not a.union or not b.union):  # a plain schema and a union, unrelated
            out.append(
                SchemaChange(
                    _type_change(a, b) or "type-changed",
                    "",
                    f"type {a.signature()} → {b.signature()}",
                )
            )
            return out
        for i in left_old:
            label = branch_label(self.old, old[i][1], tag, i)
            kind = (
                "one-of"
                if a.keyword == "oneOf" or (not a.union and b.keyword == "oneOf")
                else "any-of"
            )
            out.append(
                SchemaChange(
                    f"{kind}-removed", "", f"{a.keyword or b.keyword} branch {label} removed", label
                )
            )
        for j in left_new:
            label = branch_label(self.new, new[j][1], tag, j)
            kind = "one-of" if (b.keyword or a.keyword) == "oneOf" else "any-of"
            out.append(
                SchemaChange(
                    f"{kind}-added", "", f"{b.keyword or a.keyword} branch {label} added", label
                )
            )
        return out

    def _tag(
        self, old: list[tuple[Sub | None, Shape]], new: list[tuple[Sub | None, Shape]]
    ) -> str | None:
        """The property whose single value names most branches (``type``, ``role``…)."""
        counts: dict[str, int] = {}
        for side, found in ((self.old, old), (self.new, new)):
            for _, shape in found:
                for name in tag_values(side, shape):
                    counts[name] = counts.get(name, 0) + 1
        if not counts:
            return None
        rank = {name: i for i, name in enumerate(_TAGS)}
        return max(counts, key=lambda n: (counts[n], -rank.get(n, len(_TAGS)), n))

    @staticmethod
    def _named(side: ShapeReader, shape: Shape, tag: str | None) -> bool:
        """Whether a branch has an identity of its own (a tag value, a name, a title)."""
        return bool(shape.name or shape.title or _keys(side, shape, "tag", tag))

    def _match(
        self,
        old: list[tuple[Sub | None, Shape]],
        new: list[tuple[Sub | None, Shape]],
        tag: str | None,
    ) -> tuple[list[tuple[int, int, str]], list[int], list[int]]:
        free_old, free_new = list(range(len(old))), list(range(len(new)))
        pairs: list[tuple[int, int, str]] = []
        tags_old = {i: _keys(self.old, old[i][1], "tag", tag) for i in free_old}
        tags_new = {j: _keys(self.new, new[j][1], "tag", tag) for j in free_new}

        def apart(i: int, j: int) -> bool:  # tagged with different values: different branches
            return bool(tags_old[i] and tags_new[j] and not tags_old[i] & tags_new[j])

        for scheme in _SCHEMES:
            keys_old = {i: _keys(self.old, old[i][1], scheme, tag) for i in free_old}
            keys_new = {j: _keys(self.new, new[j][1], scheme, tag) for j in free_new}
            for i in list(free_old):
                if not keys_old[i]:
                    continue
                hits = [j for j in free_new if keys_old[i] & keys_new[j] and not apart(i, j)]
                if len(hits) != 1:
                    continue
                j = hits[0]
                rivals = [k for k in free_old if keys_old[k] & keys_new[j] and not apart(k, j)]
                if rivals != [i]:
                    continue
                pairs.append((i, j, branch_label(self.new, new[j][1], tag, j)))
                free_old.remove(i)
                free_new.remove(j)
        if len(old) > 1 and len(new) > 1:  # anonymous leftovers, in order, of the same types
            for i in [i for i in free_old if not self._named(self.old, old[i][1], tag)]:
                same = [
                    j
                    for j in free_new
                    if new[j][1].signature() == old[i][1].signature()
                    and not self._named(self.new, new[j][1], tag)
                ]
                if same:
                    label = branch_label(self.new, new[same[0]][1], tag, same[0])
                    pairs.append((i, same[0], label))
                    free_old.remove(i)
                    free_new.remove(same[0])
        return pairs, free_old, free_new


def _keys(side: ShapeReader, shape: Shape, scheme: str, tag: str | None) -> set[str]:
    if scheme == "tag":
        values = tag_values(side, shape, single=False).get(tag, []) if tag else []
        return {f"{tag}={value}" for value in values}
    if scheme == "name":
        return {shape.name} if shape.name else set()
    if scheme == "title":
        return {shape.title} if shape.title else set()
    if scheme == "structure":
        return {structure(side, shape, 0)}
    if scheme == "kind":
        return {shape.signature() + (" enum" if shape.enum else "")}
    return {shape.signature()}


def _open(found: list[tuple[Sub | None, Shape]]) -> bool:
    """Whether a union has a branch that is any string (no enum, pattern or bounds)."""
    return any(
        s.kinds() == frozenset({"string"}) and not (s.enum or s.pattern or s.bounds or s.union)
        for _, s in found
    )


def _extensible(change: SchemaChange) -> SchemaChange:
    """An enum value change of an open enum's branch is an ``x-extensible-enum`` one."""
    if change.pointer == "" and change.kind in ("enum-value-added", "enum-value-removed"):
        return replace(change, kind="x-extensible-" + change.kind)
    return change


def _type_change(a: Shape, b: Shape) -> str | None:
    ka, kb = a.kinds(), b.kinds()
    if a.union or b.union:
        ka = ka if not a.union else None
        kb = kb if not b.union else None
    if ka == kb:
        return None
    if ka is None:
        return "type-specialized"
    if kb is None:
        return "type-generalized"
    wider = all(covered(t, kb) for t in ka)
    narrower = all(covered(t, ka) for t in kb)
    if wider and narrower:
        return None
    return "type-generalized" if wider else "type-specialized" if narrower else "type-changed"


def _enum(a: Shape, b: Shape) -> list[SchemaChange]:
    if a.enum is None and b.enum is None:
        return []
    if a.enum is None:
        shown = show(list((b.enum or {}).values()))
        return [SchemaChange("became-enum", "", f"restricted to [{shown}]")]
    if b.enum is None:
        return [
            SchemaChange(
                "became-not-enum", "", f"no longer restricted to [{show(list(a.enum.values()))}]"
            )
        ]
    out = [
        SchemaChange("enum-value-added", "", f"enum value {k} added", k)
        for k in b.enum
        if k not in a.enum
    ]
    out += [
        SchemaChange("enum-value-removed", "", f"enum value {k} removed", k)
        for k in a.enum
        if k not in b.enum
    ]
    return out


_INT64 = {"minimum": -(2**63), "maximum": 2**63 - 1}


def _same(x: float, y: float) -> bool:
    """Whether two bounds are one number as IEEE doubles (JSON's numbers, RFC 8259 §6)."""
    try:
        return x == y or float(x) == float(y)
    except OverflowError:  # past any double: only equal to itself
        return False


def _bound(shape: Shape, key: str) -> float | None:
    """A shape's bound, None when unset or when it is an integer's int64 edge (no bound).

    >>> _bound(Shape(types=frozenset({"integer"}), bounds={"maximum": 2**63 - 1}), "maximum")
    >>> _bound(Shape(types=frozenset({"integer"}), bounds={"maximum": 10}), "maximum")
    10
    """
    value = shape.bounds.get(key)
    edge = _INT64.get(key)
    if value is None or edge is None or shape.kinds() != frozenset({"integer"}):
        return value
    return None if _same(value, edge) else value


def _bounds(a: Shape, b: Shape) -> list[SchemaChange]:
    out: list[SchemaChange] = []
    for key, (slug, _) in BOUNDS.items():
        old, new = _bound(a, key), _bound(b, key)
        if old is None and new is None:
            continue
        if old is not None and new is not None and _same(old, new):
            continue
        change = (
            "set"
            if old is None
            else "unset"
            if new is None
            else "increased"
            if new > old
            else "decreased"
        )
        shown = " → ".join("unset" if v is None else str(v) for v in (old, new))
        out.append(SchemaChange(f"{slug}-{change}", "", f"{key} {shown}", key))
    return out
