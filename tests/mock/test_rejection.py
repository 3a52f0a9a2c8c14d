"""The mock's 400s, worded as OpenAI words them (``conformance.mock.rejection``): compared with
the error bodies the real API sent (``../shared/real-traffic``, status 400 entries)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import SPECS

from conformance import load_spec
from conformance.mock import Mock, MockRequest
from conformance.spec import Spec

AUTH = {"authorization": "Bearer sk-test", "content-type": "application/json"}
USER = [{"role": "user", "content": "Say hi"}]


@pytest.fixture(scope="module")
def mock() -> Mock:
    spec: Spec = load_spec(SPECS / "openai-2.3.0.yaml")
    return Mock(spec, strict=True)


def error(mock: Mock, body: Any, path: str = "/v1/chat/completions") -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = mock.handle(MockRequest("POST", path, headers=AUTH, body=raw))
    assert response.status == 400, response.body
    found: dict[str, Any] = json.loads(response.body)["error"]
    assert found["type"] == "invalid_request_error"
    return found


def test_a_bad_role_names_the_role_and_the_supported_values(mock: Mock) -> None:
    found = error(mock, {"model": "gpt-4o", "messages": [{"role": "bogus", "content": "x"}]})
    assert (found["param"], found["code"]) == ("messages[0].role", "invalid_value")
    # OpenAI: "Invalid value: 'bogus'. Supported values are: 'system', 'assistant', 'user',
    # 'function', 'tool', and 'developer'." (the spec's order here)
    assert found["message"] == (
        "Invalid value: 'bogus'. Supported values are: 'developer', 'system', 'user', "
        "'assistant', 'tool', and 'function'."
    )


def test_a_bad_content_part_type_is_named_the_same_way(mock: Mock) -> None:
    part = {"type": "nope", "text": "x"}
    found = error(mock, {"model": "gpt-4o", "messages": [{"role": "user", "content": [part]}]})
    assert (found["param"], found["code"]) == ("messages[0].content[0].type", "invalid_value")
    assert found["message"].startswith("Invalid value: 'nope'. Supported values are: 'text', ")


def test_a_missing_tag_is_a_missing_parameter(mock: Mock) -> None:
    # real: crewAI's test_custom_llm_within_crew, "Missing required parameter:
    # 'messages[1].content[0].type'." code missing_required_parameter
    content = [{"text": "x"}]
    found = error(
        mock, {"model": "gpt-4o", "messages": [*USER, {"role": "user", "content": content}]}
    )
    assert found == {
        "message": "Missing required parameter: 'messages[1].content[0].type'.",
        "type": "invalid_request_error",
        "param": "messages[1].content[0].type",
        "code": "missing_required_parameter",
    }
    role = error(mock, {"model": "gpt-4o", "messages": [{"content": "x"}]})
    assert (role["param"], role["code"]) == ("messages[0].role", "missing_required_parameter")


def test_a_missing_property_comes_from_the_structured_fields(mock: Mock) -> None:
    found = error(mock, {"model": "gpt-4o", "messages": [{"role": "user"}]})
    assert found["message"] == "Missing required parameter: 'messages[0].content'."
    assert found["param"] == "messages[0].content"
    [violation] = [v for v in mock.records[-1].violations if v.code == "schema.required"]
    assert (violation.param, violation.expected) == ("messages[0].content", "content")


def test_enum_type_and_unknown_parameter_wording(mock: Mock) -> None:
    enum = error(mock, {"model": "gpt-4o", "messages": USER, "service_tier": "x"})
    assert enum["message"] == "Invalid value: 'x'. Supported values are: 'auto' and 'default'."
    assert (enum["param"], enum["code"]) == ("service_tier", "invalid_value")
    # real: ruby-openai messages_modify, "Invalid type for 'metadata.modified': expected a
    # string, but got a boolean instead."
    typed = error(mock, {"model": "gpt-4o", "messages": USER, "metadata": {"modified": True}})
    assert typed == {
        "message": "Invalid type for 'metadata.modified': expected a string, but got a boolean instead.",
        "type": "invalid_request_error",
        "param": "metadata.modified",
        "code": "invalid_type",
    }
    # real: openllmetry test_image_gen_metrics, "Unknown parameter: 'quality'."
    unknown = error(mock, {"model": "gpt-4o", "messages": USER, "qualty": "hd"})
    assert unknown == {
        "message": "Unknown parameter: 'qualty'.",
        "type": "invalid_request_error",
        "param": "qualty",
        "code": "unknown_parameter",
    }


def test_a_body_that_is_not_json_gets_the_json_hint_by_code(mock: Mock) -> None:
    found = error(mock, b'{"model": ')
    assert found["message"].startswith("We could not parse the JSON body of your request.")
    assert (found["param"], found["code"]) == (None, None)
