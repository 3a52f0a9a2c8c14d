"""Real OpenAI API traffic (../shared/real-traffic, never copied into the repo) for tests.

Each interaction is one JSON file (see that directory's README.md); ``index.json`` lists them.
Tests that read them skip when the directory is absent, as the spec fixtures do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from conformance.spec import Operation, Spec
from conformance.validate import Validator, Violation

REAL_TRAFFIC = Path(__file__).resolve().parents[1].parent / "shared" / "real-traffic"


@cache
def _index() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads((REAL_TRAFFIC / "index.json").read_text()))


def index() -> tuple[dict[str, Any], ...]:
    """The entries of ``index.json`` (file, method, url, status, kind…); skips without traffic."""
    if not (REAL_TRAFFIC / "index.json").is_file():
        pytest.skip(f"real traffic {REAL_TRAFFIC} is missing (expected in ../shared/real-traffic)")
    return _index()


def load(file: str) -> dict[str, Any]:
    """One interaction by its ``index.json`` file name; skips without traffic."""
    path = REAL_TRAFFIC / file
    if not path.is_file():
        pytest.skip(f"real traffic {path} is missing (expected in ../shared/real-traffic)")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def route(spec: Spec, interaction: dict[str, Any]) -> Operation | None:
    """The operation of a recorded request, routed as the Validator routes it."""
    routed = spec.match(interaction["method"], urlsplit(interaction["url"]).path)
    return routed[0] if routed else None


def answers(
    spec: Spec, keep: Callable[[dict[str, Any]], bool] = lambda entry: True
) -> Iterator[tuple[dict[str, Any], Operation]]:
    """Interactions with a JSON or SSE answer whose operation the spec knows (and, for SSE,
    streams at that status), with their operation; ``keep`` filters the index entries first."""
    for entry in index():
        if entry["kind"] not in ("json", "sse") or not keep(entry):
            continue
        interaction = load(entry["file"])
        op = route(spec, interaction)
        if op is None:
            continue
        if entry["kind"] == "sse" and op.stream_for(interaction["response"]["status"]) is None:
            continue
        yield interaction, op


def verdicts(validator: Validator, interaction: dict[str, Any], op: Operation) -> list[Violation]:
    """What the Validator says of a recorded answer (a JSON body, or an SSE stream)."""
    response = interaction["response"]
    if response["body_kind"] == "sse":
        return validator.stream(op, response["body"], status=response["status"])
    return validator.response(
        op, status=response["status"], body=response["body"], content_type="application/json"
    )


def exchange(interaction: dict[str, Any], op: Operation) -> Any:
    """A recorded interaction as the semantic rules see it (``time``: when it was recorded)."""
    import calendar
    import time as _time

    from conformance import sse
    from conformance.validate.semantics import Exchange

    request = interaction["request"]
    response = interaction["response"]
    body = request.get("body") if request.get("body_kind") == "json" else None
    query = dict(
        pair.split("=", 1) if "=" in pair else (pair, "")
        for pair in urlsplit(interaction["url"]).query.split("&")
        if pair
    )
    recorded = interaction.get("recorded")
    if isinstance(recorded, dict):  # {"date": "2024-04-27", "raw": ..., "source": ...}
        recorded = recorded.get("date")
    when = (
        calendar.timegm(_time.strptime(recorded[:10], "%Y-%m-%d"))
        if isinstance(recorded, str) and len(recorded) >= 10
        else None
    )
    common: dict[str, Any] = {
        "status": response["status"],
        "query": query,
        "time": when,
    }
    if response["body_kind"] == "sse":
        return Exchange.streamed(
            op.operation_id, body, sse.parse(response["body"]).events, **common
        )
    return Exchange(op.operation_id, body, body=response["body"], **common)
