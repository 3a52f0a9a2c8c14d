"""The ``edge`` profile reaches the boundaries of the OpenAI 2.3.0 schemas; ``default`` mostly not.

Component schemas are compiled with ``Compiler`` straight from ``schema_set(spec, direction)``,
a bounded number of values drawn (derandomized), and each boundary asserted hit: strings at
minLength and maxLength, arrays at minItems and maxItems, null for nullable properties, every
enum value, every union branch, optional properties all omitted and all present. Everything
drawn is also checked valid against the strict schema. A last test sweeps every operation's
response schemas and compares the two profiles in aggregate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import support
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from conformance.schema import schema_set
from conformance.spec import Spec, load_spec
from conformance.spec.refs import escape
from conformance.strategies.compiler import Compiler
from conformance.strategies.merge import flatten
from conformance.strategies.profiles import get_profile
from conformance.validate import Validator
from conformance.validate.body import media_kind

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "specs" / "openai-2.3.0.yaml"
SETTINGS = settings(
    database=None,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=(Phase.explicit, Phase.generate),
)


class Components:
    """Draw values of a spec's component schemas per direction and profile, checked valid."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.validator = Validator(spec, strict=True)
        self._compilers: dict[tuple[str, str], Compiler] = {}

    def compiler(self, direction: str, profile: str) -> Compiler:
        if (direction, profile) not in self._compilers:
            compiler = Compiler(schema_set(self.spec, direction), get_profile(profile))
            self._compilers[direction, profile] = compiler
        return self._compilers[direction, profile]

    def location(self, name: str) -> str:
        return f"{self.spec.uri}#/components/schemas/{escape(name)}"

    def schema(self, direction: str, name: str) -> dict[str, Any]:
        """The converted schema of a component, allOf merged (for walking its properties)."""
        schemas = schema_set(self.spec, direction)
        flat = flatten(schemas, schemas.resolve(schemas.ref(self.location(name))))
        assert isinstance(flat, dict)
        return flat

    def property_draws(
        self, direction: str, name: str, prop: str, profile: str, n: int = 100
    ) -> list[Any]:
        """Values of one property's schema alone (cheaper than whole objects), checked valid."""
        compiler = self.compiler(direction, profile)
        parent = self.schema(direction, name)
        schema = parent["properties"][prop]
        values = draw(compiler.compile(schema, name=prop, parent=parent), n)
        valid = compiler.is_valid_for(schema)
        assert all(valid(v) for v in values), f"{name}.{prop} ({direction}, {profile})"
        return values

    def draws(self, direction: str, name: str, profile: str, n: int = 100) -> list[Any]:
        compiler = self.compiler(direction, profile)
        schemas = compiler.schemas
        values = draw(compiler.compile({"$ref": schemas.ref(self.location(name))}), n)
        engine = self.validator.responses if direction == "response" else self.validator.requests
        invalid = [v for v in values if not engine.is_valid(self.location(name), v, strict=True)]
        assert not invalid, f"{name} ({direction}, {profile}): {len(invalid)} invalid values"
        return values


def draw(strategy: st.SearchStrategy[Any], n: int) -> list[Any]:
    return support.draw(strategy, n, SETTINGS)


@pytest.fixture(scope="module")
def spec() -> Spec:
    if not SPEC.is_file():
        pytest.skip(f"shared spec {SPEC} is missing")
    return load_spec(SPEC)


@pytest.fixture(scope="module")
def components(spec: Spec) -> Components:
    return Components(spec)


def allows_null(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if None in (schema.get("enum") or []):
        return True
    return any(allows_null(b) for b in schema.get("anyOf") or schema.get("oneOf") or [])


# -- strings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "component", "prop", "low", "high"),
    [
        ("response", "AssistantObject", "name", 0, 256),
        ("response", "AssistantObject", "description", 0, 512),
        ("request", "CreateFineTuningJobRequest", "suffix", 1, 64),
        ("request", "CreateSpeechRequest", "input", 0, 4096),
    ],
)
def test_strings_at_min_and_max_length(
    components: Components, direction: str, component: str, prop: str, low: int, high: int
) -> None:
    schema = components.schema(direction, component)["properties"][prop]
    assert schema.get("minLength", 0) == low and schema["maxLength"] == high  # the spec's own
    lengths = Counter(
        len(v[prop])
        for v in components.draws(direction, component, "edge", n=150)
        if isinstance(v.get(prop), str)
    )
    assert lengths[low] and lengths[high], f"edge lengths of {prop}: {sorted(lengths)}"
    assert max(lengths) <= high and min(lengths) >= low
    default = Counter(
        len(v[prop])
        for v in components.draws(direction, component, "default", n=150)
        if isinstance(v.get(prop), str)
    )
    assert default[high] < lengths[high]  # default rarely (in practice never) writes maxLength


