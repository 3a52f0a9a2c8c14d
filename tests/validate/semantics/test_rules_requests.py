"""Request rules (``semantics/requests.py``): what the API rejects though the schema allows it."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
import traffic
from support import SPECS

from conformance.spec import load_spec
from conformance.validate.semantics import REQUEST, Exchange, check, comply

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hi"}]}
WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
    "required": ["city", "unit"],
    "additionalProperties": False,
}


def tool(parameters: Any, strict: bool = True, name: str = "get_weather") -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": name, "strict": strict, "parameters": parameters},
    }


def found(
    request: dict[str, Any], op: str = "createChatCompletion"
) -> list[tuple[str, str | None]]:
    found = check(Exchange(op, request), REQUEST)
    assert all(v.where == "request.body" for v in found)
    return [(v.code, v.param) for v in found]


WEATHER_FUNCTION = {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}

BAD = [
    (
        {**CHAT, "tools": [tool({**WEATHER, "additionalProperties": True})]},
        ("rule.request.strict-schema", "tools[0].function.parameters"),
    ),
    (
        {**CHAT, "tools": [tool({**WEATHER, "required": ["city"]})]},
        ("rule.request.strict-schema", "tools[0].function.parameters"),
    ),
    (
        {
            **CHAT,
            "tools": [
                tool(
                    {
                        **WEATHER,
                        "properties": {
                            "city": {"type": "object", "properties": {"a": {}}, "required": ["a"]}
                        },
                        "required": ["city"],
                    }
                )
            ],
        },
        ("rule.request.strict-schema", "tools[0].function.parameters"),
    ),
    (
        {
            **CHAT,
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "x",
                    "strict": True,
                    "schema": {"type": "object", "properties": {"a": {}}},
                },
            },
        },
        ("rule.request.strict-schema", "response_format.json_schema.schema"),
    ),
    (
        {**CHAT, "stream_options": {"include_usage": True}},
        ("rule.request.stream-options", "stream_options"),
    ),
    ({**CHAT, "tool_choice": "required"}, ("rule.request.tool-choice", "tool_choice")),
    (
        {
            **CHAT,
            "tools": [tool(WEATHER)],
            "tool_choice": {"type": "function", "function": {"name": "nope"}},
        },
        ("rule.request.tool-choice", "tool_choice"),
    ),
    (
        {**CHAT, "functions": [WEATHER_FUNCTION], "function_call": {"name": "nope"}},
        ("rule.request.tool-choice", "function_call"),
    ),
    ({**CHAT, "function_call": {"name": "nope"}}, ("rule.request.tool-choice", "function_call")),
    ({**CHAT, "top_logprobs": 2}, ("rule.request.top-logprobs", "top_logprobs")),
    (
        {**CHAT, "response_format": {"type": "json_object"}},
        ("rule.request.json-mode-word", "messages"),
    ),
]


@pytest.mark.parametrize(("request_body", "expected"), BAD)
def test_a_request_the_api_rejects_is_flagged(
    request_body: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert found(request_body) == [expected]


GOOD = [
    CHAT,
    {
        **CHAT,
        "tools": [tool(WEATHER)],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    },
    {
        **CHAT,
        "tools": [tool({"type": "object", "properties": {"a": {}}}, strict=False)],
        "tool_choice": "auto",
    },
    {**CHAT, "stream": True, "stream_options": {"include_usage": True}},
    {**CHAT, "logprobs": True, "top_logprobs": 2},
    {**CHAT, "tool_choice": "none"},
    {**CHAT, "functions": [WEATHER_FUNCTION], "function_call": {"name": "get_weather"}},
    {**CHAT, "functions": [WEATHER_FUNCTION], "function_call": "auto"},
    {
        **CHAT,
        "response_format": {"type": "json_object"},
        "messages": [{"role": "user", "content": "Answer in JSON"}],
    },
]


@pytest.mark.parametrize("request_body", GOOD)
def test_a_request_the_api_accepts_is_not_flagged(request_body: dict[str, Any]) -> None:
    assert found(request_body) == []


def test_a_responses_tool_choice_names_a_hosted_tool_the_request_carries() -> None:
    base = {
        "model": "gpt-4o",
        "input": "hi",
        "tools": [{"type": "file_search", "vector_store_ids": ["vs_1"]}],
    }
    bad = {**base, "tool_choice": {"type": "web_search_preview"}}
    assert found(bad, "createResponse") == [("rule.request.tool-choice", "tool_choice")]
    assert found({**base, "tool_choice": {"type": "file_search"}}, "createResponse") == []
    assert found({**base, "tool_choice": "required"}, "createResponse") == []
    x = Exchange("createResponse", copy.deepcopy(bad))
    assert comply(x, side=REQUEST) == []
    assert dict(x.request or {})["tool_choice"] == "auto"


def test_responses_tools_are_read_where_responses_puts_them() -> None:
    bad = {
        "model": "gpt-4o",
        "input": "hi",
        "tools": [
            {
                "type": "function",
                "name": "f",
                "strict": True,
                "parameters": {"type": "object", "properties": {"a": {}}},
            }
        ],
    }
    assert found(bad, "createResponse") == [("rule.request.strict-schema", "tools[0].parameters")]


def test_on_real_traffic_request_rules_flag_exactly_the_requests_the_api_rejected() -> None:
    spec = load_spec(SPECS / "openai-2.3.0.yaml")
    verdicts: Counter[tuple[str, int]] = Counter()
    for interaction, op in traffic.answers(spec):
        x = traffic.exchange(interaction, op)
        for v in check(x, REQUEST):
            verdicts[(v.code, x.status)] += 1
            body = interaction["response"]["body"]
            assert x.status == 400 and body["error"]["param"] == v.param, interaction["id"]
            assert body["error"]["message"].split(":")[0] == v.message.split(":")[0]
    # two real requests sent strict schemas OpenAI refused; nothing the API accepted is flagged
    assert verdicts == {("rule.request.strict-schema", 400): 2}


@pytest.mark.parametrize(("request_body", "expected"), BAD)
def test_a_request_fixer_makes_the_request_one_the_api_accepts(
    request_body: dict[str, Any], expected: tuple[str, str]
) -> None:
    x = Exchange("createChatCompletion", copy.deepcopy(request_body))
    assert comply(x, side=REQUEST) == []
    assert found(dict(x.request or {})) == []


def test_generated_requests_pass_the_request_rules() -> None:
    from hypothesis import HealthCheck, given, settings

    from conformance.strategies import RequestCase, requests

    spec = load_spec(SPECS / "openai-2.3.0.yaml")

    @settings(
        max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(requests(spec, "createChatCompletion", profile="default"))
    def sent(case: RequestCase) -> None:
        assert check(Exchange(case.operation, case.body), REQUEST) == []

    sent()


def test_embeddings_dimensions_past_the_largest_model_are_refused_and_fixed() -> None:
    asked = {"model": "text-embedding-3-large", "input": "x", "dimensions": 10**7}
    assert found(asked, "createEmbedding") == [("rule.request.dimensions", "dimensions")]
    assert found({**asked, "dimensions": 3072}, "createEmbedding") == []
    x = Exchange("createEmbedding", dict(asked))
    assert comply(x, side=REQUEST) == [] and (x.request or {})["dimensions"] == 3072


def test_a_completion_asking_for_more_than_2048_choices_is_refused_and_fixed() -> None:
    asked: dict[str, Any] = {"model": "gpt-3.5-turbo-instruct", "prompt": ["a"] * 17, "n": 128}
    assert found(asked, "createCompletion") == [("rule.request.completion-choices", "n")]
    assert found({**asked, "prompt": ["a"] * 16}, "createCompletion") == []
    assert found({**asked, "prompt": [[1, 2]] * 17}, "createCompletion") != []  # token arrays
    assert found({**asked, "prompt": list(range(5000))}, "createCompletion") == []  # one prompt
    many = {"model": "gpt-3.5-turbo-instruct", "prompt": ["a"] * 3000}
    assert found(many, "createCompletion") == [("rule.request.completion-choices", "prompt")]
    for request in (asked, many, {**many, "n": 2}):
        x = Exchange("createCompletion", copy.deepcopy(request))
        assert comply(x, side=REQUEST) == []
        fixed = x.request or {}
        assert len(fixed["prompt"]) * fixed.get("n", 1) <= 2048
    x = Exchange("createCompletion", copy.deepcopy(asked))
    comply(x, side=REQUEST)
    assert (x.request or {})["n"] == 2048 // 17 and len((x.request or {})["prompt"]) == 17
