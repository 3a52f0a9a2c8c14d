"""Synthetic runs for the report tests and ``bench/bench_report.py``: a results document with
verdicts on every axis and grade, JSON answers and event streams, violations with pointers.

>>> doc = synthetic_run(100)
>>> len(doc.results), {v.grade for v in doc.verdicts} >= {"fail", "pass", "warn"}
(100, True)
"""

from __future__ import annotations

import json
import random
from collections import defaultdict

from conformance.results import Document, Replay, Request, Response, Result, Verdict
from conformance.spec import Spec
from conformance.validate import Violation

__all__ = ["BROKEN", "CANARY", "KEY_ENV", "NAMED", "QUIET", "suite_run", "synthetic_run"]

CANARY = "sk-canary-0123456789abcdefCANARY"  # an API key's shape: found anywhere
NAMED = "my-own-Secret-value-42"  # no token shape: redacted only where the user names it
QUIET = "quiet-body-value-77"  # no token shape either: redacted by the body key it is under

_NAMES = (
    "createChatCompletion",
    "createCompletion",
    "createEmbedding",
    "createResponse",
    "listModels",
    "retrieveModel",
    "createModeration",
    "createImage",
    "listFiles",
    "createRun",
)


def _answer(rng: random.Random, k: int) -> dict[str, object]:
    return {
        "id": f"chatcmpl-{k:06d}",
        "object": "chat.completion",
        "created": 1_760_000_000 + k,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": i,
                "message": {"role": "assistant", "content": f"answer {k}.{i} " * rng.randint(1, 6)},
                "finish_reason": "stop",
                "logprobs": None,
            }
            for i in range(rng.randint(1, 2))
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
    }


def _stream(k: int) -> tuple[bytes, ...]:
    events = [
        {"id": f"c{k}", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": d}]}
        for d in ({"role": "assistant"}, {"content": "Hel"}, {"content": 7}, {"content": "lo"})
    ]
    return (*(f"data: {json.dumps(e)}\n\n".encode() for e in events), b"data: [DONE]\n\n")


def synthetic_run(n: int = 200, *, seed: int = 1, operations: int | None = None) -> Document:
    """``n`` exchanges over ``operations`` operations (``n // 33`` by default), graded."""
    rng = random.Random(seed)
    count = operations or max(3, n // 33)
    ops = [f"{_NAMES[i % len(_NAMES)]}{'' if i < len(_NAMES) else i}" for i in range(count)]
    results: list[Result] = []
    for k in range(n):
        op = ops[k % count]
        roll = rng.random()
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"say {k}"}]}
        stream = 0.70 <= roll < 0.78
        if stream:
            body["stream"] = True
        request = Request(
            "POST",
            "/v1/chat/completions",
            headers={
                "authorization": "Bearer [redacted:authorization]",
                "content-type": "application/json",
            },
            body=json.dumps(body).encode(),
            origin="http://127.0.0.1:8000",
        )
        violations: tuple[Violation, ...] = ()
        if stream:
            response = Response(200, {"content-type": "text/event-stream"}, _stream(k), stream=True)
            violations = (
                Violation(
                    "7 is not of type 'string'",
                    where="stream.event",
                    pointer="/choices/0/delta/content",
                    schema_path="#/components/schemas/ChatCompletionStreamResponseDelta/properties/content/type",
                    keyword="type",
                    event=2,
                ),
            )
        else:
            answer = _answer(rng, k)
            if roll < 0.10:
                del answer["choices"][0]["message"]  # type: ignore[index]
                violations = (
                    Violation(
                        "'message' is a required property",
                        where="response.body",
                        pointer="/choices/0",
                        schema_path="#/components/schemas/CreateChatCompletionResponse/properties/choices/items/required",
                        keyword="required",
                    ),
                )
            elif roll < 0.15:
                answer["usage"]["extra_field"] = 1  # type: ignore[index]
                violations = (
                    Violation(
                        "property 'extra_field' is not declared",
                        where="response.body",
                        pointer="/usage/extra_field",
                        code="undeclared.property",
                        severity="warning",
                    ),
                )
            elif roll < 0.20:
                violations = (
                    Violation(
                        f"asked n=3, got {len(answer['choices'])} choices",  # type: ignore[arg-type]
                        where="response.body",
                        pointer="/choices",
                        code="rule.chat.n-choices",
                    ),
                )
            response = Response(
                200, {"content-type": "application/json"}, (json.dumps(answer).encode(),)
            )
        if roll >= 0.95:
            response, violations = (
                None,  # type: ignore[assignment]
                (Violation("no answer within 30 s", where="transport", code="transport.timeout"),),
            )
        results.append(
            Result(
                op,
                request,
                response,
                started=1_760_000_000 + k,
                duration_ms=round(rng.uniform(5, 900), 1),
                replay=Replay(str(seed), f"{seed}:{k:x}:1", "typical"),
                violations=violations,
            )
        )
    return Document(
        results,
        {"title": "OpenAI API", "version": "2.3.0"},
        {"seed": seed},
        verdicts=_verdicts(results, ops, rng),
    )


