"""Usage plausibility rules (``semantics/usage.py``): prompt tokens that cover the request's
text, cached tokens as OpenAI caches, reasoning tokens only where a model reasons — each finds
what it names, its fixer satisfies it, real-looking answers pass untouched."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from conformance import sse
from conformance.validate import Violation
from conformance.validate.semantics import RULES, Exchange, check, comply
from conformance.validate.semantics.usage import does_not_reason, estimate_prompt, prompt_text

MINE = "rule.usage."
QUESTION = {"role": "user", "content": "What is the capital city of France?"}  # 7 words
CHAT = {"model": "gpt-4o", "messages": [QUESTION]}
JOKE = {"model": "gpt-4o-mini", "input": "Tell me a joke"}


def mine(x: Exchange) -> list[Violation]:
    return [v for v in check(x) if v.code.startswith(MINE)]


def chat(
    usage: Any, request: Any = CHAT, content: str = "Paris.", model: str = "gpt-4o"
) -> Exchange:
    message = {"role": "assistant", "content": content}
    body = {
        "object": "chat.completion",
        "model": model,
        "usage": usage,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }
    return Exchange("createChatCompletion", request, body=body)


def response(
    usage: Any, request: Any = JOKE, model: str = "gpt-4o-mini", text: str = "Why?"
) -> Exchange:
    item = {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text}],
    }
    body = {
        "object": "response",
        "model": model,
        "status": "completed",
        "output": [item],
        "usage": usage,
    }
    return Exchange("createResponse", request, body=body)


def r_usage(inp: int, cached: int, out: int, reasoning: int) -> dict[str, Any]:
    return {
        "input_tokens": inp,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": inp + out,
    }


BROKEN = [
    # the mock's typical answers before these rules (seed 5)
    (chat({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}), {"rule.usage.prompt"}),
    (
        response(r_usage(256, 188, 4, 4)),
        {"rule.usage.prompt", "rule.usage.cached", "rule.usage.reasoning"},
    ),
    (
        Exchange(
            "createEmbedding",
            {"model": "text-embedding-3-small", "input": "hello there my friend"},
            body={
                "object": "list",
                "data": [],
                "usage": {"prompt_tokens": 925, "total_tokens": 925},
            },
        ),
        {"rule.usage.prompt"},
    ),
    (
        chat(
            {
                "prompt_tokens": 2000,
                "completion_tokens": 2,
                "total_tokens": 2002,
                "prompt_tokens_details": {"cached_tokens": 1000},
            },
            {**CHAT, "messages": [{"role": "user", "content": "x " * 4000}]},
        ),
        {"rule.usage.cached"},
    ),
    (
        response(r_usage(20, 0, 50, 50), model="gpt-5-mini", text="Because."),
        {"rule.usage.reasoning"},
    ),
    (
        chat(
            {
                "prompt_tokens": 16,
                "completion_tokens": 9,
                "total_tokens": 25,
                "completion_tokens_details": {"reasoning_tokens": 3},
            },
            model="gpt-4.1-mini-2025-04-14",
        ),
        {"rule.usage.reasoning"},
    ),
]


@pytest.mark.parametrize(("x", "expected"), BROKEN)
def test_a_rule_finds_what_it_names_and_its_fix_satisfies_it(
    x: Exchange, expected: set[str]
) -> None:
    assert {v.code for v in mine(x)} == expected
    comply(x)
    assert mine(x) == []
    usage = x.body["usage"]
    parts = (
        ("input_tokens", "output_tokens")
        if "input_tokens" in usage
        else ("prompt_tokens", "completion_tokens")
    )
    assert usage["total_tokens"] == usage[parts[0]] + usage.get(parts[1], 0)


COMPLIANT = [
    # shaped like real answers of ../shared/real-traffic
    chat({"prompt_tokens": 15, "completion_tokens": 2, "total_tokens": 17}),
    chat(
        {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9},
        {**CHAT, "messages": [{"role": "user", "content": "Hi"}]},
    ),
    response(r_usage(11, 0, 12, 0)),
    response(
        r_usage(13, 0, 50, 50),
        {"model": "gpt-5-mini", "input": "Say hi in one word"},
        "gpt-5-mini",
        "",
    ),
    response(
        r_usage(3698, 0, 10, 0),
        {
            "model": "gpt-4o",
            "input": [
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "What is this?"},
                        {"type": "input_image", "image_url": "https://x/y.png"},
                    ],
                }
            ],
        },
    ),
    response(r_usage(2250, 1152, 10, 0), {"model": "gpt-4o", "input": "word " * 2000}),
    chat(
        {"prompt_tokens": 9000, "completion_tokens": 2, "total_tokens": 9002}, None
    ),  # request unknown
]


@pytest.mark.parametrize("x", COMPLIANT)
def test_compliant_answers_pass_untouched(x: Exchange) -> None:
    before = copy.deepcopy(x.body)
    assert mine(x) == []
    for r in RULES:
        if r.code.startswith(MINE) and r.code != "rule.usage.total" and r.applies(x) and r.fix:
            r.fix(x)
    assert x.body == before


def test_a_streamed_usage_chunk_is_judged_and_fixed() -> None:
    chunk = {
        "object": "chat.completion.chunk",
        "model": "gpt-4o",
        "choices": [],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    }
    events = [sse.Event(data=json.dumps(chunk)), sse.Event(data="[DONE]")]
    request = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
    x = Exchange.streamed("createChatCompletion", request, events)
    assert [v.event for v in mine(x)] == [0]
    comply(x)
    usages = [e.data["usage"] for e in x.events if e.json and e.data.get("usage")]
    assert mine(x) == [] and [u["prompt_tokens"] for u in usages] == [estimate_prompt(x)]


def test_the_estimate_and_what_counts_as_text() -> None:
    assert estimate_prompt(Exchange("createChatCompletion", CHAT)) == 16  # 35 chars / 4, 4 + 3
    assert estimate_prompt(Exchange("createResponse", JOKE)) == 11
    text = prompt_text(
        Exchange(
            "createChatCompletion",
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "text", "text": "a    b"}, {"type": "image_url"}],
                    }
                ]
            },
        )
    )
    assert text is not None and (text.chars, text.messages, text.text_only) == (3, 1, False)
    assert prompt_text(Exchange("createEmbedding", {"input": [1, 2, 3]})) is None  # token ids
    assert [
        does_not_reason(m) for m in ("gpt-3.5-turbo", "gpt-4", "chatgpt-4o-latest", "o3", "gpt-5.5")
    ] == [True, True, True, False, False]
