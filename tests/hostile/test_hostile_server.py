"""The mock's HTTP server under hostile clients: huge bodies read linearly and cut at the limit,
capped request heads, header/body/idle timeouts, a connection limit, OpenAI-style envelopes for
malformed HTTP, and close-delimited streams for HTTP/1.0 clients. A real server on 127.0.0.1,
raw sockets; timeouts here are guards only, nothing asserts on time.
"""

from __future__ import annotations

import json
import resource
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from support import SPECS

from conformance.mock import Mock
from conformance.mock.server import MockServer, ServerLimits, default_connections
from conformance.spec import Spec, load_spec

V230 = SPECS / "openai-2.3.0.yaml"

pytestmark = pytest.mark.skipif(not V230.exists(), reason=f"specs not found at {SPECS}")

AUTH = b"authorization: Bearer sk-test-hostile\r\n"
CHAT = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hi"}]})
GUARD = 20.0  # seconds a socket waits before the test gives up (a guard, never a measure)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(V230)


@pytest.fixture(scope="module")
def server(spec: Spec) -> Iterator[MockServer]:
    limits = ServerLimits(header_timeout=0.5, body_timeout=0.5, keep_alive=0.5)
    with MockServer(Mock(spec, seed=1), limits=limits) as running:
        yield running


def connect(server: MockServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=GUARD)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    out = bytearray()
    while True:
        data = sock.recv(65536)
        if not data:
            return bytes(out)
        out += data


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response with a content-length body (the connection may stay open)."""
    buffer = bytearray()
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        assert data, f"connection closed after {bytes(buffer)!r}"
        buffer += data
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = bytearray(rest)
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        data = sock.recv(65536)
        assert data, "connection closed mid-body"
        body += data
    return status, headers, bytes(body)


def envelope(status: int, headers: dict[str, str], body: bytes, expected: int) -> dict[str, Any]:
    assert status == expected, body[:300]
    assert headers["content-type"].startswith("application/json"), headers
    error = json.loads(body)["error"]
    assert {"message", "type", "param", "code"} <= set(error)
    return dict(error)


def chat_request(body: bytes | None = None, version: str = "1.1", extra: bytes = b"") -> bytes:
    payload = CHAT.encode() if body is None else body
    return (
        f"POST /v1/chat/completions HTTP/{version}\r\nhost: x\r\ncontent-type: application/json\r\n"
        f"content-length: {len(payload)}\r\n".encode()
        + AUTH
        + extra
        + b"\r\n"
        + payload
    )


def assert_serving(server: MockServer) -> None:
    with connect(server) as sock:
        sock.sendall(chat_request())
        status, _, body = read_response(sock)
    assert status == 200, body[:300]
    assert json.loads(body)["object"] == "chat.completion"


# --- 1. the body: read linearly, cut at the limit -----------------------------------------------


@pytest.mark.slow
def test_a_huge_body_is_read_linearly(spec: Spec) -> None:
    """128 MiB in one request (limit raised to 256 MiB): read by repeated concatenation this took
    23 s here; read linearly, under a second. The whole exchange gets a guard of GUARD / 2 s."""
    size = 128 * 1024 * 1024
    deadline = time.monotonic() + GUARD / 2
    mock = Mock(spec, seed=1, max_body=256 * 1024 * 1024)
    with MockServer(mock) as server, connect(server) as sock:
        head = (
            f"POST /v1/nowhere HTTP/1.1\r\nhost: x\r\ncontent-length: {size}\r\n".encode()
            + AUTH
            + b"\r\n"
        )
        sock.sendall(head)
        block = b"x" * (1024 * 1024)
        for _ in range(size // len(block)):
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            sock.sendall(block)
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        status, _, body = read_response(sock)
    assert status == 404, body[:300]


def test_a_chunked_body_past_the_limit_is_cut_with_413_before_it_ends(spec: Spec) -> None:
    """No content-length: the server reads until the limit is passed, answers 413 (envelope) and
    closes — it does not wait for (or buffer) the rest."""
    with MockServer(Mock(spec, seed=1, max_body=4096)) as server, connect(server) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n"
            + AUTH
            + b"\r\n"
        )
        chunk = b"x" * 1000
        for _ in range(5):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        # the body never ends: the answer must come anyway, and the connection close
        status, headers, body = read_response(sock)
        error = envelope(status, headers, body, 413)
        assert "4096" in error["message"]
        assert headers.get("connection") == "close"
        assert read_all(sock) == b""


# --- 3. timeouts and the connection limit -------------------------------------------------------


def test_a_connection_that_sends_nothing_is_closed(server: MockServer) -> None:
    with connect(server) as sock:
        assert read_all(sock) == b""  # closed by the server (header timeout), not the guard
    assert_serving(server)


def test_slowloris_headers_get_408_and_the_connection_closes(server: MockServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n")
        for index in range(400):  # one header line every 50 ms: a head that never ends
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                break
            sock.sendall(b"x-slow-%d: 1\r\n" % index)
        else:
            pytest.fail("the server kept reading a head that never ends")
        received = read_all(sock)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), received[:300]
    assert json.loads(body)["error"]["type"] == "invalid_request_error"


def test_a_body_that_never_ends_gets_408(server: MockServer) -> None:
    with connect(server) as sock:
        payload = CHAT.encode()
        request = chat_request(payload)
        sock.sendall(request[: len(request) - len(payload) // 2])  # half the body, then nothing
        received = read_all(sock)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), received[:300]
    assert json.loads(body)["error"]["type"] == "invalid_request_error"
    assert_serving(server)


def test_an_idle_keep_alive_connection_is_closed(server: MockServer) -> None:
    with connect(server) as sock:
        sock.sendall(chat_request())
        status, _, _ = read_response(sock)
        assert status == 200
        assert read_all(sock) == b""  # idle after the answer: closed (keep_alive), not the guard


def test_past_the_connection_limit_the_slowest_is_closed_to_make_room(spec: Spec) -> None:
    """Four connections that send nothing hold a limit of four: three more are served, and the
    three that waited longest for their heads are answered 503 (envelope) and closed."""
    limits = ServerLimits(max_connections=4, header_timeout=GUARD)
    with MockServer(Mock(spec, seed=1), limits=limits) as server:
        idle = []
        for _ in range(4):
            idle.append(connect(server))
            time.sleep(0.05)  # accepted in this order (ordering only, not a measure)
        newcomers = [connect(server) for _ in range(3)]  # a burst: three slowest make room
        try:
            for sock in newcomers:
                sock.sendall(chat_request())
                status, _, body = read_response(sock)
                assert status == 200, body[:300]
            for sock in idle[:3]:
                status, headers, body = read_response(sock)
                error = envelope(status, headers, body, 503)
                assert "connections" in error["message"]
                assert read_all(sock) == b""
        finally:
            for sock in idle + newcomers:
                sock.close()


def test_past_the_connection_limit_with_every_connection_busy_the_new_one_gets_503(
    spec: Spec,
) -> None:
    limits = ServerLimits(max_connections=4, header_timeout=GUARD)
    with MockServer(Mock(spec, seed=1), limits=limits) as server:
        busy = [connect(server) for _ in range(4)]
        try:
            for sock in busy:  # answers held back two seconds: all four are in a request
                sock.sendall(chat_request(extra=b"x-conformance-faults: latency=2:1\r\n"))
            time.sleep(0.3)  # let the server read them (ordering only, not a measure)
            with connect(server) as sock:
                sock.sendall(chat_request())
                status, headers, body = read_response(sock)
                error = envelope(status, headers, body, 503)
                assert "connections" in error["message"]
            for sock in busy:
                status, _, body = read_response(sock)
                assert status == 200, body[:300]
        finally:
            for sock in busy:
                sock.close()
        assert_serving(server)


# --- 2. request heads are capped ----------------------------------------------------------------


def test_a_huge_header_gets_431(spec: Spec) -> None:
    limits = ServerLimits(max_header_bytes=16 * 1024)
    with MockServer(Mock(spec, seed=1), limits=limits) as server:
        with connect(server) as sock:
            sock.sendall(b"GET /v1/models HTTP/1.1\r\nhost: x\r\n" + AUTH + b"x-big: ")
            sent = 0
            try:
                while sent < 100 * 1024 * 1024:  # a 100 MB value, if the server takes it
                    sock.sendall(b"a" * 65536)
                    sent += 65536
            except OSError:
                pass  # the server answered and closed while we were still sending
            try:
                received = read_all(sock)
            except ConnectionResetError:
                received = b""
        assert sent < 100 * 1024 * 1024, "the server read a 100 MB header"
        if received:  # the answer may be lost to a reset when the client is still sending
            head, _, body = received.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 431"), head
            assert json.loads(body)["error"]["type"] == "invalid_request_error"
        with connect(server) as sock:  # a head just over the cap, sent whole: the answer is read
            sock.sendall(b"GET /v1/models HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 20000 + b"\r\n")
            status, headers, body = read_response(sock)
            error = envelope(status, headers, body, 431)
            assert "16384" in error["message"]
        assert_serving(server)


# --- 4. malformed HTTP gets the envelope --------------------------------------------------------


def test_malformed_http_gets_the_openai_envelope(server: MockServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"GARBAGE\x01 / HTTP/9\r\n\r\n")
        status, headers, body = read_response(sock)
    envelope(status, headers, body, 400)
    assert_serving(server)


# --- 5. HTTP/1.0 streams are close-delimited ----------------------------------------------------


def test_a_stream_to_an_http10_client_is_not_chunked(server: MockServer) -> None:
    body = json.dumps({**json.loads(CHAT), "stream": True}).encode()
    with connect(server) as sock:
        sock.sendall(chat_request(body, version="1.0"))
        received = read_all(sock)
    head, _, payload = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").lower().split("\r\n")
    assert lines[0].startswith("http/1.1 200"), head
    assert not any(line.startswith("transfer-encoding") for line in lines), head
    assert not any(line.startswith("content-length") for line in lines), head
    assert payload.startswith(b"data: {"), payload[:200]
    assert payload.rstrip().endswith(b"data: [DONE]"), payload[-200:]


# --- the options on the command line ------------------------------------------------------------


def test_the_cli_takes_the_limits_and_applies_them() -> None:
    command = [sys.executable, "-m", "conformance", "mock", str(V230), "--port", "0", "--json"]
    limits = ["--header-timeout", "0.5", "--body-timeout", "7", "--keep-alive", "2"]
    limits += ["--max-connections", "9", "--max-header-bytes", "4096"]
    proc = subprocess.Popen([*command, *limits], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert (info["header_timeout"], info["body_timeout"], info["keep_alive"]) == (0.5, 7, 2)
        assert (info["max_connections"], info["max_header_bytes"]) == (9, 4096)
        address = ("127.0.0.1", info["port"])
        with socket.create_connection(address, timeout=GUARD) as sock:
            assert read_all(sock) == b""  # sent nothing: closed after the header timeout
        with socket.create_connection(address, timeout=GUARD) as sock:
            sock.sendall(b"GET /v1/models HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 5000 + b"\r\n")
            status, headers, body = read_response(sock)
            envelope(status, headers, body, 431)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    for bad in (["--header-timeout", "0"], ["--body-timeout", "nan"], ["--max-connections", "-1"]):
        run = subprocess.run([*command, *bad], capture_output=True, text=True, timeout=60)
        assert run.returncode == 2, run.stderr
        assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_the_default_connection_limit_leaves_descriptors_to_spare() -> None:
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    expected = 1000 if soft == resource.RLIM_INFINITY else max(1, min(1000, soft - 64))
    assert ServerLimits().max_connections == default_connections() == expected
