"""Validator.response: status, content types, headers, bodies, and the schema conversions behind them."""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from support import SPECS

from conformance.spec import load_spec
from conformance.validate import Validator, Violation

MODEL = {"id": "gpt-4o", "object": "model", "created": 1_715_367_049, "owned_by": "system"}


@pytest.fixture(scope="module")
def v() -> Validator:
    return Validator(load_spec(SPECS / "openai-2.3.0.yaml"))


def summary(found: list[Violation]) -> list[tuple[str, str, str]]:
    return [(x.where, x.pointer, x.code) for x in found]


def write_spec(directory: Path, text: str, name: str = "spec.yaml") -> Path:
    path = directory / name
    path.write_text(dedent(text))
    return path


def validator_for(factory: pytest.TempPathFactory, text: str) -> Validator:
    """The validator of a small spec written to a fresh temporary directory (no cache)."""
    return Validator(load_spec(write_spec(factory.mktemp("spec"), text), cache=False))


# -- OpenAI spec: status, content type, body presence -------------------------------------------


def test_valid_response(v: Validator) -> None:
    assert v.response("retrieveModel", status=200, body=MODEL) == []
    raw = json.dumps({"object": "list", "data": [MODEL]})
    assert (
        v.response("listModels", status=200, headers={"Content-Type": "application/json"}, body=raw)
        == []
    )


def test_undocumented_status(v: Validator) -> None:
    found = v.response("listModels", status=404, body={"error": {}})
    assert summary(found) == [("response.status", "", "response.status")]
    assert "status 404 is not documented" in found[0].message
    assert "200" in found[0].message
    assert found[0].schema_path == "#/paths/~1models/get/responses"


def test_undeclared_content_type(v: Validator) -> None:
    found = v.response(
        "listModels", status=200, headers={"content-type": "text/html"}, body="<html/>"
    )
    assert summary(found) == [("response.content-type", "", "response.content-type")]
    assert "'text/html' is not declared" in found[0].message


def test_missing_content_type_for_raw_body(v: Validator) -> None:
    found = v.response("listModels", status=200, body=b'{"object": "list", "data": []}')
    assert summary(found) == [("response.content-type", "", "response.content-type")]


@pytest.mark.parametrize("body", [None, b"", ""])
def test_missing_body(v: Validator, body: Any) -> None:
    found = v.response(
        "listModels", status=200, headers={"content-type": "application/json"}, body=body
    )
    assert summary(found) == [("response.body", "", "response.body-missing")]
    assert "application/json body is missing" in found[0].message


def test_invalid_json_response_body(v: Validator) -> None:
    found = v.response("listModels", status=200, content_type="application/json", body="{")
    assert summary(found) == [("response.body", "", "response.decode")]


def test_response_body_errors_have_pointers(v: Validator) -> None:
    body = {"object": "list", "data": [MODEL, {**MODEL, "created": "yesterday"}]}
    found = v.response("listModels", status=200, body=body)
    assert summary(found) == [("response.body", "/data/1/created", "schema.type")]
    assert found[0].schema_path == "#/components/schemas/Model/properties/created/type"


def test_binary_response_is_not_schema_checked(v: Validator) -> None:
    found = v.response(
        "createSpeech",
        status=200,
        headers={"content-type": "application/octet-stream"},
        body=b"\xff\xfb",
    )
    assert found == []


# -- a custom spec: ranges, default, headers, no-content ----------------------------------------

RESPONSES_SPEC = """\
openapi: 3.0.3
info: {title: responses, version: "1"}
paths:
  /things:
    get:
      operationId: listThings
      responses:
        "200":
          description: ok
          headers:
            X-Total:
              required: true
              schema: {type: integer, minimum: 0}
            X-Next:
              schema: {type: string}
          content:
            application/json:
              schema: {type: array, items: {type: string}}
        2XX:
          description: other success
          content:
            application/json:
              schema: {type: object, required: [accepted], properties: {accepted: {type: boolean}}}
        "204":
          description: nothing
        default:
          description: error
          content:
            application/problem+json:
              schema: {$ref: "#/components/schemas/Problem"}
  /plain:
    get:
      operationId: plain
      responses:
        "200":
          description: ok
          content:
            text/plain: {schema: {type: string}}
            application/json: {schema: {type: integer}}
components:
  schemas:
    Problem:
      type: object
      required: [title, status]
      properties:
        title: {type: string}
        status: {type: integer}
"""


