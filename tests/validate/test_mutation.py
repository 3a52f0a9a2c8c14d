"""Mutation: a targeted break of a valid response is reported, at the broken place or above it.

For every response body and stream event schema of both OpenAI specs, valid instances are
walked alongside the converted schema (through ``$ref``, ``allOf`` and the one ``anyOf``/``oneOf``
branch the value matches), and every applicable mutation is made where the schema demands it:

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

import pytest
from instances import response_locations, valid_instances

from conformance.spec.refs import escape, pointer_get, split_location
from conformance.validate import Engine, Validator

SEED = 7
INSTANCES_PER_SCHEMA = 3
MAX_LENGTH_BOUND = 65536  # strings/arrays are not grown past a larger maxLength/maxItems
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

# Every response schema of both specs gets a detected mutation; this set must not grow.
KNOWN_UNDETECTED: dict[str, set[str]] = {"openai-2.3.0.yaml": set(), "openai-2026-08.yaml": set()}


# Of the schemas where a kind applied at the top (the root or a root property), the share (in
# per cent) that got a mutation of that kind detected there. Measured: 100 for every kind.
MIN_TOP_LEVEL_SHARE = 100
# Of the detected mutations, the share with an error exactly at the mutated place (the rest are
# at an ancestor). Measured (lowest of the two specs): required 99.6, type 94.6, enum 73.1 (a bad
# tag inside an undiscriminated union is summarised at the union), bound 100.
MIN_EXACT_SHARE = {"required": 95, "type": 90, "enum": 70, "bound": 95}

Path = tuple[Any, ...]


def _pointer(path: Path) -> str:
    return "".join("/" + escape(str(t)) for t in path)


def constraints(
    engine: Engine, pointer: str, value: Any, path: Path = ()
) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    """(instance path, document pointer, schema node) for every node that surely applies.

    ``pointer`` is a node of the lenient document. Follows ``$ref`` and ``allOf``; of an
    ``anyOf``/``oneOf`` only the single branch the value matches (checked with the fast engine).
    """
    schemas = engine.schemas
    node = pointer_get(schemas.document(), pointer)
    if not isinstance(node, dict):
        return
    yield path, pointer, node
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
        return max((str(m) for m in members), key=len, default="") + "-not-a-member"
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return max([m for m in members if isinstance(m, (int, float))] or [0]) + 1
    return "not-a-member"


def _bound_breaks(node: dict[str, Any], value: Any) -> Iterator[tuple[str, Any]]:
    """(keyword, replacement) for each bound of ``node`` that ``value`` can be moved across."""
    kinds = node.get("type")
    integer = "integer" in (kinds if isinstance(kinds, list) else [kinds])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        down, up = (math.floor, math.ceil) if integer else (lambda x: x, lambda x: x)
        for keyword, moved in (
            ("minimum", lambda b: down(b) - 1),
            ("exclusiveMinimum", down),
            ("maximum", lambda b: up(b) + 1),
            ("exclusiveMaximum", up),
        ):
            if isinstance(node.get(keyword), (int, float)):
                yield keyword, moved(node[keyword])
    elif isinstance(value, (str, list)):
        low, high = (
            ("minLength", "maxLength") if isinstance(value, str) else ("minItems", "maxItems")
        )
        if node.get(low, 0) > 0:
            yield low, value[: node[low] - 1]
        if value and node.get(high, MAX_LENGTH_BOUND) < MAX_LENGTH_BOUND:
            yield high, (value * (node[high] // len(value) + 1))[: node[high] + 1]


def mutations(
    engine: Engine, location: str, instance: Any, rng: random.Random
) -> Iterator[tuple[str, Path, Path, Any, tuple[Any, ...]]]:
    """(kind, mutated path, replaced path, replacement, dedup key) for ``instance``.

    The replaced path is the mutated one, except for ``required`` where the parent object is
    replaced by a copy without the key. The key identifies the mutation up to list indices.
    """
    pointer = split_location(engine.schemas.ref(location))[1]
    for path, where, node in constraints(engine, pointer, instance):
        value = instance
        for token in path:
            value = value[token]
        shape = tuple("*" if isinstance(t, int) else t for t in path)
        if isinstance(value, dict):
            for name in node.get("required") or []:
                if name in value:
                    stripped = {k: v for k, v in value.items() if k != name}
                    yield (
                        "required",
                        (*path, name),
                        path,
                        stripped,
                        ("required", where, shape, name),
                    )
        kinds = node.get("type")
        if kinds is not None:
            allowed = set(kinds if isinstance(kinds, list) else [kinds])
            allowed |= {"integer"} if "number" in allowed else set()
            others = sorted(set(_SAMPLES) - allowed - _types(value))
            if others:
                other = rng.choice(others)
                yield "type", path, path, _SAMPLES[other], ("type", where, shape)
        if "enum" in node or "const" in node:
            members = node.get("enum", [node.get("const")])
            yield "enum", path, path, _non_member(value, members), ("enum", where, shape)
        for keyword, broken in _bound_breaks(node, value):
            yield "bound", path, path, broken, ("bound", where, shape, keyword)


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
    applicable: dict[str, set[str]] = defaultdict(set)  # kind -> schemas it was tried on
    detected: dict[str, set[str]] = defaultdict(set)
    top_applicable: dict[str, set[str]] = defaultdict(set)
    top_detected: dict[str, set[str]] = defaultdict(set)
    counts: Counter[str] = Counter()
    misses: list[str] = []
    locations = response_locations(spec)
    for location in locations:
        label = spec.label(location)
        rng = random.Random(f"{SEED}:{label}")
        seen: set[tuple[Any, ...]] = set()
        for instance in valid_instances(engine, location, INSTANCES_PER_SCHEMA, SEED, attempts=40):
            for kind, path, replaced, new, key in mutations(engine, location, instance, rng):
                if key in seen:
                    continue
                seen.add(key)
                mutated = _replace(instance, replaced, new)
                where = _pointer(path)
                errors = [
                    v for v in engine.check(location, mutated, where="response.body") if v.is_error
                ]
                placed = [v for v in errors if _is_ancestor_or_self(v.pointer, where)]
                if not placed and engine.reference(location).is_valid(mutated):
                    counts["still valid (skipped)"] += 1
                    continue
                top = len(path) <= (2 if kind == "required" else 1)
                applicable[kind].add(label)
                top_applicable[kind].update([label] if top else [])
                counts[kind] += 1
                if placed:
                    detected[kind].add(label)
                    top_detected[kind].update([label] if top else [])
                    counts[f"{kind} detected"] += 1
                    counts[f"{kind} exact"] += any(v.pointer == _pointer(replaced) for v in placed)
                    continue
                misses.append(
                    f"{label}: {kind} at {where or '/'} -> {[str(v) for v in errors][:3]}"
                )
    covered = set().union(*detected.values())
    undetected = {spec.label(loc) for loc in locations} - covered
    print(
        f"\n{name}: {len(locations)} schemas, {len(covered)} with a detected mutation; "
        + "; ".join(f"{k}: {len(detected[k])}/{len(applicable[k])} schemas" for k in KINDS)
        + f"\n  {dict(counts)}\n  {len(misses)} missed or misplaced"
    )
    assert not misses, f"{len(misses)} mutations not reported where they were made:\n" + "\n".join(
        misses[:25]
    )
    assert undetected <= KNOWN_UNDETECTED[name], (
        f"schemas without a detected mutation: {sorted(undetected)}"
    )
    for kind in KINDS:
        assert applicable[kind], kind
        top_missing = top_applicable[kind] - top_detected[kind]
        assert len(top_missing) <= (100 - MIN_TOP_LEVEL_SHARE) / 100 * len(top_applicable[kind]), (
            f"{kind}: no top-level mutation detected in {sorted(top_missing)}"
        )
        exact = 100 * counts[f"{kind} exact"] / counts[f"{kind} detected"]
        assert exact >= MIN_EXACT_SHARE[kind], (
            f"{kind}: only {exact:.0f}% reported at the mutated place"
        )


# -- the open bugs above, reduced to one message each --------------------------------------------


def _placed(validator: Validator, schema: str, body: Any, where: str) -> list[str]:
    """Errors of ``body`` against a component schema that are at ``where`` or above it."""
    location = f"{validator.spec.uri}#/components/schemas/{schema}"
    assert not validator.responses.reference(location).is_valid(body)
    found = validator.responses.check(location, body, where="response.body")
    return [str(v) for v in found if v.is_error and _is_ancestor_or_self(v.pointer, where)]


_DERIVED_MAPPING = "derived discriminator mapping lacks tags of union/anyOf branches"
_SHARED_TAG = "derived discriminator mapping keeps one of the branches sharing a tag"
_ENUM_AS_TAG = "Engine._fit counts any bad enum property one level down as a tag mismatch"


@pytest.mark.parametrize("openai_validator", ["openai-2026-08.yaml"], indirect=True)
@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"type": "function_call_output", "call_id": 123, "output": "done"}, "/call_id"),
        ({"type": "item_reference", "id": 5}, "/id"),
    ],
)
def test_input_item_errors_are_not_unknown_tags(
    openai_validator: Validator, body: Any, where: str
) -> None:
    # was: "/type: unknown type 'function_call_output' (expected one of: compaction_trigger,
    # message, program, program_output)" though the tag is valid (an Item branch takes it)
    assert _placed(openai_validator, "InputItem", body, where)


@pytest.mark.parametrize("openai_validator", ["openai-2.3.0.yaml"], indirect=True)
def test_output_message_missing_status_is_reported(openai_validator: Validator) -> None:
    # was: "/role: 'assistant' is not one of 'user', 'system' or 'developer'" and
    # "/content/0: … matches none of the oneOf branches" (diagnosed as an InputMessageResource)
    body = {"id": "msg_1", "type": "message", "role": "assistant",
            "content": [{"type": "output_text", "text": "hi", "annotations": []}]}  # fmt: skip
    assert _placed(openai_validator, "ItemResource", body, "/status")


@pytest.mark.parametrize("openai_validator", ["openai-2.3.0.yaml"], indirect=True)
def test_bad_enum_property_does_not_switch_branch(openai_validator: Validator) -> None:
    # was: '/type: "computer_use_preview" is not one of "web_search_preview" or …'
    body = {
        "type": "computer_use_preview",
        "display_width": 1024,
        "display_height": 768,
        "environment": 3,
    }
    assert _placed(openai_validator, "Tool", body, "/environment")
