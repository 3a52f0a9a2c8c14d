"""Embeddings rules (``semantics/embeddings.py``): each finds what it names, its fixer satisfies
it, compliant answers pass untouched, and typical answers fixed for a request stay valid."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import finds_then_fixes

from conformance.strategies import responses
from conformance.validate import Validator
from conformance.validate.semantics import Exchange, check, comply
from conformance.validate.semantics.embeddings import (
    decode_vector,
    encode_vector,
    input_count,
    unit_vector,
)

OP = "createEmbedding"
ASK = {"model": "text-embedding-3-small", "input": "hi"}


def item(vector: Any, index: int = 0) -> dict[str, Any]:
    return {"object": "embedding", "index": index, "embedding": vector}


def answer(*items: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "list",
        "data": list(items),
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 2, "total_tokens": 2},
    }


UNIT = [0.6, 0.8]
UNIT_B64 = encode_vector([0.6, 0.8])


def codes(x: Exchange) -> list[str]:
    return [v.code for v in check(x) if v.code.startswith("rule.embeddings.")]


BAD: list[tuple[str, dict[str, Any], dict[str, Any], str, Any, Any]] = [
    # code, request, body, pointer, expected, actual
    (
        "rule.embeddings.count",
        {**ASK, "input": ["a", "b", "c"]},
        answer(item(UNIT)),
        "/data",
        3,
        1,
    ),
    (
        "rule.embeddings.count",
        {**ASK, "input": [1, 2, 3]},
        answer(item(UNIT), item(UNIT, 1)),
        "/data",
        1,
        2,
    ),
    ("rule.embeddings.count", {**ASK, "input": [[1], [2]]}, answer(item(UNIT)), "/data", 2, 1),
    ("rule.embeddings.index", ASK, answer(item(UNIT, 3)), "/data/0/index", 0, 3),
    (
        "rule.embeddings.dimensions",
        {**ASK, "dimensions": 4},
        answer(item(UNIT)),
        "/data/0/embedding",
        4,
        2,
    ),
    (
        "rule.embeddings.dimensions",
        {**ASK, "dimensions": 4, "encoding_format": "base64"},
        answer(item(UNIT_B64)),
        "/data/0/embedding",
        4,
        2,
    ),
    (
        "rule.embeddings.length",
        {**ASK, "input": ["a", "b"]},
        answer(item(UNIT), item([0.0, 0.6, 0.8], 1)),
        "/data/1/embedding",
        2,
        3,
    ),
    ("rule.embeddings.values", ASK, answer(item([0.0, 0.0])), "/data/0/embedding", None, None),
    ("rule.embeddings.values", ASK, answer(item([1e308, 1.0])), "/data/0/embedding", None, None),
    ("rule.embeddings.values", ASK, answer(item([])), "/data/0/embedding", None, None),
    ("rule.embeddings.norm", ASK, answer(item([0.5, 0.5])), "/data/0/embedding", 1.0, 0.707107),
    (
        "rule.embeddings.distinct",
        {**ASK, "input": ["a", "b"]},
        answer(item(UNIT), item(UNIT, 1)),
        "/data/1/embedding",
        None,
        None,
    ),
    (
        "rule.embeddings.encoding",
        {**ASK, "encoding_format": "base64"},
        answer(item(UNIT)),
        "/data/0/embedding",
        "base64",
        "list",
    ),
    (
        "rule.embeddings.encoding",
        {**ASK, "encoding_format": "float"},
        answer(item(UNIT_B64)),
        "/data/0/embedding",
        "float",
        "base64",
    ),
    (
        "rule.embeddings.encoding",
        ASK,
        answer(item(UNIT_B64)),
        "/data/0/embedding",
        "float",
        "base64",
    ),
    (
        "rule.embeddings.encoding",
        {**ASK, "encoding_format": "base64"},
        answer(item("not base64!")),
        "/data/0/embedding",
        "base64 of float32",
        "not base64!",
    ),
]


@pytest.mark.parametrize(("code", "request_", "body", "pointer", "expected", "actual"), BAD)
def test_a_rule_finds_what_it_names_and_its_fixer_satisfies_it(
    code: str,
    request_: dict[str, Any],
    body: dict[str, Any],
    pointer: str,
    expected: Any,
    actual: Any,
) -> None:
    finds_then_fixes(
        Exchange(OP, request_, body=copy.deepcopy(body)), code, pointer, expected, actual
    )


def test_fixed_embeddings_are_what_was_asked() -> None:
    ask = {**ASK, "input": ["a", "b", "c"], "dimensions": 5, "encoding_format": "base64"}
    x = Exchange(OP, ask, body=answer(item([0.0, 2.0], 7)))
    comply(x)
    assert codes(x) == []
    assert [d["index"] for d in x.body["data"]] == [0, 1, 2]
    vectors = [decode_vector(d["embedding"]) for d in x.body["data"]]
    assert all(isinstance(d["embedding"], str) for d in x.body["data"])
    assert all(v is not None and len(v) == 5 for v in vectors)
    assert all(abs(math.hypot(*v) - 1) < 1e-3 for v in vectors if v)
    assert len({tuple(v or ()) for v in vectors}) == 3  # three inputs, three directions
    again = Exchange(OP, ask, body=answer(item([0.0, 2.0], 7)))
    comply(again)
    assert again.body == x.body  # the same input, the same vector


def test_an_empty_answer_gets_one_made_up_vector_per_input() -> None:
    x = Exchange(OP, {**ASK, "input": ["a", "b"], "dimensions": 3}, body=answer())
    comply(x)
    assert codes(x) == []
    assert [len(d["embedding"]) for d in x.body["data"]] == [3, 3]


COMPLIANT = [
    (ASK, answer(item(UNIT))),
    ({**ASK, "input": ["a", "b"]}, answer(item(UNIT), item([0.8, -0.6], 1))),
    ({**ASK, "input": [5, 6, 7]}, answer(item(UNIT))),
    ({**ASK, "input": ["a", "a"]}, answer(item(UNIT), item(UNIT, 1))),  # one input, one vector
    ({**ASK, "input": ["a", "b", "c"]}, answer(item([1.0]), item([1.0], 1), item([-1.0], 2))),
    ({**ASK, "encoding_format": "base64", "dimensions": 2}, answer(item(UNIT_B64))),
    (None, answer(item(UNIT_B64), item([0.0, 1.0], 1))),  # request unknown: either form
]


@pytest.mark.parametrize(("request_", "body"), COMPLIANT)
def test_compliant_answers_pass_untouched(request_: dict[str, Any] | None, body: Any) -> None:
    x = Exchange(OP, request_, body=copy.deepcopy(body))
    assert codes(x) == []
    comply(x)
    assert x.body == body


def test_vector_helpers() -> None:
    assert input_count([]) is None and input_count({"a": 1}) is None
    assert decode_vector("AAAA") is None  # 3 bytes: no whole float32
    assert decode_vector([True]) is None and decode_vector(None) is None
    assert decode_vector(encode_vector([0.25, -1.0])) == [0.25, -1.0]
    assert unit_vector([0.0, 0.0], 3) != [0.0, 0.0, 0.0]
    assert unit_vector([float("nan"), 2.0], 1) == [1.0]


REQUESTS: list[dict[str, Any]] = [
    ASK,
    {**ASK, "input": ["a", "b", "c"], "dimensions": 8},
    {**ASK, "input": [[1, 2], [3]], "encoding_format": "float"},
    {**ASK, "input": [1, 2, 3], "dimensions": 3, "encoding_format": "base64"},
]


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_typical_answers_fixed_for_a_request_stay_valid(
    openai_validator: Validator, data: st.DataObject
) -> None:
    strict = Validator(openai_validator.spec, strict=True)
    case = data.draw(responses(openai_validator.spec, OP, status=200, profile="typical"))
    for request_ in REQUESTS:
        x = Exchange(OP, request_, body=copy.deepcopy(case.body))
        comply(x)
        assert codes(x) == []
        assert [v for v in strict.response(OP, status=200, body=x.body) if v.is_error] == []