@pytest.fixture(scope="module")
def rv(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    return validator_for(tmp_path_factory, RESPONSES_SPEC)


def test_exact_status_beats_range(rv: Validator) -> None:
    headers = {"X-Total": "2"}
    assert rv.response("listThings", status=200, headers=headers, body=["a", "b"]) == []
    assert rv.spec.operation("listThings").response_for(200).status == "200"  # type: ignore[union-attr]


def test_range_status(rv: Validator) -> None:
    assert rv.spec.operation("listThings").response_for(202).status == "2XX"  # type: ignore[union-attr]
    assert rv.response("listThings", status=202, body={"accepted": True}) == []
    found = rv.response("listThings", status=202, body={"accepted": "yes"})
    assert summary(found) == [("response.body", "/accepted", "schema.type")]


def test_default_status(rv: Validator) -> None:
    ctype = {"content-type": "application/problem+json"}
    assert (
        rv.response("listThings", status=500, headers=ctype, body={"title": "boom", "status": 500})
        == []
    )
    found = rv.response("listThings", status=404, headers=ctype, body='{"title": "gone"}')
    assert summary(found) == [("response.body", "", "schema.required")]
    assert '"status"' in found[0].message
    assert found[0].schema_path == "#/components/schemas/Problem/required"


def test_body_when_none_is_declared(rv: Validator) -> None:
    assert rv.response("listThings", status=204) == []
    found = rv.response("listThings", status=204, body=b"surprise")
    assert summary(found) == [("response.body", "", "response.body-unexpected")]
    assert "declares no body" in found[0].message


def test_required_response_header_missing(rv: Validator) -> None:
    found = rv.response("listThings", status=200, body=["a"])
    assert summary(found) == [("response.header", "/X-Total", "response.header-missing")]
    assert "'X-Total'" in found[0].message


def test_response_header_is_coerced_and_checked(rv: Validator) -> None:
    assert (
        rv.response("listThings", status=200, headers={"x-total": "0", "X-Next": "abc"}, body=[])
        == []
    )
    found = rv.response("listThings", status=200, headers={"X-Total": "-1"}, body=[])
    assert summary(found) == [("response.header", "/X-Total", "schema.minimum")]
    found = rv.response("listThings", status=200, headers={"X-Total": "many"}, body=[])
    assert summary(found) == [("response.header", "/X-Total", "schema.type")]


def test_content_type_picks_media_type(rv: Validator) -> None:
    assert (
        rv.response("plain", status=200, content_type="text/plain; charset=utf-8", body="hello")
        == []
    )
    assert rv.response("plain", status=200, content_type="application/json", body="7") == []
    found = rv.response("plain", status=200, content_type="application/json", body='"seven"')
    assert summary(found) == [("response.body", "", "schema.type")]


def test_parsed_body_without_content_type_defaults_to_json(rv: Validator) -> None:
    assert rv.response("plain", status=200, body=7) == []


# -- nullable (3.0) -----------------------------------------------------------------------------

NULLABLE_SPEC = """\
openapi: 3.0.3
info: {title: nullable, version: "1"}
paths:
  /n:
    get:
      operationId: getN
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  typed: {type: string, nullable: true}
                  untyped: {nullable: true, minLength: 2}
                  enum_typed: {type: string, enum: [a, b], nullable: true}
                  enum_untyped: {enum: [a, b], nullable: true}
                  ref_nullable: {$ref: "#/components/schemas/Thing", nullable: true}
                  allof_nullable:
                    allOf: [{$ref: "#/components/schemas/Thing"}]
                    nullable: true
                  plain: {type: string}
                  plain_enum: {type: string, enum: [a, b]}
                  ref_plain: {$ref: "#/components/schemas/Thing"}
                  nullable_false: {type: string, nullable: false}
components:
  schemas:
    Thing:
      type: object
      required: [id]
      properties:
        id: {type: string}
"""


@pytest.fixture(scope="module")
def nv(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    return validator_for(tmp_path_factory, NULLABLE_SPEC)


@pytest.mark.parametrize(
    "prop", ["typed", "untyped", "enum_typed", "enum_untyped", "ref_nullable", "allof_nullable"]
)
def test_null_accepted_where_nullable(nv: Validator, prop: str) -> None:
    assert nv.response("getN", status=200, body={prop: None}) == []


@pytest.mark.parametrize(
    ("prop", "codes"),
    [
        ("plain", {"schema.type"}),
        ("plain_enum", {"schema.type", "schema.enum"}),
        ("ref_plain", {"schema.type"}),
        ("nullable_false", {"schema.type"}),
    ],
)
def test_null_rejected_where_not_nullable(nv: Validator, prop: str, codes: set[str]) -> None:
    found = nv.response("getN", status=200, body={prop: None})
    assert {(x.pointer, x.severity) for x in found} == {(f"/{prop}", "error")}
    assert {x.code for x in found} == codes
    assert all("null" in x.message for x in found)


@pytest.mark.parametrize(
    ("prop", "value", "pointer", "code"),
    [
        ("typed", 5, "/typed", "schema.type"),
        ("untyped", "x", "/untyped", "schema.minLength"),
        ("enum_typed", "c", "/enum_typed", "schema.enum"),
        ("enum_untyped", "c", "/enum_untyped", "schema.enum"),
        ("ref_nullable", {}, "/ref_nullable", "schema.required"),
        ("allof_nullable", {}, "/allof_nullable", "schema.required"),
    ],
)
def test_nullable_still_checks_non_null_values(
    nv: Validator, prop: str, value: Any, pointer: str, code: str
) -> None:
    found = nv.response("getN", status=200, body={prop: value})
    assert [(x.pointer, x.code) for x in found] == [(pointer, code)]


def test_nullable_on_openai_spec(v: Validator) -> None:
    # RunObject.required_action is `type: object, nullable: true`; status is not nullable
    run_schema = v.spec.uri + "#/components/schemas/RunObject"
    assert v.responses.is_valid(run_schema + "/properties/required_action", None)
    assert not v.responses.is_valid(run_schema + "/properties/status", None)
    # Metadata is a nullable component referenced by a plain $ref
    assert v.responses.is_valid(v.spec.uri + "#/components/schemas/Metadata", None)


# -- discriminator ------------------------------------------------------------------------------

PETS_SPEC = """\
openapi: 3.0.3
info: {title: pets, version: "1"}
paths:
  /pet:
    get:
      operationId: getPet
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
components:
  schemas:
    Pet:
      oneOf:
        - $ref: "#/components/schemas/Cat"
        - $ref: "#/components/schemas/Dog"
      discriminator:
        propertyName: kind
    Cat:
      type: object
      required: [kind, lives]
      properties:
        kind: {type: string, enum: [cat]}
        lives: {type: integer, maximum: 9}
    Dog:
      type: object
      required: [kind, good]
      properties:
        kind: {type: string, enum: [dog]}
        good: {type: boolean}
"""


@pytest.fixture(scope="module")
def pets(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    return validator_for(tmp_path_factory, PETS_SPEC)


def test_discriminator_valid(pets: Validator) -> None:
    assert pets.response("getPet", body={"kind": "cat", "lives": 9}) == []
    assert pets.response("getPet", body={"kind": "dog", "good": True}) == []


def test_discriminator_unknown_value(pets: Validator) -> None:
    found = pets.response("getPet", body={"kind": "lizard", "lives": 1})
    assert summary(found) == [("response.body", "/kind", "schema.discriminator")]
    assert "'lizard'" in found[0].message
    assert "cat, dog" in found[0].message
    assert found[0].schema_path == "#/components/schemas/Pet/oneOf"


def test_discriminator_missing_property(pets: Validator) -> None:
    found = pets.response("getPet", body={"lives": 1})
    # no tag to go by: the branch the data fits best (Cat) says what is missing
    assert summary(found) == [("response.body", "", "schema.required")]
    assert '"kind"' in found[0].message


def test_discriminator_right_tag_missing_field(pets: Validator) -> None:
    found = pets.response("getPet", body={"kind": "dog"})
    assert summary(found) == [("response.body", "", "schema.required")]
    assert '"good"' in found[0].message
    assert found[0].schema_path == "#/components/schemas/Dog/required"


def test_discriminator_right_tag_wrong_field(pets: Validator) -> None:
    found = pets.response("getPet", body={"kind": "cat", "lives": 10})
    assert summary(found) == [("response.body", "/lives", "schema.maximum")]
    assert found[0].schema_path == "#/components/schemas/Cat/properties/lives/maximum"


def test_discriminator_in_openai_spec(v: Validator) -> None:
    # OutputItem (anyOf + discriminator: type) inside a Response
    schema = v.spec.uri + "#/components/schemas/OutputItem"
    found = v.responses.check(schema, {"type": "hologram", "id": "x"}, where="response.body")
    assert [(x.pointer, x.code) for x in found] == [("/type", "schema.discriminator")]
    assert "'hologram'" in found[0].message
    found = v.responses.check(
        schema, {"type": "message", "id": "m", "role": "assistant"}, where="response.body"
    )
    assert {(x.pointer, x.code) for x in found} == {("", "schema.required")}
    assert all(x.schema_path == "#/components/schemas/OutputMessage/required" for x in found)


MESSAGES_SPEC = """\
openapi: 3.0.3
info: {title: messages, version: "1"}
paths:
  /message:
    get:
      operationId: getMessage
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Message"}
components:
  schemas:
    Message:  # no discriminator, as OpenAI 2026-08's eval run templates
      oneOf:
        - {type: object, required: [role, content],
           properties: {role: {type: string}, content: {type: string}}}
        - {type: object, required: [role, content],
           properties: {role: {type: string, enum: [user, assistant]},
                        content: {type: array, items: {type: string}}}}
"""


@pytest.fixture(scope="module")
def messages(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    return validator_for(tmp_path_factory, MESSAGES_SPEC)


def test_a_tag_value_no_branch_declares_points_at_no_branch(messages: Validator) -> None:
    # role "bogus" breaks the second branch's enum, content [] the first's type: neither branch
    # is the one meant (it was reported as content's type error, the mutation being the role)
    found = messages.response("getMessage", body={"role": "bogus", "content": []})
    assert [(x.pointer, x.code) for x in found] == [("", "schema.oneOf")]
    assert found[0].message == "object with role 'bogus' matches none of the oneOf branches"
    # (a value another branch declares still rules a branch out: WebSearchTool against
    # ComputerTool in test_mutation's Response tools)


# -- readOnly / writeOnly -----------------------------------------------------------------------

ACCOUNT_SPEC = """\
openapi: 3.0.3
info: {title: accounts, version: "1"}
paths:
  /accounts:
    post:
      operationId: createAccount
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Account"}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Account"}
components:
  schemas:
    Id:
      type: string
      readOnly: true
    Account:
      type: object
      required: [id, created, password, name]
      properties:
        id: {$ref: "#/components/schemas/Id"}
        created: {type: integer, readOnly: true}
        password: {type: string, writeOnly: true, minLength: 8}
        name: {type: string}
"""


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    return validator_for(tmp_path_factory, ACCOUNT_SPEC)


def test_read_only_not_required_in_requests(accounts: Validator) -> None:
    assert (
        accounts.request("createAccount", body={"name": "Ada", "password": "correct horse"}) == []
    )
    found = accounts.request("createAccount", body={"name": "Ada"})
    assert summary(found) == [("request.body", "", "schema.required")]
    assert '"password"' in found[0].message


def test_write_only_not_required_in_responses(accounts: Validator) -> None:
    body = {"id": "acct_1", "created": 1, "name": "Ada"}
    assert accounts.response("createAccount", status=201, body=body) == []
    found = accounts.response("createAccount", status=201, body={"name": "Ada"})
    assert sorted(x.message for x in found) == [
        '"created" is a required property',
        '"id" is a required property',
    ]
    assert {x.code for x in found} == {"schema.required"}


def test_read_only_and_write_only_values_still_checked(accounts: Validator) -> None:
    found = accounts.request("createAccount", body={"name": "Ada", "password": "short"})
    assert summary(found) == [("request.body", "/password", "schema.minLength")]
    found = accounts.response(
        "createAccount", status=201, body={"id": 1, "created": 1, "name": "Ada"}
    )
    assert summary(found) == [("response.body", "/id", "schema.type")]


# -- 3.0 / 3.1 keyword differences ----------------------------------------------------------------

BOUNDS_30 = """\
openapi: 3.0.3
info: {title: bounds, version: "1"}
paths:
  /b:
    get:
      operationId: getB
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  above: {type: number, minimum: 0, exclusiveMinimum: true}
                  below: {type: number, maximum: 1, exclusiveMaximum: true}
                  inclusive: {type: number, minimum: 0, exclusiveMinimum: false}
                  name: {$ref: "#/components/schemas/Name", maxLength: 3}
                  day: {type: string, enum: [2024-10-01]}
                  since: {type: string, default: 2024-10-01, format: date}
components:
  schemas:
    Name: {type: string}
"""

BOUNDS_31 = """\
openapi: 3.1.0
info: {title: bounds, version: "1"}
paths:
  /b:
    get:
      operationId: getB
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  above: {type: number, exclusiveMinimum: 0}
                  name: {$ref: "#/components/schemas/Name", maxLength: 3}
                  huge: {type: integer, minimum: -18446744073709551616, maximum: 18446744073709551616}
                  maybe: {type: [string, "null"]}
                  day: {const: 2024-10-01}
components:
  schemas:
    Name: {type: string}
"""


@pytest.fixture(scope="module")
def b30(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    return validator_for(tmp_path_factory, BOUNDS_30)


@pytest.fixture(scope="module")
def b31(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    return validator_for(tmp_path_factory, BOUNDS_31)


def test_30_boolean_exclusive_bounds(b30: Validator) -> None:
    assert b30.response("getB", body={"above": 0.001, "below": 0.999, "inclusive": 0}) == []
    found = b30.response("getB", body={"above": 0, "below": 1})
    assert sorted((x.pointer, x.code) for x in found) == [
        ("/above", "schema.exclusiveMinimum"),
        ("/below", "schema.exclusiveMaximum"),
    ]


def test_30_ref_siblings_ignored(b30: Validator) -> None:
    assert b30.response("getB", body={"name": "a very long name"}) == []


def test_31_ref_siblings_applied(b31: Validator) -> None:
    assert b31.response("getB", body={"name": "abc"}) == []
    found = b31.response("getB", body={"name": "abcd"})
    assert [(x.pointer, x.code) for x in found] == [("/name", "schema.maxLength")]
    found = b31.response("getB", body={"name": 5})
    assert [(x.pointer, x.code) for x in found] == [("/name", "schema.type")]


def test_31_numeric_exclusive_minimum_and_type_array(b31: Validator) -> None:
    assert b31.response("getB", body={"above": 0.5, "maybe": None}) == []
    found = b31.response("getB", body={"above": 0, "maybe": 1})
    assert sorted((x.pointer, x.code) for x in found) == [
        ("/above", "schema.exclusiveMinimum"),
        ("/maybe", "schema.type"),
    ]


def test_31_integer_bounds_beyond_64_bits(b31: Validator) -> None:
    big = 2**64
    assert (
        b31.spec.resolve("#/paths/~1b/get/responses/200/content/application~1json/schema")[
            "properties"
        ]["huge"]["maximum"]
        == big
    )
    assert b31.response("getB", body={"huge": big}) == []
    assert b31.response("getB", body={"huge": -big}) == []
    assert (
        b31.response("getB", content_type="application/json", body=f'{{"huge": {big - 1}}}') == []
    )
    found = b31.response("getB", content_type="application/json", body=f'{{"huge": {big + 1}}}')
    assert [(x.pointer, x.code) for x in found] == [("/huge", "schema.maximum")]
    found = b31.response("getB", body={"huge": -big - 1})
    assert [(x.pointer, x.code) for x in found] == [("/huge", "schema.minimum")]


def test_yaml_date_scalar_stays_a_string(b30: Validator, b31: Validator) -> None:
    day = b30.spec.resolve(
        "#/paths/~1b/get/responses/200/content/application~1json/schema/properties/day"
    )
    assert day == {"type": "string", "enum": ["2024-10-01"]}
    assert b30.response("getB", body={"day": "2024-10-01", "since": "2024-01-01"}) == []
    found = b30.response("getB", body={"day": "2024-10-02"})
    assert [(x.pointer, x.code) for x in found] == [("/day", "schema.enum")]
    assert b31.response("getB", body={"day": "2024-10-01"}) == []
    assert [(x.pointer, x.code) for x in b31.response("getB", body={"day": "2024-10-02"})] == [
        ("/day", "schema.const")
    ]


def test_an_empty_binary_body_is_an_empty_file_not_a_missing_body(v: Validator) -> None:
    # downloadFile answers application/octet-stream (erratum download-json-string)
    empty = v.response(
        "downloadFile", status=200, body=b"", content_type="application/octet-stream"
    )
    assert summary(empty) == []
    missing_json = v.response("retrieveFile", status=200, body=b"", content_type="application/json")
    assert summary(missing_json) == [("response.body", "", "response.body-missing")]
