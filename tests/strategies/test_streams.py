"""Realistic streams: lifecycle order, consistent ids, and valid under the stream validator."""

from __future__ import annotations

import json
from typing import Any

import pytest
import support
from hypothesis import HealthCheck, settings
from support import SPECS

from conformance import sse
from conformance.spec import Spec, load_spec
from conformance.strategies import streams
from conformance.validate import Validator
from conformance.validate.semantics import Exchange, check

FAST = settings(
    max_examples=8,
    database=None,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module", params=["openai-2.3.0.yaml", "openai-2026-08.yaml"])
def spec(request: pytest.FixtureRequest) -> Spec:
    path = SPECS / request.param
    if not path.exists():
        pytest.skip(f"spec not found: {path}")
    return load_spec(path)


def _draw(spec: Spec, op: str) -> list[tuple[sse.Event, ...]]:
    return support.draw(streams(spec, op), 8, FAST)


def test_every_streaming_operation_streams_valid_events(spec: Spec) -> None:
    fresh = Validator(spec, strict=True)
    streaming = [op for op in spec.operations if op.streams]
    assert len(streaming) >= 7
    for op in streaming:
        for events in _draw(spec, op.operation_id):
            wire = "".join(sse.encode(e.data, event=e.event) for e in events)
            errors = [v for v in fresh.stream(op, wire) if v.is_error]
            assert not errors, (op.operation_id, [str(v) for v in errors[:3]])


def test_chat_stream_lifecycle(spec: Spec) -> None:
    for events in _draw(spec, "createChatCompletion"):
        assert events[-1].data == "[DONE]"
        chunks = [json.loads(e.data) for e in events[:-1]]
        assert len({c["id"] for c in chunks}) == 1
        assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
        finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
        assert finishes[-1] in ("stop", "length", "tool_calls", "content_filter")
        arguments = "".join(
            call["function"].get("arguments", "")
            for c in chunks
            for choice in c["choices"]
            for call in choice["delta"].get("tool_calls") or []
            if choice["index"] == 0
        )
        if arguments:
            json.loads(arguments)  # the pieces reassemble into JSON
        if "usage" in chunks[-1] and chunks[-1]["usage"] is not None:
            usage = chunks[-1]["usage"]
            assert chunks[-1]["choices"] == []
            assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_responses_stream_lifecycle(spec: Spec) -> None:
    ends = set()
    for events in _draw(spec, "createResponse"):
        kinds = [e.event for e in events]
        assert kinds[:2] == ["response.created", "response.in_progress"]
        assert kinds[-1] in ("response.completed", "response.incomplete")
        ends.add(kinds[-1])
        datas: list[dict[str, Any]] = [json.loads(e.data) for e in events]
        final = datas[-1]["response"]
        for kind, field in (("output_text", "text"), ("function_call_arguments", "arguments")):
            deltas = "".join(d["delta"] for d in datas if d["type"] == f"response.{kind}.delta")
            done = [d[field] for d in datas if d["type"] == f"response.{kind}.done"]
            assert done in ([], [deltas])
        assert datas[0]["response"]["id"] == final["id"]
        assert final["status"] == kinds[-1].removeprefix("response.")
        assert final["output"] == [
            d["item"] for d in datas if d["type"] == "response.output_item.done"
        ]
        x = Exchange.streamed("createResponse", None, events)
        assert check(x) == []
        numbered = ["sequence_number" in d for d in datas]
        assert set(numbered) == {spec.document["openapi"].startswith("3.1")}
    assert "response.completed" in ends


def test_run_stream_lifecycle(spec: Spec) -> None:
    for events in _draw(spec, "createThreadAndRun"):
        names = [e.event for e in events]
        assert names[0] == "thread.created"
        assert names[1:4] == ["thread.run.created", "thread.run.queued", "thread.run.in_progress"]
        assert names[-2] in ("thread.run.completed", "thread.run.requires_action")
        assert names[-1] == "done"
        assert events[-1].data == "[DONE]"
        runs = [
            json.loads(e.data)
            for e in events
            if (e.event or "").startswith("thread.run.") and "step" not in (e.event or "")
        ]
        assert len({r["id"] for r in runs}) == 1
        end = names[-2].removeprefix("thread.run.")
        assert [r["status"] for r in runs] == ["queued", "queued", "in_progress", end]
        thread = json.loads(events[0].data)["id"]
        assert all(r["thread_id"] == thread for r in runs)
        assert check(Exchange.streamed("createThreadAndRun", None, events)) == []


def test_submitted_run_stream_has_no_run_created(spec: Spec) -> None:
    for events in _draw(spec, "submitToolOuputsToRun"):
        names = [e.event for e in events]
        assert "thread.run.created" not in names
        assert names[:2] == ["thread.run.queued", "thread.run.in_progress"]
        assert check(Exchange.streamed("submitToolOuputsToRun", None, events)) == []
