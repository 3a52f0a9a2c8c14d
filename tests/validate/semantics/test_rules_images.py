"""Images, models and Responses echo rules (``semantics/images.py``, ``models.py``,
``response_echo.py``): each finds what it names on a broken answer, its fixer satisfies it, and
answers as the API sends them pass untouched."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from conformance.validate import Violation
from conformance.validate.semantics import RULES, Exchange, check, comply
from conformance.validate.semantics.images import PIXEL, asked_form, is_image
from conformance.validate.semantics.models import owner

MINE = ("rule.images.", "rule.models.", "rule.responses.echo-unsent")
URL = "https://oaidalleapiprodscus.blob.core.windows.net/private/org-x/user-y/img-z.png?st=1"
DALLE3 = {"prompt": "a cat", "model": "dall-e-3"}


def mine(x: Exchange) -> list[Violation]:
    return [v for v in check(x) if v.code.startswith(MINE)]


def images(request: Any, *items: Any) -> Exchange:
    return Exchange("createImage", request, body={"created": 1, "data": list(items)})


BROKEN = [
    # the mock's typical answer before these rules (seed 5): both forms, empty url, bad b64
    (
        images(DALLE3, {"revised_prompt": "", "b64_json": "zK0L", "url": ""}),
        {"rule.images.form", "rule.images.url", "rule.images.b64", "rule.images.revised-prompt"},
    ),
    (images({"prompt": "p"}, {"b64_json": PIXEL}), {"rule.images.form"}),
    (images({"prompt": "p", "response_format": "b64_json"}, {"url": URL}), {"rule.images.form"}),
    (images({"prompt": "p", "model": "gpt-image-1"}, {"url": URL}), {"rule.images.form"}),
    (images({"prompt": "p"}, {}), {"rule.images.form"}),
    (images({"prompt": "p"}, {"url": "http://x/a.png"}), {"rule.images.url"}),
    (images({"prompt": "p"}, {"url": "/img.png"}), {"rule.images.url"}),
    (
        images({"prompt": "p", "response_format": "b64_json"}, {"b64_json": "aGVsbG8="}),
        {"rule.images.b64"},
    ),
    (images(DALLE3, {"url": URL}), {"rule.images.revised-prompt"}),
    (images({"prompt": "p"}, {"url": URL, "revised_prompt": "x"}), {"rule.images.revised-prompt"}),
    (
        Exchange(
            "listModels", None, body={"object": "list", "data": [{"id": "m", "owned_by": ""}]}
        ),
        {"rule.models.owned-by"},
    ),
    (
        Exchange("retrieveModel", None, body={"id": "gpt-4o", "owned_by": "<G4L$e'4"}),
        {"rule.models.owned-by"},
    ),
    (
        Exchange(
            "createResponse",
            {"model": "gpt-4o-mini", "input": "Tell me a joke"},
            body={"object": "response", "user": "C2>hZH", "max_tool_calls": 3},
        ),
        {"rule.responses.echo-unsent"},
    ),
    (
        Exchange(
            "createResponse",
            {"model": "m", "input": "hi", "safety_identifier": "u1"},
            body={"object": "response", "safety_identifier": "u2"},
        ),
        {"rule.responses.echo-unsent"},
    ),
]


@pytest.mark.parametrize(("x", "expected"), BROKEN)
def test_a_rule_finds_what_it_names_and_its_fix_satisfies_it(
    x: Exchange, expected: set[str]
) -> None:
    assert {v.code for v in mine(x)} == expected
    comply(x)
    assert mine(x) == []


COMPLIANT = [
    # as the real API answers (../shared/real-traffic)
    images({"prompt": "p", "model": "dall-e-2", "size": "256x256"}, {"url": URL}),
    images(DALLE3, {"revised_prompt": "A cat, sitting.", "url": URL}),
    images(
        {"prompt": "p", "response_format": "b64_json", "n": 2},
        {"b64_json": PIXEL},
        {"b64_json": PIXEL},
    ),
    images({"prompt": "p", "model": "gpt-image-1"}, {"b64_json": PIXEL}),
    images({"prompt": "p", "model": "some-other-model"}, {"url": URL, "revised_prompt": "x"}),
    Exchange(
        "listModels",
        None,
        body={
            "object": "list",
            "data": [
                {"id": "a", "owned_by": o}
                for o in ("openai", "system", "openai-internal", "user-jxm65ijkzc1qrfhc0ij8moic")
            ],
        },
    ),
    Exchange(
        "createResponse",
        {"model": "m", "input": "hi"},
        body={
            "object": "response",
            "user": None,
            "safety_identifier": None,
            "prompt_cache_key": None,
            "max_tool_calls": None,
        },
    ),
    Exchange(
        "createResponse",
        {"model": "m", "input": "hi", "user": "u"},
        body={"object": "response", "user": "u"},
    ),
    Exchange("createResponse", {"model": "m", "input": "hi"}, body={"object": "response"}),
]


@pytest.mark.parametrize("x", COMPLIANT)
def test_compliant_answers_pass_untouched(x: Exchange) -> None:
    before = copy.deepcopy(x.body)
    assert mine(x) == []
    for r in RULES:  # even run unasked, these rules' fixers change nothing on them
        if r.code.startswith(MINE) and r.applies(x) and r.fix is not None:
            r.fix(x)
    assert x.body == before


def test_the_fixers_give_the_form_asked() -> None:
    x = images({"prompt": "a cat", "model": "dall-e-3"}, {"b64_json": "zK0L"}, {})
    comply(x)
    for item in x.body["data"]:
        assert set(item) == {"url", "revised_prompt"} and item["url"].startswith("https://")
        assert item["revised_prompt"].startswith("a cat")
    x = images({"prompt": "p", "response_format": "b64_json"}, {"url": ""})
    comply(x)
    assert x.body["data"] == [{"b64_json": PIXEL}] and is_image(PIXEL)
    assert asked_form(Exchange("createImage", {"prompt": "p", "model": "dall-e-2"})) == "url"


def test_the_unsent_user_is_left_out_in_a_stream_too() -> None:
    from conformance import sse

    response = {"object": "response", "id": "resp_1", "user": "x", "status": "completed"}
    data = json.dumps({"type": "response.completed", "response": response})
    events = [sse.Event(data=data, event="response.completed")]
    x = Exchange.streamed("createResponse", {"model": "m", "input": "hi", "stream": True}, events)
    assert [v.code for v in mine(x)] == ["rule.responses.echo-unsent"]
    comply(x)
    assert mine(x) == [] and "user" not in x.events[0].data["response"]


def test_owner() -> None:
    assert owner("ft:gpt-4o-mini-2024-07-18:acme::9x") == "acme"
    assert owner("ft:gpt-4o:").startswith("user-")
    assert owner("gpt-4o") == "system"


def test_an_answer_without_images_gets_n_of_them() -> None:
    x = Exchange("createImage", {"prompt": "p", "n": 2}, body={"created": 1})
    assert [v.code for v in mine(x)] == ["rule.images.form"]
    comply(x)
    assert mine(x) == [] and [sorted(i) for i in x.body["data"]] == [["url"], ["url"]]
