"""The mock obeys the semantic rules: it refuses what the API refuses, and its typical answers
satisfy every rule for the request they answer (checked with the same rules, from outside)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import SPECS

from conformance.mock import Mock, MockRequest
from conformance.spec import load_spec

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hi"}]}


@pytest.fixture(scope="module")
def mock() -> Mock:
    return Mock(load_spec(SPECS / "openai-2.3.0.yaml"))


def post(mock: Mock, path: str, body: Any, seed: int | str = 0) -> Any:
    return mock.handle(
        MockRequest(
            "POST",
            path,
            headers={
                "authorization": "Bearer sk-test",
                "content-type": "application/json",
                "x-conformance-seed": str(seed),
            },
            body=json.dumps(body).encode(),
        )
    )


def test_a_request_the_api_refuses_gets_its_400_and_is_recorded(mock: Mock) -> None:
    response = post(
        mock, "/v1/chat/completions", {**CHAT, "stream_options": {"include_usage": True}}
    )
    error = json.loads(response.body)["error"]
    assert response.status == 400
    assert (error["param"], error["code"]) == ("stream_options", "invalid_value")
    record = mock.records[-1]
    assert [v.code for v in record.violations] == ["rule.request.stream-options"]
    assert not record.valid and record.violations[0].where == "request.body"


def test_a_request_within_the_rules_is_answered(mock: Mock) -> None:
    response = post(
        mock,
        "/v1/chat/completions",
        {**CHAT, "stream": True, "stream_options": {"include_usage": True}},
    )
    assert response.status == 200 and mock.records[-1].valid
