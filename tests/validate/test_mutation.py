"""Mutation: a targeted break of a valid response is reported, at the broken place or above it.

For every response body and stream event schema of both OpenAI specs, valid instances are
walked alongside the converted schema (through ``$ref``, ``allOf`` and the one ``anyOf``/``oneOf``
branch the value matches), and each applicable mutation is made where the schema demands it:

- ``required``: remove a property the schema requires;
- ``type``: replace a value by one of a JSON type the schema does not allow;
- ``enum``: replace an ``enum``/``const`` value by a non-member of the same type;
- ``bound``: cross a ``minimum``/``maximum`` (exclusive too), ``minLength``/``maxLength`` or
  ``minItems``/``maxItems`` bound.

``Engine.check`` must then return an error whose pointer is the mutated place or an ancestor.
A mutation the *reference* validator still accepts (another branch took over) is skipped.
"""

from __future__ import annotations

import copy
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from instances import response_locations, valid_instances

from conformance.spec.refs import escape, pointer_get, split_location
from conformance.validate import Engine, Validator

SEED = 7
INSTANCES_PER_SCHEMA = 3
PER_KIND = 4  # mutations per kind and instance: the shallowest first, then random deeper ones
MAX_LENGTH_BOUND = 65536  # longer strings/arrays than this are not built to cross a max bound
KINDS = ("required", "type", "enum", "bound")
_SAMPLES = {
    "null": None,
    "boolean": True,
    "integer": 3,
    "number": 2.5,
    "string": "retyped",
    "array": [],
    "object": {},
}

# Response schemas where no mutation can be detected because the schema constrains nothing a
# mutation could break (free-form bodies). Keyed by spec file; must not grow.
KNOWN_GAPS: dict[str, set[str]] = {
    "openai-2.3.0.yaml": set(),
    "openai-2026-08.yaml": set(),
}
# Minimum share of the schemas where a kind applies that must get a detected mutation of it.
MIN_SHARE = {"required": 0.9, "type": 0.9, "enum": 0.9, "bound": 0.8}

Path = tuple[Any, ...]


def _pointer(path: Path) -> str:
    return "".join("/" + escape(str(t)) for t in path)