def test_unbounded_strings_get_long_and_beyond_the_bmp(components: Components) -> None:
    """Without maxLength, edge still writes very long strings, and characters past U+FFFF."""

    def texts(values: list[Any]) -> list[str]:
        return [s for v in values for s in strings(v)]

    edge = texts(components.draws("response", "CreateChatCompletionResponse", "edge", n=150))
    default = texts(components.draws("response", "CreateChatCompletionResponse", "default", n=150))
    assert "" in edge
    assert max(map(len, edge)) >= get_profile("edge").long_string
    assert max(map(len, default)) <= get_profile("default").max_string
    assert any(max(map(ord, s), default=0) > 0xFFFF for s in edge)
    assert all(s.isascii() for s in default)


# -- arrays --------------------------------------------------------------------------------------


def test_arrays_at_min_and_max_items(components: Components) -> None:
    # StopConfiguration: null | string | array of 1..4 strings
    stops = Counter(
        len(v)
        for v in components.draws("request", "StopConfiguration", "edge")
        if isinstance(v, list)
    )
    assert set(stops) == {1, 2, 3, 4} and stops[1] and stops[4]
    # FineTuningJob.integrations: array (or null) of at most 5
    jobs = components.draws("response", "FineTuningJob", "edge", n=150)
    integrations = Counter(
        len(j["integrations"]) for j in jobs if isinstance(j.get("integrations"), list)
    )
    assert integrations[0] and integrations[5] and max(integrations) == 5
    default = components.draws("response", "FineTuningJob", "default", n=150)
    assert not any(len(j.get("integrations") or []) == 5 for j in default)
    # CreateChatCompletionRequest.messages: minItems 1, no maxItems
    requests = components.draws("request", "CreateChatCompletionRequest", "edge", n=100)
    assert min(len(r["messages"]) for r in requests) == 1


# -- nulls ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "component"),
    [("response", "FineTuningJob"), ("response", "RunObject"), ("request", "CreateRunRequest")],
)
def test_null_for_every_nullable_property(
    components: Components, direction: str, component: str
) -> None:
    schema = components.schema(direction, component)
    nullable = {n for n, s in schema["properties"].items() if allows_null(s)}
    assert len(nullable) >= 3
    values = components.draws(direction, component, "edge", n=150)
    nulled = {n for v in values for n in nullable if n in v and v[n] is None}
    assert nulled == nullable
    assert any(v.get(n) is not None for v in values for n in nullable)  # not only nulls


# -- enums ---------------------------------------------------------------------------------------


def test_every_finish_reason(components: Components) -> None:
    schema = components.schema("response", "CreateChatCompletionResponse")
    choice = schema["properties"]["choices"]["items"]["properties"]["finish_reason"]
    expected = set(choice["enum"])
    assert {"stop", "length", "tool_calls", "content_filter", "function_call"} <= expected
    for profile in ("edge", "default"):
        responses = components.draws("response", "CreateChatCompletionResponse", profile, n=150)
        reasons = {c["finish_reason"] for r in responses for c in r["choices"]}
        assert reasons == expected, profile


@pytest.mark.parametrize(
    ("direction", "component", "prop"),
    [
        ("response", "RunObject", "status"),
        ("response", "FineTuningJob", "status"),
        ("request", "CreateChatCompletionRequest", "service_tier"),
    ],
)
def test_every_enum_value(
    components: Components, direction: str, component: str, prop: str
) -> None:
    schema = components.schema(direction, component)["properties"][prop]
    expected = set(schema["enum"])
    assert len(expected) >= 3
    for profile in ("edge", "default"):
        assert set(components.property_draws(direction, component, prop, profile)) == expected


# -- unions --------------------------------------------------------------------------------------


def test_every_output_item_branch(components: Components) -> None:
    """Responses OutputItem: an anyOf of six item types, discriminated by `type`."""
    items = components.draws("response", "OutputItem", "edge", n=150)
    assert {i["type"] for i in items} == {
        "message",
        "file_search_call",
        "function_call",
        "web_search_call",
        "computer_call",
        "reasoning",
    }


def test_every_chat_message_branch(components: Components) -> None:
    """Requests: ChatCompletionRequestMessage, a oneOf of six roles."""
    for profile in ("edge", "default"):
        messages = components.draws("request", "ChatCompletionRequestMessage", profile, n=150)
        roles = {m["role"] for m in messages}
        assert roles == {"developer", "system", "user", "assistant", "tool", "function"}, profile


