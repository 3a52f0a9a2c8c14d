"""Undeclared properties: names in an object that no schema applying to that object declares.

For each object of the instance, the *applicable* schemas are found as JSON Schema's annotation
rules have them: the schema at the object's position, its ``$ref`` target, its ``allOf`` parts,
``then``/``else`` by the ``if`` result, ``dependentSchemas`` of present names, and the
``oneOf``/``anyOf`` branches the object validates against (leniently: an undeclared property
deeper down does not make its branch fail). A name is declared when one of them lists it in
``properties`` or matches a ``patternProperties`` pattern; an applicable schema with
``additionalProperties``/``unevaluatedProperties``, or one that says nothing about objects (a
free-form ``{type: object}``), declares every name. Each property's value is then checked with
the schemas that declare it, each item with ``prefixItems``/``items``.

Where an object fits no branch of a ``oneOf`` (or several) or ``anyOf``, which schema was meant
is unknown: that object and what it holds are not reported on (its errors are); everything
else is, whatever fails elsewhere.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ..schema import SchemaSet
from ..schema.convert import FRAGMENT_SAFE
from ..spec.refs import escape

__all__ = ["undeclared"]

Fits = Callable[[str, Any], bool]  # (absolute $ref, instance) → does the instance validate?

_OBJECT_KEYS = ("properties", "patternProperties", "additionalProperties", "unevaluatedProperties")
_COMPOSED = ("$ref", "allOf", "anyOf", "oneOf", "if", "not", "dependentSchemas")
_MAX_DEPTH = 256
# ref → converted node, per schema set: a set's document only grows, a ref's node never changes
_NODES: weakref.WeakKeyDictionary[SchemaSet, dict[str, Any]] = weakref.WeakKeyDictionary()


def _resolver(schemas: SchemaSet) -> Callable[[str], Any]:
    nodes = _NODES.setdefault(schemas, {})

    def resolve(ref: str) -> Any:
        node = nodes.get(ref, nodes)
        if node is nodes:
            node = nodes[ref] = schemas.resolve(ref)
        return node

    return resolve


def undeclared(
    schemas: SchemaSet, fits: Fits, ref: str, instance: Any, prefix: str = ""
) -> list[tuple[str, str, str]]:
    """(object pointer, property, schema location) of each undeclared property of ``instance``
    against the schema at ``ref``; the location is the applicable schema that declares the most
    of the object's properties (the branch the object matched).

    >>> undeclared(schemas, engine_fits, ref, {"id": "x", "extra": 1})  # doctest: +SKIP
    [('', 'extra', 'urn:…#/$defs/…')]
    """
    resolve = _resolver(schemas)
    found: list[tuple[str, str, str]] = []
    todo: list[tuple[list[str], Any, str, int]] = [([ref], instance, prefix, 0)]
    while todo:
        refs, value, pointer, depth = todo.pop()
        if depth > _MAX_DEPTH or not isinstance(value, (dict, list)):
            continue
        applicable = _applicable(resolve, fits, refs, value)
        if applicable is None:
            continue  # fits no branch of a union: what it declares is unknown
        nodes = [(r, resolve(r)) for r in applicable]
        if isinstance(value, list):
            for index, item in enumerate(value):
                subs = _item_schemas(nodes, index)
                if subs:
                    todo.append((subs, item, f"{pointer}/{index}", depth + 1))
            continue
        strays = []
        for name in (n for n in value if isinstance(n, str)):
            subs = _value_schemas(nodes, name)  # none: no applicable schema declares the name
            if subs:
                todo.append((subs, value[name], f"{pointer}/{escape(name)}", depth + 1))
            else:
                strays.append(name)
        if strays and not any(_is_open(node) for _, node in nodes):
            # reported at the applicable schema declaring most of the object: the branch it fits
            names = list(value)
            where = max(nodes, key=lambda n: len(_declared(n[1], names)))[0]
            found += [(pointer, name, where) for name in strays]
    found.sort(key=lambda f: (f[0], f[1]))
    return found


def _applicable(
    resolve: Callable[[str], Any], fits: Fits, refs: list[str], value: Any
) -> list[str] | None:
    """The refs of every schema applying to ``value`` (see the module docstring); None when it
    fits no branch of a union, or more than one of a ``oneOf``."""
    out: list[str] = []
    seen: set[str] = set()
    todo = list(refs)
    while todo:
        ref = todo.pop(0)
        if ref in seen:
            continue
        seen.add(ref)
        node = resolve(ref)
        if not isinstance(node, dict):
            continue  # a boolean schema declares nothing
        out.append(ref)
        if isinstance(node.get("$ref"), str):
            todo.append(node["$ref"])
        todo += [_child(ref, "allOf", i) for i, _ in enumerate(node.get("allOf") or [])]
        for keyword in ("oneOf", "anyOf"):
            branches = node.get(keyword)
            if isinstance(branches, list):
                refs_ = [_child(ref, keyword, i) for i in range(len(branches))]
                matched = [r for r in refs_ if fits(r, value)]
                if not matched or (keyword == "oneOf" and len(matched) > 1):
                    return None
                todo += matched
        if "if" in node:
            condition = _child(ref, "if")
            todo.append(condition)
            then = "then" if fits(condition, value) else "else"
            if then in node:
                todo.append(_child(ref, then))
        dependent = node.get("dependentSchemas")
        if isinstance(dependent, dict) and isinstance(value, dict):
            todo += [_child(ref, "dependentSchemas", n) for n in dependent if n in value]
    return out


@functools.lru_cache(maxsize=1 << 16)
def _child(ref: str, *tokens: str | int) -> str:
    """The ref of a subschema: ``ref`` (its fragment already quoted) and tokens below it."""
    return ref + "".join("/" + quote(escape(str(t)), safe=FRAGMENT_SAFE) for t in tokens)


def _is_open(node: dict[str, Any]) -> bool:
    """Declares every name: says nothing about objects (free-form) or admits the rest itself."""
    if "additionalProperties" in node or "unevaluatedProperties" in node:
        return True
    return not any(k in node for k in _OBJECT_KEYS) and not any(k in node for k in _COMPOSED)


def _declared(node: dict[str, Any], names: list[str]) -> list[str]:
    props = node.get("properties")
    patterns = node.get("patternProperties")
    return [
        n
        for n in names
        if (isinstance(props, dict) and n in props)
        or (isinstance(patterns, dict) and any(re.search(p, n) for p in patterns))
    ]


def _value_schemas(nodes: list[tuple[str, dict[str, Any]]], name: str) -> list[str]:
    """Refs of the schemas a property's value must match: ``properties``, matching
    ``patternProperties``, else ``additionalProperties`` (when a schema)."""
    out: list[str] = []
    for ref, node in nodes:
        props = node.get("properties")
        patterns = node.get("patternProperties")
        own: list[tuple[str, ...]] = (
            [("properties", name)] if isinstance(props, dict) and name in props else []
        )
        if isinstance(patterns, dict):
            own += [("patternProperties", p) for p in patterns if re.search(p, name)]
        if not own and isinstance(node.get("additionalProperties"), dict):
            own = [("additionalProperties",)]
        out += [_child(ref, *tokens) for tokens in own]
    return out


def _item_schemas(nodes: list[tuple[str, dict[str, Any]]], index: int) -> list[str]:
    out: list[str] = []
    for ref, node in nodes:
        prefix = node.get("prefixItems")
        if isinstance(prefix, list) and index < len(prefix):
            out.append(_child(ref, "prefixItems", index))
        elif isinstance(node.get("items"), dict):
            out.append(_child(ref, "items"))
    return out
