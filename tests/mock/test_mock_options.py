"""Mock options checked at construction: one clear error, not a failure on every request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import SPECS

from conformance.errors import InputError
from conformance.mock import Mock, MockRequest
from conformance.spec import Spec, load_spec


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(SPECS / "openai-2.3.0.yaml")


def models(mock: Mock, path: str) -> int:
    return mock.handle(MockRequest("GET", path, headers={"authorization": "Bearer sk-x"})).status


def test_a_base_path_without_its_slash_is_read_as_the_path_it_names(spec: Spec) -> None:
    mock = Mock(spec, base_path="nope")
    assert mock.base_path == "/nope" and models(mock, "/nope/models") == 200
    assert Mock(spec, base_path="/v1/").base_path == "/v1"
    with pytest.raises(InputError, match="not a URL"):
        Mock(spec, base_path="http://x/v1")


def test_an_unusable_log_is_refused_at_once(spec: Spec, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="log"):
        Mock(spec, log=tmp_path)  # a directory
    mock = Mock(spec, log=tmp_path / "new" / "log.jsonl")  # a folder it can make is fine
    assert models(mock, "/v1/models") == 200
    mock.log.close()


def test_timestamps_follow_the_clock_so_a_frozen_clock_freezes_answers(spec: Spec) -> None:
    chat = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}

    def created(now: float) -> int:
        mock = Mock(spec, seed=3, clock=lambda: now)
        answer = mock.handle(
            MockRequest(
                "POST",
                "/v1/chat/completions",
                headers={"authorization": "Bearer sk-x", "content-type": "application/json"},
                body=json.dumps(chat).encode(),
            )
        )
        return int(json.loads(answer.body)["created"])

    assert created(1_764_000_000.0) == created(1_764_000_000.0)
    assert abs(created(1_764_000_000.0) - 1_764_000_000) <= 2 * 86_400
    assert created(1_700_000_000.0) != created(1_764_000_000.0)
