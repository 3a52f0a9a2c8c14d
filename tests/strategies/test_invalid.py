"""Invalid requests: each breaks one named constraint and is rejected with the violation it announced."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import support
from hypothesis import HealthCheck, given, settings
from support import SPECS

from conformance.spec import Spec, load_spec
from conformance.strategies import InvalidRequest, RequestCase, breaks_of, invalid_requests
from conformance.strategies.context import context
from conformance.strategies.invalid import mutations, valid_media
from conformance.strategies.requests import request_errors
from conformance.validate import Validator

FAST = settings(
    max_examples=4,
    database=None,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def spec() -> Spec:
    path = SPECS / "openai-2.3.0.yaml"
    if not path.exists():
        pytest.skip(f"spec not found: {path}")
    return load_spec(path)


def _draw(spec: Spec, operation: str) -> list[InvalidRequest]:
    return support.draw(invalid_requests(spec, operation), 4, FAST)


def test_every_operation_with_a_body_has_invalid_requests_that_are_rejected_as_announced(
    spec: Spec,
) -> None:
    fresh = Validator(spec, strict=True)  # not the generator's own validator
    kinds: Counter[str] = Counter()
    failures: list[str] = []
    with_body = [op for op in spec.operations if op.request_body is not None]
    assert len(with_body) == 46
    for op in with_body:
        for bad in _draw(spec, op.operation_id):
            request = bad.case.to_httpx("http://x/v1")
            content = request.read()
            found = fresh.request(
                op,
                path=request.url.raw_path.decode(),
                headers=dict(request.headers),
                body=content if bad.case.media_type else None,
            )
            announced = (bad.expected.where, bad.expected.pointer, bad.expected.code)
            if announced not in [(v.where, v.pointer, v.code) for v in found if v.is_error]:
                failures.append(f"{op.operation_id}: {bad.constraint} -> {[str(v) for v in found]}")
            kinds[bad.expected.code] += 1
    assert not failures, "\n".join(failures[:20])
    # the mutations cover the kinds of constraint the issue names
    assert {"schema.required", "schema.type", "schema.enum"} <= set(kinds), kinds
    bounds = ("schema.maximum", "schema.minimum", "schema.maxLength", "schema.minLength")
    assert sum(kinds[k] for k in bounds) > 0, kinds


def test_mutations_name_what_they_break(spec: Spec) -> None:
    ctx = context(spec, "default")
    op = spec.operation("createChatCompletion")
    found = {
        m.constraint: (m.where, m.pointer, m.code) for m in mutations(ctx, op, valid_media(op))
    }
    assert found["body property 'model' removed (required)"] == (
        "request.body",
        "",
        "schema.required",
    )
    assert found["request body removed (required)"] == ("request.body", "", "request.body-missing")
    assert ("request.body", "/temperature", "schema.maximum") in found.values()
    assert ("request.body", "/n", "schema.minimum") in found.values()
    # keyword stays a JSON Schema keyword: empty for a break that is not one
    assert {
        m.keyword for m in mutations(ctx, op, valid_media(op)) if m.code == "request.body-missing"
    } == {""}


def test_an_invalid_case_differs_from_a_valid_one_only_where_announced(spec: Spec) -> None:
    ctx = context(spec, "default")

    @FAST
    @given(invalid_requests(spec, "listFiles"))
    def check(bad: InvalidRequest) -> None:
        errors = request_errors(ctx, bad.case)
        assert errors, bad.constraint
        assert {v.pointer for v in errors} == {bad.expected.pointer}

    check()


def test_a_missing_query_parameter_is_announced_with_the_validators_code(spec: Spec) -> None:
    ctx = context(spec, "default")
    op = spec.operation("usage-costs")
    missing = [m for m in mutations(ctx, op, valid_media(op)) if m.pointer == "/start_time"]
    assert [(m.where, m.keyword, m.code) for m in missing if not m.keyword] == [
        ("request.query", "", "request.parameter-missing")
    ]

    @FAST
    @given(invalid_requests(spec, "usage-costs"))
    def check(bad: InvalidRequest) -> None:
        found = request_errors(ctx, bad.case)
        announced = (bad.expected.where, bad.expected.pointer, bad.expected.code)
        assert announced in [(v.where, v.pointer, v.code) for v in found], bad.constraint

    check()


def test_breaks_of_crosses_every_bound_and_enum_of_one_valid_request(spec: Spec) -> None:
    valid = RequestCase(
        "createEmbedding",
        "POST",
        "/embeddings",
        media_type="application/json",
        body={"model": "text-embedding-3-small", "input": "hello"},
    )
    breaks = breaks_of(spec, valid)
    assert {b.constraint: b.case.body for b in breaks} == {
        "body property 'encoding_format': not one of its enum values": {
            **valid.body,
            "encoding_format": "__not_in_enum__",
        },
        "body property 'dimensions': below minimum 1": {**valid.body, "dimensions": 0},
    }
    validator = Validator(spec)
    for bad in breaks:  # each provokes exactly the violation it announces
        found = validator.request(
            "createEmbedding", body=bad.case.body, content_type="application/json"
        )
        assert [(v.code, v.pointer) for v in found] == [(bad.expected.code, bad.expected.pointer)]


def test_breaks_of_on_a_spec_of_our_own(tmp_path: Path) -> None:
    path = tmp_path / "things.json"
    path.write_text(
        json.dumps(
            {
                "openapi": "3.1.0",
                "info": {"title": "t", "version": "1"},
                "paths": {
                    "/things": {
                        "post": {
                            "operationId": "makeThing",
                            "requestBody": {
                                "required": True,
                                "content": {
                                    "application/json": {
                                        "schema": {
                                            "type": "object",
                                            "properties": {
                                                "size": {"type": "integer", "maximum": 10},
                                                "kind": {"type": "string", "enum": ["a", "b"]},
                                            },
                                        }
                                    }
                                },
                            },
                            "responses": {"200": {"description": "ok"}},
                        }
                    }
                },
            }
        )
    )
    spec = load_spec(path, cache=False)
    valid = RequestCase("makeThing", "POST", "/things", media_type="application/json", body={})
    assert [(b.constraint, b.case.body) for b in breaks_of(spec, valid)] == [
        ("body property 'size': above maximum 10", {"size": 11}),
        ("body property 'kind': not one of its enum values", {"kind": "__not_in_enum__"}),
    ]
