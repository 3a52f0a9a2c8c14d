"""The usage, images, models and Responses echo-unsent rules over every real interaction they
apply to (../shared/real-traffic, routed by both specs): they find nothing — the real API does
all they say — and the counts below show what they looked at, so the silence is evidence.

What the traffic showed (for the README): the densest real prompt has 6.0 characters a token
(embeddings inputs 7.3: the rule's bound is 8), an empty user message costs 6 or 7 tokens;
cached tokens only on prompts of 1,024 tokens or more, always 1,024 + 128k; no reasoning token
on gpt-3.5/gpt-4/gpt-4o/gpt-4.1 answers; reasoning equal to the output only when the answer has
no text; each image one ``url`` (https), dall-e-3 with a ``revised_prompt``; ``owned_by``
``openai``, ``system``, ``openai-dev``, ``openai-internal``, ``user-…``; every Response says
``user: null`` (never sent), though 2.3.0 declares a string.
"""

from __future__ import annotations

from collections import Counter

import pytest
import traffic
from support import SPECS

from conformance.spec import Spec, load_spec
from conformance.validate.semantics import RULES
from conformance.validate.semantics.usage import _bounds, _cached, _reasoning, _usages, prompt_text

CODES = (
    "rule.usage.prompt",
    "rule.usage.cached",
    "rule.usage.reasoning",
    "rule.images.form",
    "rule.images.url",
    "rule.images.b64",
    "rule.images.revised-prompt",
    "rule.models.owned-by",
    "rule.responses.echo-unsent",
)
MINE = [r for r in RULES if r.code in CODES]
# (interaction id, code) of each real deviation these rules find: none
KNOWN: set[tuple[str, str]] = set()


@pytest.fixture(scope="module", params=["openai-2.3.0.yaml", "openai-2026-08.yaml"])
def spec(request: pytest.FixtureRequest) -> Spec:
    path = SPECS / request.param
    if not path.is_file():
        pytest.skip(f"spec not found: {path}")
    return load_spec(path)


def test_the_rules_flag_nothing_on_real_traffic(spec: Spec) -> None:
    applied: Counter[str] = Counter()
    looked: Counter[str] = Counter()
    found: set[tuple[str, str]] = set()
    for interaction, op in traffic.answers(spec):
        x = traffic.exchange(interaction, op)
        for r in MINE:
            if r.applies(x):
                applied[r.code] += 1
                found |= {(interaction["id"], v.code) for v in r.violations(x)}
        text = prompt_text(x) if x.request is not None else None
        for _, _, usage in _usages(x) if text is not None else ():
            looked["prompt counts"] += 1
            looked["text-only (upper bound)"] += _bounds(text)[1] is not None
            cached = _cached(usage)
            looked["cached > 0"] += bool(cached and cached[1]["cached_tokens"])
            reasoning = _reasoning(usage)
            looked["reasoning > 0"] += bool(reasoning and reasoning[1]["reasoning_tokens"])
        if isinstance(x.body, dict) and x.status < 300:
            looked["images"] += (
                len(x.body.get("data") or []) if "images" in interaction["url"] else 0
            )
            looked["responses user"] += "user" in x.body and x.body.get("object") == "response"
    assert found == KNOWN
    assert set(applied) == set(CODES)
    assert looked["prompt counts"] >= 2_000 and looked["text-only (upper bound)"] >= 1_500
    assert looked["cached > 0"] >= 25 and looked["reasoning > 0"] >= 100
    assert looked["images"] >= 10 and looked["responses user"] >= 300
    assert applied["rule.models.owned-by"] == 2 and applied["rule.images.revised-prompt"] >= 7


def test_the_rules_fire_on_real_answers_broken_as_the_old_mock_broke_them(spec: Spec) -> None:
    """Real answers given the mock's old faults (a 1-token prompt, an empty owner, an unsent
    user, both image forms) are caught."""
    caught: Counter[str] = Counter()
    for interaction, op in traffic.answers(spec):
        x = traffic.exchange(interaction, op)
        if x.is_stream or not isinstance(x.body, dict) or x.status >= 300:
            continue
        if isinstance(x.body.get("usage"), dict) and "prompt_tokens" in x.body["usage"]:
            x.body["usage"]["prompt_tokens"] = 1
        if x.body.get("object") == "response":
            x.body["user"] = "C2>hZH"
        for item in x.body.get("data") or []:
            if isinstance(item, dict) and "owned_by" in item:
                item["owned_by"] = ""
            if isinstance(item, dict) and "url" in item:
                item["b64_json"] = "zK0L"
        codes = {v.code for r in MINE if r.applies(x) for v in r.violations(x)}
        caught.update(codes)
    assert caught["rule.usage.prompt"] >= 1_000
    assert caught["rule.responses.echo-unsent"] >= 300
    assert caught["rule.models.owned-by"] == 1 and caught["rule.images.b64"] >= 9
    assert caught["rule.images.form"] >= 6
