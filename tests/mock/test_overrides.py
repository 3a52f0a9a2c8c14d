"""Overrides (``Mock.override``): headers and latency on the generated answer, complete bodies
served as given, partial bodies merged into the generated answer, bodies checked when set."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import SPECS

from conformance import Validator, load_spec
from conformance.errors import ConformanceError
from conformance.mock import Mock, MockRequest, MockResponse
from conformance.mock.overrides import OverrideError, merge
from conformance.spec import Spec

AUTH = {"authorization": "Bearer sk-test", "content-type": "application/json"}
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hi"}]}


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(SPECS / "openai-2.3.0.yaml")


@pytest.fixture(scope="module")
def validator(spec: Spec) -> Validator:
    return Validator(spec)


def send(mock: Mock, method: str, path: str, body: Any = None) -> MockResponse:
    raw = b"" if body is None else json.dumps(body).encode()
    return mock.handle(MockRequest(method, path, headers=AUTH, body=raw))


@pytest.mark.parametrize("fixed", [{"latency": 0.25}, {"headers": {"x-test": "1"}}])
def test_latency_or_headers_alone_serve_the_generated_answer(
    spec: Spec, validator: Validator, fixed: dict[str, Any]
) -> None:
    mock = Mock(spec)
    mock.override("listModels", **fixed)
    response = send(mock, "GET", "/v1/models")
    body = json.loads(response.body)
    assert body is not None and body["object"] == "list"
    assert validator.response("listModels", status=200, body=body) == []
    assert response.delay == fixed.get("latency", 0.0)
    assert response.headers.get("x-test") == fixed.get("headers", {}).get("x-test")


def test_a_partial_body_merges_into_a_valid_generated_answer(
    spec: Spec, validator: Validator
) -> None:
    mock = Mock(spec, seed=2)
    mock.override("createChatCompletion", body={"choices": [{"message": {"content": "hi"}}]})
    for n in (1, 3):
        response = send(mock, "POST", "/v1/chat/completions", {**CHAT, "n": n})
        assert response.status == 200, response.body
        body = json.loads(response.body)
        assert body["choices"][0]["message"]["content"] == "hi"
        assert [c["index"] for c in body["choices"]] == list(range(n))
        assert body["model"] == "gpt-4o" and body["id"]
        assert [
            v for v in validator.response("createChatCompletion", body=body) if v.is_error
        ] == []


def test_a_complete_body_is_served_as_given(spec: Spec) -> None:
    mock = Mock(spec)
    mock.override("listModels", body={"object": "list", "data": []})
    assert json.loads(send(mock, "GET", "/v1/models").body) == {"object": "list", "data": []}


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"choices": [{"mesage": {"content": "hi"}}]}, "/choices/0/mesage"),
        ({"choices": [{"message": {"content": 5}}]}, "/choices/0/message/content"),
        ({"usage": {"prompt_tokens": "ten"}}, "/usage/prompt_tokens"),
    ],
)
def test_a_typo_in_a_body_raises_when_registered(
    spec: Spec, body: dict[str, Any], pointer: str
) -> None:
    mock = Mock(spec)
    with pytest.raises(OverrideError) as raised:
        mock.override("createChatCompletion", body=body)
    assert isinstance(raised.value, ConformanceError)
    message = str(raised.value)
    assert message.startswith(f"override of createChatCompletion: body {pointer}: ")
    assert "createChatCompletion" not in mock.overrides


def test_a_handler_is_the_escape_hatch(spec: Spec) -> None:
    mock = Mock(spec)
    mock.override("createChatCompletion", handler=lambda request: {"not": "a completion"})
    assert json.loads(send(mock, "POST", "/v1/chat/completions", CHAT).body) == {
        "not": "a completion"
    }
    mock.override("createChatCompletion", handler=lambda request: None, headers={"x-h": "1"})
    generated = send(mock, "POST", "/v1/chat/completions", CHAT)
    assert json.loads(generated.body)["object"] == "chat.completion"
    assert generated.headers["x-h"] == "1"


def test_a_partial_body_cannot_be_merged_into_a_stream(spec: Spec) -> None:
    mock = Mock(spec)
    mock.override("createChatCompletion", body={"choices": [{"message": {"content": "hi"}}]})
    response = send(mock, "POST", "/v1/chat/completions", {**CHAT, "stream": True})
    assert response.status == 500
    assert "cannot be merged into a streamed" in json.loads(response.body)["error"]["message"]


def test_merge_objects_by_key_lists_by_item() -> None:
    base: dict[str, Any] = {
        "a": 1,
        "l": [{"index": 0, "x": 1, "y": 2}, {"index": 1, "x": 3, "y": 4}],
    }
    assert merge(base, {"l": [{"y": 9}]}) == {
        "a": 1,
        "l": [{"index": 0, "x": 1, "y": 9}, {"index": 1, "x": 3, "y": 4}],
    }
    assert merge(base, {"l": [{}, {}, {"x": 5}]})["l"][2] == {"index": 2, "x": 5, "y": 4}
    assert merge(base, {"a": None}) == {**base, "a": None}
    assert merge({"l": []}, {"l": [{"z": 1}]}) == {"l": [{"z": 1}]}
    assert base["l"][0]["y"] == 2  # neither argument changes
