"""The undeclared-property pass is linear in the size of its input.

It was quadratic in the number of violations (20,000 chat messages each with an extra key took
15 s, and the mock's server stalled for every client meanwhile). Tests never assert on time, so
this counts work instead, for N and 4N violations: the objects the walk visits, the branch
checks it makes (each validates one message), and every line of Python the validator runs for
the request (``sys.settrace``, in the ``conformance`` package). Linear work grows 4x (a little
less: the fixed cost; 3.97x, 4.0x and 3.98x here); quadratic work would grow towards 16x. The
bound is 4.5x: a duplicate check over everything found so far, put in the walk on purpose,
made the line count grow 5.5x and failed it. Work done in C (a ``list.__contains__`` scan, a
compiled validator) is not counted by lines, only by the calls that lead to it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from support import SPECS

import conformance
from conformance.spec import load_spec
from conformance.validate import Validator, undeclared

V230 = SPECS / "openai-2.3.0.yaml"

pytestmark = pytest.mark.skipif(not V230.exists(), reason=f"specs not found at {SPECS}")

PACKAGE = str(Path(conformance.__file__).parent)
N = 150
BOUND = 4.5


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator(load_spec(V230))


def body(count: int) -> dict[str, Any]:
    """A chat request of ``count`` messages of every role, each with an undeclared key."""
    kinds: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Say hi"},
        {"role": "user", "content": [{"type": "text", "text": "Say hi", "x-part": 1}]},
        {"role": "assistant", "content": "Hi"},
        {"role": "developer", "content": "Answer in English."},
    ]
    messages = [{**kinds[i % len(kinds)], f"x-extra-{i}": i} for i in range(count)]
    return {"model": "gpt-4o", "messages": messages}


class Work:
    """Counts of the walk's visits, its branch checks, and the validator's Python lines."""

    def __init__(self) -> None:
        self.visits = 0
        self.fits = 0
        self.lines = 0

    def tracer(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        if not frame.f_code.co_filename.startswith(PACKAGE):
            return None  # not our code: its lines are not traced
        if event == "line":
            self.lines += 1
        return self.tracer


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Iterator[Work]:
    counted = Work()
    applicable = undeclared._applicable

    def counting(resolve: Any, fits: Any, refs: list[str], value: Any) -> Any:
        counted.visits += 1

        def fit(ref: str, instance: Any) -> bool:
            counted.fits += 1
            return bool(fits(ref, instance))

        return applicable(resolve, fit, refs, value)

    monkeypatch.setattr(undeclared, "_applicable", counting)
    yield counted


def measure(validator: Validator, work: Work, count: int) -> int:
    """Count the work of validating the request of ``count`` messages (compiled and cached by a
    first call, not counted); its undeclared warnings."""
    request = body(count)
    validator.request("createChatCompletion", body=request)
    work.visits = work.fits = work.lines = 0
    previous = sys.gettrace()
    sys.settrace(work.tracer)
    try:
        violations = validator.request("createChatCompletion", body=request)
    finally:
        sys.settrace(previous)
    return sum(1 for v in violations if v.code == "undeclared.property")


def test_the_undeclared_pass_is_linear_in_the_number_of_violations(
    validator: Validator, work: Work
) -> None:
    figures = []
    for count in (N, 4 * N):
        found = measure(validator, work, count)
        # each message's extra key, and that of the text part of every fifth message
        assert found == count + count // 5
        figures.append((work.visits, work.fits, work.lines))
    (visits, fits, lines), (visits4, fits4, lines4) = figures
    assert visits > N and fits > N and lines > N  # the counters saw the walk
    ratios = {"visits": visits4 / visits, "fits": fits4 / fits, "lines": lines4 / lines}
    assert all(ratio <= BOUND for ratio in ratios.values()), (ratios, figures)
