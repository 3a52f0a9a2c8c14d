"""``conformance spec diff``: each check id on small hand-written specs (3.0 and 3.1), the JSON
round trip, the writers, the CLI's exit codes, and hand-checked findings on the OpenAI specs."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support import SPECS

from conformance.cli import main
from conformance.reports import SPEC_CHECKS, SpecDiff, diff_specs
from conformance.reports.schemadiff import MAX_DEPTH
from conformance.spec import load_spec

Found = tuple[str, str, str, str]  # id, direction, where, pointer

# -- small specs -------------------------------------------------------------------------------

RES = {
    "type": "object",
    "required": ["id", "status"],
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": ["a", "b"]},
        "count": {"type": "integer", "maximum": 10},
        "score": {"type": "number"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "note": {"type": "string", "nullable": True},
        "item": {
            "oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
            "discriminator": {"propertyName": "type"},
        },
    },
}
REQ = {
    "type": "object",
    "required": ["model"],
    "properties": {
        "model": {"type": "string"},
        "mode": {"type": "string", "enum": ["fast", "slow"]},
        "n": {"type": "integer"},
        "name": {"type": "string"},
    },
}


def _tagged(tag: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"type": "string", "enum": [tag]}, **extra},
    }


def base(version: str = "3.0.0") -> dict[str, Any]:
    """One spec: createThing (body Req, 200 Res with a header, 404), getThing, listThings."""
    return {
        "openapi": version,
        "info": {"title": "Things", "version": "1"},
        "paths": {
            "/things": {
                "post": {
                    "operationId": "createThing",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Req"}}
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "headers": {
                                "X-Request-Id": {"required": True, "schema": {"type": "string"}},
                                "X-Trace": {"schema": {"type": "string"}},
                            },
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Res"}}
                            },
                        },
                        "404": {"description": "missing"},
                    },
                },
                "get": {
                    "operationId": "listThings",
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                        {
                            "name": "order",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["asc", "desc"]},
                        },
                    ],
                    "responses": {"200": {"description": "ok"}},
                },
            },
            "/things/{thing_id}": {
                "get": {
                    "operationId": "getThing",
                    "parameters": [
                        {
                            "name": "thing_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
        "components": {
            "schemas": {
                "Req": copy.deepcopy(REQ),
                "Res": copy.deepcopy(RES),
                "A": _tagged("a", x={"type": "string"}),
                "B": _tagged("b", y={"type": "integer"}),
                "C": _tagged("c"),
            }
        },
    }


def diff(tmp_path: Path, old: dict[str, Any], new: dict[str, Any]) -> SpecDiff:
    for name, doc in (("old.json", old), ("new.json", new)):
        (tmp_path / name).write_text(json.dumps(doc), encoding="utf-8")
    return diff_specs(
        load_spec(tmp_path / "old.json", cache=False), load_spec(tmp_path / "new.json", cache=False)
    )


def found(report: SpecDiff) -> list[Found]:
    return [(f.id, f.direction, f.where, f.pointer) for f in report.findings]


def res(spec: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"]["Res"]
    return schema


def req(spec: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"]["Req"]
    return schema


RESPONSE = "response 200 application/json"
REQUEST = "request body application/json"


def test_the_same_spec_has_no_finding(tmp_path: Path) -> None:
    assert found(diff(tmp_path, base(), base())) == []


# -- response schema changes: (change to the new spec, expected findings) ----------------------


def _remove_required_id(s: dict[str, Any]) -> None:
    del res(s)["properties"]["id"]
    res(s)["required"] = ["status"]


RESPONSE_CASES: dict[str, tuple[Any, list[tuple[str, str]]]] = {
    "required property removed": (
        _remove_required_id,
        [("response-required-property-removed", "/id")],
    ),
    "optional property removed": (
        lambda s: res(s)["properties"].pop("count"),
        [("response-optional-property-removed", "/count")],
    ),
    "optional property added": (
        lambda s: res(s)["properties"].update(extra={"type": "string"}),
        [("response-optional-property-added", "/extra")],
    ),
    "required property added": (
        lambda s: (
            res(s)["properties"].update(extra={"type": "string"}),
            res(s)["required"].append("extra"),
        ),
        [("response-required-property-added", "/extra")],
    ),
    "became optional": (
        lambda s: res(s).update(required=["id"]),
        [("response-property-became-optional", "/status")],
    ),
    "became required": (
        lambda s: res(s)["required"].append("count"),
        [("response-property-became-required", "/count")],
    ),
    "became nullable": (
        lambda s: res(s)["properties"]["status"].update(nullable=True),
        [("response-property-became-nullable", "/status")],
    ),
    "became not nullable": (
        lambda s: res(s)["properties"]["note"].pop("nullable"),
        [("response-property-became-not-nullable", "/note")],
    ),
    "enum value added": (
        lambda s: res(s)["properties"]["status"]["enum"].append("c"),
        [("response-property-enum-value-added", "/status")],
    ),
    "enum value removed": (
        lambda s: res(s)["properties"]["status"]["enum"].remove("b"),
        [("response-property-enum-value-removed", "/status")],
    ),
    "enum lifted": (
        lambda s: res(s)["properties"]["status"].pop("enum"),
        [("response-property-became-not-enum", "/status")],
    ),
    "became enum": (
        lambda s: res(s)["properties"]["id"].update(enum=["x"]),
        [("response-property-became-enum", "/id")],
    ),
    "type changed": (
        lambda s: res(s)["properties"].update(id={"type": "object"}),
        [("response-property-type-changed", "/id")],
    ),
    "type widened": (
        lambda s: res(s)["properties"]["count"].update(type="number"),
        [("response-property-type-generalized", "/count")],
    ),
    "type narrowed": (
        lambda s: res(s)["properties"]["score"].update(type="integer"),
        [("response-property-type-specialized", "/score")],
    ),
    "items type changed": (
        lambda s: res(s)["properties"]["tags"]["items"].update(type="integer"),
        [("response-property-type-changed", "/tags/items")],
    ),
    "max decreased": (
        lambda s: res(s)["properties"]["count"].update(maximum=5),
        [("response-property-max-decreased", "/count")],
    ),
    "max increased": (
        lambda s: res(s)["properties"]["count"].update(maximum=20),
        [("response-property-max-increased", "/count")],
    ),
    "max unset": (
        lambda s: res(s)["properties"]["count"].pop("maximum"),
        [("response-property-max-unset", "/count")],
    ),
    "min length set": (
        lambda s: res(s)["properties"]["id"].update(minLength=1),
        [("response-property-min-length-set", "/id")],
    ),
    "pattern added": (
        lambda s: res(s)["properties"]["id"].update(pattern="^t_"),
        [("response-property-pattern-added", "/id")],
    ),
    "deprecated": (
        lambda s: res(s)["properties"]["id"].update(deprecated=True),
        [("response-property-deprecated", "/id")],
    ),
    "oneOf branch added": (
        lambda s: res(s)["properties"]["item"]["oneOf"].append({"$ref": "#/components/schemas/C"}),
        [("response-property-one-of-added", "/item")],
    ),
    "oneOf branch removed": (
        lambda s: res(s)["properties"]["item"]["oneOf"].pop(),
        [("response-property-one-of-removed", "/item")],
    ),
    "change inside a branch matched by its tag": (
        lambda s: s["components"]["schemas"]["B"]["properties"].update(y={"type": "string"}),
        [("response-property-type-changed", "/item/oneOf[type=b]/y")],
    ),
    "body type changed": (
        lambda s: s["components"]["schemas"].update(Res={"type": "array", "items": RES}),
        [("response-body-type-changed", "")],
    ),
}


@pytest.mark.parametrize("case", sorted(RESPONSE_CASES))
def test_response_change(tmp_path: Path, case: str) -> None:
    change, expected = RESPONSE_CASES[case]
    new = base()
    change(new)
    report = diff(tmp_path, base(), new)
    assert found(report) == [(id, "response", RESPONSE, pointer) for id, pointer in expected]
    assert report.findings[0].operation == "createThing"


def test_response_enum_value_added_breaks_clients_with_the_value_named(tmp_path: Path) -> None:
    new = base()
    res(new)["properties"]["status"]["enum"].append("c")
    (finding,) = diff(tmp_path, base(), new).findings
    assert (finding.level, finding.breaks, finding.name) == ("breaking", ("clients",), '"c"')
    assert finding.text == 'enum value "c" added'


# -- request schema changes ----------------------------------------------------------------------

REQUEST_CASES: dict[str, tuple[Any, list[tuple[str, str]]]] = {
    "new required property": (
        lambda s: (
            req(s)["properties"].update(user={"type": "string"}),
            req(s)["required"].append("user"),
        ),
        [("new-required-request-property", "/user")],
    ),
    "new optional property": (
        lambda s: req(s)["properties"].update(user={"type": "string"}),
        [("new-optional-request-property", "/user")],
    ),
    "property removed": (
        lambda s: req(s)["properties"].pop("name"),
        [("request-property-removed", "/name")],
    ),
    "became required": (
        lambda s: req(s)["required"].append("n"),
        [("request-property-became-required", "/n")],
    ),
    "became optional": (
        lambda s: req(s).pop("required"),
        [("request-property-became-optional", "/model")],
    ),
    "enum value added": (
        lambda s: req(s)["properties"]["mode"]["enum"].append("auto"),
        [("request-property-enum-value-added", "/mode")],
    ),
    "enum value removed": (
        lambda s: req(s)["properties"]["mode"]["enum"].remove("slow"),
        [("request-property-enum-value-removed", "/mode")],
    ),
    "type widened": (
        lambda s: req(s)["properties"]["n"].update(type="number"),
        [("request-property-type-generalized", "/n")],
    ),
    "became nullable": (
        lambda s: req(s)["properties"]["n"].update(nullable=True),
        [("request-property-became-nullable", "/n")],
    ),
    "max length set": (
        lambda s: req(s)["properties"]["name"].update(maxLength=64),
        [("request-property-max-length-set", "/name")],
    ),
    "anyOf branch added": (
        lambda s: req(s)["properties"].update(
            model={"anyOf": [{"type": "string"}, {"type": "object", "required": ["id"]}]}
        ),
        [("request-property-any-of-added", "/model")],
    ),
}


@pytest.mark.parametrize("case", sorted(REQUEST_CASES))
def test_request_change(tmp_path: Path, case: str) -> None:
    change, expected = REQUEST_CASES[case]
    new = base()
    change(new)
    assert found(diff(tmp_path, base(), new)) == [
        (id, "request", REQUEST, pointer) for id, pointer in expected
    ]


def test_request_sides_new_enum_value_breaks_servers_removed_one_clients(tmp_path: Path) -> None:
    new = base()
    req(new)["properties"]["mode"]["enum"] = ["fast", "auto"]
    report = diff(tmp_path, base(), new)
    assert {f.id: f.breaks for f in report.findings} == {
        "request-property-enum-value-added": ("servers",),
        "request-property-enum-value-removed": ("clients",),
    }
    assert report.fails(side="servers") and report.fails(side="clients")


def test_open_enum_values_are_extensible(tmp_path: Path) -> None:
    """anyOf [string, string enum] (OpenAI's model ids): listed values bind nothing."""
    old, new = base(), base()
    for spec, values in ((old, ["m1", "m2"]), (new, ["m1", "m3"])):
        req(spec)["properties"]["model"] = {
            "anyOf": [{"type": "string"}, {"type": "string", "enum": values}]
        }
    report = diff(tmp_path, old, new)
    assert found(report) == [
        (
            "request-property-x-extensible-enum-value-added",
            "request",
            REQUEST,
            "/model/anyOf[string enum]",
        ),
        (
            "request-property-x-extensible-enum-value-removed",
            "request",
            REQUEST,
            "/model/anyOf[string enum]",
        ),
    ]
    assert [f.level for f in report.findings] == ["info", "warning"]


# -- parameters, bodies, statuses, media types, headers, operations ------------------------------


def _op(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    op: dict[str, Any] = spec["paths"][path][method]
    return op


def _params(spec: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = _op(spec, "/things", "get")["parameters"]
    return params


def _responses(spec: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = _op(spec, "/things", "post")["responses"]
    return responses


OPERATION_CASES: dict[str, tuple[Any, list[Found]]] = {
    "new required parameter": (
        lambda s: _params(s).append({"name": "after", "in": "query", "required": True}),
        [("new-required-request-parameter", "request", "query parameter after", "")],
    ),
    "new optional parameter": (
        lambda s: _params(s).append({"name": "after", "in": "query"}),
        [("new-optional-request-parameter", "request", "query parameter after", "")],
    ),
    "parameter removed": (
        lambda s: _params(s).pop(0),
        [("request-parameter-removed", "request", "query parameter limit", "")],
    ),
    "parameter became required": (
        lambda s: _params(s)[0].update(required=True),
        [("request-parameter-became-required", "request", "query parameter limit", "")],
    ),
    "parameter enum value added": (
        lambda s: _params(s)[1]["schema"]["enum"].append("random"),
        [("request-parameter-enum-value-added", "request", "query parameter order", "")],
    ),
    "request body added": (
        lambda s: _op(s, "/things", "get").update(
            requestBody={"required": True, "content": {"application/json": {"schema": {}}}}
        ),
        [("request-body-added-required", "request", "request body", "")],
    ),
    "request body removed": (
        lambda s: _op(s, "/things", "post").pop("requestBody"),
        [("request-body-removed", "request", "request body", "")],
    ),
    "request body became optional": (
        lambda s: _op(s, "/things", "post")["requestBody"].update(required=False),
        [("request-body-became-optional", "request", "request body", "")],
    ),
    "request media type added": (
        lambda s: _op(s, "/things", "post")["requestBody"]["content"].update(
            {"multipart/form-data": {"schema": {"type": "object"}}}
        ),
        [("request-body-media-type-added", "request", "request body", "")],
    ),
    "success status removed": (
        lambda s: (
            _op(s, "/things/{thing_id}", "get")["responses"].update(
                {"200": None, "201": {"description": "made"}}
            )
            or _op(s, "/things/{thing_id}", "get")["responses"].pop("200")
        ),
        [
            ("response-success-status-removed", "response", "response 200", ""),
            ("response-success-status-added", "response", "response 201", ""),
        ],
    ),
    "error status removed": (
        lambda s: _responses(s).pop("404"),
        [("response-non-success-status-removed", "response", "response 404", "")],
    ),
    "error status added": (
        lambda s: _responses(s).update({"429": {"description": "slow down"}}),
        [("response-non-success-status-added", "response", "response 429", "")],
    ),
    "response media type removed": (
        lambda s: _responses(s)["200"]["content"].update(
            {"text/plain": _responses(s)["200"]["content"].pop("application/json")}
        ),
        [
            ("response-media-type-removed", "response", RESPONSE, ""),
            ("response-media-type-added", "response", "response 200 text/plain", ""),
        ],
    ),
    "required header removed": (
        lambda s: _responses(s)["200"]["headers"].pop("X-Request-Id"),
        [("required-response-header-removed", "response", "response 200 header X-Request-Id", "")],
    ),
    "optional header removed": (
        lambda s: _responses(s)["200"]["headers"].pop("X-Trace"),
        [("optional-response-header-removed", "response", "response 200 header X-Trace", "")],
    ),
    "header added": (
        lambda s: _responses(s)["200"]["headers"].update(
            {"X-Limit": {"schema": {"type": "integer"}}}
        ),
        [("response-header-added", "response", "response 200 header X-Limit", "")],
    ),
    "header became optional": (
        lambda s: _responses(s)["200"]["headers"]["X-Request-Id"].pop("required"),
        [("response-header-became-optional", "response", "response 200 header X-Request-Id", "")],
    ),
    "header type changed": (
        lambda s: _responses(s)["200"]["headers"]["X-Trace"].update(schema={"type": "integer"}),
        [("response-header-type-changed", "response", "response 200 header X-Trace", "")],
    ),
    "operation removed": (
        lambda s: s["paths"].pop("/things/{thing_id}"),
        [("api-removed-without-deprecation", "operation", "", "")],
    ),
    "operation added": (
        lambda s: s["paths"].update(
            {
                "/stuff": {
                    "get": {"operationId": "listStuff", "responses": {"200": {"description": "ok"}}}
                }
            }
        ),
        [("endpoint-added", "operation", "", "")],
    ),
    "operation deprecated": (
        lambda s: _op(s, "/things/{thing_id}", "get").update(deprecated=True),
        [("endpoint-deprecated", "operation", "", "")],
    ),
    "operation moved": (
        lambda s: s["paths"].update(
            {"/v2/things/{thing_id}": s["paths"].pop("/things/{thing_id}")}
        ),
        [("api-path-changed", "operation", "", "")],
    ),
    "operationId changed": (
        lambda s: _op(s, "/things/{thing_id}", "get").update(operationId="retrieveThing"),
        [("api-operation-id-removed", "operation", "", "")],
    ),
    "path parameter renamed (no change on the wire)": (
        lambda s: (
            s["paths"].update({"/things/{id}": s["paths"].pop("/things/{thing_id}")}),
            _op(s, "/things/{id}", "get")["parameters"][0].update(name="id"),
        ),
        [],
    ),
}


@pytest.mark.parametrize("case", sorted(OPERATION_CASES))
def test_operation_change(tmp_path: Path, case: str) -> None:
    change, expected = OPERATION_CASES[case]
    new = base()
    change(new)
    assert found(diff(tmp_path, base(), new)) == expected


REVERSED = {  # a case of OPERATION_CASES read from the new spec to the old one
    "request body became optional": "request-body-became-required",
    "request media type added": "request-body-media-type-removed",
    "parameter became required": "request-parameter-became-optional",
    "header became optional": "response-header-became-required",
    "operation deprecated": "endpoint-reactivated",
    "new required parameter": "request-parameter-removed",
}


@pytest.mark.parametrize("case", sorted(REVERSED))
def test_operation_change_reversed(tmp_path: Path, case: str) -> None:
    change, expected = OPERATION_CASES[case]
    new = base()
    change(new)
    (finding,) = diff(tmp_path, new, base()).findings
    assert (finding.id, finding.where) == (REVERSED[case], expected[0][2])


def test_an_optional_request_body_added_breaks_no_client(tmp_path: Path) -> None:
    new = base()
    _op(new, "/things", "get")["requestBody"] = {"content": {"application/json": {"schema": {}}}}
    (finding,) = diff(tmp_path, base(), new).findings
    assert (finding.id, finding.level, finding.breaks) == (
        "request-body-added-optional",
        "warning",
        ("servers",),
    )


def test_a_deprecated_operation_removed_is_a_warning(tmp_path: Path) -> None:
    old, new = base(), base()
    _op(old, "/things/{thing_id}", "get")["deprecated"] = True
    new["paths"].pop("/things/{thing_id}")
    (finding,) = diff(tmp_path, old, new).findings
    assert (finding.id, finding.level, finding.operation) == (
        "api-removed-with-deprecation",
        "warning",
        "getThing",
    )


# -- 3.1, streams, normal forms, recursion -------------------------------------------------------


def _stream_spec(events: list[str]) -> dict[str, Any]:
    spec = base("3.1.0")
    schemas = spec["components"]["schemas"]
    for event in events:
        schemas[f"Event_{event}"] = {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"type": "string", "const": f"thing.{event}"}},
        }
    _responses(spec)["200"]["content"]["text/event-stream"] = {
        "schema": {"anyOf": [{"$ref": f"#/components/schemas/Event_{e}"} for e in events]}
    }
    return spec


def test_stream_event_types_added_and_removed(tmp_path: Path) -> None:
    report = diff(tmp_path, _stream_spec(["created", "done"]), _stream_spec(["created", "delta"]))
    where = "response 200 text/event-stream"
    assert found(report) == [
        ("response-stream-event-type-removed", "response", where, ""),
        ("response-stream-event-type-added", "response", where, ""),
    ]
    assert [f.name for f in report.findings] == ["type=thing.done", "type=thing.delta"]
    assert report.findings[1].breaks == ("clients",)


def _embedding_stream(status: list[str]) -> dict[str, Any]:
    """Three stream events that embed one component (as the Responses API's events embed
    ``Response``), plus one event of its own."""
    spec = _stream_spec(["created", "in_progress", "completed", "delta"])
    schemas = spec["components"]["schemas"]
    schemas["Thing"] = {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string", "enum": status}},
    }
    for event in ("created", "in_progress", "completed"):
        schemas[f"Event_{event}"]["properties"]["thing"] = {"$ref": "#/components/schemas/Thing"}
    return spec


def test_a_change_in_a_component_many_events_embed_is_one_finding(tmp_path: Path) -> None:
    report = diff(tmp_path, _embedding_stream(["a"]), _embedding_stream(["a", "b"]))
    where = "response 200 text/event-stream"
    assert found(report) == [
        (
            "response-property-enum-value-added",
            "response",
            where,
            "/anyOf[type=thing.created]/thing/status",
        )
    ]
    (finding,) = report.findings
    assert finding.also == (
        "/anyOf[type=thing.in_progress]/thing/status",
        "/anyOf[type=thing.completed]/thing/status",
    )
    assert report.counts()["findings"] == 1
    line = "also at 2 more: /anyOf[type=thing.in_progress]/…, /anyOf[type=thing.completed]/…"
    assert line in report.to_text() and line in report.to_markdown()
    assert SpecDiff.from_json(report.to_json()) == report


def test_the_same_change_in_distinct_schemas_stays_apart(tmp_path: Path) -> None:
    """A property added to each of two event schemas is two changes (two schemas changed)."""
    old = _stream_spec(["created", "done"])
    new = _stream_spec(["created", "done"])
    for event in ("created", "done"):
        schema = new["components"]["schemas"][f"Event_{event}"]
        schema["properties"]["n"] = {"type": "integer"}
        schema["required"].append("n")
    report = diff(tmp_path, old, new)
    assert [(f.pointer, f.also) for f in report.findings] == [
        ("/anyOf[type=thing.created]/n", ()),
        ("/anyOf[type=thing.done]/n", ()),
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"format": "int64"}, {"format": "unixtime"}, []),
        ({"format": "int64"}, {}, []),
        (
            {"format": "int64"},
            {"minimum": -9223372036854776000, "maximum": 9223372036854776000},
            [],
        ),
        ({"maximum": 9223372036854775807}, {"maximum": 9223372036854776000.0}, []),
        ({"format": "int32"}, {"format": "unixtime"}, ["max-unset", "min-unset"]),
        ({"format": "int64"}, {"minimum": 0}, ["min-set"]),
        ({"format": "int64", "maximum": 10}, {"format": "int64"}, ["max-unset"]),
    ],
)
def test_int64_bounds_restated_are_no_change(
    tmp_path: Path, old: dict[str, Any], new: dict[str, Any], expected: list[str]
) -> None:
    """int64's edges are what an integer is to a client (an int64 or a double): format int64,
    its bounds written out (as doubles: 2**63 - 1 prints as 9223372036854776000), unixtime or no
    format at all are one range; int32 and any other bound still count."""
    before, after = base(), base()
    res(before)["properties"]["created_at"] = {"type": "integer", **old}
    res(after)["properties"]["created_at"] = {"type": "integer", **new}
    report = diff(tmp_path, before, after)
    ids = [f.id.removeprefix("response-property-") for f in report.findings]
    assert ids == expected
    assert all(f.pointer == "/created_at" for f in report.findings)


