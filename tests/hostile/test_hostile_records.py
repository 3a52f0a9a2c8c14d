"""Every request is in the request log as the client got it, also those the server refuses below
the mock (413, 408, 431, malformed HTTP's 400, the connection limit's 503) and those a client
abandons mid-request (recorded with no answer: status None). A real server on 127.0.0.1, raw
sockets; the log is read from ``mock.records`` and from the ``--log`` file. Waits are guards
only, nothing asserts on time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import SPECS
from test_hostile_server import (
    AUTH,
    CHAT,
    GUARD,
    chat_request,
    connect,
    envelope,
    read_all,
    read_response,
)

from conformance.mock import Mock
from conformance.mock.server import MockServer, ServerLimits
from conformance.results import Result, read_results
from conformance.spec import Spec, load_spec

V230 = SPECS / "openai-2.3.0.yaml"

pytestmark = pytest.mark.skipif(not V230.exists(), reason=f"specs not found at {SPECS}")

PREFIX = "refused at the protocol layer: "


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(V230)


@pytest.fixture(scope="module")
def server(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    log = tmp_path_factory.mktemp("records") / "requests.jsonl"
    limits = ServerLimits(
        header_timeout=0.5, body_timeout=0.5, keep_alive=0.5, max_header_bytes=4096
    )
    with MockServer(Mock(spec, seed=1, log=log, max_body=4096), limits=limits) as running:
        yield running


def new_records(mock: Mock, before: int, count: int = 1) -> list[Result]:
    """The records added since the log held ``before``, once there are ``count`` of them."""
    deadline = time.monotonic() + GUARD
    while mock.log.count < before + count:
        assert time.monotonic() < deadline, f"{mock.log.count - before} of {count} records"
        time.sleep(0.01)
    return mock.records[before - mock.log.count :]


def served_after(server: MockServer, before: int, count: int) -> list[Result]:
    """A normal request sent after the case under test; the case's ``count`` records, checked
    to be the only ones before the normal request's (none written twice)."""
    with connect(server) as sock:
        sock.sendall(chat_request())
        status, _, _ = read_response(sock)
    assert status == 200
    records = new_records(server.mock, before, count + 1)
    assert [r.status for r in records[count:]] == [200], records
    return records[:count]


def check(record: Result, status: int, body: bytes, reason: str) -> None:
    """The record is the answer the client read, with a note saying why it was refused."""
    assert record.status == status
    assert record.response is not None and record.response.body == body
    assert record.response.headers["connection"] == "close"
    assert record.request_id is None and record.replay is None
    assert record.notes[0].startswith(PREFIX + reason), record.notes


# --- refused at the protocol layer --------------------------------------------------------------


def test_a_header_too_large_431_is_recorded(server: MockServer) -> None:
    before = server.mock.log.count
    with connect(server) as sock:
        sock.sendall(b"GET /v1/models?limit=2 HTTP/1.1\r\nhost: x\r\n" + AUTH)
        sock.sendall(b"x-big: " + b"a" * 5000 + b"\r\n")  # past 4096, the head not ended
        status, headers, body = read_response(sock)
    envelope(status, headers, body, 431)
    [record] = served_after(server, before, 1)
    check(record, 431, body, "header too large")
    assert "limit 4096" in record.notes[0]
    assert (record.method, record.path, record.query) == ("GET", "/v1/models", "limit=2")
    assert record.operation == "listModels"
    assert record.request is not None
    assert record.request.headers["authorization"] == "Bearer [redacted:authorization]"
    assert record.request.body is None and record.request.size == 0


def test_a_header_timeout_408_is_recorded(server: MockServer) -> None:
    before = server.mock.log.count
    with connect(server) as sock:
        # a header's value is known once the next header begins: host is, x-case may not be
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-case: 1\r\n")
        received = read_all(sock)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), received[:300]
    [record] = served_after(server, before, 1)
    check(record, 408, body, "header timeout")
    assert (record.method, record.path, record.operation) == (
        "POST",
        "/v1/chat/completions",
        "createChatCompletion",
    )
    assert record.request is not None and record.request.headers["host"] == "x"


