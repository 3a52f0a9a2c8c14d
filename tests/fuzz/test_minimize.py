"""Minimization on real OpenAI 2.3.0 operations with toy oracles: the answer found is spec-valid,
still fails, is small, names the field it exercises, and costs at most the budget."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, find, settings

from conformance import sse
from conformance.errors import InputError
from conformance.fuzz.minimize import Minimized, Step, minimize
from conformance.spec import Spec
from conformance.strategies import ResponseCase, responses, streams
from conformance.validate import Validator

CHAT = "createChatCompletion"
FIND = settings(
    max_examples=200, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@pytest.fixture(scope="module")
def completion(spec: Spec) -> dict[str, Any]:
    """A typical chat completion with usage, one choice, and text of our own in it."""
    case = find(
        responses(spec, CHAT, status=200, media_type="application/json", profile="typical"),
        lambda c: len(c.body["choices"]) >= 1 and "usage" in c.body,
        settings=FIND,
    )
    body: dict[str, Any] = json.loads(json.dumps(case.body))
    body["choices"][0]["message"]["content"] = "Voilà: a long answer, with text around the accent."
    return body


def _keys(value: Any) -> int:
    if isinstance(value, dict):
        return len(value) + sum(_keys(v) for v in value.values())
    if isinstance(value, list):
        return sum(_keys(v) for v in value)
    return 0


def _errors(validator: Validator, body: Any) -> list[str]:
    return [str(v) for v in validator.response(CHAT, status=200, body=body) if v.is_error]


def _accented(value: Any) -> bool:
    return "à" in json.dumps(value, ensure_ascii=False)


class Counting:
    """An oracle that counts its calls."""

    def __init__(self, oracle: Any) -> None:
        self.oracle = oracle
        self.calls = 0

    def __call__(self, candidate: Any) -> bool:
        self.calls += 1
        return bool(self.oracle(candidate))


def test_a_string_oracle_shrinks_to_the_one_character(
    validator: Validator, completion: dict[str, Any]
) -> None:
    oracle = Counting(_accented)
    found = minimize(CHAT, completion, oracle, validator=validator, budget=80)
    assert _errors(validator, found.answer) == []
    assert _accented(found.answer)
    assert found.answer["choices"][0]["message"]["content"] == "à"
    assert found.exercises == "/choices/0/message/content"
    assert "usage" not in found.answer  # optional keys went
    assert _keys(found.answer) <= 12, found.answer
    assert found.calls == oracle.calls <= 80
    assert not found.exhausted
    assert found.size() < len(json.dumps(completion)) / 2
    assert Step("drop", "/usage") in found.steps


def test_logprobs_oracle_keeps_logprobs_and_names_it(spec: Spec, validator: Validator) -> None:
    case = find(
        responses(spec, CHAT, status=200, media_type="application/json", profile="default"),
        lambda c: bool(c.body["choices"]) and c.body["choices"][0].get("logprobs") is not None,
        settings=FIND,
    )

    def oracle(body: Any) -> bool:
        return bool(body["choices"]) and body["choices"][0].get("logprobs") is not None

    found = minimize(CHAT, case.body, oracle, validator=validator, budget=120)
    assert _errors(validator, found.answer) == []
    assert oracle(found.answer)
    assert found.exercises == "/choices/0/logprobs"
    assert len(found.answer["choices"]) == 1
    assert _keys(found.answer) <= 14, found.answer
    assert found.calls <= 120


def test_a_stream_loses_events_and_keys(spec: Spec, validator: Validator) -> None:
    events = find(streams(spec, CHAT), lambda e: len(e) >= 4, settings=FIND)

    def oracle(candidate: tuple[sse.Event, ...]) -> bool:
        return any("help" in e.data for e in candidate)

    assert oracle(events), "the typical stream says 'How can I help you today?'"
    found = minimize(CHAT, events, oracle, validator=validator, budget=150)
    assert isinstance(found.answer, tuple)
    assert [v for v in validator.stream(CHAT, found.answer) if v.is_error] == []
    assert oracle(found.answer)
    assert len(found.answer) == 2 and found.answer[-1].data == "[DONE]"
    chunk = json.loads(found.answer[0].data)
    assert chunk["choices"][0]["delta"]["content"] == "help"
    assert found.exercises == "/0/data/choices/0/delta/content"
    assert any(s.action == "drop-event" for s in found.steps)
    assert found.calls <= 150


def test_a_small_budget_is_never_exceeded(validator: Validator, completion: dict[str, Any]) -> None:
    oracle = Counting(_accented)
    found = minimize(CHAT, completion, oracle, validator=validator, budget=3)
    assert oracle.calls == found.calls == 3
    assert found.exhausted
    assert _errors(validator, found.answer) == [] and _accented(found.answer)


def test_deterministic(validator: Validator, completion: dict[str, Any]) -> None:
    first = minimize(CHAT, completion, _accented, validator=validator, budget=60)
    again = minimize(CHAT, completion, _accented, validator=validator, budget=60)
    assert first == again


def test_a_response_case_comes_back_a_response_case(
    validator: Validator, completion: dict[str, Any]
) -> None:
    case = ResponseCase(CHAT, 200, "application/json", {"x-request-id": "req_1"}, body=completion)
    seen: list[Any] = []

    def oracle(candidate: ResponseCase) -> bool:
        seen.append(candidate)
        return _accented(candidate.body)

    found = minimize(CHAT, case, oracle, validator=validator)
    assert isinstance(found.answer, ResponseCase)
    assert found.answer.headers == case.headers
    assert found.answer.body["choices"][0]["message"]["content"] == "à"
    assert all(isinstance(c, ResponseCase) for c in seen)


def test_the_answer_given_is_not_changed(validator: Validator, completion: dict[str, Any]) -> None:
    before = json.dumps(completion)
    minimize(CHAT, completion, _accented, validator=validator, budget=30)
    assert json.dumps(completion) == before


def test_an_invalid_answer_is_refused(validator: Validator) -> None:
    with pytest.raises(InputError, match="createChatCompletion"):
        minimize(CHAT, {"choices": "no"}, lambda _: True, validator=validator)


def test_an_answer_that_cannot_shrink_costs_nothing(validator: Validator) -> None:
    oracle = Counting(lambda _: True)
    body = {"object": "list", "data": []}
    found = minimize("listModels", body, oracle, validator=validator)
    assert found == Minimized(body, (), "", 0, False)
    assert oracle.calls == 0


def test_untouched_events_keep_their_bytes(spec: Spec, validator: Validator) -> None:
    events = find(streams(spec, CHAT), lambda e: len(e) >= 3, settings=FIND)
    first = events[0]
    found = minimize(
        CHAT, events, lambda c: bool(c) and c[0] == first, validator=validator, budget=40
    )
    assert found.answer[0] == first
    odd = dataclasses.replace(first, data=first.data.replace('"gpt', '"gpté'))
    found = minimize(
        CHAT, (odd, events[-1]), lambda c: "é" in c[0].data, validator=validator, budget=40
    )
    assert "é" in found.answer[0].data  # non-ASCII data stays raw UTF-8 when rewritten


def test_a_failure_that_needs_nothing_costs_one_run(
    validator: Validator, completion: dict[str, Any]
) -> None:
    """What spec-valid simplification alone reaches is tried as one candidate: when the failure
    needs none of the values, that one client run settles the whole body."""
    oracle = Counting(lambda _: True)
    found = minimize(CHAT, completion, oracle, validator=validator, budget=40)
    assert oracle.calls == found.calls == 1
    assert _errors(validator, found.answer) == []
    assert found.answer["choices"] == [] and "usage" not in found.answer


def test_events_go_first_in_halves_keeping_done(spec: Spec, validator: Validator) -> None:
    """Any two events break it (as a comment block between two events with ids did): events are
    dropped ddmin-style, [DONE] kept (a chat stream needs it), then each event simplified."""
    events = find(streams(spec, CHAT), lambda e: len(e) >= 8, settings=FIND)

    def oracle(candidate: tuple[sse.Event, ...]) -> bool:
        return len(candidate) >= 2

    found = minimize(CHAT, events, oracle, validator=validator, budget=40)
    assert [e.data for e in found.answer][1:] == ["[DONE]"]
    assert json.loads(found.answer[0].data)["choices"] == []
    assert found.calls <= 6, found.steps  # 8 when events and values went one by one
