"""conformance.schema: allow_null, the OpenAPI → JSON Schema conversion, strict_schema, discriminators."""

from __future__ import annotations

import copy
import doctest
import json
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from support import FLOAT_BOUND_BUG, SPECS

import conformance.schema.convert as convert_module
import conformance.schema.strict as strict_module
from conformance.schema import DISCRIMINATOR, schema_set, strict_schema
from conformance.schema.convert import Converter, allow_null, def_key
from conformance.spec import Documents, load_spec
from conformance.validate import Validator

ROOT = "file:///spec.yaml"
URN = "urn:test"


def convert(
    schemas: dict[str, Any],
    name: str,
    *,
    version: tuple[int, int] = (3, 0),
    direction: str = "response",
) -> tuple[Any, Converter]:
    """Convert ``#/components/schemas/<name>`` of a document holding ``schemas``."""
    doc = {
        "openapi": f"{version[0]}.{version[1]}.0",
        "components": {"schemas": copy.deepcopy(schemas)},
    }
    conv = Converter(Documents(ROOT, doc, loader=None), version, direction, URN)
    conv.define(f"{ROOT}#/components/schemas/{name}")
    return conv.defs[f"/components/schemas/{name}"], conv


def ref(name: str) -> str:
    return f"{URN}#/$defs/~1components~1schemas~1{name}"


# -- allow_null -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, {"type": ["string", "null"]}),
        ({"type": ["string", "integer"]}, {"type": ["string", "integer", "null"]}),
        ({"type": ["string", "null"]}, {"type": ["string", "null"]}),
        (
            {"type": "string", "enum": ["a", "b"]},
            {"type": ["string", "null"], "enum": ["a", "b", None]},
        ),
        ({"enum": ["a", None]}, {"enum": ["a", None]}),
        ({"enum": [1, 2]}, {"enum": [1, 2, None]}),
        ({"const": "a"}, {"enum": ["a", None]}),
        ({"type": "string", "const": "a"}, {"type": ["string", "null"], "enum": ["a", None]}),
        ({"minLength": 2}, {"minLength": 2}),  # no type: null already passes every keyword
        ({}, {}),
    ],
)
def test_allow_null_plain(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    before = copy.deepcopy(schema)
    assert allow_null(schema) == expected
    assert schema == before  # the input is not modified
    assert jsonschema.Draft202012Validator(allow_null(schema)).is_valid(None)


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#/$defs/x"},
        {"allOf": [{"type": "string"}]},
        {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        {"oneOf": [{"type": "string"}]},
        {"not": {"type": "null"}},
        {"if": {"type": "string"}, "then": {"minLength": 1}},
        {"type": "string", "allOf": [{"minLength": 1}]},
    ],
)
def test_allow_null_composed_wraps_in_any_of(schema: dict[str, Any]) -> None:
    assert allow_null(schema) == {"anyOf": [{"type": "null"}, schema]}


def test_allow_null_composed_accepts_null_and_keeps_the_rest() -> None:
    wrapped = jsonschema.Draft202012Validator(
        allow_null({"not": {"type": "null"}, "type": "string"})
    )
    assert wrapped.is_valid(None)
    assert wrapped.is_valid("x")
    assert not wrapped.is_valid(5)


# -- conversion -----------------------------------------------------------------------------------


def test_annotations_are_dropped() -> None:
    schemas = {
        "A": {
            "type": "object",
            "title": "A",
            "description": "d",
            "example": {"x": 1},
            "deprecated": True,
            "x-oaiMeta": {"name": "A"},
            "xml": {"name": "a"},
            "externalDocs": {"url": "https://x"},
            "properties": {
                "x": {"type": "string", "description": "x", "default": "", "format": "uri"}
            },
        }
    }
    converted, _ = convert(schemas, "A")
    assert converted == {
        "type": "object",
        "properties": {"x": {"type": "string", "default": "", "format": "uri"}},
    }