def test_a_body_timeout_408_is_recorded_once(server: MockServer) -> None:
    """The server refuses mid-body while the app waits for the rest: recorded by the server,
    not again by the app as a client that went away."""
    before = server.mock.log.count
    payload = CHAT.encode()
    request = chat_request(payload)
    sent = len(payload) // 2
    with connect(server) as sock:
        sock.sendall(request[: len(request) - len(payload) + sent])
        received = read_all(sock)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), received[:300]
    [record] = served_after(server, before, 1)
    check(record, 408, body, "body timeout")
    assert record.operation == "createChatCompletion"
    assert record.request is not None and record.request.size == sent
    assert record.request.headers["content-length"] == str(len(payload))


def test_malformed_http_400_is_recorded(server: MockServer) -> None:
    before = server.mock.log.count
    with connect(server) as sock:
        sock.sendall(b"GARBAGE\x01 / HTTP/9\r\n\r\n")
        status, headers, body = read_response(sock)
    envelope(status, headers, body, 400)
    [record] = served_after(server, before, 1)
    check(record, 400, body, "malformed HTTP (in the head)")
    assert record.operation is None and record.method == ""


def test_malformed_http_in_the_body_400_is_recorded_once(server: MockServer) -> None:
    """A bad chunk size: the parser fails while the app reads the body; one record."""
    before = server.mock.log.count
    with connect(server) as sock:
        sock.sendall(
            b"POST /v1/embeddings HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n"
            + AUTH
            + b'\r\n4\r\n{"a"\r\nzz\r\n'
        )
        status, headers, body = read_response(sock)
    envelope(status, headers, body, 400)
    [record] = served_after(server, before, 1)
    check(record, 400, body, "malformed HTTP (in the body)")
    assert (record.operation, record.request and record.request.size) == ("createEmbedding", 4)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_too_large_413_is_recorded(server: MockServer, chunked: bool) -> None:
    before = server.mock.log.count
    with connect(server) as sock:
        if chunked:
            sock.sendall(
                b"POST /v1/embeddings HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n"
                + AUTH
                + b"\r\n"
            )
            for _ in range(5):
                sock.sendall(b"3e8\r\n" + b"x" * 1000 + b"\r\n")
        else:
            sock.sendall(chat_request(b"x" * 5000))
        status, headers, body = read_response(sock)
    envelope(status, headers, body, 413)
    [record] = served_after(server, before, 1)
    check(record, 413, body, "body too large")
    assert record.request is not None and record.request.body is None
    if chunked:
        assert record.operation == "createEmbedding" and record.request.size > 4096
    else:
        assert record.operation == "createChatCompletion" and record.request.size == 0
        assert "content-length 5000" in record.notes[0]


# --- abandoned by the client --------------------------------------------------------------------


def test_a_client_gone_mid_body_is_recorded_without_an_answer(server: MockServer) -> None:
    before = server.mock.log.count
    payload = CHAT.encode()
    request = chat_request(payload)
    with connect(server) as sock:
        sock.sendall(request[: len(request) - 10])  # all but 10 bytes of the body, then gone
    [record] = new_records(server.mock, before)
    assert record.status is None and record.response is None
    assert record.operation == "createChatCompletion"
    assert record.request is not None and record.request.size == len(payload) - 10
    assert record.notes == (
        f"the client closed the connection mid-body ({len(payload) - 10} bytes of the body "
        "received): no answer sent",
    )


def test_a_client_gone_mid_head_is_recorded_without_an_answer(server: MockServer) -> None:
    before = server.mock.log.count
    partial = b"GET /v1/models HTTP/1.1\r\nhost: x\r\n"
    with connect(server) as sock:
        sock.sendall(partial)
    [record] = new_records(server.mock, before)
    assert record.status is None and record.response is None
    assert (record.method, record.path, record.operation) == ("GET", "/v1/models", "listModels")
    assert record.notes == (
        f"the connection closed mid-head ({len(partial)} bytes of the head received): "
        "no answer sent",
    )


def test_a_connection_that_sends_nothing_is_not_a_request(server: MockServer) -> None:
    before = server.mock.log.count
    with connect(server) as sock:
        assert read_all(sock) == b""  # closed by the header timeout
    assert served_after(server, before, 0) == []


# --- the connection limit -----------------------------------------------------------------------