def test_every_content_part_branch(components: Components) -> None:
    """A union nested in a union: user message content is text or an array of part types."""
    messages = components.draws("request", "ChatCompletionRequestUserMessage", "edge", n=200)
    kinds = {type(m["content"]).__name__ for m in messages}
    parts = {p["type"] for m in messages if isinstance(m["content"], list) for p in m["content"]}
    assert kinds == {"str", "list"}
    assert parts == {"text", "image_url", "input_audio", "file"}


# -- optional properties -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "component"),
    [
        ("request", "CreateChatCompletionRequest"),
        ("request", "CreateAssistantRequest"),
        ("response", "CompletionUsage"),
        ("response", "FineTuningJob"),
    ],
)
def test_optional_properties_all_omitted_and_all_present(
    components: Components, direction: str, component: str
) -> None:
    schema = components.schema(direction, component)
    everything, required = set(schema["properties"]), set(schema.get("required", []))
    assert everything - required
    keysets = [set(v) for v in components.draws(direction, component, "edge", n=100)]
    assert required in keysets, "no value with only the required properties"
    assert everything in keysets, "no value with every property"
    # (no comparison with default: Hypothesis' fixed_dictionaries often drops all or no optional
    # keys on its own, so default gets there too)


# -- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prop", "low", "high"),
    [("top_logprobs", 0, 20), ("n", 1, 128), ("temperature", 0, 2), ("presence_penalty", -2, 2)],
)
def test_number_bounds(components: Components, prop: str, low: float, high: float) -> None:
    """Bounds of CreateChatCompletionRequest are hit exactly by edge, rarely by default."""
    schema = components.schema("request", "CreateChatCompletionRequest")["properties"][prop]
    assert (schema.get("minimum"), schema.get("maximum")) == (low, high)
    edge = [
        v
        for v in components.property_draws("request", "CreateChatCompletionRequest", prop, "edge")
        if v is not None
    ]
    assert {low, high} <= set(edge) and all(low <= v <= high for v in edge)
    default = [
        v
        for v in components.property_draws(
            "request", "CreateChatCompletionRequest", prop, "default"
        )
        if v is not None
    ]
    assert sum(v in (low, high) for v in default) < sum(v in (low, high) for v in edge)


def test_unbounded_integers_go_extreme(components: Components) -> None:
    edge = set(components.property_draws("response", "CompletionUsage", "prompt_tokens", "edge"))
    assert {2**53, -(2**63), 2**64} <= edge
    default = components.property_draws("response", "CompletionUsage", "prompt_tokens", "default")
    assert all(abs(v) <= 2**31 for v in default)


# -- the whole spec ------------------------------------------------------------------------------


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def features(value: Any, found: Counter[str]) -> None:
    """Count boundary features anywhere in a JSON value."""
    if value is None:
        found["null"] += 1
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        found["huge int"] += abs(value) >= 2**53
    elif isinstance(value, float):
        found["extreme float"] += value in (1e308, -1e308, 5e-324)
    elif isinstance(value, str):
        found["empty string"] += value == ""
        found["long string"] += len(value) >= 2048
        found["astral"] += any(ord(c) > 0xFFFF for c in value)
    elif isinstance(value, list):
        found["empty array"] += not value
        for item in value:
            features(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            features(item, found)


def test_edge_reaches_boundaries_across_the_spec(spec: Spec, components: Components) -> None:
    """Every JSON response schema of every operation, 5 values each, both profiles.

    (Not nulls: edge often sends only the required properties, so it writes fewer nulls in
    total; that every nullable property does get null is tested above.)
    """
    locations = {
        media.schema
        for op in spec.operations
        for response in op.responses.values()
        for name, media in response.content.items()
        if media.schema and media_kind(name) == "json"
    }
    assert len(locations) > 60
    counts: dict[str, Counter[str]] = {}
    for profile in ("edge", "default"):
        compiler = components.compiler("response", profile)
        found: Counter[str] = Counter()
        for location in sorted(locations):
            strategy = compiler.compile({"$ref": compiler.schemas.ref(location)})
            for value in draw(strategy, 5):
                features(value, found)
        counts[profile] = found
    edge, default = counts["edge"], counts["default"]
    for feature in ("huge int", "extreme float", "long string", "astral", "empty string"):
        assert edge[feature] > default[feature], (feature, edge, default)
    assert edge["empty array"] > 0 and edge["null"] > 0
    assert default["long string"] == default["astral"] == 0  # (Hypothesis itself draws 5e-324)