def test_3_0_nullable_and_3_1_null_forms_are_the_same(tmp_path: Path) -> None:
    """nullable: true (3.0), type [x, "null"] and anyOf [$ref, null] (3.1), allOf splits and
    const vs a one-value enum read alike: no finding."""
    old = base("3.0.0")
    old["components"]["schemas"]["Res"] = {
        "allOf": [
            {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
            {
                "type": "object",
                "properties": {
                    "note": {"type": "string", "nullable": True},
                    "kind": {"type": "string", "enum": ["thing"]},
                    "item": {"allOf": [{"$ref": "#/components/schemas/A"}], "nullable": True},
                },
            },
        ]
    }
    new = base("3.1.0")
    new["components"]["schemas"]["Res"] = {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "string"},
            "note": {"type": ["string", "null"]},
            "kind": {"const": "thing", "type": "string"},
            "item": {"anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "null"}]},
        },
    }
    assert found(diff(tmp_path, old, new)) == []


def test_3_1_became_nullable_through_anyof(tmp_path: Path) -> None:
    new = base("3.1.0")
    res(new)["properties"]["id"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert found(diff(tmp_path, base("3.1.0"), new)) == [
        ("response-property-became-nullable", "response", RESPONSE, "/id")
    ]


def test_recursive_schemas_are_compared_once_per_pair(tmp_path: Path) -> None:
    def tree(extra: dict[str, Any]) -> dict[str, Any]:
        spec = base()
        spec["components"]["schemas"]["Res"] = {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Res"}},
                **extra,
            },
        }
        return spec

    report = diff(tmp_path, tree({}), tree({"label": {"type": "string"}}))
    assert found(report) == [("response-optional-property-added", "response", RESPONSE, "/label")]


