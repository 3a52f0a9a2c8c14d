"""Shrinking a stream finding keeps the wire framing it needs: the planted client
(tests/fuzz/clients/planted.py sse-ids) fails as openai-python 3.63 does on a stream with
``id:`` fields and a keep-alive comment block between events; the shrunk stream, served with the
case's faults applied again, reaches the least one (one chunk, the comment block, ``[DONE]``)
within a small budget."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import SPECS

from conformance import sse
from conformance.cli.main import main
from conformance.fuzz import Case, Client, Harness
from conformance.fuzz.shrink import encoded, framing, shrink, shrinkable
from conformance.spec import Spec
from conformance.validate import Validator

PLANTED = str(Path(__file__).parent / "clients" / "planted.py")
CHAT = "createChatCompletion"
BUDGET = 6


@pytest.fixture(scope="module")
def harness(spec: Spec) -> Iterator[Harness]:
    client = Client([sys.executable, PLANTED, "sse-ids"], timeout=10)
    with Harness(spec, client, seed="12") as running:
        yield running


@pytest.mark.parametrize("profile", ["typical", "edge"])
def test_a_stream_finding_shrinks_to_one_chunk_and_done_with_its_framing(
    harness: Harness, spec: Spec, profile: str
) -> None:
    done = harness.run_case(Case("0", "", profile, "sse-fields,keepalive"))
    assert done.outcome.code == "fuzz.untyped-exception"
    assert done.outcome.detail.startswith("json.decoder.JSONDecodeError")
    record = shrinkable(done)
    assert record is not None and record.response is not None
    assert len(sse.parse(record.response.body or b"").events) >= 4

    found = shrink(harness, done, budget=BUDGET)
    assert found is not None
    assert not found.exhausted and found.calls <= BUDGET
    assert [e.data for e in found.answer][1:] == ["[DONE]"]  # one chunk, then [DONE]
    chunk = json.loads(found.answer[0].data)
    assert chunk == {
        "id": "",
        "created": 0,
        "model": "",
        "object": "chat.completion.chunk",
        "choices": [],
    }
    # served with the faults again: id fields, the comment block between the two events
    faults = framing(done, record)
    assert [f.name for f in faults] == ["sse-fields", "keepalive"]
    served = encoded(record, found.answer, faults).response
    assert served is not None and served.body is not None
    body = served.body.decode()
    assert body == (
        f": keep-alive\n\nretry: 3000\nid: 1\ndata: {found.answer[0].data}\n\n"
        ": keep-alive\n\nid: 2\ndata: [DONE]\n\n"
    )
    assert Validator(spec).stream(CHAT, served.body) == []
    # and it still breaks the client
    again = harness.run_case(done.case, [encoded(record, found.answer, faults)])
    assert again.outcome.code == "fuzz.untyped-exception"


def test_the_unchanged_answer_is_served_as_recorded(harness: Harness) -> None:
    done = harness.run_case(Case("1", "", "typical", "sse-fields,keepalive"))
    record = shrinkable(done)
    assert record is not None and record.response is not None
    events = tuple(
        sse.Event(e.data, event=e.event) for e in sse.parse(record.response.body or b"").events
    )
    again = encoded(record, events, framing(done, record)).response
    assert again is not None and again.body == record.response.body


def test_the_cli_shows_the_minimal_stream_as_served(
    spec: Spec, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The framing is the finding: the command prints the shrunk stream's wire bytes too."""
    argv = ["fuzz", str(SPECS / "openai-2.3.0.yaml"), "--seed", "12", "--cases", "1"]
    argv += ["--calls", "chat-stream", "--faults", "sse-fields,keepalive", "--minimize", "6"]
    argv += ["--results", str(tmp_path / "f.jsonl"), "--", sys.executable, PLANTED, "sse-ids"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "fuzz.untyped-exception" in out
    assert "as served (sse-fields,keepalive): ': keep-alive\\n\\n" in out
    assert "id: 2\\ndata: [DONE]\\n\\n'" in out
