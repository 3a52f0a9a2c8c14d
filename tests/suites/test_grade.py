"""Grading from judged exchanges: the worst grade wins, and a verdict shows the violations of
that grade (their message, their notes, their exchanges first)."""

from __future__ import annotations

import json

import pytest
from support import SPECS

from conformance import load_spec
from conformance.results import Request, Response, Result
from conformance.spec import Spec
from conformance.strategies import RequestCase
from conformance.suites import Case, grade
from conformance.validate import Violation


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(SPECS / "openai-2.3.0.yaml")


def exchange(
    body: dict[str, object], answer: dict[str, object], *violations: Violation
) -> tuple[Case, Result]:
    request = RequestCase(
        "createChatCompletion",
        "POST",
        "/chat/completions",
        media_type="application/json",
        body=body,
    )
    raw = json.dumps(body).encode()
    result = Result(
        "createChatCompletion",
        Request("POST", "/v1/chat/completions", body=raw),
        Response(200, {"content-type": "application/json"}, (json.dumps(answer).encode(),)),
        violations=violations,
    )
    return Case("positive", request, "positive #0", "/chat/completions"), result


def test_a_deviation_openai_makes_is_a_warning_but_the_same_code_elsewhere_still_fails(
    spec: Spec,
) -> None:
    in_body = Violation(
        "refusal missing",
        where="response.body",
        pointer="/choices/0/message",
        code="schema.required",
    )
    in_stream = Violation(
        "finish_reason missing", where="stream.event", pointer="/choices/0", code="schema.required"
    )

    def known(operation: str, v: Violation) -> str | None:
        return "OpenAI's API does this too" if v.where == "response.body" else None

    cases, results = zip(
        exchange({"n": 1}, {}, in_body), exchange({"n": 1}, {}, in_stream), strict=True
    )
    verdicts = [v for v in grade(spec, cases, results, known=known) if v.check == "schema.required"]
    assert [(v.grade, v.message, v.notes, v.results) for v in verdicts] == [
        ("fail", str(in_stream), (), (1, 0))
    ]
    only_known = [
        v for v in grade(spec, cases[:1], results[:1], known=known) if v.check == "schema.required"
    ]
    assert [(v.grade, v.notes) for v in only_known] == [("warn", ("OpenAI's API does this too",))]


def test_n_answered_with_one_choice_is_ignored_on_the_capability_axis(spec: Spec) -> None:
    short = Violation(
        "expected 2", where="response.body", pointer="/choices", code="rule.chat.n-choices"
    )
    one = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}]}
    case, result = exchange({"n": 2}, one, short)
    [verdict] = [v for v in grade(spec, [case], [result]) if v.check == "rule.chat.n-choices"]
    assert (verdict.axis, verdict.grade, verdict.notes) == (
        "capability",
        "ignored",
        ("n: 2 answered with 1 choice(s)",),
    )
    # two prompts of a legacy completion answered with one choice: not n ignored, a failure
    wrong = Violation(
        "expected 2", where="response.body", pointer="/choices", code="rule.chat.n-choices"
    )
    case, result = exchange({"prompt": ["a", "b"]}, one, wrong)
    [verdict] = [v for v in grade(spec, [case], [result]) if v.check == "rule.chat.n-choices"]
    assert (verdict.axis, verdict.grade) == ("semantics", "fail")


def test_an_operation_with_no_success_to_judge_is_inconclusive(spec: Spec) -> None:
    case, result = exchange({}, {})
    failed = Result(result.operation, result.request, Response(404, {}, (b'{"error": {}}',)))
    axes = {(v.axis, v.grade) for v in grade(spec, [case], [failed])}
    assert axes == {
        ("schema", "inconclusive"),
        ("semantics", "inconclusive"),
        ("capability", "pass"),
    }