@pytest.mark.parametrize("direction", ["request", "response"])
def test_int32_and_int64_formats_become_bounds_tightened_by_the_schemas_own(direction: str) -> None:
    schemas = {
        "A": {
            "type": "object",
            "properties": {
                "seed": {"type": "integer", "format": "int64", "nullable": True},
                "n": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 2**40},
                "big": {"type": "integer", "format": "int128"},
                "text": {"type": "string", "format": "int64"},
            },
        }
    }
    converted, _ = convert(schemas, "A", direction=direction)
    props = converted["properties"]
    assert (props["seed"]["minimum"], props["seed"]["maximum"]) == (-(2**63), 2**63 - 1)
    assert props["seed"]["type"] == ["integer", "null"]
    assert (props["n"]["minimum"], props["n"]["maximum"]) == (1, 2**31 - 1)
    assert "maximum" not in props["big"] and "maximum" not in props["text"]
    check = jsonschema.Draft202012Validator(converted).is_valid
    assert check({"seed": 2**63 - 1, "n": 7}) and check({"seed": None})
    assert not check({"seed": 2**63}) and not check({"n": 2**31})
    # an integral float exactly at a 64-bit bound is inside it; jsonschema-rs says not while
    # support.FLOAT_BOUND_BUG holds (test_differential counts those disagreements apart)
    fast = jsonschema_rs.validator_for(converted).is_valid
    assert (
        check({"seed": float(-(2**63))}) and fast({"seed": float(-(2**63))}) is not FLOAT_BOUND_BUG
    )
    for seed in (float(-(2**62)), float(2**62)):
        assert check({"seed": seed}) and fast({"seed": seed}), seed
    assert not check({"seed": float(2**63)}) and not fast({"seed": float(2**63)})


def test_refs_become_absolute_defs_refs_and_are_queued() -> None:
    schemas = {
        "A": {"type": "array", "items": {"$ref": "#/components/schemas/B"}},
        "B": {"type": "string"},
    }
    converted, conv = convert(schemas, "A")
    assert converted == {"type": "array", "items": {"$ref": ref("B")}}
    assert conv.defs["/components/schemas/B"] == {"type": "string"}
    assert conv.locations["/components/schemas/B"] == f"{ROOT}#/components/schemas/B"


def test_def_key() -> None:
    docs = Documents(ROOT, {}, loader=None)
    assert def_key(docs, f"{ROOT}#/components/schemas/A") == "/components/schemas/A"
    other = "file:///other.yaml#/Thing"
    assert def_key(docs, other) == other


def test_nullable_30() -> None:
    schemas = {
        "A": {
            "type": "object",
            "properties": {
                "s": {"type": "string", "nullable": True},
                "e": {"type": "string", "enum": ["a"], "nullable": True},
                "r": {"$ref": "#/components/schemas/B", "nullable": True},
                "c": {"allOf": [{"$ref": "#/components/schemas/B"}], "nullable": True},
                "n": {"type": "string", "nullable": False},
            },
        },
        "B": {"type": "object"},
    }
    converted, _ = convert(schemas, "A")
    props = converted["properties"]
    assert props["s"] == {"type": ["string", "null"]}
    assert props["e"] == {"type": ["string", "null"], "enum": ["a", None]}
    assert props["r"] == {"anyOf": [{"type": "null"}, {"$ref": ref("B")}]}
    assert props["c"] == {"anyOf": [{"type": "null"}, {"allOf": [{"$ref": ref("B")}]}]}
    assert props["n"] == {"type": "string"}


def test_exclusive_bounds_30() -> None:
    schemas = {
        "A": {
            "type": "object",
            "properties": {
                "gt": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
                "lt": {"type": "number", "maximum": 10, "exclusiveMaximum": True},
                "ge": {"type": "number", "minimum": 0, "exclusiveMinimum": False},
                "alone": {"type": "number", "exclusiveMinimum": True},
            },
        }
    }
    props = convert(schemas, "A")[0]["properties"]
    assert props["gt"] == {"type": "number", "exclusiveMinimum": 0}
    assert props["lt"] == {"type": "number", "exclusiveMaximum": 10}
    assert props["ge"] == {"type": "number", "minimum": 0}
    assert props["alone"] == {"type": "number"}


