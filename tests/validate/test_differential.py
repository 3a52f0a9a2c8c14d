"""Differential: jsonschema-rs (fast) and python-jsonschema (reference) agree on every response schema.

For each response body and stream event schema of both OpenAI specs, valid instances are built
(``tests/instances.py``) and mutated at random pointers; fast and reference must give the same
``is_valid`` verdict, leniently and strictly, for every one of them.
"""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from typing import Any

from instances import response_locations, valid_instances
from support import FLOAT_BOUND_BUG

from conformance.validate import Validator

SEED = 20240501
VALID_PER_SCHEMA = 6
MUTANTS_PER_VALID = 5
# Response schemas for which tests/instances.py builds no valid instance (none today: every one
# of the 142 + 311 schemas gets some). Keyed by spec file; this set must not grow.
KNOWN_NO_VALID_INSTANCE: dict[str, set[str]] = {
    "openai-2.3.0.yaml": set(),
    "openai-2026-08.yaml": set(),
}


# with support.FLOAT_BOUND_BUG, disagreements on big integral floats are counted apart
def _big_integral_float(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer() and abs(value) > 2**53
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_big_integral_float(v) for v in items)


# values that stress validators: big/boundary numbers, bool-vs-int, astral characters, etc.
_ODD_NUMBERS = (0, -1, 1.0, -0.0, 0.5, 2**63, -(2**63) - 1, 2**64 + 1, 10**30, 1e300)
_ODD_OTHERS = ("", "\u0000", "🙂" * 3, "x" * 70, [], [None], {}, {"": None}, [[[]]])
ODD_VALUES: tuple[Any, ...] = (None, True, False, *_ODD_NUMBERS, *_ODD_OTHERS)
_BY_TYPE: dict[type, tuple[Any, ...]] = {
    type(None): (None,),
    bool: (True, False),
    int: (0, 7, -(2**40)),
    float: (1.5, -0.25),
    str: ("", "mutated"),
    list: ([], ["x"]),
    dict: ({}, {"k": 1}),
}


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value, the root first."""
    found = [path]
    if isinstance(value, dict):
        for key, sub in value.items():
            found += _paths(sub, (*path, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            found += _paths(sub, (*path, index))
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for token in path:
        value = value[token]
    return value


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    _get(value, path[:-1])[path[-1]] = new
    return value


def _retyped(old: Any, rng: random.Random) -> Any:
    kinds = [k for k in _BY_TYPE if not isinstance(old, k) or (k is int and isinstance(old, bool))]
    return rng.choice(_BY_TYPE[rng.choice(kinds)])


def _nudged(old: Any, rng: random.Random) -> Any:
    """A same-type neighbour: across numeric and length bounds, or an extra/missing item."""
    if isinstance(old, bool):
        return not old
    if isinstance(old, (int, float)):
        return rng.choice((old + 1, old - 1, -old, old * 1000, float(old), old + 0.5))
    if isinstance(old, str):
        return rng.choice(("", old + old, old[:-1], old + "🙂"))
    if isinstance(old, list):
        return (
            old[1:]
            if old and rng.random() < 0.5
            else [*old, copy.deepcopy(old[0]) if old else None]
        )
    return old


def mutate(instance: Any, rng: random.Random) -> Any:
    """One to three random mutations of a copy of ``instance`` at random pointers."""
    value = copy.deepcopy(instance)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        paths = _paths(value)
        objects = [p for p in paths if isinstance(_get(value, p), dict)]
        kind = rng.choice(("drop", "retype", "odd", "insert", "nudge", "nudge"))
        if kind == "drop" and any(_get(value, p) for p in objects):
            path = rng.choice([p for p in objects if _get(value, p)])
            del _get(value, path)[rng.choice(list(_get(value, path)))]
        elif kind == "insert" and objects:
            odd = copy.deepcopy(rng.choice(ODD_VALUES))  # never share the module's constants
            _get(value, rng.choice(objects))[f"undeclared_{rng.randint(0, 9)}"] = odd
        else:
            path = rng.choice(paths)
            old = _get(value, path)
            new = {"retype": _retyped, "nudge": _nudged}.get(
                kind, lambda _o, r: r.choice(ODD_VALUES)
            )
            value = _replaced(value, path, copy.deepcopy(new(old, rng)))
    return value


def _dump(instance: Any) -> str:
    text = json.dumps(instance, ensure_ascii=False, default=repr)
    return text if len(text) < 600 else text[:600] + "…"


def test_fast_and_reference_agree(openai_validator: Validator) -> None:
    spec, engine = openai_validator.spec, openai_validator.responses
    name = spec.uri.rsplit("/", 1)[-1]
    counts: Counter[str] = Counter()
    disagreements: list[str] = []
    no_valid: set[str] = set()
    for location in response_locations(spec):
        rng = random.Random(f"{SEED}:{spec.label(location)}")
        valid = valid_instances(
            engine, location, VALID_PER_SCHEMA, SEED, attempts=8 * VALID_PER_SCHEMA
        )
        counts["schemas"] += 1
        counts["schemas with valid instances"] += bool(valid)
        no_valid.update([] if valid else [spec.label(location)])
        mutants = [mutate(x, rng) for x in valid for _ in range(MUTANTS_PER_VALID)]
        for instance in valid + mutants:
            counts["instances"] += 1
            for strict in (False, True):
                fast = engine.validator(location, strict).is_valid(instance)
                reference = engine.reference(location, strict).is_valid(instance)
                counts[f"{'strict' if strict else 'lenient'} valid"] += reference
                if fast != reference and FLOAT_BOUND_BUG and _big_integral_float(instance):
                    counts["known jsonschema-rs < 0.61.2 float-at-bound disagreements"] += 1
                elif fast != reference:
                    disagreements.append(
                        f"{spec.label(location)} ({'strict' if strict else 'lenient'}): "
                        f"fast={fast} reference={reference} for {_dump(instance)}"
                    )
    print(f"\n{name}: {dict(counts)}, {len(disagreements)} disagreements")
    assert no_valid <= KNOWN_NO_VALID_INSTANCE[name], (
        f"no valid instance built for {sorted(no_valid)}"
    )
    assert counts["instances"] >= 3000
    assert not disagreements, f"{len(disagreements)} disagreements:\n" + "\n".join(
        disagreements[:25]
    )
