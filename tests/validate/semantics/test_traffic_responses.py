"""The Responses API rules over every real Responses interaction (../shared/real-traffic):
they flag nothing — the real API does all they say. Each rule's trigger is met by real
answers (counted below), so the silence is evidence, not absence of cases."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import traffic
from support import SPECS

from conformance.spec import Spec, load_spec
from conformance.validate.semantics import check, comply

# What the real API does that these rules flag: nothing (see the counts below).
KNOWN: set[tuple[str, str]] = set()


@pytest.fixture(scope="module", params=["openai-2.3.0.yaml", "openai-2026-08.yaml"])
def spec(request: pytest.FixtureRequest) -> Spec:
    path = SPECS / request.param
    if not path.is_file():
        pytest.skip(f"spec not found: {path}")
    return load_spec(path)


def _responses(entry: dict[str, Any]) -> bool:
    return "/responses" in entry["url"] and entry["status"] == 200


def test_responses_rules_flag_nothing_on_real_traffic(spec: Spec) -> None:
    seen: Counter[str] = Counter()
    found: set[tuple[str, str]] = set()
    for interaction, op in traffic.answers(spec, _responses):
        x = traffic.exchange(interaction, op)
        seen[f"{op.operation_id} {'stream' if x.is_stream else 'json'}"] += 1
        request = x.request or {}
        if x.request is not None:
            seen["tools"] += bool(request.get("tools"))
            seen["tool_choice forced"] += request.get("tool_choice") not in (None, "auto", "none")
            fmt = (request.get("text") or {}).get("format") or {}
            seen["text.format json"] += fmt.get("type") in ("json_object", "json_schema")
            seen["max_output_tokens"] += request.get("max_output_tokens") is not None
        for v in check(x):
            if v.code.startswith("rule.responses."):
                found.add((interaction["id"], v.code))
    assert found == KNOWN
    assert seen["createResponse json"] >= 300
    assert seen["createResponse stream"] >= 200
    assert seen["tools"] >= 130
    assert seen["tool_choice forced"] >= 20
    assert seen["text.format json"] >= 60
    assert seen["max_output_tokens"] >= 40


def test_real_streams_broken_are_flagged_and_fixed(spec: Spec) -> None:
    """A real stream with one text or arguments delta lost is flagged; its fix passes."""
    checked = 0
    for interaction, op in traffic.answers(spec, lambda e: _responses(e) and e["kind"] == "sse"):
        x = traffic.exchange(interaction, op)
        deltas = [
            i
            for i, e in enumerate(x.events or [])
            if isinstance(e.data, dict)
            and e.data.get("type")
            in ("response.output_text.delta", "response.function_call_arguments.delta")
        ]
        if not deltas:
            continue
        del (x.events or [])[deltas[len(deltas) // 2]]
        x.changed()
        assert "rule.responses.stream-text" in {v.code for v in check(x)}, interaction["id"]
        comply(x)
        assert [v for v in check(x) if v.code.startswith("rule.responses.")] == []
        checked += 1
    assert checked >= 200
