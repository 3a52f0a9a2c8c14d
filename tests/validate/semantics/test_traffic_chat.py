"""The chat and legacy completion rules over every real interaction they apply to
(../shared/real-traffic): what they flag is exactly the known deviations of the real API listed
here, each explained; nothing else fires on what the API really does."""

from __future__ import annotations

from collections import Counter

import pytest
from traffic import answers, exchange

from conformance.spec import Spec
from conformance.validate.semantics import RULES

MINE = ("rule.chat.", "rule.completion.", "rule.stream.")
_VISION = "traceloop/openllmetry:packages/opentelemetry-instrumentation-openai/tests/traces/cassettes/test_vision/test_vision.yaml"
_TWICE = "Mirascope/mirascope:python/tests/e2e/output/cassettes/test_structured_output_with_tools/strict/openai_gpt_4o_completions"

# (interaction id, code): the real API's deviations from what it documents
KNOWN = {
    # gpt-4-vision-preview (2023-12) stopped at 16 tokens with finish_reason "length" when the
    # request sent no max_tokens: an undocumented default limit (later recordings of the same
    # model, 2024-09, answer 99 tokens with "stop")
    (f"{_VISION}#0", "rule.chat.finish-length"),
    (f"{_VISION}#1", "rule.chat.finish-length"),
    # gpt-4o with a strict json_schema response_format and (non-strict) tools, streamed: the
    # content is the JSON object twice, separated by a newline — not one JSON document
    (f"{_TWICE}/stream.yaml#1", "rule.chat.response-format"),
    (f"{_TWICE}/async_stream.yaml#1", "rule.chat.response-format"),
}


def test_the_rules_flag_only_the_known_deviations_of_the_real_api(openai_spec: Spec) -> None:
    rules = [r for r in RULES if r.code.startswith(MINE)]
    found: set[tuple[str, str]] = set()
    seen: Counter[str] = Counter()
    for interaction, op in answers(openai_spec):
        x = exchange(interaction, op)
        for r in rules:
            if r.applies(x):
                seen[r.code] += 1
                found |= {(interaction["id"], v.code) for v in r.violations(x)}
    assert found == KNOWN
    # every rule met real answers (a rule that never applies proves nothing)
    assert seen["rule.chat.n-choices"] > 1400 and seen["rule.chat.stream-usage"] > 200
    assert all(seen[r.code] > 10 for r in rules), seen


@pytest.fixture(params=["openai-2.3.0.yaml", "openai-2026-08.yaml"])
def openai_spec(request: pytest.FixtureRequest) -> Spec:
    from support import SPECS as SHARED_SPECS

    from conformance.spec import load_spec

    path = SHARED_SPECS / request.param
    if not path.is_file():
        pytest.skip(f"shared spec {path} is missing")
    return load_spec(path)
