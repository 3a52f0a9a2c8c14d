"""The deviations OpenAI's own API makes (``conformance.suites.deviations``): the shipped file is
what ``learn`` gives on the real traffic now (../shared/real-traffic, never copied here), three
of them checked by hand against the recorded answers, and how violations are matched."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import pytest
import traffic
from support import SPECS

from conformance.spec import Operation, Spec, load_spec
from conformance.suites.deviations import (
    Deviation,
    Deviations,
    fingerprint,
    known,
    learn,
    normalize,
    spec_key,
)
from conformance.validate import Validator, Violation

OPENAI_SPECS = ("openai-2.3.0.yaml", "openai-2026-08.yaml")

# the recorded answers the hand-checked deviations were read from
NO_REFUSAL = "alexrudall/ruby-openai:spec/fixtures/cassettes/gpt-3_5-turbo_chat.yml#0"  # 2023-11
NULL_FINGERPRINT = (  # 2025-08, gpt-3.5-turbo-0125 with two tool calls
    "alexrudall/ruby-openai:spec/fixtures/cassettes/"
    "gpt-3_5-turbo_multiple_tool_calls_full_conversation.yml#0"
)
DEPRECATED_MODEL = (  # 2026-01, a 404 "The model `gpt-3.5-turbo-0613` has been deprecated"
    "traceloop/openllmetry:packages/opentelemetry-instrumentation-llamaindex/tests/cassettes/"
    "test_agents/test_agents_and_tools.yaml#2"
)


@cache
def _spec(name: str) -> Spec:
    return load_spec(SPECS / name)


@pytest.fixture(params=OPENAI_SPECS)
def spec(request: pytest.FixtureRequest) -> Spec:
    path = SPECS / request.param
    if not path.is_file():
        pytest.skip(f"shared spec {path} is missing (expected in ../shared/specs)")
    return _spec(request.param)


def test_the_shipped_deviations_are_what_learn_gives_now(spec: Spec) -> None:
    """Re-run ``scripts/learn_deviations.py`` when this fails (new traffic, a changed rule or
    schema check): the shipped file must say what the code finds."""
    traffic.index()  # skips without the traffic
    learned = learn(spec, traffic.REAL_TRAFFIC)
    assert known(spec) == learned, "stale: run .venv/bin/python scripts/learn_deviations.py"
    assert len(learned) > 100
    assert all(0 < d.count <= d.seen for d in learned)
    shipped = json.loads(_data_text())["specs"][spec_key(spec)]
    assert shipped["sha256"] == spec.sha256  # learned on this very spec


def _data_text() -> str:
    from importlib.resources import files

    return files("conformance.suites").joinpath("openai_deviations.json").read_text("utf-8")


def test_the_specs_have_a_key_each() -> None:
    """Both snapshots call themselves ``OpenAI API`` 2.3.0: the OpenAPI version tells them apart."""
    data = json.loads(_data_text())
    assert sorted(data["specs"]) == [
        "OpenAI API 2.3.0 (OpenAPI 3.0.0)",
        "OpenAI API 2.3.0 (OpenAPI 3.1.0)",
    ]
    assert sorted(entry["spec"] for entry in data["specs"].values()) == list(OPENAI_SPECS)


# -- three deviations checked by hand ----------------------------------------------------------


def _recorded(spec: Spec, id_: str) -> tuple[dict[str, Any], Operation]:
    entry = next(e for e in traffic.index() if e["id"] == id_)
    interaction = traffic.load(entry["file"])
    op = traffic.route(spec, interaction)
    assert op is not None
    return interaction, op


def _chat_bodies() -> list[tuple[int, Any]]:
    """(status, body) of every recorded non-streamed chat completion answer."""
    out = []
    for entry in traffic.index():
        chat = entry["url"].split("?")[0].endswith("/v1/chat/completions")
        if chat and entry["method"] == "POST" and entry["kind"] == "json":
            out.append((entry["status"], traffic.load(entry["file"])["response"]["body"]))
    return out


def test_null_system_fingerprint(spec: Spec) -> None:
    """167 of the 1,277 JSON chat completions say ``"system_fingerprint": null`` (the spec: a
    string); the recorded one below is one of them. A float there is not what OpenAI does."""
    interaction, op = _recorded(spec, NULL_FINGERPRINT)
    body = interaction["response"]["body"]
    assert "system_fingerprint" in body and body["system_fingerprint"] is None
    bodies = _chat_bodies()
    nulls = sum(
        1
        for s, b in bodies
        if s == 200 and "system_fingerprint" in b and b["system_fingerprint"] is None
    )
    assert (nulls, len(bodies)) == (167, 1277)

    v = Validator(spec)
    found = [x for x in traffic.verdicts(v, interaction, op) if x.pointer == "/system_fingerprint"]
    assert [x.code for x in found] == ["schema.type"]
    note = known(spec).note(op.operation_id, found[0])
    assert note is not None and note.startswith("OpenAI's API does this too: 167 of 1,277")
    assert "createChatCompletion answers" in note and "\n" not in note

    floated = copy.deepcopy(body)
    floated["system_fingerprint"] = 1.5
    other = [x for x in _violations(v, op, floated) if x.pointer == "/system_fingerprint"]
    assert [x.code for x in other] == ["schema.type"]
    assert known(spec).note(op.operation_id, other[0]) is None


def test_missing_refusal(spec: Spec) -> None:
    """36 JSON chat completions (the older ones, before refusals existed) leave out the
    message's ``refusal``, which the spec requires; no recorded answer leaves out ``content``."""
    interaction, op = _recorded(spec, NO_REFUSAL)
    body = interaction["response"]["body"]
    assert "refusal" not in body["choices"][0]["message"]
    ok = [b for s, b in _chat_bodies() if s == 200]
    assert sum(1 for b in ok if any("refusal" not in c["message"] for c in b["choices"])) == 36
    assert all("content" in c["message"] for b in ok for c in b["choices"])

    v = Validator(spec)
    found = [
        x
        for x in traffic.verdicts(v, interaction, op)
        if x.code == "schema.required" and x.expected == "refusal"
    ]
    assert [x.pointer for x in found] == ["/choices/0/message"]
    deviation = known(spec).get(op.operation_id, found[0])
    assert deviation is not None
    assert (deviation.pointer, deviation.count, deviation.seen) == (
        "/choices/*/message/refusal",
        36,
        1277,
    )
    assert known(spec).note(op.operation_id, found[0]) == deviation.note

    no_content = copy.deepcopy(body)
    del no_content["choices"][0]["message"]["content"]
    missing = [x for x in _violations(v, op, no_content) if x.expected == "content"]
    assert [x.code for x in missing] == ["schema.required"]
    assert known(spec).note(op.operation_id, missing[0]) is None


