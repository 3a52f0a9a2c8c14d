"""conformance.validate.semantics: each rule finds what it names and its fix satisfies it."""

from __future__ import annotations

import copy
import doctest
import json
from typing import Any

import pytest

import conformance.validate.semantics as semantics_module
from conformance.validate.semantics import RULES, apply_rules, check_rules

CALL = {"name": "get_weather", "arguments": "{}"}
BROKEN: dict[str, Any] = {
    "usage-total": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 6},
    "usage-total-io": {"input_tokens": 3, "output_tokens": 4, "total_tokens": 8},
    "usage-total-prompt": {"prompt_tokens": 230, "total_tokens": 0},
    "choice-indexes": {"choices": [{"index": 1}, {"index": 1}]},
    "finish-reason-tool-calls": {"finish_reason": "tool_calls", "message": {"content": "hi"}},
    "tool-arguments-json": {"name": "get_weather", "arguments": "{location: Paris"},
}
FINE: list[Any] = [
    {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7},
    {"object": "list", "usage": {"prompt_tokens": 8, "total_tokens": 8}},
    {"choices": [{"index": 0}, {"index": 1}]},
    {"finish_reason": "tool_calls", "message": {"tool_calls": [{"function": CALL}]}},
]


def test_every_rule_has_a_broken_example() -> None:
    assert set(BROKEN) == {rule.id for rule in RULES}


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_a_broken_object_is_reported_once_and_fixed(rule: str) -> None:
    body = {"nested": [copy.deepcopy(BROKEN[rule])]}
    found = check_rules(body, operation="op")
    assert [(v.keyword, v.pointer) for v in found] == [(f"semantic:{rule}", "/nested/0")]
    fixed = apply_rules(body)
    assert check_rules(fixed) == []
    json.loads(json.dumps(fixed))  # still JSON


@pytest.mark.parametrize("body", FINE, ids=lambda b: json.dumps(b)[:40])
def test_conforming_objects_pass(body: Any) -> None:
    assert check_rules(body) == []
    assert apply_rules(copy.deepcopy(body)) == body


def test_doctests() -> None:
    assert doctest.testmod(semantics_module).failed == 0
