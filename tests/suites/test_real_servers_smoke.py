"""Each real server from PyPI starts here, offline, and answers the OpenAI calls it claims to serve.

Not a conformance check: only that the targets of the suites are alive and speak OpenAI's shape
at all (a list of models, a chat completion, a stream ending in [DONE], an embedding). Their
deviations from the spec are for the suites to find. The servers are installed by
``bash scripts/servers.sh``; a missing one is skipped, or fails the run when ``CI`` is set.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from servers import REAL_SERVERS, SERVERS, auth_headers, real_server, skip_or_fail_unless_installed

pytestmark = pytest.mark.slow

TIMEOUT = httpx.Timeout(120.0, connect=10.0)


def _events(response: httpx.Response) -> list[str]:
    """The ``data:`` payloads of an event stream, in order."""
    return [
        line[len("data:") :].strip() for line in response.iter_lines() if line.startswith("data:")
    ]


@pytest.mark.parametrize("name", REAL_SERVERS)
def test_real_server_answers(name: str, tmp_path: Path) -> None:
    skip_or_fail_unless_installed(name, pytest.skip, pytest.fail)
    server = SERVERS[name]
    with (
        real_server(name, tmp_path) as base,
        httpx.Client(base_url=base, headers=auth_headers(name), timeout=TIMEOUT) as client,
    ):
        assert base.startswith("http://127.0.0.1:") and base.endswith("/v1")

        models = client.get("/models")
        assert models.status_code == 200, models.text
        assert models.json()["object"] == "list"
        ids = [m["id"] for m in models.json()["data"]]
        for model in (server.chat_model, server.embedding_model):
            if model is not None:
                assert model in ids, (model, ids)

        if "chat/completions" in server.endpoints:
            body = {
                "model": server.chat_model,
                "messages": [{"role": "user", "content": "Say hi"}],
                "max_tokens": 8,
            }
            chat = client.post("/chat/completions", json=body)
            assert chat.status_code == 200, chat.text
            completion = chat.json()
            assert completion["object"] == "chat.completion"
            assert completion["choices"][0]["message"]["role"] == "assistant"
            assert isinstance(completion["choices"][0]["message"]["content"], str)

            with client.stream(
                "POST", "/chat/completions", json={**body, "stream": True}
            ) as stream:
                assert stream.status_code == 200
                assert stream.headers["content-type"].startswith("text/event-stream")
                events = _events(stream)
            assert events[-1] == "[DONE]", events[-3:]
            chunks = [json.loads(e) for e in events[:-1]]
            assert chunks and all(c["object"] == "chat.completion.chunk" for c in chunks)

        if "completions" in server.endpoints:
            text = client.post(
                "/completions", json={"model": server.chat_model, "prompt": "Hi", "max_tokens": 4}
            )
            assert text.status_code == 200, text.text
            assert text.json()["object"] == "text_completion"
            assert isinstance(text.json()["choices"][0]["text"], str)

        if "embeddings" in server.endpoints:
            embedded = client.post(
                "/embeddings", json={"model": server.embedding_model, "input": ["hello", "world"]}
            )
            assert embedded.status_code == 200, embedded.text
            data = embedded.json()["data"]
            # The vectors' count and shape are the suites' business: LiteLLM's mock_response gives
            # one for two inputs, llama-cpp a list of per-token vectors for each.
            assert data and data[0]["object"] == "embedding" and data[0]["embedding"]

        if "files" in server.endpoints:
            files = client.get("/files")
            assert files.status_code == 200, files.text
            assert files.json()["object"] == "list"
