"""The rule registry and the shape rules of ``semantics/common.py``: each finds what it names,
its fix satisfies it, and compliant answers pass untouched."""

from __future__ import annotations

import copy
import doctest
from typing import Any

import pytest

import conformance.validate.semantics as semantics
from conformance.validate.semantics import (
    RULES,
    Exchange,
    Finding,
    check,
    common,
    comply,
    exchange,
    registry,
    rule,
)
from conformance.validate.semantics.registry import Rule

BAD: list[tuple[str, Any]] = [
    (
        "rule.usage.total",
        {"usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 4}},
    ),
    ("rule.usage.total", {"usage": {"input_tokens": 5, "output_tokens": 2, "total_tokens": 8}}),
    ("rule.usage.total", {"usage": {"prompt_tokens": 5, "total_tokens": 6}}),
    (
        "rule.tool.arguments-json",
        {"tool_calls": [{"function": {"name": "f", "arguments": "{'a': 1}"}}]},
    ),
]


@pytest.mark.parametrize(("code", "body"), BAD)
def test_a_rule_finds_what_it_names_and_its_fix_satisfies_it(code: str, body: Any) -> None:
    x = Exchange("anyOperation", None, body={"nested": [body]})
    found = [v for v in check(x) if v.code == code]
    assert len(found) == 1 and found[0].pointer.startswith("/nested/0/")
    assert found[0].where == "response.body" and found[0].operation == "anyOperation"
    assert comply(x) == []


def test_compliant_answers_are_left_as_they_are() -> None:
    body = {
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
        "choices": [
            {
                "index": 0,
                "message": {"tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]},
            }
        ],
    }
    x = Exchange("anyOperation", None, body=copy.deepcopy(body))
    assert check(x) == [] and comply(x) == [] and x.body == body


def test_a_stream_finding_names_its_event() -> None:
    x = Exchange.streamed(
        "anyOperation",
        None,
        [
            semantics.exchange.sse.Event('{"usage": null}'),
            semantics.exchange.sse.Event(
                '{"usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 3}}'
            ),
            semantics.exchange.sse.Event("[DONE]"),
        ],
    )
    (found,) = check(x)
    assert (found.where, found.event, found.pointer) == ("stream.event", 1, "/usage/total_tokens")
    assert (found.expected, found.actual) == (2, 3)
    assert comply(x) == [] and x.sse_events()[-1].data == "[DONE]"


def test_rules_limited_to_operations_and_requests_stay_silent_elsewhere() -> None:
    probe = Rule("rule.usage.total", lambda x: [Finding("x")], frozenset({"a"}), request=True)
    assert not probe.applies(Exchange("b", {}))
    assert not probe.applies(Exchange("a", None))
    assert probe.applies(Exchange("a", {}))


def test_a_rule_needs_a_code_of_the_table_and_one_code_per_rule() -> None:
    with pytest.raises(KeyError):
        rule("rule.nowhere.in-table")
    with pytest.raises(ValueError):
        rule("rule.usage.total")(lambda x: [])
    assert len(RULES) == len({r.code for r in RULES})


@pytest.mark.parametrize("module", [semantics, common, exchange, registry])
def test_doctests(module: Any) -> None:
    assert doctest.testmod(module).failed == 0
