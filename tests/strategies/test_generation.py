"""Every operation of both OpenAI specs: generated requests and responses are valid on the wire.

Each case the strategies produce is re-validated *independently* by a fresh strict
``Validator`` (not the one the strategies filter with): requests as the bytes httpx would send,
responses (JSON bodies and SSE streams) as the bytes a server would answer. No error, and no
``undeclared`` property, is allowed. Under ``typical`` the semantic rules must hold as well.

Note: when schemathesis (the ``bench`` extra) is installed, its pytest plugin raises Hypothesis'
``BUFFER_SIZE`` from 8 KiB to 32 KiB for the whole session, so what gets generated (and which
size-related bugs show) depends on the environment; the known bugs below are tolerated either way
and reproduced deterministically by their own xfail tests.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import support
import yaml
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from support import SPECS

from conformance.spec import Operation, Spec, load_spec
from conformance.strategies import RequestCase, ResponseCase, requests, responses
from conformance.validate import Validator
from conformance.validate.semantics import check_rules

V230 = "openai-2.3.0.yaml"
V2026 = "openai-2026-08.yaml"
BASE_URL = "http://x/v1"
EXAMPLES = 5
SETTINGS = settings(
    max_examples=EXAMPLES,
    database=None,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=(Phase.explicit, Phase.generate),  # failures are collected, not raised: no shrinking
)

# Every first filter retry makes Hypothesis record an event naming the strategy's repr, hundreds of
# kB for an OpenAI body, and warn "Generating overly large repr". Noise here, not a failure.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


def _load(name: str) -> Spec:
    path = SPECS / name
    if not path.is_file():
        pytest.skip(f"shared spec {path} is missing")
    return load_spec(path)


@pytest.fixture(scope="module")
def spec_230() -> Spec:
    return _load(V230)


@pytest.fixture(scope="module")
def spec_2026() -> Spec:
    return _load(V2026)


def draw_all(strategy: st.SearchStrategy[Any], examples: int = EXAMPLES) -> list[Any]:
    """The values Hypothesis draws from a strategy (deterministically, no shrinking)."""
    return support.draw(strategy, examples, SETTINGS)


# -- independent validation ----------------------------------------------------------------------


def request_problems(validator: Validator, op: Operation, case: RequestCase) -> list[str]:
    """What a fresh strict validator says about a request case, as httpx would send it."""
    request = case.to_httpx(BASE_URL)
    content = request.read()
    problems = []
    if request.method != op.method:
        problems.append(f"method {request.method} is not {op.method}")
    if case.media_type is None and content:
        problems.append("a body was sent without a media type")
    found = validator.request(
        op,
        path=request.url.raw_path.decode("ascii"),
        headers=dict(request.headers),
        body=content if content else None,
        content_type=request.headers.get("content-type"),
    )
    return problems + [str(v) for v in found if v.is_error or v.code.startswith("undeclared.")]


def response_problems(
    validator: Validator, op: Operation, case: ResponseCase, *, semantic: bool = False
) -> list[str]:
    """What a fresh strict validator says about a response case, as a server would send it."""
    headers = dict(case.headers)
    if case.media_type is not None:
        headers = {"content-type": case.media_type, **headers}
    found = validator.response(op, status=case.status, headers=headers, body=case.content())
    problems = [str(v) for v in found if v.is_error or v.code.startswith("undeclared.")]
    if semantic and case.events is None and case.body is not None:
        problems += [str(v) for v in check_rules(case.body, operation=op.operation_id)]
    return problems


def stream_problems(op: Operation, case: ResponseCase) -> list[str]:
    """An SSE case carries events (not a body) and ends with the stream's sentinel."""
    stream = op.stream_for(case.status)
    if stream is None:
        return [f"status {case.status} does not stream"]
    if case.events is None or case.body is not None:
        return ["an SSE case must carry events, not a body"]
    if not case.events:
        return ["no events"]
    if stream.done is not None and case.events[-1].data != stream.done:
        return [f"the stream does not end with {stream.done!r}"]
    return []


Job = tuple[str, Callable[[], st.SearchStrategy[Any]]]


def request_jobs(spec: Spec, op: Operation, profile: str) -> list[Job]:
    """One strategy per request media type (the default choice when there is only one)."""
    medias = list(op.request_body.content) if op.request_body is not None else []
    if len(medias) <= 1:
        return [("request", lambda: requests(spec, op.operation_id, profile=profile))]
    return [
        (
            f"request {media}",
            lambda media=media: requests(spec, op.operation_id, profile=profile, media_type=media),
        )
        for media in medias
    ]


def response_jobs(spec: Spec, op: Operation, profile: str) -> list[Job]:
    """Any documented response, then each SSE stream on its own."""
    jobs: list[Job] = [("response", lambda: responses(spec, op.operation_id, profile=profile))]
    for stream in op.streams:
        jobs.append(
            (
                f"stream {stream.status} {stream.media_type}",
                lambda stream=stream: responses(
                    spec,
                    op.operation_id,
                    status=stream.status,
                    media_type=stream.media_type,
                    profile=profile,
                ),
            )
        )
    return jobs


