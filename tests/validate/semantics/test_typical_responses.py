"""Typical answers made to obey the Responses and Assistants rules stay valid: draw, comply with
realistic requests (tools with a forced choice, structured output, a token limit, echoed
fields), then the rules hold and the strict validator finds no error — as JSON, and streamed by
``response_stream``."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import support
from hypothesis import HealthCheck, settings
from support import SPECS

from conformance.spec import Spec, load_spec
from conformance.strategies import responses
from conformance.strategies.streams import response_stream, typical_response
from conformance.validate import Validator
from conformance.validate.semantics import Exchange, check, comply

FAST = settings(
    database=None, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
MINE = ("rule.responses.", "rule.assistants.", "rule.usage.", "rule.tool.")
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city", "days"],
        "additionalProperties": False,
    },
    "strict": True,
}
PERSON = {
    "type": "json_schema",
    "name": "Person",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
        "additionalProperties": False,
    },
}
ASK = {"model": "gpt-4o", "input": "Say hi"}
REQUESTS = [
    ASK,
    {**ASK, "tools": [WEATHER], "tool_choice": {"type": "function", "name": "get_weather"}},
    {**ASK, "tools": [WEATHER], "tool_choice": "required", "temperature": 0.3},
    {**ASK, "tools": [WEATHER], "tool_choice": "none"},
    {**ASK, "text": {"format": PERSON}, "instructions": "Answer in JSON."},
    {**ASK, "text": {"format": {"type": "json_object"}}, "metadata": {"k": "v"}},
    {**ASK, "max_output_tokens": 16, "top_p": 0.5},
]


@pytest.fixture(scope="module", params=["openai-2.3.0.yaml", "openai-2026-08.yaml"])
def spec(request: pytest.FixtureRequest) -> Spec:
    path = SPECS / request.param
    if not path.is_file():
        pytest.skip(f"spec not found: {path}")
    return load_spec(path)


def _ours(x: Exchange) -> list[Any]:
    return [v for v in check(x) if v.code.startswith(MINE)]


def test_typical_responses_obey_every_request_and_stay_valid(spec: Spec) -> None:
    strict = Validator(spec, strict=True)
    op = spec.operation("createResponse")
    drawn = support.draw(
        responses(spec, op, status=200, media_type="application/json", profile="typical"), 6, FAST
    )
    fixed: set[str] = set()
    for case in drawn:
        for request in REQUESTS:
            x = Exchange("createResponse", request, body=copy.deepcopy(case.body))
            fixed |= {v.code for v in _ours(x)}
            comply(x)
            assert _ours(x) == [], (request, x.body)
            errors = [v for v in strict.response(op, status=200, body=x.body) if v.is_error]
            assert errors == [], (request, [str(v) for v in errors[:3]])
            events = response_stream(spec, x.body)
            streamed = Exchange.streamed("createResponse", {**request, "stream": True}, events)
            comply(streamed)
            assert _ours(streamed) == [], request
            wire = streamed.sse_events()
            errors = [v for v in strict.stream(op, wire) if v.is_error]
            assert errors == [], (request, [str(v) for v in errors[:3]])
    # the draws broke these rules before they were made to obey
    assert {
        "rule.responses.terminal",
        "rule.responses.tool-choice",
        "rule.responses.echo",
        "rule.responses.tool-calls",
    } <= fixed, fixed


@pytest.mark.parametrize(
    ("operation", "request_"),
    [
        ("createRun", {"assistant_id": "asst_1"}),
        ("createThreadAndRun", {"assistant_id": "asst_1"}),
        ("getRun", None),
        ("cancelRun", None),
        ("listRuns", None),
    ],
)
def test_typical_runs_obey_the_rules_and_stay_valid(
    spec: Spec, operation: str, request_: dict[str, Any] | None
) -> None:
    strict = Validator(spec, strict=True)
    op = spec.operation(operation)
    drawn = support.draw(
        responses(spec, op, status=200, media_type="application/json", profile="typical"), 6, FAST
    )
    for case in drawn:
        x = Exchange(operation, request_, body=copy.deepcopy(case.body))
        comply(x)
        assert _ours(x) == [], x.body
        errors = [v for v in strict.response(op, status=200, body=x.body) if v.is_error]
        assert errors == [], [str(v) for v in errors[:3]]


def test_typical_response_answers_in_text_and_obeys_every_request(spec: Spec) -> None:
    strict = Validator(spec, strict=True)
    op = spec.operation("createResponse")
    for body in support.draw(typical_response(spec), 4, FAST):
        for request in REQUESTS:
            x = Exchange("createResponse", request, body=copy.deepcopy(body))
            comply(x)
            assert _ours(x) == [], (request, x.body)
            assert not [v for v in strict.response(op, status=200, body=x.body) if v.is_error]
            kinds = [item["type"] for item in x.body["output"]]
            if request.get("tool_choice") in (None, "none"):  # a plain answer: text
                assert kinds == ["message"]
                assert x.body["output"][0]["content"][0]["text"]
            else:
                assert "function_call" in kinds
            streamed = Exchange.streamed("createResponse", request, response_stream(spec, x.body))
            comply(streamed)
            assert _ours(streamed) == []
            assert not [v for v in strict.stream(op, streamed.sse_events()) if v.is_error]