def test_the_walk_is_bounded(tmp_path: Path) -> None:
    def deep(leaf: str) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": leaf}
        for _ in range(MAX_DEPTH + 10):
            schema = {"type": "array", "items": schema}
        spec = base()
        res(spec)["properties"]["deep"] = schema
        return spec

    assert found(diff(tmp_path, deep("string"), deep("integer"))) == []


# -- report: JSON, text, Markdown, gate ----------------------------------------------------------


@pytest.fixture
def mixed(tmp_path: Path) -> SpecDiff:
    """One client-breaking, one server-breaking and one informative finding."""
    new = base()
    res(new)["properties"]["status"]["enum"].append("c")  # breaks clients
    req(new)["properties"]["mode"]["enum"].append("auto")  # breaks servers
    res(new)["properties"]["extra"] = {"type": "string"}  # info
    return diff(tmp_path, base(), new)


def test_json_round_trip(mixed: SpecDiff) -> None:
    data = json.loads(mixed.to_json())
    assert (data["format"], data["version"]) == ("openai-conformance/spec-diff", 1)
    assert data["counts"]["breaking"] == 2 and data["counts"]["info"] == 1
    assert data["counts"]["clients"] == 1 and data["counts"]["servers"] == 1
    assert SpecDiff.from_json(mixed.to_json()) == mixed