def test_exclusive_bounds_31() -> None:
    schemas = {"A": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 2**64}}
    assert convert(schemas, "A", version=(3, 1))[0] == {
        "type": "number",
        "exclusiveMinimum": 0,
        "exclusiveMaximum": 2**64,
    }


def test_ref_siblings_30_ignored_31_applied() -> None:
    schemas = {
        "A": {"$ref": "#/components/schemas/B", "maxLength": 3, "description": "d"},
        "B": {"type": "string"},
    }
    assert convert(schemas, "A", version=(3, 0))[0] == {"$ref": ref("B")}
    assert convert(schemas, "A", version=(3, 1))[0] == {"maxLength": 3, "$ref": ref("B")}


def test_31_keywords_kept() -> None:
    schemas = {
        "A": {
            "type": ["string", "null"],
            "const": "x",
            "prefixItems": [{"type": "integer"}],
            "dependentRequired": {"a": ["b"]},
            "contentEncoding": "base64",
            "properties": {"t": True, "f": False},
        }
    }
    converted, _ = convert(schemas, "A", version=(3, 1))
    assert converted == {
        "type": ["string", "null"],
        "const": "x",
        "prefixItems": [{"type": "integer"}],
        "dependentRequired": {"a": ["b"]},
        "contentEncoding": "base64",
        "properties": {"t": True, "f": False},
    }


def test_tuple_items_become_prefix_items() -> None:
    schemas = {"A": {"type": "array", "items": [{"type": "integer"}, {"type": "string"}]}}
    assert convert(schemas, "A")[0] == {
        "type": "array",
        "prefixItems": [{"type": "integer"}, {"type": "string"}],
    }


@pytest.mark.parametrize(
    ("direction", "required"),
    [("request", ["name", "secret"]), ("response", ["id", "name", "created"])],
)
def test_read_only_write_only_by_direction(direction: str, required: list[str]) -> None:
    schemas = {
        "A": {
            "type": "object",
            "required": ["id", "name", "secret", "created"],
            "properties": {
                "id": {"type": "string", "readOnly": True},
                "name": {"type": "string"},
                "secret": {"type": "string", "writeOnly": True},
                "created": {"$ref": "#/components/schemas/Stamp"},
            },
        },
        "Stamp": {"type": "integer", "readOnly": True},
    }
    converted, _ = convert(schemas, "A", direction=direction)
    assert converted["required"] == required


def test_recursive_ref_is_not_dropped() -> None:
    schemas = {
        "Filter": {
            "$recursiveAnchor": True,
            "type": "object",
            "properties": {
                "filters": {
                    "type": "array",
                    "items": {
                        "oneOf": [{"$ref": "#/components/schemas/Leaf"}, {"$recursiveRef": "#"}]
                    },
                }
            },
        },
        "Leaf": {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}}},
    }
    converted, _ = convert(schemas, "Filter", version=(3, 1))
    branch = converted["properties"]["filters"]["items"]["oneOf"][1]
    assert branch != {}


def test_openai_202608_compound_filter_request_is_valid() -> None:
    v = Validator(load_spec(SPECS / "openai-2026-08.yaml"))
    body = {
        "query": "q",
        "filters": {"type": "and", "filters": [{"type": "eq", "key": "a", "value": "b"}]},
    }
    assert v.request("searchVectorStore", path="/v1/vector_stores/vs_1/search", body=body) == []


# -- discriminator --------------------------------------------------------------------------------

CAT = {
    "type": "object",
    "required": ["kind"],
    "properties": {"kind": {"type": "string", "enum": ["cat"]}},
}


