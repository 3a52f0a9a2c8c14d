"""Validator.request: parameters, routing, JSON/multipart/urlencoded bodies, content types."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from support import SPECS

from conformance.spec import load_spec
from conformance.validate import Validator, Violation


@pytest.fixture(scope="module")
def v() -> Validator:
    return Validator(load_spec(SPECS / "openai-2.3.0.yaml"))


def summary(found: list[Violation]) -> list[tuple[str, str, str]]:
    return [(x.where, x.pointer, x.code) for x in found]


def multipart(url: str, *, files: dict[str, Any], data: dict[str, Any]) -> tuple[bytes, str]:
    """A multipart/form-data body as httpx (hence the OpenAI SDK) sends it, and its Content-Type."""
    request = httpx.Request("POST", url, files=files, data=data)
    return request.read(), request.headers["content-type"]


# -- query parameters ---------------------------------------------------------------------------


def test_query_integer_is_coerced(v: Validator) -> None:
    assert v.request("listFiles", query="limit=2&order=asc") == []
    assert v.request("listFiles", query={"limit": 2, "order": "desc", "after": "file-1"}) == []
    assert v.request("listFiles", query=[("limit", "10000")]) == []


def test_query_integer_not_a_number(v: Validator) -> None:
    found = v.request("listFiles", query="limit=two")
    assert summary(found) == [("request.query", "/limit", "schema.type")]
    assert found[0].schema_path == "#/paths/~1files/get/parameters/1/schema/type"
    assert '"two"' in found[0].message
    assert found[0].operation == "listFiles"


def test_query_integer_with_fraction_is_not_an_integer(v: Validator) -> None:
    assert summary(v.request("listFiles", query="limit=2.5")) == [
        ("request.query", "/limit", "schema.type")
    ]


def test_query_enum(v: Validator) -> None:
    found = v.request("listFiles", query="order=sideways")
    assert summary(found) == [("request.query", "/order", "schema.enum")]
    assert "sideways" in found[0].message


def test_query_from_path(v: Validator) -> None:
    found = v.request(method="GET", path="/v1/files?limit=x&order=asc")
    assert summary(found) == [("request.query", "/limit", "schema.type")]


def test_query_required_missing(v: Validator) -> None:
    found = v.request("usage-costs", query="limit=3")
    assert summary(found) == [("request.query", "/start_time", "request.parameter-missing")]
    assert "start_time" in found[0].message
    assert found[0].schema_path == "#/paths/~1organization~1costs/get/parameters/0"


def test_query_array_bracket_names(v: Validator) -> None:
    # getResponse declares `include`; SDKs send include[]=...
    ok = "/v1/responses/resp_1?include[]=file_search_call.results&include[]=message.input_image.image_url"
    assert v.request(method="GET", path=ok) == []
    found = v.request(
        "getResponse",
        path="/v1/responses/resp_1?include[]=file_search_call.results&include[]=bogus",
    )
    assert summary(found) == [("request.query", "/include/1", "schema.enum")]
    assert found[0].schema_path == "#/components/schemas/Includable/enum"


def test_query_array_repeated_names(v: Validator) -> None:
    found = v.request(
        "getResponse", path="/v1/responses/resp_1?include=bogus&include=file_search_call.results"
    )
    assert summary(found) == [("request.query", "/include/0", "schema.enum")]
    found = v.request(
        "usage-costs", query=[("start_time", "1"), ("group_by", "project_id"), ("group_by", "x")]
    )
    assert summary(found) == [("request.query", "/group_by/1", "schema.enum")]


def test_query_parameter_literally_named_with_brackets(v: Validator) -> None:
    # createRun declares a parameter whose name is `include[]`
    assert v.request("createRun", path="/threads/t/runs", body={"assistant_id": "asst_1"}) == []
    found = v.request(
        "createRun", path="/threads/t/runs?include[]=bogus", body={"assistant_id": "asst_1"}
    )
    assert summary(found) == [("request.query", "/include[]/0", "schema.enum")]


def test_query_mapping_with_list_values(v: Validator) -> None:
    query = {"start_time": 1_700_000_000, "group_by": ["project_id", "line_item"], "limit": 7}
    assert v.request("usage-costs", query=query) == []


# -- routing and path parameters ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/files/file-abc", "/files/file-abc", "/v1/files/file-abc/"])
def test_route_with_and_without_base_path(v: Validator, path: str) -> None:
    assert v.spec.match("GET", path)[0].operation_id == "retrieveFile"  # type: ignore[index]
    assert v.request(method="GET", path=path) == []


def test_route_literal_segment_beats_parameter(v: Validator) -> None:
    op, params = v.spec.match("GET", "/v1/files/file-abc/content")  # type: ignore[misc]
    assert (op.operation_id, params) == ("downloadFile", {"file_id": "file-abc"})
    op, params = v.spec.match("GET", "/v1/threads/thread_1/runs/run_2/steps")  # type: ignore[misc]
    assert (op.operation_id, params) == (
        "listRunSteps",
        {"thread_id": "thread_1", "run_id": "run_2"},
    )


def test_route_keeps_encoded_segments_in_one_parameter(v: Validator) -> None:
    routed = v.spec.match("GET", "/v1/models/ft%3Agpt-4o%3Aacme%2F1")
    assert routed is not None
    op, params = routed
    assert op.operation_id == "retrieveModel"
    assert params == {"model": "ft:gpt-4o:acme/1"}  # decoded, within one segment
    assert v.request(method="GET", path="/v1/models/ft%3Agpt-4o%3Aacme%2F1") == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/nope"),
        ("PATCH", "/v1/models"),
        ("GET", "/v2/models"),
        ("GET", "/v1/models/a/b"),
    ],
)
def test_unknown_route(v: Validator, method: str, path: str) -> None:
    found = v.request(method=method, path=path)
    assert summary(found) == [("request.path", "", "request.route")]
    assert f"{method} {path}" in found[0].message
    assert v.spec.match(method, path) is None


def test_path_given_with_operation_must_match_template(v: Validator) -> None:
    found = v.request("retrieveFile", path="/v1/models/gpt-4o")
    assert summary(found) == [("request.path", "", "request.route")]
    assert "/files/{file_id}" in found[0].message


def test_path_param_missing(v: Validator) -> None:
    found = v.request("retrieveFile")
    assert summary(found) == [("request.path", "/file_id", "request.parameter-missing")]
    assert v.request("retrieveFile", path_params={"file_id": "file-1"}) == []


def test_request_needs_operation_or_method_and_path(v: Validator) -> None:
    with pytest.raises(ValueError, match="method and a path"):
        v.request(method="GET")


# -- JSON bodies --------------------------------------------------------------------------------


CHAT_OK = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}


def test_json_body_valid_as_dict_bytes_and_str(v: Validator) -> None:
    assert v.request("createChatCompletion", body=CHAT_OK) == []
    raw = json.dumps(CHAT_OK)
    headers = {"Content-Type": "application/json"}
    assert v.request("createChatCompletion", body=raw.encode(), headers=headers) == []
    assert (
        v.request("createChatCompletion", body=raw, content_type="application/json; charset=utf-8")
        == []
    )


def test_json_body_errors_have_exact_pointers(v: Validator) -> None:
    body = {**CHAT_OK, "temperature": 3, "n": "two"}
    found = v.request("createChatCompletion", body=body)
    assert sorted(summary(found)) == [
        ("request.body", "/n", "schema.type"),
        ("request.body", "/temperature", "schema.maximum"),
    ]
    temperature = next(x for x in found if x.pointer == "/temperature")
    assert (
        temperature.schema_path
        == "#/components/schemas/ModelResponseProperties/properties/temperature/maximum"
    )


def test_json_body_error_inside_array_item(v: Validator) -> None:
    body = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Hi"}, {"role": "user", "content": 5}],
    }
    found = v.request("createChatCompletion", body=body)
    assert [(x.pointer, x.code) for x in found] == [("/messages/1/content", "schema.oneOf")]
    assert found[0].schema_path.startswith("#/components/schemas/ChatCompletionRequestUserMessage/")


def test_json_body_min_items_and_required(v: Validator) -> None:
    found = v.request("createChatCompletion", body={"model": "gpt-4o", "messages": []})
    assert summary(found) == [("request.body", "/messages", "schema.minItems")]
    found = v.request("createChatCompletion", body={"messages": CHAT_OK["messages"]})
    assert summary(found) == [("request.body", "", "schema.required")]
    assert "model" in found[0].message


def test_request_formats_are_asserted_response_formats_are_annotations(v: Validator) -> None:
    def image(url: str, seed: int = 1) -> dict[str, Any]:
        part = {"type": "image_url", "image_url": {"url": url}}
        return {"model": "m", "seed": seed, "messages": [{"role": "user", "content": [part]}]}

    assert v.request("createChatCompletion", body=image("https://example.com/a.png")) == []
    assert v.request("createChatCompletion", body=image("data:image/png;base64,iVBORw0K")) == []
    found = v.request("createChatCompletion", body=image("not a url", seed=2**63))
    assert sorted(summary(found)) == [
        ("request.body", "/messages/0/content/0/image_url/url", "schema.format"),
        ("request.body", "/seed", "schema.maximum"),
    ]
    assert v.request("createChatCompletion", body=image("", seed=-(2**63))) != []
    message = {"id": "m", "object": "thread.message", "created_at": 1, "thread_id": "t"}
    message |= {"status": "completed", "incomplete_details": None, "completed_at": 1}
    message |= {"incomplete_at": None, "role": "user", "assistant_id": None, "run_id": None}
    message |= {"attachments": None, "metadata": None}
    url = {"type": "image_url", "image_url": {"url": "not a url"}}
    assert v.response("getMessage", body={**message, "content": [url]}) == []


def test_invalid_json_body(v: Validator) -> None:
    found = v.request("createChatCompletion", body=b'{"model": ', content_type="application/json")
    assert summary(found) == [("request.body", "", "request.decode")]
    assert "line 1 column 11" in found[0].message


def test_missing_content_type_for_raw_body(v: Validator) -> None:
    found = v.request("createChatCompletion", body=json.dumps(CHAT_OK).encode())
    assert summary(found) == [("request.content-type", "", "request.content-type")]
    assert "application/json" in found[0].message


def test_wrong_content_type(v: Validator) -> None:
    found = v.request(
        "createChatCompletion", body=json.dumps(CHAT_OK), headers={"content-type": "text/plain"}
    )
    assert summary(found) == [("request.content-type", "", "request.content-type")]
    assert "'text/plain' is not accepted" in found[0].message


def test_required_body_missing(v: Validator) -> None:
    for empty in (None, b"", ""):
        found = v.request("createChatCompletion", body=empty, content_type="application/json")
        assert summary(found) == [("request.body", "", "request.body-missing")]
    assert summary(v.request("createChatCompletion")) == [
        ("request.body", "", "request.body-missing")
    ]


def test_undeclared_property_warning_then_strict_error(v: Validator) -> None:
    body = {**CHAT_OK, "sparkle": True}
    found = v.request("createChatCompletion", body=body)
    assert [(x.pointer, x.code, x.severity) for x in found] == [
        ("/sparkle", "undeclared.property", "warning")
    ]
    assert not found[0].is_error
    strict = Validator(v.spec, strict=True).request("createChatCompletion", body=body)
    assert [(x.pointer, x.code, x.severity) for x in strict] == [
        ("/sparkle", "undeclared.property", "error")
    ]


def test_undeclared_nested_property_is_reported(v: Validator) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi", "mood": "sunny"}]}
    found = v.request("createChatCompletion", body=body)
    assert ("/messages/0/mood", "undeclared.property", "warning") in [
        (x.pointer, x.code, x.severity) for x in found
    ]
    assert all(not x.is_error for x in found)


ALLOF_SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "allOf", "version": "1"},
    "paths": {
        "/x": {
            "post": {
                "operationId": "make",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Req"}}
                    },
                },
                "responses": {"204": {"description": "ok"}},
            }
        }
    },
    "components": {
        "schemas": {
            "Req": {
                "allOf": [
                    {
                        "type": "object",
                        "properties": {
                            "a": {"type": "object", "properties": {"b": {"type": "string"}}},
                            "n": {"type": "integer"},
                        },
                    }
                ]
            }
        }
    },
}


@pytest.mark.parametrize("which", ["custom-allOf", "openai-chat"])
def test_undeclared_nested_property_only(v: Validator, tmp_path: Path, which: str) -> None:
    if which == "custom-allOf":
        path = tmp_path / "allof.json"
        path.write_text(json.dumps(ALLOF_SPEC))
        strict = Validator(load_spec(path, cache=False), strict=True)
        found = strict.request("make", body={"a": {"b": "x", "c": 1}, "n": 1})
        expected = [("/a/c", "undeclared.property", "error")]
    else:
        strict = Validator(v.spec, strict=True)
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi", "mood": "sunny"}]}
        found = strict.request("createChatCompletion", body=body)
        expected = [("/messages/0/mood", "undeclared.property", "error")]
    assert [(x.pointer, x.code, x.severity) for x in found] == expected


# -- multipart ----------------------------------------------------------------------------------


FILES_URL = "https://api.openai.com/v1/files"
TRANSCRIBE_URL = "https://api.openai.com/v1/audio/transcriptions"
JSONL = ("train.jsonl", b'{"messages": []}\n', "application/jsonl")
MP3 = ("speech.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb", "audio/mpeg")


def test_create_file_multipart_valid(v: Validator) -> None:
    body, ctype = multipart(FILES_URL, files={"file": JSONL}, data={"purpose": "fine-tune"})
    assert v.request("createFile", body=body, content_type=ctype) == []
    assert (
        v.request(method="POST", path="/v1/files", body=body, headers={"Content-Type": ctype}) == []
    )


def test_create_file_missing_file_part(v: Validator) -> None:
    # a (None, value) tuple is a plain field; httpx only goes multipart when there are "files"
    body, ctype = multipart(FILES_URL, files={"purpose": (None, b"fine-tune")}, data={})
    assert ctype.startswith("multipart/form-data; boundary=")
    found = v.request("createFile", body=body, content_type=ctype)
    assert summary(found) == [("request.body", "", "schema.required")]
    assert '"file"' in found[0].message
    assert found[0].schema_path == "#/components/schemas/CreateFileRequest/required"


def test_create_file_wrong_purpose(v: Validator) -> None:
    body, ctype = multipart(FILES_URL, files={"file": JSONL}, data={"purpose": "fun"})
    found = v.request("createFile", body=body, content_type=ctype)
    assert summary(found) == [("request.body", "/purpose", "schema.enum")]
    assert '"fun"' in found[0].message


def test_create_file_extra_part_is_error_when_additional_properties_false(v: Validator) -> None:
    body, ctype = multipart(
        FILES_URL, files={"file": JSONL}, data={"purpose": "batch", "color": "red"}
    )
    found = v.request("createFile", body=body, content_type=ctype)
    assert summary(found) == [("request.body", "", "schema.additionalProperties")]
    assert "color" in found[0].message


def test_multipart_without_boundary(v: Validator) -> None:
    found = v.request("createFile", body=b"--x\r\n", content_type="multipart/form-data")
    assert summary(found) == [("request.body", "", "request.decode")]
    assert "boundary" in found[0].message


def test_transcription_multipart_valid(v: Validator) -> None:
    data = {
        "model": "gpt-4o-transcribe",
        "language": "en",
        "temperature": "0.2",
        "response_format": "json",
        "include[]": ["logprobs"],
        "timestamp_granularities[]": ["word", "segment"],
        "stream": "true",
    }
    body, ctype = multipart(TRANSCRIBE_URL, files={"file": MP3}, data=data)
    assert v.request("createTranscription", body=body, content_type=ctype) == []


def test_transcription_form_field_errors(v: Validator) -> None:
    data = {
        "model": "whisper-1",
        "temperature": "warm",
        "response_format": "pdf",
        "timestamp_granularities[]": ["word", "century"],
    }
    body, ctype = multipart(TRANSCRIBE_URL, files={"file": MP3}, data=data)
    found = v.request("createTranscription", body=body, content_type=ctype)
    assert sorted(summary(found)) == [
        ("request.body", "/response_format", "schema.enum"),
        ("request.body", "/temperature", "schema.type"),
        ("request.body", "/timestamp_granularities[]/1", "schema.enum"),
    ]


def test_transcription_missing_model(v: Validator) -> None:
    body, ctype = multipart(TRANSCRIBE_URL, files={"file": MP3}, data={"language": "en"})
    found = v.request("createTranscription", body=body, content_type=ctype)
    assert summary(found) == [("request.body", "", "schema.required")]
    assert '"model"' in found[0].message


# -- a small custom spec: parameter styles, headers, cookies, urlencoded forms -------------------


PARAMS_SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "params", "version": "1"},
    "servers": [{"url": "https://example.com/api"}],
    "paths": {
        "/items/{id}": {
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            ],
            "get": {
                "operationId": "getItem",
                "parameters": [
                    {
                        "name": "X-Request-Id",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^req_[a-z0-9]+$"},
                    },
                    {
                        "name": "X-Retries",
                        "in": "header",
                        "schema": {"type": "integer", "maximum": 3},
                    },
                    {
                        "name": "X-Tags",
                        "in": "header",
                        "schema": {
                            "type": "array",
                            "items": {"type": "string", "enum": ["a", "b"]},
                        },
                    },
                    {
                        "name": "session",
                        "in": "cookie",
                        "required": True,
                        "schema": {"type": "string", "minLength": 8},
                    },
                    {"name": "page", "in": "cookie", "schema": {"type": "integer"}},
                ],
                "responses": {"200": {"description": "ok"}},
            },
        },
        "/label/{ids}": {
            "get": {
                "operationId": "label",
                "parameters": [
                    {
                        "name": "ids",
                        "in": "path",
                        "required": True,
                        "style": "label",
                        "schema": {"type": "array", "items": {"type": "integer"}},
                    }
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/label-explode/{ids}": {
            "get": {
                "operationId": "labelExplode",
                "parameters": [
                    {
                        "name": "ids",
                        "in": "path",
                        "required": True,
                        "style": "label",
                        "explode": True,
                        "schema": {"type": "array", "items": {"type": "integer"}},
                    }
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/matrix/{point}": {
            "get": {
                "operationId": "matrix",
                "parameters": [
                    {
                        "name": "point",
                        "in": "path",
                        "required": True,
                        "style": "matrix",
                        "schema": {"$ref": "#/components/schemas/Point"},
                    }
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/matrix-explode/{point}": {
            "get": {
                "operationId": "matrixExplode",
                "parameters": [
                    {
                        "name": "point",
                        "in": "path",
                        "required": True,
                        "style": "matrix",
                        "explode": True,
                        "schema": {"$ref": "#/components/schemas/Point"},
                    }
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/matrix-array/{ids}": {
            "get": {
                "operationId": "matrixArray",
                "parameters": [
                    {
                        "name": "ids",
                        "in": "path",
                        "required": True,
                        "style": "matrix",
                        "explode": True,
                        "schema": {"type": "array", "items": {"type": "integer"}},
                    }
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/simple/{point}": {
            "get": {
                "operationId": "simpleObject",
                "parameters": [
                    {
                        "name": "point",
                        "in": "path",
                        "required": True,
                        "schema": {"$ref": "#/components/schemas/Point"},
                    }
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/search?beta=true": {  # a query in the template, as in OpenAI 2026-08
            "get": {"operationId": "betaSearch", "responses": {"200": {"description": "ok"}}}
        },
        "/search": {
            "get": {
                "operationId": "search",
                "parameters": [
                    {
                        "name": "filter",
                        "in": "query",
                        "style": "deepObject",
                        "explode": True,
                        "schema": {
                            "type": "object",
                            "properties": {
                                "color": {"type": "string", "enum": ["red", "blue"]},
                                "size": {"type": "integer", "minimum": 1},
                                "labels": {
                                    "type": "array",
                                    "items": {"type": "integer"},
                                    "maxItems": 2,
                                },
                            },
                        },
                    },
                    {
                        "name": "tags",
                        "in": "query",
                        "style": "pipeDelimited",
                        "explode": False,
                        "schema": {
                            "type": "array",
                            "items": {"type": "string", "enum": ["x", "y"]},
                        },
                    },
                    {
                        "name": "ids",
                        "in": "query",
                        "style": "spaceDelimited",
                        "explode": False,
                        "schema": {"type": "array", "items": {"type": "integer"}},
                    },
                    {
                        "name": "at",
                        "in": "query",
                        "explode": False,
                        "schema": {"$ref": "#/components/schemas/Point"},
                    },
                    {"name": "exact", "in": "query", "schema": {"type": "boolean"}},
                    {  # style form, explode true: its properties are query names of their own
                        "name": "page",
                        "in": "query",
                        "schema": {
                            "type": "object",
                            "properties": {
                                "offset": {"type": "integer"},
                                "size": {"type": "integer"},
                            },
                        },
                    },
                    {
                        "name": "json",
                        "in": "query",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Point"}}
                        },
                    },
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/forms": {
            "post": {
                "operationId": "submitForm",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string", "minLength": 1},
                                    "count": {"type": "integer", "minimum": 1},
                                    "ratio": {"type": "number"},
                                    "agree": {"type": "boolean"},
                                    "tags": {
                                        "type": "array",
                                        "items": {"type": "string"},
                                        "maxItems": 2,
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {"204": {"description": "done"}},
            }
        },
    },
    "components": {
        "schemas": {
            "Point": {
                "type": "object",
                "required": ["x", "y"],
                "properties": {"x": {"type": "integer"}, "y": {"type": "integer", "maximum": 10}},
            }
        }
    },
}


@pytest.fixture(scope="module")
def pv(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    path = tmp_path_factory.mktemp("params") / "params.yaml"
    path.write_text(yaml.safe_dump(PARAMS_SPEC, sort_keys=False))
    return Validator(load_spec(path, cache=False))


GOOD_HEADERS = {"X-Request-Id": "req_abc123", "Cookie": "session=abcdefgh; page=2"}


def test_custom_spec_base_path(pv: Validator) -> None:
    assert pv.spec.base_path == "/api"
    assert pv.request(method="GET", path="/api/items/5", headers=GOOD_HEADERS) == []
    assert pv.request(method="GET", path="/items/5", headers=GOOD_HEADERS) == []
    assert summary(pv.request(method="GET", path="/v1/items/5")) == [
        ("request.path", "", "request.route")
    ]


def test_path_param_is_percent_decoded_before_validation(pv: Validator) -> None:
    assert pv.request(method="GET", path="/api/items/%31%32", headers=GOOD_HEADERS) == []
    assert pv.request("getItem", path="/items/%31%32", headers=GOOD_HEADERS) == []


def test_path_param_shared_at_path_item_level(pv: Validator) -> None:
    found = pv.request(method="GET", path="/api/items/0", headers=GOOD_HEADERS)
    assert summary(found) == [("request.path", "/id", "schema.minimum")]
    found = pv.request(method="GET", path="/api/items/abc", headers=GOOD_HEADERS)
    assert summary(found) == [("request.path", "/id", "schema.type")]


def test_header_params(pv: Validator) -> None:
    headers = {**GOOD_HEADERS, "x-retries": "2", "X-TAGS": "a,b"}
    assert pv.request("getItem", path="/items/1", headers=headers) == []
    bad = {**GOOD_HEADERS, "X-Request-Id": "nope", "X-Retries": "9", "X-Tags": "a,c"}
    found = pv.request("getItem", path="/items/1", headers=bad)
    assert sorted(summary(found)) == [
        ("request.header", "/X-Request-Id", "schema.pattern"),
        ("request.header", "/X-Retries", "schema.maximum"),
        ("request.header", "/X-Tags/1", "schema.enum"),
    ]


def test_header_required_missing(pv: Validator) -> None:
    found = pv.request("getItem", path="/items/1", headers={"Cookie": "session=abcdefgh"})
    assert summary(found) == [("request.header", "/X-Request-Id", "request.parameter-missing")]
    assert "header parameter 'X-Request-Id'" in found[0].message


def test_cookie_params(pv: Validator) -> None:
    found = pv.request(
        "getItem",
        path="/items/1",
        headers={"X-Request-Id": "req_1", "Cookie": "session=short; page=two"},
    )
    assert sorted(summary(found)) == [
        ("request.cookie", "/page", "schema.type"),
        ("request.cookie", "/session", "schema.minLength"),
    ]
    found = pv.request("getItem", path="/items/1", headers={"X-Request-Id": "req_1"})
    assert summary(found) == [("request.cookie", "/session", "request.parameter-missing")]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/label/.1,2,3", []),
        ("/label/.1,x", [("request.path", "/ids/1", "schema.type")]),
        ("/label-explode/.1.2.3", []),
        ("/label-explode/.1.y", [("request.path", "/ids/1", "schema.type")]),
        ("/matrix/;point=x,1,y,2", []),
        ("/matrix/;point=x,1,y,20", [("request.path", "/point/y", "schema.maximum")]),
        ("/matrix-array/;ids=1;ids=2", []),
        ("/matrix-array/;ids=1;ids=b", [("request.path", "/ids/1", "schema.type")]),
        ("/simple/x,1,y,2", []),
        ("/simple/x,1", [("request.path", "/point", "schema.required")]),
    ],
)
def test_path_styles(pv: Validator, path: str, expected: list[tuple[str, str, str]]) -> None:
    assert summary(pv.request(method="GET", path=path)) == expected


def test_path_matrix_exploded_object(pv: Validator) -> None:
    assert pv.request(method="GET", path="/matrix-explode/;x=1;y=2") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter[color]=red&filter[size]=2", []),
        ("filter%5Bcolor%5D=red", []),
        (
            "filter[color]=red&filter[color]=blue",
            [
                ("request.query", "/filter/color", "schema.enum"),
                ("request.query", "/filter/color", "schema.type"),
            ],
        ),
        (
            "filter[color]=green&filter[size]=0",
            [
                ("request.query", "/filter/color", "schema.enum"),
                ("request.query", "/filter/size", "schema.minimum"),
            ],
        ),
        ("filter[labels]=1", []),  # an array entry sent once is a one-item array
        ("filter[labels]=1&filter[labels]=2", []),
        (
            "filter[labels]=1&filter[labels]=b&filter[labels]=3",
            [
                ("request.query", "/filter/labels", "schema.maxItems"),
                ("request.query", "/filter/labels/1", "schema.type"),
            ],
        ),
        ("tags=x|y", []),
        ("tags=x%7Cz", [("request.query", "/tags/1", "schema.enum")]),
        ("ids=1%202%203", []),
        ("ids=1+b", [("request.query", "/ids/1", "schema.type")]),
        ("at=x,1,y,2", []),
        ("at=x,1,y,11", [("request.query", "/at/y", "schema.maximum")]),
        ("at=x,1", [("request.query", "/at", "schema.required")]),
        ("exact=true", []),
        ("exact=yes", [("request.query", "/exact", "schema.type")]),
        ('json={"x":1,"y":2}', []),
        ('json={"x":1}', [("request.query", "/json", "schema.required")]),
    ],
)
def test_query_styles(pv: Validator, query: str, expected: list[tuple[str, str, str]]) -> None:
    assert sorted(summary(pv.request("search", query=query))) == expected


@pytest.mark.parametrize("strict", [False, True])
def test_query_names_no_parameter_reads_are_undeclared(pv: Validator, strict: bool) -> None:
    v = Validator(pv.spec, strict=strict)
    read = "filter[color]=red&tags[]=x&ids=1&offset=2&size=3&exact=true"
    assert v.request("search", query=read) == []
    found = v.request("search", query=f"{read}&x=1&x=2&json[x]=1&size[]=1&a/b=1")
    assert [(f.where, f.pointer, f.code, f.is_error) for f in found] == [
        ("request.query", pointer, "undeclared.query", strict)
        for pointer in ("/x", "/json[x]", "/size[]", "/a~1b")
    ]
    assert str(found[0]).endswith(
        "query parameter 'x' is not declared by the operation [undeclared.query]"
    )
    assert v.request("betaSearch", path="/search?beta=true") == []
    found = v.request(method="GET", path="/search?beta=true&x=1")
    assert [(f.operation, f.pointer, f.code) for f in found] == [
        ("betaSearch", "/x", "undeclared.query")
    ]


def test_urlencoded_form_valid(pv: Validator) -> None:
    ctype = "application/x-www-form-urlencoded"
    body = "name=Ada+Lovelace&count=2&ratio=0.5&agree=true&tags=a&tags=b"
    assert pv.request("submitForm", body=body, content_type=ctype) == []
    assert pv.request("submitForm", body=body.encode(), headers={"content-type": ctype}) == []
    request = httpx.Request(
        "POST", "https://example.com/api/forms", data={"name": "x", "count": "3"}
    )
    assert (
        pv.request(
            method="POST", path="/api/forms", body=request.read(), headers=dict(request.headers)
        )
        == []
    )


def test_urlencoded_form_errors(pv: Validator) -> None:
    ctype = "application/x-www-form-urlencoded"
    found = pv.request(
        "submitForm", body="count=0&ratio=half&agree=maybe&tags=a&tags=b&tags=c", content_type=ctype
    )
    assert sorted(summary(found)) == [
        ("request.body", "", "schema.required"),
        ("request.body", "/agree", "schema.type"),
        ("request.body", "/count", "schema.minimum"),
        ("request.body", "/ratio", "schema.type"),
        ("request.body", "/tags", "schema.maxItems"),
    ]


def test_a_scalar_field_sent_twice_is_a_type_error_not_its_last_value(
    v: Validator, pv: Validator
) -> None:
    ctype = "application/x-www-form-urlencoded"
    found = pv.request("submitForm", body="name=x&count=2&count=2", content_type=ctype)
    assert summary(found) == [("request.body", "/count", "schema.type")]
    data = {"model": "whisper-1", "stream": ["true", "true"]}
    body, ctype = multipart(TRANSCRIBE_URL, files={"file": MP3}, data=data)
    found = v.request("createTranscription", body=body, content_type=ctype)
    assert summary(found) == [("request.body", "/stream", "schema.type")]


def test_urlencoded_form_undeclared_field(pv: Validator) -> None:
    ctype = "application/x-www-form-urlencoded"
    found = pv.request("submitForm", body="name=x&color=red", content_type=ctype)
    assert [(x.pointer, x.code, x.severity) for x in found] == [
        ("/color", "undeclared.property", "warning")
    ]
    strict = Validator(pv.spec, strict=True).request(
        "submitForm", body="name=x&color=red", content_type=ctype
    )
    assert [(x.pointer, x.severity) for x in strict] == [("/color", "error")]


def test_urlencoded_form_with_json_content_type(pv: Validator) -> None:
    found = pv.request("submitForm", body=b'{"name": "x"}', content_type="application/json")
    assert summary(found) == [("request.content-type", "", "request.content-type")]