def test_a_foreign_document_is_refused(mixed: SpecDiff) -> None:
    from conformance.errors import InputError

    data = mixed.to_dict()
    with pytest.raises(InputError, match="version 2"):
        SpecDiff.from_dict({**data, "version": 2})
    with pytest.raises(InputError, match="not a spec diff"):
        SpecDiff.from_dict({"format": "openai-conformance/results"})


def test_gate_by_level_and_side(mixed: SpecDiff, tmp_path: Path) -> None:
    assert mixed.fails() and mixed.fails("warning")
    assert not mixed.fails("never")
    assert [f.id for f in mixed.failing(side="clients")] == ["response-property-enum-value-added"]
    assert [f.id for f in mixed.failing(side="servers")] == ["request-property-enum-value-added"]
    new = base()
    res(new)["properties"]["extra"] = {"type": "string"}
    assert not diff(tmp_path, base(), new).fails("warning")


def test_text_and_markdown(mixed: SpecDiff) -> None:
    text = mixed.to_text()
    assert text.splitlines()[1].startswith("findings   3: 2 breaking, 0 warning, 1 info")
    assert "    response-property-enum-value-added  response 200 application/json /status: " in text
    assert (
        "response-optional-property-added"
        not in mixed.to_text(level="breaking").split("checks")[-1].split("\n\n", 1)[-1]
    )
    markdown = mixed.to_markdown()
    assert "| `response-property-enum-value-added` | breaking | clients | 1 |" in markdown
    assert "| breaking | `createThing` | response 200 application/json | `/status` |" in markdown
    cut = mixed.to_markdown(max_rows=1)
    assert "_2 more findings not shown (see the JSON report)._" in cut


