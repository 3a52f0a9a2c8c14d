"""The suite against a deliberately deviating server (``deviant.DeviantServer``: our mock over
HTTP with one deviation injected): each deviation is reported on the right axis with the right
grade, and nothing else is — the verdicts that differ from the undeviating mock's (the baseline,
same seed) are exactly the expected ones, and only the pass verdicts those replace are gone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from deviant import DEVIATIONS, DeviantServer
from support import SPECS

from conformance.results import Document, Verdict
from conformance.spec import Spec, load_spec
from conformance.spec.errata import ERRATA
from conformance.suites import Target, run_suite
from conformance.validate import Validator

SPEC = SPECS / "openai-2.3.0.yaml"
OPERATIONS = (
    "createChatCompletion",
    "createCompletion",
    "createEmbedding",
    "listModels",
    "retrieveModel",
)
AXES = ("schema", "semantics", "capability")
CHAT, LEGACY, EMBED, MODEL = (
    "createChatCompletion",
    "createCompletion",
    "createEmbedding",
    "retrieveModel",
)

Key = tuple[str, str, str, str]  # operation, check, axis, grade


def _on_errors(check: str) -> set[Key]:
    """``check`` failed on every operation whose negative cases the mock answers 4xx, and on
    listModels, whose request without the key (the suite's no-auth probe) it answers 401."""
    return {(op, check, "semantics", "fail") for op in (CHAT, LEGACY, EMBED, "listModels")}


# deviation → the verdicts it adds to the baseline's (whose verdicts are all pass)
EXPECTED: dict[str, set[Key]] = {
    "missing-required": {(CHAT, "schema.required", "schema", "fail")},
    "float-timestamp": {(CHAT, "schema.type", "schema", "fail")},
    "undeclared-field": {(CHAT, "undeclared.property", "schema", "warn")},
    "no-done": {
        (CHAT, "stream.done-missing", "schema", "fail"),
        (LEGACY, "stream.done-missing", "schema", "fail"),
    },
    "unasked-stream": {(CHAT, "rule.stream.mode", "semantics", "fail")},
    "usage-mismatch": {(CHAT, "rule.usage.total", "semantics", "fail")},
    "n-ignored": {(CHAT, "rule.chat.n-choices", "capability", "ignored")},
    "include-usage-ignored": {(CHAT, "rule.chat.stream-usage", "capability", "ignored")},
    # out of range accepted: a warning (leniency), on the axis of the error behaviour
    "bounds-unchecked": {
        (LEGACY, "error.accepted", "semantics", "warn"),
        (EMBED, "error.accepted", "semantics", "warn"),
    },
    "500-on-bad-request": _on_errors("server.error"),
    "plain-text-error": _on_errors("error.envelope"),
    "integer-code": _on_errors("error.envelope"),
    "no-param": _on_errors("error.envelope"),
    "traceback": _on_errors("error.disclosure"),
    "endpoint-404": {
        (EMBED, "capability.unsupported", "capability", "unsupported"),
        (MODEL, "capability.unsupported", "capability", "unsupported"),
    },
    "endpoint-501": {(LEGACY, "capability.unsupported", "capability", "unsupported")},
    "unsupported-parameter": {(CHAT, "capability.unsupported", "capability", "unsupported")},
    "unsupported-parameter-text": {(CHAT, "capability.unsupported", "capability", "unsupported")},
    "base64-embeddings": set(),  # pass, as the undeviating mock's base64 answer does
}
# operations a deviation does not serve at all: none of their axes is judged, none passes
UNSERVED: dict[str, set[str]] = {"endpoint-404": {EMBED, MODEL}, "endpoint-501": {LEGACY}}
BASE64 = "openai-base64-embeddings"


def _key(v: Verdict) -> Key:
    return (v.operation, v.check, v.axis, v.grade)


@pytest.fixture(scope="module")
def spec() -> Spec:
    if not SPEC.is_file():
        pytest.skip(f"shared spec {SPEC} is missing (expected in ../shared/specs)")
    return load_spec(SPEC)


def _run(spec: Spec, deviation: str | None) -> Document:
    with DeviantServer(spec, deviation) as server:
        return run_suite(
            spec, Target(server.base_url), operations=OPERATIONS, seed=1, positive=2, negative=2
        )


@pytest.fixture(scope="module")
def baseline(spec: Spec) -> Iterator[Document]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENAI_API_KEY", "sk-test")
        yield _run(spec, None)


def test_the_undeviating_mock_passes_everything(baseline: Document) -> None:
    assert {_key(v) for v in baseline.verdicts} == {
        (op, axis, axis, "pass") for op in OPERATIONS for axis in AXES
    }


def test_every_deviation_is_tested() -> None:
    assert set(EXPECTED) == set(DEVIATIONS)


@pytest.mark.parametrize("deviation", list(EXPECTED))
def test_a_deviation_is_graded_on_its_axis_and_nothing_else(
    spec: Spec, baseline: Document, deviation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    doc = _run(spec, deviation)
    found = {_key(v) for v in doc.verdicts}
    before = {_key(v) for v in baseline.verdicts}
    expected = EXPECTED[deviation]
    assert found - before == expected, [v for v in doc.verdicts if _key(v) not in before]
    # gone: the pass of each axis a verdict now holds, and every axis of an unserved operation
    gone = {(op, axis, axis, "pass") for op, _, axis, _ in expected}
    gone |= {(op, axis, axis, "pass") for op in UNSERVED.get(deviation, ()) for axis in AXES}
    assert before - found == gone
    for v in doc.verdicts:
        assert v.codes == ((v.check,) if v.grade != "pass" else ()), v
        if v.grade == "ignored":  # says what was ignored
            assert v.notes and v.notes[0].startswith(("n: 2", "stream_options.include_usage")), v


def test_the_base64_answer_the_spec_forbids_passes_with_its_erratum_noted(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    doc = _run(spec, "base64-embeddings")
    verdicts = {v.key: v for v in doc.verdicts if v.operation == EMBED}
    assert {v.grade for v in verdicts.values()} == {"pass"}
    (note,) = verdicts[(EMBED, "schema", "schema")].notes
    assert note.startswith(f"erratum {BASE64}:")
    assert BASE64 in doc.spec["errata"]
    # the probe's answer: base64 strings, valid with the erratum, invalid by the spec as written
    (probe,) = [r for r in doc.results if r.name == "probe: base64"]
    assert probe.response is not None
    assert isinstance(probe.response.json()["data"][0]["embedding"], str)

    def judged(validator: Validator) -> list[str]:
        response = probe.response
        assert response is not None
        found = validator.response(
            EMBED,
            status=response.status,
            headers=response.headers,
            body=response.body,
            content_type=response.headers.get("content-type"),
        )
        return [v.code for v in found if v.is_error]

    assert judged(Validator(spec)) == []
    as_written = load_spec(SPEC, errata=tuple(e.id for e in ERRATA if e.id != BASE64))
    assert judged(Validator(as_written))
