"""Replay keeps the stalls: a case served with ``stall``/``stall-mid`` records where its pauses
fell and how long they were, and ``fuzz replay`` serves the recorded chunks with the same pauses
at the same byte offsets (seen by a raw socket client, coarsely: tests never assert on time
beyond "a pause happened here")."""

from __future__ import annotations

import json
import socket
import sys
import time
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conformance.fuzz import Case, Client, Harness
from conformance.fuzz.replay import harness_for, load_case, replay
from conformance.mock import MockRequest
from conformance.spec import Spec

PLANTED = str(Path(__file__).parent / "clients" / "planted.py")
CHAT = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
STALL = 0.4


def _read_raw(base_url: str, path: str, body: bytes) -> tuple[bytes, list[tuple[int, float]]]:
    """POST ``body`` over a plain socket; the whole answer and, for each read, how many bytes
    had come by then and when."""
    url = urlsplit(base_url + path)
    assert url.hostname is not None and url.port is not None
    head = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nConnection: close\r\n"
        f"Authorization: Bearer sk-test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    data = b""
    reads: list[tuple[int, float]] = []
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        while piece := sock.recv(65536):
            data += piece
            reads.append((len(data), time.monotonic()))
    return data, reads


def _longest_pause(data: bytes, reads: list[tuple[int, float]]) -> tuple[int, float]:
    """The body offset where the longest wait between two reads fell, and that wait."""
    body_starts = data.index(b"\r\n\r\n") + 4
    gaps = [(after[1] - before[1], before[0] - body_starts) for before, after in pairwise(reads)]
    assert gaps, f"the answer came in one read: no pause ({len(data)} bytes)"
    seconds, offset = max(gaps)
    return offset, seconds


@pytest.mark.parametrize(("fault", "index"), [("stall-mid", 1), ("stall", 0)])
def test_a_replayed_stall_pauses_where_and_as_long_as_recorded(
    spec: Spec, tmp_path: Path, fault: str, index: int
) -> None:
    results = tmp_path / "fuzz.jsonl"
    case = Case("0", "", "typical", f"{fault}={STALL}")
    client = Client([sys.executable, PLANTED, "echo"], timeout=10)
    with Harness(spec, client, seed="2", results=results) as harness:
        (done,) = harness.run([case])
    assert done.outcome.code == "", done.outcome

    # recorded: where the pause falls (a JSON body cut in two for stall-mid) and how long
    recorded = load_case(results, "0")
    (exchange,) = recorded.exchanges
    answer = exchange.response
    assert answer is not None and answer.chunks is not None
    assert exchange.faults == (fault,)  # the fault's name: its seconds are in the pauses
    assert answer.pauses == ((index, STALL),)
    assert len(answer.chunks) == (2 if fault == "stall-mid" else 1)
    offset = sum(len(c) for c in answer.chunks[:index])

    with harness_for(recorded, spec=spec) as again:
        # what the replay session hands the server: the recorded chunks and pauses
        probe = again.session(recorded.case, recorded.exchanges)
        request = MockRequest("POST", "/v1/chat/completions", body=CHAT.encode())
        served = probe.handle(request)
        assert (served.chunks, served.pauses) == (answer.chunks, answer.pauses)
        assert (served.delay, served.interval, served.drop) == (0.0, 0.0, False)
        # what a client reads off the wire: the same bytes, the pause at the same offset
        session = again.session(recorded.case, recorded.exchanges)
        data, reads = _read_raw(
            session.base_url(again.server.url), "/chat/completions", CHAT.encode()
        )
    assert data.endswith(b"".join(answer.chunks))
    at, seconds = _longest_pause(data, reads)
    assert at == offset and seconds >= STALL / 2, (at, seconds, reads)

    # and the replayed client run is served the same, pauses included
    rerun, same = replay(recorded, spec=spec)
    assert same and rerun.outcome.code == ""
    assert rerun.records[0].response is not None
    assert rerun.records[0].response.pauses == answer.pauses


def test_a_client_killed_during_a_stall_is_inconclusive_not_a_hang(spec: Spec) -> None:
    client = Client([sys.executable, PLANTED, "echo"], timeout=1.0)
    with Harness(spec, client, seed="2") as harness:
        done = harness.run_case(Case("0", "", "typical", "stall=3"))
    assert done.run.timed_out
    # the stall's pause counts toward how long the mock was still writing
    assert done.outcome.code == "fuzz.inconclusive", done.outcome