def test_every_check_names_a_known_level_and_side() -> None:
    assert len(SPEC_CHECKS) > 100
    for check in SPEC_CHECKS.values():
        assert check.level in ("breaking", "warning", "info")
        assert set(check.breaks) <= {"clients", "servers"}
        assert check.direction in ("operation", "request", "response")


# -- CLI ---------------------------------------------------------------------------------------


def _files(tmp_path: Path, old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str]:
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    (tmp_path / "new.json").write_text(json.dumps(new), encoding="utf-8")
    return str(tmp_path / "old.json"), str(tmp_path / "new.json")


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    same = _files(tmp_path, base(), base())
    assert main(["spec", "diff", *same]) == 0
    new = base()
    res(new)["properties"]["status"]["enum"].append("c")  # breaks clients only
    paths = _files(tmp_path, base(), new)
    assert main(["spec", "diff", *paths]) == 1
    assert main(["spec", "diff", *paths, "--fail-on", "never"]) == 0
    assert main(["spec", "diff", *paths, "--side", "servers"]) == 0
    assert main(["spec", "diff", *paths, "--side", "clients", "--errata", "none"]) == 1
    capsys.readouterr()
    assert main(["spec", "diff", *paths, "--json"]) == 1
    assert SpecDiff.from_json(capsys.readouterr().out).findings[0].pointer == "/status"
    assert main(["spec", "diff", *paths, "--format", "markdown", "--fail-on", "never"]) == 0
    assert capsys.readouterr().out.startswith("## Spec diff: ")


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text(json.dumps(base()), encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "spec",
            "diff",
            str(tmp_path / "old.json"),
            str(missing),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "missing.yaml" in result.stderr
    assert result.stderr.startswith("conformance: error: ")
    unknown = main(
        ["spec", "diff", str(tmp_path / "old.json"), str(tmp_path / "old.json"), "--errata", "nope"]
    )
    assert unknown == 2


# -- the OpenAI specs ----------------------------------------------------------------------------

V230, V2026 = SPECS / "openai-2.3.0.yaml", SPECS / "openai-2026-08.yaml"


@pytest.fixture(scope="module")
def openai() -> SpecDiff:
    if not (V230.is_file() and V2026.is_file()):
        pytest.skip(f"OpenAI specs not found in {SPECS}")
    return diff_specs(load_spec(V230), load_spec(V2026))


def _at(report: SpecDiff, operation: str, id: str, where: str, pointer: str) -> list[str]:
    return [
        f.name
        for f in report.findings
        if (f.operation, f.id, f.where, f.pointer) == (operation, id, where, pointer)
    ]


def test_openai_hand_checked_findings(openai: SpecDiff) -> None:
    """Each checked in the YAML (README, "Spec diff")."""
    # CreateChatCompletionResponse.service_tier: enum [scale, default] + nullable (2.3.0) ->
    # ServiceTier: anyOf [enum [auto, default, flex, scale, priority, fast], null] (2026-08)
    added = _at(
        openai,
        "createChatCompletion",
        "response-property-enum-value-added",
        RESPONSE,
        "/service_tier",
    )
    assert added == ['"auto"', '"flex"', '"priority"', '"fast"']
    # POST /responses streams: response.queued is a new ResponseStreamEvent branch
    events = _at(
        openai,
        "createResponse",
        "response-stream-event-type-added",
        "response 200 text/event-stream",
        "",
    )
    assert "type=response.queued" in events and len(events) == 28
    gone = _at(
        openai,
        "createResponse",
        "response-stream-event-type-removed",
        "response 200 text/event-stream",
        "",
    )  # renamed: response.code_interpreter_call_code.delta/.done are among the 28 added
    assert gone == [
        "type=response.code_interpreter_call.code.delta",
        "type=response.code_interpreter_call.code.done",
    ]
    # deleteFineTuningCheckpointPermission gained /{permission_id} after the checkpoint
    (moved,) = [f for f in openai.findings if f.id == "api-path-changed"]
    assert moved.operation == "deleteFineTuningCheckpointPermission"
    assert moved.text.endswith(
        "/fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions/{permission_id}"
    )
    # the Assistants operations are deprecated in 2026-08
    deprecated = sorted(f.operation for f in openai.findings if f.id == "endpoint-deprecated")
    assert deprecated == [
        "createAssistant",
        "deleteAssistant",
        "getAssistant",
        "listAssistants",
        "modifyAssistant",
    ]
    # VoiceIdsShared's listed voices lose fable, onyx, nova (an open enum: a warning, not a break)
    voice = "/voice/anyOf[string enum]"
    removed = _at(
        openai,
        "createSpeech",
        "request-property-x-extensible-enum-value-removed",
        "request body application/json",
        voice,
    )
    assert removed == ['"fable"', '"onyx"', '"nova"']
    # createVectorStoreFileBatch: file_ids or files (anyOf of required), file_ids up to 2,000
    batch = "createVectorStoreFileBatch"
    assert _at(openai, batch, "new-optional-request-property", REQUEST, "/files") == ["files"]
    assert _at(openai, batch, "request-property-max-items-increased", REQUEST, "/file_ids") == [
        "maxItems"
    ]
    assert not [
        f for f in openai.findings if f.operation == batch and f.id == "request-property-removed"
    ]


_EMBEDDED = re.compile(r"^/anyOf\[type=response\.[a-z_]+\]/response(/.*)$")


def test_openai_response_changes_are_not_repeated_per_stream_event(openai: SpecDiff) -> None:
    """``Response`` is embedded in the stream events both specs have (``response.created``,
    ``.in_progress``, ``.completed``, ``.failed``, ``.incomplete``): each change inside it is one
    finding, its other events in ``also`` — as many findings as ``getResponse`` has."""
    stream = [
        f
        for f in openai.findings
        if f.operation == "createResponse" and f.where == "response 200 text/event-stream"
    ]
    inside = Counter(
        (f.id, f.name, m.group(1)) for f in stream if (m := _EMBEDDED.match(f.pointer))
    )
    single = [f for f in openai.findings if f.operation == "getResponse" and f.where == RESPONSE]
    assert inside and max(inside.values()) == 1
    assert len(inside) == len(single)
    (cancelled,) = [
        f for f in stream if f.pointer.endswith("/response/status") and f.name == '"cancelled"'
    ]
    places = (cancelled.pointer, *cancelled.also)
    assert all(p.endswith("/response/status") for p in places)
    assert sorted(p.split("/")[1] for p in places) == [
        f"anyOf[type=response.{e}]"
        for e in ("completed", "created", "failed", "in_progress", "incomplete")
    ]


def test_openai_int64_bounds_are_no_finding(openai: SpecDiff) -> None:
    """2.3.0's ``format: int64`` (``seed``, ``created_at``) against 2026-08's bounds written as
    doubles or ``format: unixtime`` restates one range: no bound finding."""
    bounds = [f for f in openai.findings if f.name in ("maximum", "minimum")]
    assert bounds  # others remain (score_threshold, learning_rate_multiplier…)
    assert not [f for f in bounds if "922337203685477" in f.text]
    assert not [f for f in bounds if f.pointer.endswith(("/created_at", "/seed"))]


def test_openai_counts_are_consistent(openai: SpecDiff) -> None:
    counts = openai.counts()
    assert counts["findings"] == sum(counts["checks"].values()) == len(openai.findings)
    assert counts["checks"]["endpoint-added"] == 288 - 126
    assert "api-removed-without-deprecation" not in counts["checks"]
    assert all(id in SPEC_CHECKS for id in counts["checks"])


def test_doctests() -> None:
    import doctest

    from conformance.reports import schemashape, specchecks, specdiff

    for module in (schemashape, specchecks, specdiff):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, module.__name__