def check_operations(spec: Spec, name: str, profile: str, direction: str) -> None:
    """Generate for every operation of a spec; collect every failure, then assert there is none."""
    validator = Validator(spec, strict=True)  # fresh: not the one the strategies filter with
    failures: list[str] = []
    generated = jobs_run = 0
    for op in spec.operations:
        if direction == "request":
            jobs = request_jobs(spec, op, profile)
        else:
            jobs = response_jobs(spec, op, profile)
        for label, job in jobs:
            where = f"{op.operation_id} [{label}]"
            try:
                cases = draw_all(job())
            except Exception as exc:
                failures.append(f"{where}: {type(exc).__name__}: {exc}"[:400])
                continue
            jobs_run += 1
            if not cases:
                failures.append(f"{where}: nothing generated")
            generated += len(cases)
            for case in cases:
                if case.operation != op.operation_id:
                    failures.append(f"{where}: case of {case.operation}")
                if direction == "request":
                    problems = request_problems(validator, op, case)
                else:
                    problems = response_problems(validator, op, case, semantic=profile == "typical")
                    if label.startswith("stream"):
                        problems += stream_problems(op, case)
                failures += [f"{where}: {p}" for p in problems[:3]]
    assert jobs_run >= len(spec.operations) - 5
    assert generated >= jobs_run
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:60])


# -- the sweeps ----------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["default", "typical", "edge"])
@pytest.mark.parametrize("direction", ["request", "response"])
def test_openai_230_every_operation(spec_230: Spec, direction: str, profile: str) -> None:
    check_operations(spec_230, V230, profile, direction)


@pytest.mark.parametrize("direction", ["request", "response"])
def test_openai_2026_every_operation_default(spec_2026: Spec, direction: str) -> None:
    check_operations(spec_2026, V2026, "default", direction)


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["typical", "edge"])
@pytest.mark.parametrize("direction", ["request", "response"])
def test_openai_2026_every_operation(spec_2026: Spec, direction: str, profile: str) -> None:
    check_operations(spec_2026, V2026, profile, direction)


def test_streaming_operations_are_swept(spec_230: Spec, spec_2026: Spec) -> None:
    """The SSE leg of the sweep is not vacuous."""
    for spec in (spec_230, spec_2026):
        streaming = {op.operation_id for op in spec.operations if op.streams}
        assert {"createChatCompletion", "createResponse", "createRun", "createThreadAndRun"} <= (
            streaming
        )


def test_httpx_request_matches_the_case(spec_230: Spec) -> None:
    """`to_httpx` sends what the case says: method, base path + path, query."""
    for case in draw_all(requests(spec_230, "listAssistants", profile="edge"), examples=20):
        request = case.to_httpx(BASE_URL)
        assert isinstance(request, httpx.Request)
        assert (request.method, request.url.path) == ("GET", "/v1/assistants")
        assert dict(request.url.params) == {k: str(v) for k, v in case.query.items()}
        assert request.read() == b""


def test_path_parameters_are_one_segment(spec_230: Spec) -> None:
    """Path parameters are percent-encoded into a single segment, whatever the profile draws."""
    op = spec_230.operation("getAssistant")
    for case in draw_all(requests(spec_230, op.operation_id, profile="edge"), examples=30):
        request = case.to_httpx(BASE_URL)
        segments = request.url.raw_path.decode("ascii").split("?")[0].split("/")
        assert segments[:3] == ["", "v1", "assistants"] and len(segments) == 4
        assert segments[3] not in ("", ".", "..")


# -- known bugs ----------------------------------------------------------------------------------


def test_long_urls_are_rejected_not_raised(tmp_path: Path) -> None:
    # 0..3 items of a 30000-character enum value: 0-2 items make a sendable URL, 3 items do not
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/things": {
                "get": {
                    "operationId": "listThings",
                    "parameters": [
                        {
                            "name": "ids",
                            "in": "query",
                            "schema": {"type": "array", "items": {"enum": ["a" * 30_000]}},
                        }
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(doc))
    spec = load_spec(tmp_path / "spec.yaml", cache=False)
    cases = draw_all(requests(spec, "listThings"), examples=50)
    assert {len(case.query.get("ids", [])) for case in cases} >= {0, 1, 2}


def test_first_request_draw_does_not_touch_global_random() -> None:
    """Regression: `to_httpx` used to import httpx lazily, inside the strategy's filter; httpx
    imports rich, which touches the global `random` on import, and Hypothesis then warned
    "Do not use the random module inside strategies" in the user's test."""
    script = textwrap.dedent(
        f"""
        import warnings
        from hypothesis import given, settings, HealthCheck
        from hypothesis.errors import HypothesisDeprecationWarning
        from conformance.spec import load_spec
        from conformance.strategies import requests
        warnings.simplefilter("error", HypothesisDeprecationWarning)
        spec = load_spec({str(SPECS / V230)!r})
        @settings(max_examples=2, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(requests(spec, "listModels"))
        def test(case):
            pass
        test()
        """
    )
    if not (SPECS / V230).is_file():
        pytest.skip("shared spec is missing")
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
