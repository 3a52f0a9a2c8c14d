"""Moderation rules (``semantics/moderations.py``): each finds what it names, its fixer satisfies
it, compliant answers (the real one and OpenAI's examples) pass untouched, and the mock's typical
answers look like what the API sends for the request."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest
import traffic
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support import SPECS, finds_then_fixes

from conformance.mock import Mock, MockRequest
from conformance.spec import Spec, load_spec
from conformance.strategies import responses
from conformance.validate import Validator
from conformance.validate.semantics import Exchange, check, comply
from conformance.validate.semantics.moderations import (
    CATEGORIES,
    IMAGE_CATEGORIES,
    input_types,
    moderation_inputs,
)

OP = "createModeration"
TEXT = {"input": "I want to hug you"}
TEXTS = {"input": ["hello", "I want to hug you", "good morning"], "model": "omni-moderation-latest"}
PARTS = {
    "input": [
        {"type": "text", "text": "a cat on a sofa"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
    ],
    "model": "omni-moderation-2024-09-26",
}
IMAGE = {"input": [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}


def result(flagged: dict[str, float] | None = None, types: tuple[str, ...] = ("text",)) -> Any:
    """A result whose ``flagged`` categories have those scores, every other one 1e-5."""
    flagged = flagged or {}
    return {
        "flagged": bool(flagged),
        "categories": {c: c in flagged for c in CATEGORIES},
        "category_scores": {c: flagged.get(c, 1e-5) for c in CATEGORIES},
        "category_applied_input_types": {
            c: [t for t in types if t == "text" or c in IMAGE_CATEGORIES] for c in CATEGORIES
        },
    }


def answer(*results: Any, model: str = "omni-moderation-latest") -> dict[str, Any]:
    return {"id": "modr-0Mn2Xq4rT6vY8zB1dF3hJ5kL7pR9s", "model": model, "results": list(results)}


def broken(edit: Any, *results: Any) -> dict[str, Any]:
    body = answer(*(results or (result(),)))
    edit(body)
    return body


def codes(x: Exchange) -> list[str]:
    return [v.code for v in check(x) if v.code.startswith("rule.moderations.")]


def _set(*path: Any) -> Any:
    """An edit that sets ``body[k1][k2]…`` to the last argument."""
    *keys, last, value = path

    def edit(body: dict[str, Any]) -> None:
        at: Any = body
        for key in keys:
            at = at[key]
        at[last] = value

    return edit


BAD: list[tuple[str, dict[str, Any] | None, dict[str, Any], str, Any, Any]] = [
    # code, request, body, pointer, expected, actual
    (
        "rule.moderations.scores",
        TEXT,
        broken(_set("results", 0, "category_scores", "illicit/violent", 1.7976931348623157e308)),
        "/results/0/category_scores/illicit~1violent",
        "[0, 1]",
        1.7976931348623157e308,
    ),
    (
        "rule.moderations.scores",
        TEXT,
        broken(_set("results", 0, "category_scores", "hate", -1e-05)),
        "/results/0/category_scores/hate",
        "[0, 1]",
        -1e-05,
    ),
    (
        "rule.moderations.flagged",
        TEXT,
        broken(_set("results", 0, "flagged", False), result({"violence": 0.99})),
        "/results/0/flagged",
        True,
        False,
    ),
    (
        "rule.moderations.flagged",
        TEXT,
        broken(_set("results", 0, "flagged", True)),
        "/results/0/flagged",
        False,
        True,
    ),
    (
        "rule.moderations.category-score",
        TEXT,
        broken(_set("results", 0, "category_scores", "sexual", 1e-140), result({"sexual": 0.9})),
        "/results/0/category_scores/sexual",
        ">= 0.5",
        1e-140,
    ),
    (
        "rule.moderations.category-score",
        TEXT,
        broken(_set("results", 0, "category_scores", "hate", 0.97)),
        "/results/0/category_scores/hate",
        "< 0.5",
        0.97,
    ),
    (
        "rule.moderations.input-types",
        TEXT,
        broken(_set("results", 0, "category_applied_input_types", "violence", ["image"])),
        "/results/0/category_applied_input_types/violence",
        ["text"],
        ["image"],
    ),
    (
        "rule.moderations.input-types",
        TEXT,
        broken(_set("results", 0, "category_applied_input_types", "harassment", ["text", "text"])),
        "/results/0/category_applied_input_types/harassment",
        ["text"],
        ["text", "text"],
    ),
    (
        "rule.moderations.id",
        TEXT,
        broken(_set("id", "tiJsSqppTgQ8u")),
        "/id",
        "modr-",
        "tiJsSqppTgQ8u",
    ),
    (
        "rule.moderations.model",
        TEXT,
        broken(_set("model", "o1")),
        "/model",
        "omni-moderation-latest",
        "o1",
    ),
    (
        "rule.moderations.model",
        None,
        broken(_set("model", "gpt-4o-mini")),
        "/model",
        "omni-moderation-latest",
        "gpt-4o-mini",
    ),
    (
        "rule.moderations.count",
        TEXTS,
        answer(result()),
        "/results",
        3,
        1,
    ),
]


@pytest.mark.parametrize(("code", "request_", "body", "pointer", "expected", "actual"), BAD)
def test_a_rule_finds_what_it_names_and_its_fixer_satisfies_it(
    code: str,
    request_: dict[str, Any] | None,
    body: dict[str, Any],
    pointer: str,
    expected: Any,
    actual: Any,
) -> None:
    finds_then_fixes(
        Exchange(OP, request_, body=copy.deepcopy(body)), code, pointer, expected, actual
    )


def test_an_unflagged_result_clears_its_categories_with_low_scores() -> None:
    body = answer(result({"violence": 0.99, "hate": 0.7}))
    body["results"][0]["flagged"] = False
    x = Exchange(OP, TEXT, body=body)
    comply(x)
    (fixed,) = x.body["results"]
    assert not any(fixed["categories"].values()) and not fixed["flagged"]
    assert all(1e-6 <= s <= 1e-3 for s in fixed["category_scores"].values())


def test_a_flagged_result_with_no_category_gets_its_highest_scoring_one() -> None:
    body = answer(result())
    body["results"][0]["flagged"] = True
    body["results"][0]["category_scores"]["self-harm"] = 0.4
    x = Exchange(OP, TEXT, body=body)
    comply(x)
    (fixed,) = x.body["results"]
    assert [c for c, v in fixed["categories"].items() if v] == ["self-harm"]
    assert fixed["category_scores"]["self-harm"] >= 0.5


def test_fixed_scores_come_from_the_input() -> None:
    def fixed(request_: dict[str, Any]) -> Any:
        x = Exchange(OP, request_, body=broken(_set("results", 0, "category_scores", "hate", 7.0)))
        comply(x)
        return x.body["results"][0]["category_scores"]["hate"]

    assert fixed(TEXT) == fixed(TEXT)
    assert fixed(TEXT) != fixed({"input": "something else"})


def test_an_empty_answer_gets_one_benign_result_per_input() -> None:
    x = Exchange(OP, TEXTS, body=answer())
    comply(x)
    assert codes(x) == [] and len(x.body["results"]) == 3
    assert not any(r["flagged"] for r in x.body["results"])


COMPLIANT = [
    (TEXTS, answer(result(), result({"self-harm": 0.7}), result())),
    (PARTS, answer(result({"violence": 0.93}, types=("text", "image")), model=PARTS["model"])),
    (IMAGE, answer(result(types=("image",)))),  # text-only categories score no image: []
    (None, answer(result(), result(), model="text-moderation-007")),  # request unknown
]


@pytest.mark.parametrize(("request_", "body"), COMPLIANT)
def test_compliant_answers_pass_untouched(request_: dict[str, Any] | None, body: Any) -> None:
    x = Exchange(OP, request_, body=copy.deepcopy(body))
    assert codes(x) == []
    comply(x)
    assert x.body == body


def test_openai_examples_pass_untouched(openai_validator: Validator) -> None:
    """The spec's own example answers (a flagged text: text-moderation-007, flagging harassment
    at 0.52 and leaving hate at 0.227; an image and a text: omni-moderation-latest)."""
    document = openai_validator.spec.document
    meta = document["paths"]["/moderations"]["post"]["x-oaiMeta"]["examples"]
    examples = [json.loads(e["response"]) for e in meta]
    examples.append(
        json.loads(
            document["components"]["schemas"]["CreateModerationResponse"]["x-oaiMeta"]["example"]
        )
    )
    for body in examples:
        (first,) = body["results"]
        applied = first.get("category_applied_input_types", {})
        request_ = (
            PARTS
            if any("image" in t for t in applied.values())
            else {"input": "I want to kill them."}
        )
        x = Exchange(OP, {**request_, "model": body["model"]}, body=copy.deepcopy(body))
        assert codes(x) == []
        comply(x)
        assert x.body == body
    assert any(r["flagged"] for body in examples for r in body["results"])


def test_the_real_moderation_answer_passes_every_rule(openai_validator: Validator) -> None:
    """Every moderation exchange of ../shared/real-traffic (one: text-moderation-007, 2025-08)."""
    found = [
        (i, op)
        for i, op in traffic.answers(openai_validator.spec, lambda e: "/moderations" in e["url"])
        if op.operation_id == OP
    ]
    assert len(found) == 1
    ((interaction, op),) = found
    x = traffic.exchange(interaction, op)
    assert codes(x) == []
    (real,) = x.body["results"]
    assert real["flagged"] is False and not any(real["categories"].values())
    assert max(real["category_scores"].values()) < 1e-4


def test_input_helpers() -> None:
    assert moderation_inputs([]) is None and input_types({"a": 1}) is None
    assert input_types(["a", "b"]) == frozenset(("text",))
    assert input_types(PARTS["input"]) == frozenset(("text", "image"))
    assert input_types(IMAGE["input"]) == frozenset(("image",))


def looks_real(request_: dict[str, Any], body: dict[str, Any]) -> list[str]:
    """What an app developer would call out in a moderation answer (independent of the rules)."""
    wrong = []
    if not str(body.get("id", "modr-")).startswith("modr-"):
        wrong.append("id")
    if "moderation" not in str(body.get("model", "moderation")):
        wrong.append("model")
    types = input_types(request_["input"]) or frozenset()
    for r in body.get("results", []):
        scores, cats = r["category_scores"], r["categories"]
        if not all(isinstance(s, float | int) and 0 <= s <= 1 for s in scores.values()):
            wrong.append("scores")
        if r["flagged"] != any(v is True for v in cats.values()):
            wrong.append("flagged")
        if any((cats[c] is True) != (scores[c] >= 0.5) for c in cats if cats[c] is not None):
            wrong.append("category-score")
        if any(
            set(t) - types or len(set(t)) != len(t)
            for t in r["category_applied_input_types"].values()
        ):
            wrong.append("input-types")
    return sorted(set(wrong))


# the mock's typical answer to {"input": "I want to hug you"} before these rules (seed 5)
OLD = {
    "id": "tiJsSqppTgQ8u",
    "model": "o1",
    "results": [
        {
            "category_scores": {
                **{c: 0.5 for c in CATEGORIES},
                "illicit/violent": 1.7976931348623157e308,
                "illicit": -1e308,
            },
            "flagged": False,
            "categories": {
                **{c: False for c in CATEGORIES},
                "violence/graphic": True,
                "sexual/minors": True,
            },
            "category_applied_input_types": {c: ["text", "text"] for c in CATEGORIES},
        }
    ],
}


def test_the_old_typical_answer_is_caught() -> None:
    assert looks_real(TEXT, OLD) == [
        "category-score",
        "flagged",
        "id",
        "input-types",
        "model",
        "scores",
    ]
    found = set(codes(Exchange(OP, TEXT, body=copy.deepcopy(OLD))))
    assert found == {
        "rule.moderations.scores",
        "rule.moderations.flagged",
        "rule.moderations.category-score",
        "rule.moderations.input-types",
        "rule.moderations.id",
        "rule.moderations.model",
    }


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(SPECS / "openai-2.3.0.yaml")


def mocked(mock: Mock, body: dict[str, Any]) -> tuple[int, Any]:
    answer_ = mock.handle(
        MockRequest(
            "POST",
            "/v1/moderations",
            "",
            {"authorization": "Bearer x", "content-type": "application/json"},
            json.dumps(body).encode(),
        )
    )
    return answer_.status, json.loads(answer_.body)


@pytest.mark.parametrize("seed", [0, 1, 5, 6, 42])
@pytest.mark.parametrize(
    "request_", [TEXT, TEXTS, PARTS, IMAGE, {"input": "x", "model": "text-moderation-latest"}]
)
def test_the_mocks_typical_answers_look_real(
    spec: Spec, seed: int, request_: dict[str, Any]
) -> None:
    mock = Mock(spec, profile="typical", seed=seed)
    status, body = mocked(mock, request_)
    assert status == 200
    assert looks_real(request_, body) == []
    x = Exchange(OP, request_, body=body)
    assert [str(v) for v in check(x)] == []  # every rule, not only these
    strict = Validator(spec, strict=True)
    assert [str(v) for v in strict.response(OP, status=200, body=body) if v.is_error] == []
    assert body["id"].startswith("modr-") and "moderation" in body["model"]
    assert len(body["results"]) == moderation_inputs(request_["input"])
    if "model" in request_:
        assert body["model"] == request_["model"] or request_["model"].endswith("-latest")
    for r in body["results"]:
        low = [s for c, s in r["category_scores"].items() if r["categories"][c] is not True]
        assert all(s < 0.5 and math.isfinite(s) for s in low)


REQUESTS: list[dict[str, Any]] = [TEXT, TEXTS, PARTS, IMAGE]


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_typical_answers_fixed_for_a_request_stay_valid(
    openai_validator: Validator, data: st.DataObject
) -> None:
    strict = Validator(openai_validator.spec, strict=True)
    case = data.draw(responses(openai_validator.spec, OP, status=200, profile="typical"))
    assume(isinstance(case.body, dict))
    for request_ in REQUESTS:
        x = Exchange(OP, request_, body=copy.deepcopy(case.body))
        comply(x)
        assert codes(x) == []
        assert looks_real(request_, x.body) == []
        assert [v for v in strict.response(OP, status=200, body=x.body) if v.is_error] == []


NEW = {
    "rule.moderations.scores",
    "rule.moderations.flagged",
    "rule.moderations.category-score",
    "rule.moderations.input-types",
    "rule.moderations.id",
    "rule.moderations.model",
}


def test_without_these_rules_the_mock_answers_as_before(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks above fail on the old behaviour: the same mock with these rules taken away
    answers nonsense again, which ``looks_real`` and the rules both call out."""
    import conformance.validate.semantics as semantics
    from conformance.validate.semantics import registry

    kept = [r for r in registry.RULES if r.code not in NEW]
    monkeypatch.setattr(registry, "RULES", kept)
    for memo in (registry, "_BY_OPERATION"), (semantics, "_SPLIT"), (semantics, "_APPLYING"):
        monkeypatch.setattr(*memo, {})  # forget the memoised rule lists
    answers = [mocked(Mock(spec, profile="typical", seed=s), TEXT)[1] for s in (0, 1, 5, 6, 42)]
    monkeypatch.undo()
    wrong = {w for body in answers for w in looks_real(TEXT, body)}
    found = {c for body in answers for c in codes(Exchange(OP, TEXT, body=body))}
    assert wrong == {"category-score", "flagged", "id", "input-types", "model", "scores"}
    assert found == NEW
