"""Echo and timestamp rules (``semantics/echo.py``, ``semantics/timestamps.py``): the model asked,
one moderation result per input, ``n`` images, plausible and fresh timestamps."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conformance import sse
from conformance.strategies import responses
from conformance.validate import Validator, Violation
from conformance.validate.semantics import Exchange, check, comply
from conformance.validate.semantics.echo import moderation_inputs, same_model
from conformance.validate.semantics.timestamps import is_timestamp_name

DAY = 86_400
T = 1_750_000_000  # when the answer came
MINE = ("rule.model.", "rule.moderations.", "rule.images.", "rule.time.")


def mine(x: Exchange) -> list[Violation]:
    """This module's rules' findings (other rules judge other parts of these small bodies)."""
    return [v for v in check(x) if v.code.startswith(MINE)]


def codes(x: Exchange) -> list[str]:
    return [v.code for v in mine(x)]


def fixed(x: Exchange) -> bool:
    comply(x)
    return mine(x) == []


# every alias pattern of ../shared/real-traffic, and one the docs name
REAL_ALIASES = [
    ("gpt-4o", "gpt-4o-2024-08-06"),
    ("gpt-3.5-turbo", "gpt-3.5-turbo-0125"),
    ("gpt-4", "gpt-4-0613"),
    ("gpt-4-vision-preview", "gpt-4-1106-vision-preview"),
    ("gpt-4-turbo-preview", "gpt-4-0125-preview"),
    ("text-embedding-ada-002", "text-embedding-ada-002-v2"),
    ("davinci-002", "davinci:2023-07-21-v2"),
    ("gpt-5.5", "gpt-5.5-2026-04-23"),
    ("o4-mini", "o4-mini-2025-04-16"),
    ("text-moderation-latest", "text-moderation-007"),
    ("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini-2025-04-14"),
]
NOT_THE_MODEL = [
    ("gpt-4o", "gpt-4o-mini-2024-07-18"),
    ("gpt-4o-mini", "gpt-4o"),
    ("gpt-4-0613", "gpt-4-0314"),
    ("gpt-4o-2024-08-06", "gpt-4o-2024-05-13"),
    ("gpt-4", "gpt-4-turbo"),
]


@pytest.mark.parametrize(("asked", "answered"), REAL_ALIASES)
def test_a_snapshot_answers_its_alias(asked: str, answered: str) -> None:
    assert same_model(asked, answered)


@pytest.mark.parametrize(("asked", "answered"), NOT_THE_MODEL)
def test_another_model_is_not_the_one_asked(asked: str, answered: str) -> None:
    assert not same_model(asked, answered)


CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


def test_model_echo_finds_fixes_and_passes() -> None:
    x = Exchange("createChatCompletion", CHAT, body={"model": "gpt-4o-mini", "created": T}, time=T)
    (found,) = mine(x)
    assert (found.code, found.pointer, found.expected, found.actual, found.param) == (
        "rule.model.echo",
        "/model",
        "gpt-4o",
        "gpt-4o-mini",
        "model",
    )
    assert fixed(x) and x.body["model"] == "gpt-4o"
    ok = {"model": "gpt-4o-2024-08-06", "created": T}
    assert mine(Exchange("createChatCompletion", CHAT, body=dict(ok), time=T)) == []
    assert mine(Exchange("createChatCompletion", None, body={"model": "x", "created": T})) == []


def test_model_echo_in_every_event_that_names_one() -> None:
    events = [
        sse.Event('{"type": "response.created", "response": {"model": "gpt-4o-2024-08-06"}}'),
        sse.Event('{"type": "response.output_text.delta", "delta": "hi"}'),
        sse.Event('{"type": "response.completed", "response": {"model": "o3"}}'),
    ]
    ask = {"model": "gpt-4o", "input": "hi", "stream": True}
    x = Exchange.streamed("createResponse", ask, events)
    (found,) = mine(x)
    assert (found.code, found.event, found.pointer) == ("rule.model.echo", 2, "/response/model")
    assert fixed(x) and x.events is not None
    # (other rules may reorder or complete this toy stream: look the events up by type)
    models = {e.data["type"]: e.data["response"]["model"] for e in x.events if "response" in e.data}
    assert models["response.completed"] == "gpt-4o"
    assert models["response.created"] == "gpt-4o-2024-08-06"  # a snapshot stays


RESULT = {"flagged": False, "categories": {}, "category_scores": {}}


@pytest.mark.parametrize(
    ("input_", "count"), [("a", 1), (["a", "b", "c"], 3), ([{"type": "text", "text": "a"}], 1)]
)
def test_one_moderation_result_per_input(input_: Any, count: int) -> None:
    body = {"id": "modr-1", "model": "omni-moderation-2024-09-26", "results": [RESULT] * 2}
    x = Exchange("createModeration", {"input": input_}, body=copy.deepcopy(body))
    (found,) = mine(x)
    assert (found.code, found.pointer, found.expected, found.actual) == (
        "rule.moderations.count",
        "/results",
        count,
        2,
    )
    assert fixed(x) and len(x.body["results"]) == count
    assert moderation_inputs([]) is None


@pytest.mark.parametrize(
    ("op", "request_", "n"),
    [
        ("createImage", {"prompt": "otter"}, 1),
        ("createImage", {"prompt": "otter", "n": 3}, 3),
        ("createImageVariation", {"image": "...", "n": "2"}, 2),  # a form field
    ],
)
def test_as_many_images_as_asked(op: str, request_: dict[str, Any], n: int) -> None:
    body = {"created": T, "data": [{"url": "https://x/1.png"}] * 4}
    x = Exchange(op, request_, body=copy.deepcopy(body), time=T)
    (found,) = mine(x)
    assert (found.code, found.expected, found.actual, found.param) == ("rule.images.n", n, 4, "n")
    assert fixed(x) and len(x.body["data"]) == n


def test_images_made_up_when_none_came() -> None:
    ask = {"prompt": "otter", "n": 2, "response_format": "b64_json"}
    x = Exchange("createImage", ask, body={"created": T, "data": []}, time=T)
    assert codes(x) == ["rule.images.n"]
    assert fixed(x) and [sorted(d) for d in x.body["data"]] == [["b64_json"], ["b64_json"]]


@pytest.mark.parametrize(
    ("value", "why"),
    [(T * 1000, "milliseconds"), (0, "before 2015"), (T + 3 * DAY, "in the future")],
)
def test_implausible_timestamps_are_found_and_fixed(value: int, why: str) -> None:
    body: dict[str, Any] = {"object": "list", "data": [{"id": "file-1", "created_at": value}]}
    x = Exchange("listFiles", None, body=body, time=T)
    (found,) = mine(x)
    assert (found.code, found.pointer, found.severity) == (
        "rule.time.plausible",
        "/data/0/created_at",
        "warning",
    )
    assert why in found.message and found.actual == value
    assert fixed(x) and body["data"][0]["created_at"] == T


def test_a_timestamp_is_checked_against_now_when_the_time_is_unknown() -> None:
    x = Exchange("retrieveFile", None, body={"id": "f", "created_at": 10**12})
    assert codes(x) == ["rule.time.plausible"]
    assert fixed(x) and 1_420_070_400 < x.body["created_at"] < 10**11


def test_expiry_may_lie_ahead() -> None:
    body = {"id": "batch_1", "created_at": T, "expires_at": T + 30 * DAY}
    assert mine(Exchange("retrieveBatch", None, body=body, time=T)) == []


def test_what_a_request_creates_is_fresh() -> None:
    x = Exchange(
        "createChatCompletion", CHAT, body={"model": "gpt-4o", "created": T - 9 * DAY}, time=T
    )
    (found,) = mine(x)
    assert (found.code, found.pointer, found.expected, found.actual) == (
        "rule.time.fresh",
        "/created",
        T,
        T - 9 * DAY,
    )
    assert fixed(x) and x.body["created"] == T
    # an old object read back, an unknown time, an error: nothing to say
    old = {"id": "asst_1", "created_at": T - 90 * DAY}
    assert mine(Exchange("getAssistant", None, body=dict(old), time=T)) == []
    assert mine(Exchange("createAssistant", None, body=dict(old))) == []
    assert is_timestamp_name("created_at") and not is_timestamp_name("_at")


def test_fresh_applies_to_stream_events_and_their_response() -> None:
    events = [
        sse.Event(f'{{"type": "response.created", "response": {{"created_at": {T - 5 * DAY}}}}}'),
        sse.Event(f'{{"id": "c", "created": {T - 5 * DAY}}}'),
        sse.Event("[DONE]"),
    ]
    x = Exchange.streamed("createResponse", None, events, time=T)
    assert [(v.code, v.event, v.pointer) for v in mine(x)] == [
        ("rule.time.fresh", 0, "/response/created_at"),
        ("rule.time.fresh", 1, "/created"),
    ]
    assert fixed(x)


REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("createChatCompletion", CHAT),
    ("createChatCompletion", {**CHAT, "model": "gpt-4o-mini", "stream": True}),
    ("createCompletion", {"model": "gpt-3.5-turbo-instruct", "prompt": "hi"}),
    ("createResponse", {"model": "gpt-4.1", "input": "hi"}),
    ("createEmbedding", {"model": "text-embedding-3-small", "input": "hi"}),
    ("createModeration", {"model": "omni-moderation-latest", "input": ["a", "b"]}),
    ("createImage", {"model": "dall-e-2", "prompt": "otter", "n": 2}),
    ("createAssistant", {"model": "gpt-4o"}),
    ("createFineTuningJob", {"model": "gpt-4o-mini", "training_file": "file-1"}),
]


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_typical_answers_fixed_for_a_request_stay_valid(
    openai_validator: Validator, data: st.DataObject
) -> None:
    spec = openai_validator.spec
    strict = Validator(spec, strict=True)
    op, request_ = data.draw(st.sampled_from(REQUESTS))
    case = data.draw(responses(spec, op, status=200, profile="typical"))
    # no result to copy: left to another draw (the mock skips empty answers)
    assume(not isinstance(case.body, dict) or case.body.get("results") != [])
    if case.events is not None:
        x = Exchange.streamed(op, request_, case.events, time=T)
    else:
        x = Exchange(op, request_, body=copy.deepcopy(case.body), time=T)
    comply(x)
    assert codes(x) == []
    if x.events is not None:
        found = strict.stream(op, x.sse_events(), status=200)
    else:
        found = strict.response(op, status=200, body=x.body)
    assert [v for v in found if v.is_error] == []
