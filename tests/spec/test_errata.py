"""Errata: each one on a tiny spec that triggers it and on one that must not; the OpenAI specs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import traffic
from support import SPECS

from conformance import sse
from conformance.spec import ERRATA, Spec, load_spec
from conformance.validate import Validator


@pytest.fixture(scope="module")
def spec23() -> Spec:
    return load_spec(SPECS / "openai-2.3.0.yaml")


def base(
    schemas: dict[str, Any] | None = None, paths: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "errata", "version": "1"},
        "paths": paths or {},
        "components": {"schemas": schemas or {}},
    }


def load(tmp_path: Path, doc: dict[str, Any], errata: tuple[str, ...] | None = None) -> Spec:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(doc))
    return load_spec(path, errata=errata, cache=False)


def applied(spec: Spec) -> list[tuple[str, str]]:
    return [(e.id, e.pointer) for e in spec.errata]


def body_op(schema: dict[str, Any]) -> dict[str, Any]:
    """A path whose 200 response body is ``schema``."""
    return {
        "/x": {
            "get": {
                "operationId": "getX",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": schema}},
                    }
                },
            }
        }
    }


def test_errata_catalogue() -> None:
    assert [e.id for e in ERRATA] == [
        "required-duplicates",
        "required-undefined",
        "oneof-overlap",
        "query-deep-object",
        "download-json-string",
        "openai-base64-embeddings",
        "openai-run-streams",
        "openai-completion-stream",
        "openai-done-sentinel",
        "openai-error-envelope",
        "list-ids-nullable",
    ]
    assert all(e.summary for e in ERRATA)


# -- required-duplicates ----------------------------------------------------------------------------


def test_required_duplicates_triggers(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "required": ["a", "b", "a", "b", "c"],
        "properties": {"a": {}, "b": {}, "c": {}},
    }
    spec = load(tmp_path, base({"X": schema}))
    assert applied(spec) == [("required-duplicates", "#/components/schemas/X/required")]
    assert spec.errata[0].detail == "duplicated a, b removed"
    assert (
        str(spec.errata[0])
        == "required-duplicates at #/components/schemas/X/required: duplicated a, b removed"
    )
    assert spec.document["components"]["schemas"]["X"]["required"] == ["a", "b", "c"]


def test_required_duplicates_does_not_trigger(tmp_path: Path) -> None:
    schema = {"type": "object", "required": ["a", "b"], "properties": {"a": {}, "b": {}}}
    spec = load(tmp_path, base({"X": schema}))
    assert spec.errata == ()
    # `required` as a property *name* is not a keyword
    props = {"type": "object", "properties": {"required": {"type": "array"}}}
    assert load(tmp_path, base({"Y": props})).errata == ()


# -- required-undefined -----------------------------------------------------------------------------


def test_required_undefined_triggers(tmp_path: Path) -> None:
    schema = {"type": "object", "required": ["a", "ghost"], "properties": {"a": {"type": "string"}}}
    spec = load(tmp_path, base({"X": schema}, body_op({"$ref": "#/components/schemas/X"})))
    assert applied(spec) == [("required-undefined", "#/components/schemas/X/required")]
    assert "ghost" in spec.errata[0].detail
    assert spec.document["components"]["schemas"]["X"]["required"] == ["a"]
    assert Validator(spec).response("getX", body={"a": "x"}) == []
    unpatched = load(
        tmp_path, base({"X": schema}, body_op({"$ref": "#/components/schemas/X"})), errata=()
    )
    found = Validator(unpatched).response("getX", body={"a": "x"})
    assert [(x.pointer, x.code) for x in found] == [("", "schema.required")]
    assert "ghost" in found[0].message


@pytest.mark.parametrize(
    "schemas",
    [
        # all declared
        {"X": {"type": "object", "required": ["a"], "properties": {"a": {}}}},
        # a composition branch: its siblings declare what it requires
        {
            "X": {
                "allOf": [
                    {"type": "object", "properties": {"b": {}}},
                    {"type": "object", "required": ["b"], "properties": {"a": {}}},
                ]
            }
        },
        # other properties are allowed: the name may be one of them
        {
            "X": {
                "type": "object",
                "required": ["b"],
                "properties": {"a": {}},
                "additionalProperties": {},
            }
        },
        {
            "X": {
                "type": "object",
                "required": ["b"],
                "properties": {"a": {}},
                "patternProperties": {"^b": {}},
            }
        },
        # composes or references something that may declare it
        {
            "X": {
                "type": "object",
                "required": ["b"],
                "properties": {"a": {}},
                "allOf": [{"properties": {"b": {}}}],
            }
        },
        # no `properties` at all: required-only schemas are a common (valid) idiom
        {"X": {"type": "object", "required": ["b"]}},
    ],
    ids=[
        "declared",
        "branch",
        "additionalProperties",
        "patternProperties",
        "composes",
        "no-properties",
    ],
)
def test_required_undefined_does_not_trigger(tmp_path: Path, schemas: dict[str, Any]) -> None:
    original = copy.deepcopy(schemas)
    spec = load(tmp_path, base(schemas))
    assert spec.errata == ()
    assert spec.document["components"]["schemas"] == original


# -- oneof-overlap -------------------------------------------------------------------------

FILTER = {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}}}


def test_oneof_freeform_overlap_triggers(tmp_path: Path) -> None:
    holder = {
        "type": "array",
        "items": {"oneOf": [{"$ref": "#/components/schemas/Filter"}, {"type": "object"}]},
    }
    doc = base(
        {"Filter": FILTER, "Holder": holder}, body_op({"$ref": "#/components/schemas/Holder"})
    )
    spec = load(tmp_path, doc)
    assert applied(spec) == [("oneof-overlap", "#/components/schemas/Holder/items/oneOf")]
    items = spec.document["components"]["schemas"]["Holder"]["items"]
    assert "oneOf" not in items and len(items["anyOf"]) == 2
    assert Validator(spec).response("getX", body=[{"key": "a"}, {"other": 1}]) == []
    # without the erratum a Filter matches both branches, so valid data fails oneOf
    unpatched = Validator(load(tmp_path, doc, errata=()))
    found = unpatched.response("getX", body=[{"key": "a"}])
    assert [(x.pointer, x.code) for x in found] == [("/0", "schema.oneOf")]


@pytest.mark.parametrize(
    "one_of",
    [
        [{"type": "object"}],  # a single branch overlaps nothing
        [{"$ref": "#/components/schemas/Filter"}, {"type": "string"}],
        [
            {"$ref": "#/components/schemas/Filter"},
            {"type": "object", "properties": {"x": {}}, "required": ["x"]},
        ],
        [{"$ref": "#/components/schemas/Filter"}, {"type": "object", "maxProperties": 0}],
    ],
    ids=["single", "string", "constrained-object", "empty-object"],
)
def test_oneof_freeform_overlap_does_not_trigger(tmp_path: Path, one_of: list[Any]) -> None:
    spec = load(tmp_path, base({"Filter": FILTER, "Holder": {"oneOf": one_of}}))
    assert spec.errata == ()
    assert spec.document["components"]["schemas"]["Holder"] == {"oneOf": one_of}


@pytest.mark.parametrize("extra", [{"additionalProperties": True}, {"additionalProperties": {}}])
def test_oneof_freeform_overlap_with_explicit_additional_properties(
    tmp_path: Path, extra: dict[str, Any]
) -> None:
    # `additionalProperties: true` (or `{}`) says nothing more than a bare `type: object`
    holder = {"oneOf": [{"$ref": "#/components/schemas/Filter"}, {"type": "object", **extra}]}
    spec = load(tmp_path, base({"Filter": FILTER, "Holder": holder}))
    assert applied(spec) == [("oneof-overlap", "#/components/schemas/Holder/oneOf")]


def test_oneof_freeform_overlap_not_with_closed_object(tmp_path: Path) -> None:
    holder = {
        "oneOf": [
            {"$ref": "#/components/schemas/Filter"},
            {"type": "object", "additionalProperties": False},
        ]
    }
    spec = load(tmp_path, base({"Filter": FILTER, "Holder": holder}))
    assert spec.errata == ()


COMPOUND = "#/components/schemas/CompoundFilter/properties/filters/items"


def test_openai_compound_filter_is_fixed(spec23: Spec) -> None:
    bare = load_spec(SPECS / "openai-2.3.0.yaml", errata=())
    assert bare.resolve(COMPOUND + "/oneOf") == [
        {"$ref": "#/components/schemas/ComparisonFilter"},
        {"type": "object", "additionalProperties": True},
    ]
    assert ("oneof-overlap", COMPOUND + "/oneOf") in applied(spec23)
    assert "oneOf" not in spec23.resolve(COMPOUND)
    assert spec23.resolve(COMPOUND + "/anyOf") == bare.resolve(COMPOUND + "/oneOf")


SEARCH = {
    "query": "refund policy",
    "filters": {
        "type": "and",
        "filters": [
            {"type": "eq", "key": "region", "value": "eu"},
            {"type": "gte", "key": "year", "value": 2024},
        ],
    },
}


def test_openai_compound_filter_request_is_valid(spec23: Spec) -> None:
    found = Validator(spec23).request(
        "searchVectorStore", path="/v1/vector_stores/vs_1/search", body=SEARCH
    )
    assert found == []
    bare = Validator(load_spec(SPECS / "openai-2.3.0.yaml", errata=()))
    found = bare.request("searchVectorStore", path="/v1/vector_stores/vs_1/search", body=SEARCH)
    assert [(x.pointer, x.code) for x in found] == [
        ("/filters/filters/0", "schema.oneOf"),
        ("/filters/filters/1", "schema.oneOf"),
    ]
    assert "more than one" in found[0].message


# -- OpenAI stream errata -------------------------------------------------------------------------

ENVELOPE = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["thread.run.created"]},
        "data": {"type": "object"},
    },
}


def op(op_id: str, content: dict[str, Any], path: str = "/x") -> dict[str, Any]:
    return {
        path: {
            "post": {
                "operationId": op_id,
                "responses": {"200": {"description": "ok", "content": content}},
            }
        }
    }


JSON_RUN = {"application/json": {"schema": {"type": "object"}}}


def test_run_streams_triggers(tmp_path: Path) -> None:
    paths = {
        **op("createRun", copy.deepcopy(JSON_RUN), "/runs"),
        **op("createThreadAndRun", copy.deepcopy(JSON_RUN), "/threads/runs"),
        **op("somethingElse", copy.deepcopy(JSON_RUN), "/else"),
    }
    spec = load(tmp_path, base({"AssistantStreamEvent": ENVELOPE}, paths))
    assert applied(spec) == [
        ("openai-run-streams", "#/paths/~1runs/post/responses/200/content"),
        ("openai-run-streams", "#/paths/~1threads~1runs/post/responses/200/content"),
    ]
    stream = spec.operation("createRun").stream_for(200)
    assert (
        stream is not None and stream.envelope is True and stream.media_type == "text/event-stream"
    )
    assert spec.operation("somethingElse").streams == ()
    events = 'event: thread.run.created\ndata: {"id": "run_1"}\n\n'
    assert Validator(spec).stream("createRun", events) == []


@pytest.mark.parametrize(
    ("schemas", "content"),
    [
        ({}, JSON_RUN),  # no AssistantStreamEvent: not the OpenAI spec
        (
            {"AssistantStreamEvent": ENVELOPE},
            {**JSON_RUN, "text/event-stream": {"schema": {"type": "object"}}},
        ),
    ],
    ids=["no-event-schema", "already-streams"],
)
def test_run_streams_does_not_trigger(
    tmp_path: Path, schemas: dict[str, Any], content: dict[str, Any]
) -> None:
    spec = load(tmp_path, base(schemas, op("createRun", copy.deepcopy(content))))
    assert [e for e in spec.errata if e.id == "openai-run-streams"] == []
    assert len(spec.operation("createRun").streams) == (1 if "text/event-stream" in content else 0)


def test_run_streams_skip_a_referenced_response(tmp_path: Path) -> None:
    doc = base(
        {"AssistantStreamEvent": ENVELOPE},
        {
            "/runs": {
                "post": {
                    "operationId": "createRun",
                    "responses": {"200": {"$ref": "#/components/responses/Run"}},
                }
            }
        },
    )
    doc["components"]["responses"] = {
        "Run": {"description": "ok", "content": copy.deepcopy(JSON_RUN)}
    }
    spec = load(tmp_path, doc)
    assert spec.errata == ()


def test_completion_stream_triggers(tmp_path: Path) -> None:
    chunk = {"$ref": "#/components/schemas/CreateCompletionResponse"}
    schemas = {
        "CreateCompletionResponse": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "string"}},
        }
    }
    spec = load(
        tmp_path,
        base(
            schemas, op("createCompletion", {"application/json": {"schema": chunk}}, "/completions")
        ),
    )
    assert applied(spec) == [
        ("openai-completion-stream", "#/paths/~1completions/post/responses/200/content"),
        (
            "openai-done-sentinel",
            "#/paths/~1completions/post/responses/200/content/text~1event-stream",
        ),
    ]
    stream = spec.operation("createCompletion").stream_for(200)
    assert stream is not None and stream.envelope is False and stream.done == "[DONE]"
    assert spec.resolve(stream.schema or "") == chunk
    v = Validator(spec)
    assert v.stream("createCompletion", 'data: {"id": "c"}\n\ndata: [DONE]\n\n') == []
    found = v.stream("createCompletion", 'data: {"id": 1}\n\n')
    assert sorted((x.where, x.code, x.event) for x in found) == [
        ("stream", "stream.done-missing", None),
        ("stream.event", "schema.type", 0),
    ]


@pytest.mark.parametrize("by_ref", [False, True])
def test_completion_stream_chunks_may_have_no_finish_reason_yet(
    tmp_path: Path, by_ref: bool
) -> None:
    choice = {
        "type": "object",
        "required": ["finish_reason"],
        "properties": {"finish_reason": {"type": "string", "enum": ["stop"]}},
    }
    schemas: dict[str, Any] = {
        "Choice": choice,
        "CreateCompletionResponse": {
            "type": "object",
            "properties": {
                "choices": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Choice"} if by_ref else choice,
                }
            },
        },
    }
    chunk = {"$ref": "#/components/schemas/CreateCompletionResponse"}
    content = {"application/json": {"schema": chunk}}
    spec = load(tmp_path, base(schemas, op("createCompletion", content, "/completions")))
    v = Validator(spec)
    pending = {"choices": [{"finish_reason": None}]}
    assert v.stream("createCompletion", f"data: {json.dumps(pending)}\n\ndata: [DONE]\n\n") == []
    found = v.response("createCompletion", body=pending)
    assert {x.pointer for x in found} == {"/choices/0/finish_reason"}
    assert spec.resolve("#/components/schemas/Choice") == choice  # the JSON schema is unchanged


def test_completion_stream_accepts_real_legacy_streams(openai_validator: Validator) -> None:
    """Real createCompletion streams send ``finish_reason: null`` on every chunk but the last."""
    v = openai_validator
    streams = [
        (interaction, op)
        for interaction, op in traffic.answers(v.spec, lambda e: e["kind"] == "sse")
        if op.operation_id == "createCompletion"
    ]
    assert len(streams) >= 10
    for interaction, op in streams:
        events = sse.parse(interaction["response"]["body"]).events
        reasons = [json.loads(e.data)["choices"][0]["finish_reason"] for e in events[:-1]]
        assert reasons[0] is None and reasons[-1] is not None, interaction["id"]
        errors = [x for x in traffic.verdicts(v, interaction, op) if x.is_error]
        assert errors == [], interaction["id"]
    # a reason outside the enum is still wrong, and the JSON answer still requires a reason
    chunk = {
        "id": "c",
        "object": "text_completion",
        "created": 1,
        "model": "m",
        "choices": [{"text": "", "index": 0, "logprobs": None, "finish_reason": "nope"}],
    }
    found = v.stream("createCompletion", f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n")
    assert {x.pointer for x in found if x.is_error} == {"/choices/0/finish_reason"}
    chunk["choices"][0]["finish_reason"] = None  # type: ignore[index]
    found = v.response("createCompletion", body=chunk)
    assert {x.pointer for x in found if x.is_error} == {"/choices/0/finish_reason"}


def test_completion_stream_does_not_trigger(tmp_path: Path) -> None:
    content = {"application/json": {"schema": {"type": "object"}}}
    spec = load(tmp_path, base({}, op("createSomething", copy.deepcopy(content))))
    assert spec.errata == ()
    # only JSON is streamed: a createCompletion without a JSON schema gets nothing
    spec = load(
        tmp_path, base({}, op("createCompletion", {"text/plain": {"schema": {"type": "string"}}}))
    )
    assert spec.errata == ()


def test_done_sentinel_triggers_and_does_not(tmp_path: Path) -> None:
    sse = {"text/event-stream": {"schema": {"type": "object"}}}
    spec = load(tmp_path, base({}, op("createChatCompletion", copy.deepcopy(sse))))
    assert applied(spec) == [
        ("openai-done-sentinel", "#/paths/~1x/post/responses/200/content/text~1event-stream")
    ]
    assert spec.operation("createChatCompletion").stream_for(200).done == "[DONE]"  # type: ignore[union-attr]
    # declared already, or another operation: untouched
    declared = {
        "text/event-stream": {"schema": {"type": "object"}, "x-conformance-stream": {"done": None}}
    }
    spec = load(tmp_path, base({}, op("createChatCompletion", declared)))
    assert spec.errata == ()
    assert spec.operation("createChatCompletion").stream_for(200).done is None  # type: ignore[union-attr]
    spec = load(tmp_path, base({}, op("createResponse", copy.deepcopy(sse))))
    assert spec.errata == ()


# -- selection ------------------------------------------------------------------------------------


def test_no_errata(tmp_path: Path, spec23: Spec) -> None:
    schema = {"type": "object", "required": ["a", "a"], "properties": {"a": {}}}
    assert load(tmp_path, base({"X": schema}), errata=()).errata == ()
    bare = load_spec(SPECS / "openai-2.3.0.yaml", errata=())
    assert bare.errata == ()
    assert bare.operation("createRun").streams == ()
    assert bare.operation("createChatCompletion").stream_for(200).done is None  # type: ignore[union-attr]
    assert spec23.operation("createRun").streams != ()


def test_errata_selected_by_id(tmp_path: Path) -> None:
    schemas = {
        "Dupes": {"type": "object", "required": ["a", "a"], "properties": {"a": {}}},
        "Ghost": {"type": "object", "required": ["g"], "properties": {"a": {}}},
    }
    spec = load(tmp_path, base(copy.deepcopy(schemas)), errata=("required-undefined",))
    assert applied(spec) == [("required-undefined", "#/components/schemas/Ghost/required")]
    assert spec.document["components"]["schemas"]["Dupes"]["required"] == ["a", "a"]
    spec = load(tmp_path, base(copy.deepcopy(schemas)))
    assert sorted(e.id for e in spec.errata) == ["required-duplicates", "required-undefined"]


# -- query-deep-object --------------------------------------------------------------------------


def query_op(param: dict[str, Any]) -> dict[str, Any]:
    ok = {"200": {"description": "ok"}}
    return {"/items": {"get": {"operationId": "listItems", "parameters": [param], "responses": ok}}}


MAP = {"type": "object", "additionalProperties": {"type": "string"}}
DESCRIBED = "Filter by metadata: `metadata[key1]=value1&metadata[key2]=value2`"


@pytest.mark.parametrize(
    "schema", [MAP, {"$ref": "#/components/schemas/Map"}, {"anyOf": [MAP, {"type": "string"}]}]
)
def test_query_deep_object_triggers(tmp_path: Path, schema: dict[str, Any]) -> None:
    param = {"name": "metadata", "in": "query", "description": DESCRIBED, "schema": schema}
    spec = load(tmp_path, base({"Map": MAP}, query_op(param)))
    assert applied(spec) == [("query-deep-object", "#/paths/~1items/get/parameters/0")]
    found = Validator(spec).request("listItems", query="metadata[a]=1&metadata[a]=2")
    assert [(v.pointer, v.code) for v in found] == [("/metadata/a", "schema.type")]
    plain = load(tmp_path, base({"Map": MAP}, query_op(param)), errata=())
    # without it, form style reads no metadata[...] name: nothing is checked, a warning says so
    found = Validator(plain).request("listItems", query="metadata[a]=1&metadata[a]=2")
    assert [(v.pointer, v.code, v.is_error) for v in found] == [
        ("/metadata[a]", "undeclared.query", False)
    ]


@pytest.mark.parametrize(
    "param",
    [
        {"name": "metadata", "in": "query", "schema": MAP},  # not described so
        {
            "name": "metadata",
            "in": "query",
            "description": DESCRIBED,
            "style": "form",
            "schema": MAP,
        },
        {"name": "metadata", "in": "header", "description": DESCRIBED, "schema": MAP},
        {"name": "metadata", "in": "query", "description": DESCRIBED, "schema": {"type": "string"}},
    ],
)
def test_query_deep_object_does_not_trigger(tmp_path: Path, param: dict[str, Any]) -> None:
    assert applied(load(tmp_path, base({}, query_op(param)))) == []


# -- download-json-string -----------------------------------------------------------------------


def download(path: str, content: dict[str, Any]) -> dict[str, Any]:
    ok = {"200": {"description": "ok", "content": content}}
    return {path: {"get": {"operationId": "download", "responses": ok}}}


def test_download_json_string_triggers(tmp_path: Path) -> None:
    doc = base({}, download("/files/{id}/content", {"application/json": {"schema": STRING}}))
    spec = load(tmp_path, doc)
    assert applied(spec) == [
        ("download-json-string", "#/paths/~1files~1{id}~1content/get/responses/200/content")
    ]
    v = Validator(spec)
    raw = {"content-type": "application/octet-stream"}
    assert v.response("download", headers=raw, body=b'{"a": 1}\n{"a": 2}\n') == []
    plain = Validator(load(tmp_path, doc, errata=()))
    found = plain.response("download", headers=raw, body=b'{"a": 1}\n')
    assert [x.code for x in found] == ["response.content-type"]


STRING = {"type": "string", "description": "the file"}


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("/files/{id}", {"application/json": {"schema": STRING}}),  # not a download
        ("/files/{id}/content", {"application/json": {"schema": {"type": "object"}}}),
        (
            "/videos/{id}/content",
            {"video/mp4": {"schema": {**STRING, "format": "binary"}}, "application/json": {}},
        ),
    ],
)
def test_download_json_string_does_not_trigger(
    tmp_path: Path, path: str, content: dict[str, Any]
) -> None:
    assert applied(load(tmp_path, base({}, download(path, content)))) == []


# -- openai-base64-embeddings -------------------------------------------------------------------


def embeddings(encodings: list[str]) -> dict[str, Any]:
    return {
        "CreateEmbeddingRequest": {
            "type": "object",
            "properties": {"encoding_format": {"type": "string", "enum": encodings}},
        },
        "Embedding": {
            "type": "object",
            "required": ["embedding"],
            "properties": {"embedding": {"type": "array", "items": {"type": "number"}}},
        },
    }


def test_base64_embeddings_triggers(tmp_path: Path) -> None:
    spec = load(tmp_path, base(embeddings(["float", "base64"])))
    assert applied(spec) == [
        ("openai-base64-embeddings", "#/components/schemas/Embedding/properties/embedding")
    ]
    engine = Validator(spec).responses
    where = f"{spec.uri}#/components/schemas/Embedding"
    assert engine.is_valid(where, {"embedding": "AACAPw=="})
    assert engine.is_valid(where, {"embedding": [0.5, 1]})
    assert not engine.is_valid(where, {"embedding": 1})


def test_base64_embeddings_does_not_trigger_without_base64(tmp_path: Path) -> None:
    assert applied(load(tmp_path, base(embeddings(["float"])))) == []


def test_openai_230_errata(spec23: Spec) -> None:
    ids = {e.id for e in spec23.errata}
    assert {
        "required-undefined",
        "openai-run-streams",
        "openai-completion-stream",
        "openai-done-sentinel",
        "query-deep-object",
        "download-json-string",
        "openai-base64-embeddings",
    } <= ids
    content = spec23.operation("downloadFile").responses["200"].content
    assert list(content) == ["application/octet-stream"]
    run_streams = [e.pointer for e in spec23.errata if e.id == "openai-run-streams"]
    assert run_streams == [
        "#/paths/~1threads~1runs/post/responses/200/content",
        "#/paths/~1threads~1{thread_id}~1runs/post/responses/200/content",
        "#/paths/~1threads~1{thread_id}~1runs~1{run_id}~1submit_tool_outputs/post/responses/200/content",
    ]
    for op_id in ("createRun", "createThreadAndRun", "submitToolOuputsToRun"):
        stream = spec23.operation(op_id).stream_for(200)
        assert stream is not None and stream.envelope and stream.done is None, op_id
    for op_id in ("createChatCompletion", "createCompletion"):
        stream = spec23.operation(op_id).stream_for(200)
        assert stream is not None and not stream.envelope and stream.done == "[DONE]", op_id
    assert spec23.operation("createResponse").stream_for(200).done is None  # type: ignore[union-attr]


def test_oneof_overlap_catches_a_plain_branch_that_a_verbose_one_extends() -> None:
    spec = load_spec(SPECS / "openai-2.3.0.yaml")
    found = [(e.id, e.pointer) for e in spec.errata if e.id == "oneof-overlap"]
    assert (
        "oneof-overlap",
        "#/paths/~1audio~1translations/post/responses/200/content/application~1json/schema/oneOf",
    ) in found
    v = Validator(spec)
    verbose = {"language": "english", "duration": 1.5, "text": "hi"}
    assert [
        x for x in v.response("createTranslation", status=200, body=verbose) if x.is_error
    ] == []
    unpatched = Validator(load_spec(SPECS / "openai-2.3.0.yaml", errata=()))
    assert any(
        x.code == "schema.oneOf"
        for x in unpatched.response("createTranslation", status=200, body=verbose)
    )


def test_oneof_overlap_leaves_branches_that_differ_on_a_shared_property(tmp_path: Path) -> None:
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {
            "schemas": {
                "Plain": {
                    "type": "object",
                    "properties": {"text": {"type": "string"}},
                    "required": ["text"],
                },
                "Other": {
                    "type": "object",
                    "properties": {"text": {"type": "integer"}},
                    "required": ["text"],
                },
                "Either": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/Plain"},
                        {"$ref": "#/components/schemas/Other"},
                    ]
                },
            }
        },
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    assert [e for e in load_spec(path, cache=False).errata if e.id == "oneof-overlap"] == []


# -- openai-error-envelope ---------------------------------------------------------------------------


def test_a_bare_error_answer_becomes_the_envelope(tmp_path: Path) -> None:
    error = {"type": "object", "properties": {"message": {"type": "string"}}}
    doc = base(
        {
            "Error": error,
            "ErrorResponse": {
                "type": "object",
                "properties": {"error": {"$ref": "#/components/schemas/Error"}},
            },
        }
    )
    bare = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    doc["paths"] = {
        "/things/{id}": {
            "delete": {
                "operationId": "deleteThing",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "ok"}, "404": {"description": "no", **bare}},
            },
            "get": {
                "operationId": "getThing",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "ok", **bare}},
            },
        }
    }
    spec = load(tmp_path, doc)
    pointer = "#/paths/~1things~1{id}/delete/responses/404/content/application~1json/schema"
    assert applied(spec) == [("openai-error-envelope", pointer)]
    schema = spec.document["paths"]["/things/{id}"]["delete"]["responses"]["404"]["content"]
    assert schema["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
    # a success answer that is an Error object stays as written
    ok = spec.document["paths"]["/things/{id}"]["get"]["responses"]["200"]["content"]
    assert ok["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
