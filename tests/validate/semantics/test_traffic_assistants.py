"""The Assistants rules over every real run interaction (../shared/real-traffic): they flag
exactly the known deviation of the real API."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import traffic
from support import SPECS

from conformance.spec import Spec, load_spec
from conformance.validate.semantics import check

# What the real API does that its spec and docs do not say: a run that ends incomplete
# (max_completion_tokens reached) is announced as thread.run.completed carrying status
# "incomplete" — the spec has thread.run.incomplete for it ("Occurs when a run ends with
# status incomplete").
KNOWN = {
    (
        "alexrudall/ruby-openai:spec/fixtures/cassettes/runs_streamed_create.yml#3",
        "rule.assistants.stream-status",
        24,
    ),
}


@pytest.fixture(scope="module", params=["openai-2.3.0.yaml", "openai-2026-08.yaml"])
def spec(request: pytest.FixtureRequest) -> Spec:
    path = SPECS / request.param
    if not path.is_file():
        pytest.skip(f"spec not found: {path}")
    return load_spec(path)


def _runs(entry: dict[str, Any]) -> bool:
    return "/threads" in entry["url"] and entry["status"] == 200


def test_assistants_rules_flag_only_the_known_deviation(spec: Spec) -> None:
    seen: Counter[str] = Counter()
    found = set()
    for interaction, op in traffic.answers(spec, _runs):
        x = traffic.exchange(interaction, op)
        seen[f"{op.operation_id} {'stream' if x.is_stream else 'json'}"] += 1
        for v in check(x):
            if v.code.startswith("rule.assistants."):
                found.add((interaction["id"], v.code, v.event))
    assert found == KNOWN
    assert seen["createRun stream"] >= 8
    assert seen["createRun json"] >= 30
    assert seen["getRun json"] >= 20