def test_the_slowest_connections_503_is_recorded_when_it_had_begun_a_request(spec: Spec) -> None:
    """Past the limit the slowest connection makes room: one that sent half a head is answered
    503 and recorded; one that sent nothing is answered 503 and not recorded (no request)."""
    limits = ServerLimits(max_connections=2, header_timeout=GUARD)
    mock = Mock(spec, seed=1)
    with MockServer(mock, limits=limits) as server:
        slow = connect(server)
        slow.sendall(b"GET /v1/models HTTP/1.1\r\n")
        time.sleep(0.05)  # accepted in this order (ordering only, not a measure)
        idle = connect(server)
        time.sleep(0.05)
        first = connect(server)  # past the limit: the slow one makes room
        try:
            status, headers, slow_body = read_response(slow)
            envelope(status, headers, slow_body, 503)
            assert read_all(slow) == b""
            first.sendall(chat_request())
            assert read_response(first)[0] == 200
            with connect(server) as second:  # past the limit again: the idle one makes room
                status, headers, idle_body = read_response(idle)
                envelope(status, headers, idle_body, 503)
                second.sendall(chat_request())
                assert read_response(second)[0] == 200
            records = new_records(mock, 0, 3)
        finally:
            for sock in (slow, idle, first):
                sock.close()
    assert [r.status for r in records] == [503, 200, 200], records
    check(records[0], 503, slow_body, "connection limit")
    assert (records[0].method, records[0].path) == ("GET", "/v1/models")
    assert "slowest" in records[0].notes[0]


def test_past_the_connection_limit_a_busy_servers_503_is_recorded(spec: Spec) -> None:
    limits = ServerLimits(max_connections=2, header_timeout=GUARD)
    mock = Mock(spec, seed=1)
    with MockServer(mock, limits=limits) as server:
        busy = [connect(server) for _ in range(2)]
        try:
            for sock in busy:  # answers held back two seconds: both are in a request
                sock.sendall(chat_request(extra=b"x-conformance-faults: latency=2:1\r\n"))
            time.sleep(0.3)  # let the server read them (ordering only, not a measure)
            with connect(server) as sock:
                sock.sendall(chat_request())
                status, headers, body = read_response(sock)
                envelope(status, headers, body, 503)
            for sock in busy:
                assert read_response(sock)[0] == 200
            records = new_records(mock, 0, 3)
        finally:
            for sock in busy:
                sock.close()
    assert sorted(r.status or 0 for r in records) == [200, 200, 503], records
    [refused] = [r for r in records if r.status == 503]
    check(refused, 503, body, "connection limit")
    assert refused.operation == "createChatCompletion" and "every one busy" in refused.notes[0]


# --- the --log file -----------------------------------------------------------------------------


def test_the_log_file_has_the_refused_and_abandoned_requests(tmp_path: Path, spec: Spec) -> None:
    log = tmp_path / "requests.jsonl"
    limits = ServerLimits(max_header_bytes=4096)
    mock = Mock(spec, seed=1, log=log)
    with MockServer(mock, limits=limits) as server:
        with connect(server) as sock:
            sock.sendall(b"GET /v1/models HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 5000)
            status, _, _ = read_response(sock)
        assert status == 431
        with connect(server) as sock:
            sock.sendall(chat_request(json.dumps({"model": "gpt-4o"}).encode())[:-3])
        new_records(mock, 0, 2)
    results = read_results(log).results
    assert [r.status for r in results] == [431, None]
    assert results == mock.records


def test_a_log_that_cannot_be_written_does_not_stop_a_refusal(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    mock = Mock(spec, seed=1)

    def broken(record: Result) -> Result:
        raise OSError("disk full")

    monkeypatch.setattr(mock.log, "add", broken)
    with MockServer(mock, limits=ServerLimits(max_header_bytes=4096)) as server:
        with connect(server) as sock:
            sock.sendall(b"GET /v1/models HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 5000)
            status, headers, body = read_response(sock)
        envelope(status, headers, body, 431)
        with connect(server) as sock:
            sock.sendall(chat_request(b"x" * 70 * 1024 * 1024)[:2000])  # past max_body: 413
            status, headers, body = read_response(sock)
        envelope(status, headers, body, 413)