def pets(
    discriminator: dict[str, Any], dog: dict[str, Any], keyword: str = "oneOf"
) -> dict[str, Any]:
    return {
        "Pet": {
            keyword: [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
            "discriminator": discriminator,
        },
        "Cat": CAT,
        "Dog": dog,
    }


def test_discriminator_from_enum() -> None:
    dog = {
        "type": "object",
        "properties": {"kind": {"type": "string", "enum": ["dog", "puppy", None]}},
    }
    converted, _ = convert(pets({"propertyName": "kind"}, dog), "Pet")
    assert converted[DISCRIMINATOR] == {
        "propertyName": "kind",
        "keyword": "oneOf",
        "mapping": {"cat": [0], "dog": [1], "puppy": [1]},
        "complete": True,
    }
    assert "discriminator" not in converted
    assert converted["oneOf"] == [{"$ref": ref("Cat")}, {"$ref": ref("Dog")}]


def test_discriminator_from_x_stainless_const() -> None:
    dog = {
        "type": "object",
        "properties": {"kind": {"type": "string", "enum": ["dog"], "x-stainless-const": True}},
    }
    converted, _ = convert(pets({"propertyName": "kind"}, dog), "Pet")
    assert converted[DISCRIMINATOR]["mapping"] == {"cat": [0], "dog": [1]}
    assert convert(pets({"propertyName": "kind"}, dog), "Dog")[0]["properties"]["kind"] == {
        "type": "string",
        "enum": ["dog"],
    }


def test_discriminator_from_const_31() -> None:
    dog = {"type": "object", "properties": {"kind": {"const": "dog"}}}
    converted, _ = convert(pets({"propertyName": "kind"}, dog), "Pet", version=(3, 1))
    assert converted[DISCRIMINATOR]["mapping"] == {"cat": [0], "dog": [1]}


def test_discriminator_through_allof_and_property_ref() -> None:
    schemas = pets(
        {"propertyName": "kind"},
        {
            "allOf": [
                {"$ref": "#/components/schemas/Base"},
                {
                    "type": "object",
                    "properties": {"kind": {"$ref": "#/components/schemas/DogKind"}},
                },
            ]
        },
    )
    schemas["Base"] = {"type": "object", "properties": {"name": {"type": "string"}}}
    schemas["DogKind"] = {"type": "string", "enum": ["dog"]}
    converted, _ = convert(schemas, "Pet")
    assert converted[DISCRIMINATOR]["mapping"] == {"cat": [0], "dog": [1]}


def test_discriminator_explicit_mapping() -> None:
    dog = {
        "type": "object",
        "properties": {"kind": {"type": "string"}},
    }  # no enum: only the mapping says
    mapping = {
        "kitty": "#/components/schemas/Cat",
        "doggo": "Dog",
        "ghost": "#/components/schemas/Ghost",
    }
    schemas = pets({"propertyName": "kind", "mapping": mapping}, dog, keyword="anyOf")
    schemas["Ghost"] = {"type": "object"}
    converted, _ = convert(schemas, "Pet")
    assert converted[DISCRIMINATOR] == {
        "propertyName": "kind",
        "keyword": "anyOf",
        # explicit values first, then the enum-derived ones; a target that is no branch is ignored
        "mapping": {"kitty": [0], "doggo": [1], "cat": [0]},
        "complete": True,
    }
    assert list(converted[DISCRIMINATOR]["mapping"]) == ["kitty", "doggo", "cat"]


def test_discriminator_shared_value_keeps_every_branch() -> None:
    dog = {"type": "object", "properties": {"kind": {"type": "string", "enum": ["cat", "dog"]}}}
    converted, _ = convert(pets({"propertyName": "kind"}, dog), "Pet")
    assert converted[DISCRIMINATOR]["mapping"] == {"cat": [0, 1], "dog": [1]}


def test_discriminator_without_branches_is_not_kept() -> None:
    schemas = {
        "Base": {
            "type": "object",
            "discriminator": {"propertyName": "kind"},
            "properties": {"kind": {"type": "string"}},
        }
    }
    converted, _ = convert(schemas, "Base")
    assert DISCRIMINATOR not in converted and "discriminator" not in converted


def test_discriminator_mapping_used_in_openai_spec() -> None:
    spec = load_spec(SPECS / "openai-2.3.0.yaml")
    schemas = schema_set(spec, "response")
    schemas.ref(spec.uri + "#/components/schemas/ResponseStreamEvent")
    disc = schemas.defs["/components/schemas/ResponseStreamEvent"][DISCRIMINATOR]
    assert disc["keyword"] == "anyOf" and disc["propertyName"] == "type"
    assert disc["mapping"]["response.created"] == [12]
    assert disc["mapping"]["response.output_text.delta"] == [27]
    assert len(disc["mapping"]) == 32


# -- strict_schema --------------------------------------------------------------------------------

L, S = "urn:l", "urn:s"


def strict(schema: Any, value: bool = True) -> Any:
    return strict_schema(schema, L, S, value)


def test_strict_closes_declared_objects_at_value_positions() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}}},
    }
    assert strict(schema) == {
        "type": "object",
        "properties": {
            "a": {
                "type": "object",
                "properties": {"b": {"type": "string", "additionalProperties": True}},
                "unevaluatedProperties": False,
            }
        },
        "unevaluatedProperties": False,
    }
    # the root of a $defs entry is not a value position: the validator adds it at the top
    assert "unevaluatedProperties" not in strict(schema, value=False)


