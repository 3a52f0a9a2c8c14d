"""Fixtures of the report tests: a real run of the mock over HTTP, its JSON-lines log, with a
canary secret planted in the requests (the mock's log redacts token-shaped secrets and values
under secret body keys, ``QUIET``, itself; the value only the report's user names, ``NAMED``,
reaches the log in clear)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from runs import CANARY, NAMED, QUIET
from support import SPECS

from conformance.mock import Mock
from conformance.mock.server import MockServer
from conformance.spec import Spec, load_spec

V230 = SPECS / "openai-2.3.0.yaml"


@pytest.fixture(scope="session")
def spec() -> Spec:
    if not V230.exists():
        pytest.skip(f"specs not found at {SPECS}")
    return load_spec(V230)


def _traffic(base_url: str) -> None:
    headers = {"authorization": f"Bearer {CANARY}", "cookie": f"session={CANARY}; theme=dark"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
        client.post("/chat/completions", json=chat)
        client.post("/chat/completions", json={**chat, "stream": True, "user": NAMED})
        bad = {"model": "gpt-4o", "messages": [{"role": "bogus", "content": CANARY}], "extra": 1}
        client.post("/chat/completions", json=bad)
        client.get(f"/models?api_key={CANARY}&note={NAMED}")
        client.post("/embeddings", json={"model": "text-embedding-3-small", "input": 3.5})
        client.get("/models/gpt-4o-mini")
        keyed = {**chat, "api_key": QUIET, "metadata": {"password": QUIET}}
        client.post("/chat/completions", json=keyed)
        client.post("/chat/completions", json={**keyed, "stream": True})


@pytest.fixture(scope="session")
def mock_log(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The JSON-lines log of eight exchanges with the mock server: valid, streamed, invalid,
    two with a quiet secret under body keys (top level and in ``metadata``; streamed)."""
    path = tmp_path_factory.mktemp("mock") / "log.jsonl"
    mock = Mock(spec, seed=1, log=path)
    with MockServer(mock) as server:
        _traffic(server.base_url)
    yield path