def constraints(
    engine: Engine, pointer: str, value: Any, path: Path = ()
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(instance path, schema node) for every node that surely applies to a part of ``value``.

    ``pointer`` is a node of the lenient document. Follows ``$ref`` and ``allOf``; of an
    ``anyOf``/``oneOf`` only the single branch the value matches (checked with the fast engine).
    """
    schemas = engine.schemas
    node = pointer_get(schemas.document(), pointer)
    if not isinstance(node, dict):
        return
    yield path, node
    if isinstance(node.get("$ref"), str):
        yield from constraints(engine, split_location(node["$ref"])[1], value, path)
    for index, _ in enumerate(node.get("allOf") or []):
        yield from constraints(engine, f"{pointer}/allOf/{index}", value, path)
    for keyword in ("anyOf", "oneOf"):
        branches = [f"{pointer}/{keyword}/{i}" for i, _ in enumerate(node.get(keyword) or [])]
        matching = [b for b in branches if engine.compiled(schemas.pointer_ref(b)).is_valid(value)]
        if len(matching) == 1:
            yield from constraints(engine, matching[0], value, path)
    if isinstance(value, dict):
        props = node.get("properties") or {}
        for name, sub in value.items():
            if name in props:
                yield from constraints(
                    engine, f"{pointer}/properties/{escape(name)}", sub, (*path, name)
                )
            elif isinstance(node.get("additionalProperties"), dict):
                yield from constraints(
                    engine, f"{pointer}/additionalProperties", sub, (*path, name)
                )
    elif isinstance(value, list):
        prefix = node.get("prefixItems") or []
        for index, sub in enumerate(value):
            if index < len(prefix):
                yield from constraints(
                    engine, f"{pointer}/prefixItems/{index}", sub, (*path, index)
                )
            elif isinstance(node.get("items"), dict):
                yield from constraints(engine, f"{pointer}/items", sub, (*path, index))


def _types(value: Any) -> set[str]:
    if value is None:
        return {"null"}
    if isinstance(value, bool):
        return {"boolean"}
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return {"integer", "number"}
    if isinstance(value, float):
        return {"number"}
    return {
        "string" if isinstance(value, str) else "array" if isinstance(value, list) else "object"
    }


def _non_member(value: Any, members: list[Any]) -> Any:
    """A value of ``value``'s type that is not among ``members``."""
    if isinstance(value, str):
        return max(members, key=lambda m: len(str(m))) + "-not-a-member" if members else "?"
    if isinstance(value, bool):
        return (
            None if {True, False} <= set(m for m in members if isinstance(m, bool)) else not value
        )
    if isinstance(value, (int, float)):
        return max([m for m in members if isinstance(m, (int, float))] or [0]) + 1
    return "not-a-member"


def _bound_breaks(node: dict[str, Any], value: Any) -> Iterator[Any]:
    """Replacements for ``value`` that each cross one bound of ``node``."""
    integer = "integer" in (
        node.get("type") if isinstance(node.get("type"), list) else [node.get("type")]
    )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        below = math.floor if integer else (lambda x: x)
        above = math.ceil if integer else (lambda x: x)
        if isinstance(node.get("minimum"), (int, float)):
            yield below(node["minimum"]) - 1
        if isinstance(node.get("exclusiveMinimum"), (int, float)):
            yield below(node["exclusiveMinimum"])
        if isinstance(node.get("maximum"), (int, float)):
            yield above(node["maximum"]) + 1
        if isinstance(node.get("exclusiveMaximum"), (int, float)):
            yield above(node["exclusiveMaximum"])
    elif isinstance(value, (str, list)):
        low, high = (
            ("minLength", "maxLength") if isinstance(value, str) else ("minItems", "maxItems")
        )
        if node.get(low, 0) > 0:
            yield value[: node[low] - 1]
        if value and node.get(high, MAX_LENGTH_BOUND) < MAX_LENGTH_BOUND:
            yield (value * (node[high] // len(value) + 1))[: node[high] + 1]


def mutations(engine: Engine, location: str, instance: Any) -> Iterator[tuple[str, Path, Any]]:
    """(kind, mutated path, mutated instance) for every mutation that applies to ``instance``."""
    pointer = split_location(engine.schemas.ref(location))[1]
    for path, node in constraints(engine, pointer, instance):
        value = instance
        for token in path:
            value = value[token]
        if isinstance(value, dict):
            for name in node.get("required") or []:
                if name in value:
                    yield "required", (*path, name), {k: v for k, v in value.items() if k != name}
        kinds = node.get("type")
        if kinds is not None:
            allowed = set(kinds if isinstance(kinds, list) else [kinds])
            allowed |= {"integer"} if "number" in allowed else set()
            for other in sorted(set(_SAMPLES) - allowed - _types(value)):
                yield "type", path, _SAMPLES[other]
        if "enum" in node or "const" in node:
            members = node.get("enum", [node.get("const")])
            yield "enum", path, _non_member(value, members)
        for broken in _bound_breaks(node, value):
            yield "bound", path, broken


def _replace(instance: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    out = copy.deepcopy(instance)
    parent = out
    for token in path[:-1]:
        parent = parent[token]
    parent[path[-1]] = new
    return out


def _is_ancestor_or_self(pointer: str, of: str) -> bool:
    return of == pointer or of.startswith(pointer + "/")


def test_mutations_are_detected_where_they_are(openai_validator: Validator) -> None:
    spec, engine = openai_validator.spec, openai_validator.responses
    name = spec.uri.rsplit("/", 1)[-1]
    applicable: dict[str, set[str]] = defaultdict(set)  # kind -> schemas it applied to
    detected: dict[str, set[str]] = defaultdict(set)
    counts: Counter[str] = Counter()
    misses: list[str] = []
    locations = response_locations(spec)
    for location in locations:
        rng = random.Random(f"{SEED}:{location}")
        label = spec.label(location)
        reference = engine.reference(location)
        for instance in valid_instances(engine, location, INSTANCES_PER_SCHEMA, SEED, attempts=40):
            by_kind: dict[str, list[tuple[Path, Any]]] = defaultdict(list)
            for kind, path, new in mutations(engine, location, instance):
                by_kind[kind].append((path, new))
            for kind, found in by_kind.items():
                found.sort(key=lambda item: len(item[0]))
                chosen = found[: PER_KIND // 2] + rng.sample(
                    found[PER_KIND // 2 :], min(len(found[PER_KIND // 2 :]), PER_KIND // 2)
                )
                for path, new in chosen:
                    target = path if kind != "required" else path[:-1]
                    mutated = _replace(instance, target, new)
                    if reference.is_valid(mutated):
                        counts["still valid (skipped)"] += 1
                        continue
                    applicable[kind].add(label)
                    counts[kind] += 1
                    where = _pointer(path)
                    errors = [
                        v
                        for v in engine.check(location, mutated, where="response.body")
                        if v.is_error
                    ]
                    if any(_is_ancestor_or_self(v.pointer, where) for v in errors):
                        detected[kind].add(label)
                        counts[f"{kind} detected"] += 1
                    else:
                        misses.append(
                            f"{label}: {kind} at {where or '/'} -> {[str(v) for v in errors][:3]}"
                        )
    covered = set().union(*detected.values())
    undetected = {spec.label(loc) for loc in locations} - covered
    print(
        f"\n{name}: {len(locations)} schemas, {len(covered)} with a detected mutation; "
        + ", ".join(f"{k}: {len(detected[k])}/{len(applicable[k])} schemas" for k in KINDS)
        + f"; {dict(counts)}; {len(misses)} misplaced/missed"
    )
    assert not misses, f"{len(misses)} mutations not reported where they were made:\n" + "\n".join(
        misses[:25]
    )
    assert undetected <= KNOWN_GAPS[name], (
        f"new schemas without a detected mutation: {sorted(undetected - KNOWN_GAPS[name])}"
    )
    for kind in KINDS:
        assert len(detected[kind]) >= MIN_SHARE[kind] * len(applicable[kind]), kind