def test_undocumented_404(spec: Spec) -> None:
    """Six chat completion requests got a 404 (a missing or deprecated model), which neither
    spec documents; the one 500 in the traffic is not a chat completion's, so a 500 there is
    no deviation of OpenAI's."""
    interaction, op = _recorded(spec, DEPRECATED_MODEL)
    response = interaction["response"]
    assert response["status"] == 404
    assert response["body"]["error"]["code"] == "model_not_found"
    assert sum(1 for s, _ in _chat_bodies() if s == 404) == 6

    v = Validator(spec)
    found = traffic.verdicts(v, interaction, op)
    assert [(x.code, x.actual) for x in found] == [("response.status", 404)]
    note = known(spec).note(op.operation_id, found[0])
    assert note is not None and "6 of 1,277 recorded createChatCompletion answers" in note
    assert "response.status at /404" in note

    five = v.response(op, status=500, body=response["body"], content_type="application/json")
    assert [x.code for x in five] == ["response.status"]
    assert known(spec).note(op.operation_id, five[0]) is None


def _violations(v: Validator, op: Operation, body: Any) -> list[Violation]:
    return v.response(op, status=200, body=body, content_type="application/json")


# -- matching -----------------------------------------------------------------------------------

REFUSAL = Deviation(
    "createChatCompletion",
    "schema.required",
    "/choices/*/message/refusal",
    "response.body",
    36,
    1277,
    '"refusal" is a required property',
)
CALL_ID = Deviation(
    "createChatCompletion",
    "schema.type",
    "/choices/*/delta/tool_calls/*/id",
    "stream.event",
    3,
    228,
    "null is not of type string",
    "null",
)


