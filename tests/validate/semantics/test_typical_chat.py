"""Typical generated chat and legacy completions, made to comply with realistic requests that
trigger the chat rules, satisfy every rule and stay valid for the strict validator — as JSON
and streamed by ``chat_events``/``completion_events``."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import support
from hypothesis import HealthCheck, settings
from support import SPECS as SHARED_SPECS

from conformance.spec import Spec, load_spec
from conformance.strategies import responses
from conformance.strategies.streams import chat_events, completion_events
from conformance.validate import Validator
from conformance.validate.semantics import Exchange, check, comply

FAST = settings(
    max_examples=6,
    database=None,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
SAY = [{"role": "user", "content": "What is the weather in Paris? Answer in JSON."}]
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}
SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "score": {"type": "integer", "minimum": 1}},
    "required": ["answer", "score"],
    "additionalProperties": False,
}
CHAT_REQUESTS: list[dict[str, Any]] = [
    {"model": "gpt-4o", "messages": SAY},
    {"model": "gpt-4o", "messages": SAY, "n": 3, "max_completion_tokens": 5},
    {"model": "gpt-4o", "messages": SAY, "tools": [TOOL], "tool_choice": "required"},
    {
        "model": "gpt-4o",
        "messages": SAY,
        "tools": [TOOL],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    },
    {"model": "gpt-4o", "messages": SAY, "tools": [TOOL], "tool_choice": "none"},
    {"model": "gpt-4o", "messages": SAY, "response_format": {"type": "json_object"}},
    {
        "model": "gpt-4o",
        "messages": SAY,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "a", "strict": True, "schema": SCHEMA},
        },
    },
    {"model": "gpt-4o", "messages": SAY, "logprobs": True, "top_logprobs": 2},
]
LEGACY_REQUESTS: list[dict[str, Any]] = [
    {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi"},
    {"model": "gpt-3.5-turbo-instruct", "prompt": ["a", "b"], "n": 2, "echo": True},
    {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi", "logprobs": 2, "max_tokens": 4},
]
CASES = [("createChatCompletion", r) for r in CHAT_REQUESTS] + [
    ("createCompletion", r) for r in LEGACY_REQUESTS
]


@pytest.fixture(scope="module", params=["openai-2.3.0.yaml", "openai-2026-08.yaml"])
def spec(request: pytest.FixtureRequest) -> Spec:
    path = SHARED_SPECS / request.param
    if not path.is_file():
        pytest.skip(f"shared spec {path} is missing")
    return load_spec(path)


@pytest.fixture(scope="module")
def strict(spec: Spec) -> Validator:
    return Validator(spec, strict=True)


def _errors(found: list[Any]) -> list[str]:
    return [str(v) for v in found if v.is_error]


@pytest.mark.parametrize("op", ["createChatCompletion", "createCompletion"])
def test_typical_answers_comply_with_every_request(spec: Spec, strict: Validator, op: str) -> None:
    typical = responses(spec, op, status=200, media_type="application/json", profile="typical")
    bodies = [c.body for c in support.draw(typical, 6, FAST)]
    stream_op = spec.operation(op)
    unfit = 0
    for body in bodies:
        for name, request in CASES:
            if name != op:
                continue
            x = Exchange(op, request, body=copy.deepcopy(body))
            unfit += bool(check(x))
            comply(x)
            assert check(x) == [], (request, [str(v) for v in check(x)])
            assert (
                _errors(
                    strict.response(op, status=200, body=x.body, content_type="application/json")
                )
                == []
            ), request
            events = chat_events if op == "createChatCompletion" else completion_events
            streamed_request = {
                **request,
                "stream": True,
                "stream_options": {"include_usage": True},
            }
            y = Exchange.streamed(op, streamed_request, events(x.body, include_usage=True))
            assert check(y) == [], (request, [str(v) for v in check(y)])
            comply(y)
            assert _errors(strict.stream(stream_op, y.sse_events())) == [], request
    assert unfit  # the requests asked for what typical answers do not do by themselves