def test_strict_leaves_free_form_objects_open() -> None:
    assert strict({"type": "object"}) == {"type": "object", "additionalProperties": True}
    assert strict({"type": "object", "additionalProperties": {"type": "string"}}) == {
        "type": "object",
        "additionalProperties": {"type": "string", "additionalProperties": True},
    }
    assert strict({"type": "object", "additionalProperties": True, "properties": {}}) == {
        "type": "object",
        "additionalProperties": True,
        "properties": {},
    }
    validator = jsonschema.Draft202012Validator(strict({"type": "object"}))
    assert validator.is_valid({"anything": 1})


def test_strict_composition_branches_are_not_closed() -> None:
    schema = {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}},
            {"type": "object", "properties": {"b": {"type": "string"}}},
        ]
    }
    out = strict(schema)
    assert out["unevaluatedProperties"] is False
    assert all("unevaluatedProperties" not in branch for branch in out["allOf"])
    validator = jsonschema.Draft202012Validator(out)
    assert validator.is_valid({"a": "x", "b": "y"})  # each branch's properties count
    assert not validator.is_valid({"a": "x", "c": "z"})


def test_strict_rewrites_refs_to_the_strict_document() -> None:
    out = strict({"properties": {"a": {"$ref": L + "#/$defs/A"}, "b": {"$ref": "urn:other#/x"}}})
    assert out["properties"]["a"] == {"$ref": S + "#/$defs/A", "unevaluatedProperties": False}
    assert out["properties"]["b"] == {"$ref": "urn:other#/x", "unevaluatedProperties": False}


def test_strict_changes_nothing_inside_not_or_if() -> None:
    inner = {"type": "object", "properties": {"a": {"type": "object"}}}
    out = strict(
        {
            "type": "object",
            "not": copy.deepcopy(inner),
            "if": copy.deepcopy(inner),
            "then": copy.deepcopy(inner),
        }
    )
    assert out["not"] == inner
    assert out["if"] == inner
    assert out["then"]["properties"]["a"] == {"type": "object", "additionalProperties": True}
    assert "unevaluatedProperties" not in out["then"]  # a branch, not a value


def test_strict_items_and_prefix_items_are_values() -> None:
    out = strict(
        {"type": "array", "items": {"properties": {"a": {}}}, "prefixItems": [{"properties": {}}]}
    )
    assert out["items"]["unevaluatedProperties"] is False
    assert out["prefixItems"][0]["unevaluatedProperties"] is False


def test_strict_does_not_modify_its_input() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "object"}},
        "allOf": [{"$ref": L + "#/x"}],
    }
    before = json.dumps(schema, sort_keys=True)
    strict(schema)
    assert json.dumps(schema, sort_keys=True) == before


def test_strict_module_doctest() -> None:
    assert doctest.testmod(strict_module).failed == 0
    assert doctest.testmod(convert_module).failed == 0