def _null(pointer: str, where: str = "stream.event") -> Violation:
    return Violation(
        'null is not of type "string"', where=where, pointer=pointer, keyword="type", event=4
    )


def test_note_normalizes_indices() -> None:
    deviations = Deviations([CALL_ID, REFUSAL])
    for pointer in ("/choices/0/delta/tool_calls/0/id", "/choices/3/delta/tool_calls/12/id"):
        assert deviations.note("createChatCompletion", _null(pointer)) == CALL_ID.note
    required = Violation(
        '"refusal" is a required property',
        where="response.body",
        pointer="/choices/7/message",
        keyword="required",
        expected="refusal",
    )
    assert deviations.note("createChatCompletion", required) == REFUSAL.note
    assert normalize("/data/10/metadata/2") == "/data/*/metadata/*"
    assert normalize("/a10/b/x1") == "/a10/b/x1"  # only whole tokens are indices


def test_note_matches_nothing_else() -> None:
    deviations = Deviations([CALL_ID, REFUSAL])
    pointer = "/choices/0/delta/tool_calls/0/id"
    # another operation, another part of the answer, another field, another type
    assert deviations.note("createCompletion", _null(pointer)) is None
    assert deviations.note("createChatCompletion", _null(pointer, "response.body")) is None
    assert deviations.note("createChatCompletion", _null("/choices/0/delta/role")) is None
    floated = Violation(
        '1.5 is not of type "string"', where="stream.event", pointer=pointer, keyword="type"
    )
    assert deviations.note("createChatCompletion", floated) is None
    # a missing required property matches by the property's name, not its object
    content = Violation(
        '"content" is a required property',
        where="response.body",
        pointer="/choices/0/message",
        keyword="required",
        expected="content",
    )
    assert deviations.note("createChatCompletion", content) is None


def test_the_note_is_one_line_naming_the_counts() -> None:
    assert CALL_ID.note == (
        "OpenAI's API does this too: 3 of 228 recorded createChatCompletion streams "
        "(schema.type at /choices/*/delta/tool_calls/*/id; e.g. null is not of type string)"
    )
    assert fingerprint("createChatCompletion", _null("/choices/2/delta/tool_calls/1/id")) == (
        CALL_ID.key
    )


def test_round_trip() -> None:
    deviations = Deviations([REFUSAL, CALL_ID])
    assert [d.code for d in deviations] == ["schema.required", "schema.type"]  # sorted by key
    again = Deviations.from_dict(json.loads(json.dumps(deviations.to_dict())))
    assert again == deviations and len(again) == 2
    assert Deviation.from_dict(CALL_ID.to_dict()) == CALL_ID


def test_known_is_empty_for_other_specs(tmp_path: Any) -> None:
    path = tmp_path / "other.yaml"
    path.write_text(
        "openapi: 3.0.0\ninfo: {title: OpenAI API, version: 9.9.9}\npaths: {}\n", encoding="utf-8"
    )
    other = load_spec(path)
    assert spec_key(other) == "OpenAI API 9.9.9 (OpenAPI 3.0.0)"
    assert len(known(other)) == 0
    assert known(other).note("createChatCompletion", _null("/x")) is None
