"""The mock's ``typical`` answers look like what the API sends for the request (images, models,
usage, Responses echoes): over several seeds they pass every rule and the strict validator.
Before these rules (2.3.0, seed 5) an image had both ``url`` and ``b64_json``, ``owned_by`` was
empty, a 7-word question cost 1 prompt token and an unsent ``user`` came back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import SPECS

from conformance.mock import Mock, MockRequest
from conformance.spec import Spec, load_spec
from conformance.validate import ERROR, Validator
from conformance.validate.semantics.images import is_image

HEADERS = {"authorization": "Bearer x", "content-type": "application/json"}
QUESTION = "What is the capital city of France?"
REQUESTS: list[tuple[str, str, Any]] = [
    ("POST", "/v1/images/generations", {"prompt": "a cat", "model": "dall-e-3"}),
    ("POST", "/v1/images/generations", {"prompt": "a cat", "model": "gpt-image-1"}),
    ("POST", "/v1/images/generations", {"prompt": "a cat", "response_format": "b64_json", "n": 2}),
    ("POST", "/v1/images/generations", {"prompt": "a dog", "model": "dall-e-2", "n": 3}),
    ("GET", "/v1/models", None),
    ("GET", "/v1/models/gpt-4o", None),
    (
        "POST",
        "/v1/chat/completions",
        {"model": "gpt-4o", "messages": [{"role": "user", "content": QUESTION}]},
    ),
    (
        "POST",
        "/v1/chat/completions",
        {
            "model": "o4-mini",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": QUESTION},
            ],
        },
    ),
    ("POST", "/v1/responses", {"model": "gpt-4o-mini", "input": "Tell me a joke"}),
    ("POST", "/v1/responses", {"model": "gpt-4o-mini", "input": "Tell me a joke", "user": "u-1"}),
    ("POST", "/v1/responses", {"model": "gpt-4o-mini", "input": "Tell me a joke", "stream": True}),
    (
        "POST",
        "/v1/embeddings",
        {"model": "text-embedding-3-small", "input": ["hello there", "my friend"]},
    ),
    (
        "POST",
        "/v1/completions",
        {"model": "gpt-3.5-turbo-instruct", "prompt": "Say this is a test"},
    ),
]


@pytest.fixture(scope="module", params=["openai-2.3.0.yaml", "openai-2026-08.yaml"])
def spec(request: pytest.FixtureRequest) -> Spec:
    path = SPECS / request.param
    if not path.is_file():
        pytest.skip(f"spec not found: {path}")
    return load_spec(path)


def _ask(mock: Mock, method: str, path: str, body: Any) -> tuple[int, bytes, str]:
    raw = json.dumps(body).encode() if body is not None else b""
    answer = mock.handle(MockRequest(method, path, "", HEADERS, raw))
    return answer.status, answer.body, answer.headers.get("content-type", "")


@pytest.mark.parametrize("seed", [0, 1, 5, 17])
def test_typical_answers_pass_every_rule_and_the_validator(spec: Spec, seed: int) -> None:
    mock = Mock(spec, profile="typical", seed=seed)
    validator = Validator(spec, strict=True)
    for method, path, body in REQUESTS:
        status, raw, content_type = _ask(mock, method, path, body)
        assert status == 200, (path, body)
        headers = {"content-type": content_type, "authorization": "Bearer x"}
        answer = raw.decode() if "event-stream" in content_type else json.loads(raw)
        found = (
            validator.exchange(
                method=method,
                path=path,
                headers={"content-type": "application/json"},
                body=body if body is not None else None,
                response_headers=headers,
                response=answer,
            )
            if body is not None
            else validator.exchange(
                method=method, path=path, response_headers=headers, response=answer
            )
        )
        errors = [str(v) for v in found if v.severity == ERROR or v.code.startswith("rule.")]
        assert errors == [], (seed, path, body)


def test_what_the_old_mock_got_wrong_is_right_now(spec: Spec) -> None:
    mock = Mock(spec, profile="typical", seed=5)
    images = json.loads(_ask(mock, *REQUESTS[0])[1])["data"]
    assert [sorted(i) for i in images] == [["revised_prompt", "url"]]
    assert images[0]["url"].startswith("https://") and images[0]["revised_prompt"]
    images = json.loads(_ask(mock, *REQUESTS[1])[1])["data"]
    assert [sorted(i) for i in images] == [["b64_json"]] and is_image(images[0]["b64_json"])
    models = json.loads(_ask(mock, *REQUESTS[4])[1])["data"]
    assert all(m["owned_by"] for m in models)
    usage = json.loads(_ask(mock, *REQUESTS[6])[1])["usage"]
    assert usage["prompt_tokens"] >= len(QUESTION) // 8 + 3
    joke = json.loads(_ask(mock, *REQUESTS[8])[1])
    assert joke.get("user") is None
    usage = joke["usage"]
    assert usage["input_tokens"] < 64 and usage["input_tokens_details"]["cached_tokens"] == 0
    assert usage["output_tokens_details"]["reasoning_tokens"] == 0
    assert json.loads(_ask(mock, *REQUESTS[9])[1])["user"] == "u-1"