def _verdicts(results: list[Result], ops: list[str], rng: random.Random) -> list[Verdict]:
    by_code: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_op: dict[str, list[int]] = defaultdict(list)
    for index, result in enumerate(results):
        op = result.operation or ""
        by_op[op].append(index)
        for v in result.violations:
            by_code[(op, v.code)].append(index)
    grade_of = {
        "schema.required": ("schema", "fail"),
        "schema.type": ("schema", "fail"),
        "undeclared.property": ("schema", "warn"),
        "rule.chat.n-choices": ("semantics", "fail"),
        "transport.timeout": ("schema", "inconclusive"),
    }
    out = []
    for op in ops:
        failing = {code for (o, code) in by_code if o == op}
        for code in sorted(failing):
            axis, grade = grade_of[code]
            first = results[by_code[(op, code)][0]].violations[0]
            out.append(
                Verdict(
                    op, code, axis, grade, (code,), (), first.message, tuple(by_code[(op, code)])
                )
            )
        clean = tuple(i for i in by_op[op] if results[i].valid)
        if not failing & {"schema.required", "schema.type"}:
            out.append(Verdict(op, "schema", "schema", "pass", results=clean))
        if "rule.chat.n-choices" not in failing:
            out.append(Verdict(op, "semantics", "semantics", "pass", results=clean))
        grade = rng.choice(("pass", "pass", "ignored", "unsupported"))
        code = {
            "pass": (),
            "ignored": ("capability.ignored",),
            "unsupported": ("capability.unsupported",),
        }[grade]
        note = () if grade == "pass" else (f"logprobs: {grade} by the server",)
        out.append(
            Verdict(op, "capability.logprobs", "capability", grade, code, note, results=clean[:1])
        )
    return out


# -- a deviating server: the mock with an override -----------------------------------------------

KEY_ENV = "CONFORMANCE_REPORT_TEST_KEY"  # the suite reads the key from it (tests set it)
BROKEN = {  # an answer with exactly one schema violation, per operation
    "listModels": {"object": "list", "data": 5},
    "retrieveModel": {
        "id": "gpt-4o-mini",
        "object": "model",
        "created": "yesterday",
        "owned_by": "openai",
    },
}


def suite_run(
    spec: Spec, broken: str | None = None, *, headers: dict[str, str] | None = None
) -> Document:
    """The suite (``conformance.suites.run_suite``) against the mock server on listModels and
    retrieveModel, ``broken`` answering ``BROKEN[broken]`` through an override; the key is read
    from ``$CONFORMANCE_REPORT_TEST_KEY``."""
    from conformance.mock import Mock
    from conformance.mock.server import MockServer
    from conformance.suites import Target, run_suite

    mock = Mock(spec, seed=1)
    if broken is not None:
        body = BROKEN[broken]
        mock.override(broken, handler=lambda request: body)
    with MockServer(mock) as server:
        target = Target(server.base_url, api_key_env=KEY_ENV, headers=headers or {})
        return run_suite(spec, target, operations=list(BROKEN), seed=3, positive=2, negative=1)
