"""List rules (``semantics/lists.py``): each finds what it names, its fixer satisfies it,
compliant pages pass untouched, and typical pages of every list operation end."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.strategies import responses
from conformance.validate import Validator
from conformance.validate.semantics import Exchange, check, comply
from conformance.validate.semantics.lists import default_limit, envelope

OP = "listMessages"


def msg(n: int, created: int | None = None) -> dict[str, Any]:
    return {
        "id": f"msg_{n}",
        "object": "thread.message",
        "created_at": created or 1_700_000_000 + n,
    }


def page(*items: dict[str, Any], has_more: bool = False, ids: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"object": "list", "data": list(items), "has_more": has_more}
    if ids:
        body["first_id"] = items[0]["id"] if items else None
        body["last_id"] = items[-1]["id"] if items else None
    return body


def codes(x: Exchange) -> list[str]:
    return [v.code for v in check(x) if v.code.startswith("rule.list.")]


BAD: list[tuple[str, dict[str, str], dict[str, Any], str, Any, Any]] = [
    # code, query, body, pointer, expected, actual
    (
        "rule.list.ids",
        {},
        {**page(msg(1), msg(2)), "first_id": "msg_9"},
        "/first_id",
        "msg_1",
        "msg_9",
    ),
    (
        "rule.list.ids",
        {},
        {**page(msg(1), msg(2)), "last_id": "msg_1"},
        "/last_id",
        "msg_2",
        "msg_1",
    ),
    ("rule.list.ids", {}, {**page(), "first_id": "msg_1"}, "/first_id", None, "msg_1"),
    ("rule.list.empty-has-more", {}, page(has_more=True), "/has_more", False, True),
    ("rule.list.short-page", {}, page(msg(1), has_more=True), "/has_more", False, True),
    (
        "rule.list.short-page",
        {"limit": "3"},
        page(msg(1), msg(2), has_more=True),
        "/has_more",
        False,
        True,
    ),
    ("rule.list.limit", {"limit": "1"}, page(msg(1), msg(2)), "/data", 1, 2),
    ("rule.list.order", {"order": "asc"}, page(msg(2), msg(1)), "/data/1", "asc", 1_700_000_001),
    ("rule.list.order", {"order": "desc"}, page(msg(1), msg(2)), "/data/1", "desc", 1_700_000_002),
    ("rule.list.cursor", {"after": "msg_1"}, page(msg(1), msg(2)), "/data/0/id", None, "msg_1"),
    ("rule.list.cursor", {"before": "msg_2"}, page(msg(1), msg(2)), "/data/1/id", None, "msg_2"),
]


@pytest.mark.parametrize(("code", "query", "body", "pointer", "expected", "actual"), BAD)
def test_a_rule_finds_what_it_names_and_its_fixer_satisfies_it(
    code: str, query: dict[str, str], body: dict[str, Any], pointer: str, expected: Any, actual: Any
) -> None:
    x = Exchange(OP, None, body=copy.deepcopy(body), query=query)
    (found,) = [v for v in check(x) if v.code == code]
    assert (found.pointer, found.expected, found.actual) == (pointer, expected, actual)
    assert found.where == "response.body"
    comply(x)
    assert codes(x) == []


def test_fixes_compose_into_a_consistent_page() -> None:
    body = page(msg(3), msg(1), msg(2), msg(4), has_more=True)
    body["first_id"] = body["last_id"] = "msg_x"
    query = {"order": "asc", "after": "msg_1", "limit": "2"}
    x = Exchange(OP, None, body=body, query=query)
    comply(x)
    assert codes(x) == []
    ids = [d["id"] for d in x.body["data"]]
    assert len(ids) <= 2 and "msg_1" not in ids
    assert (x.body["first_id"], x.body["last_id"]) == (ids[0], ids[-1])


COMPLIANT: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    (OP, {"order": "asc"}, page()),  # the real API: empty page, ids null
    (OP, {"order": "desc"}, page(msg(2), msg(1, 1_700_000_001))),  # ties in any order
    ("listFiles", {}, page(msg(1), msg(2), ids=False)),  # ids left out (real listFiles)
    ("listAssistants", {}, page(*(msg(i, 1_750_000_000 - i) for i in range(20)), has_more=True)),
    ("listBatches", {"limit": "2"}, page(msg(2), msg(1), has_more=True)),
    ("listModels", {}, {"object": "list", "data": [{"id": "gpt-4o", "created": 1_715_367_049}]}),
    ("createEmbedding", {}, {"object": "list", "data": [{"index": 0, "embedding": [1.0]}]}),
    # no default page size known: only an asked limit tells a short page
    ("ListVideos", {}, page(msg(1), has_more=True)),
]


@pytest.mark.parametrize(("op", "query", "body"), COMPLIANT)
def test_compliant_pages_pass_untouched(op: str, query: dict[str, str], body: Any) -> None:
    x = Exchange(op, None, body=copy.deepcopy(body), query=query)
    assert codes(x) == [] and x.body == body
    comply(x)
    assert x.body == body


def test_helpers() -> None:
    assert envelope({"object": "list", "data": {}}) is None
    assert default_limit("listFineTuningJobCheckpoints") == 10
    assert default_limit("ListVideos") is None


LISTS = ("listAssistants", "listFiles", "listMessages", "listBatches", "listVectorStoreFiles")
QUERIES = [{}, {"limit": "1"}, {"order": "asc", "limit": "2"}, {"order": "desc", "after": "x"}]


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_typical_pages_end_and_stay_valid(openai_validator: Validator, data: st.DataObject) -> None:
    """Made-up pages (the mock without state) say has_more: false unless full, so a client's
    pagination loop ends."""
    strict = Validator(openai_validator.spec, strict=True)
    op = data.draw(st.sampled_from(LISTS))
    case = data.draw(responses(openai_validator.spec, op, status=200, profile="typical"))
    for query in QUERIES:
        x = Exchange(op, None, body=copy.deepcopy(case.body), query=query)
        comply(x)
        assert codes(x) == []
        limit = int(query.get("limit", default_limit(op) or 20))
        assert x.body["has_more"] is False or len(x.body["data"]) == limit
        if x.body["data"]:  # an empty page has null ids, which both specs forbid
            assert [v for v in strict.response(op, status=200, body=x.body) if v.is_error] == []
