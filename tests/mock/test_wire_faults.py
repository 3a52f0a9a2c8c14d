"""Faults as a client sees them on the wire: a real mock server and a raw socket client.

The client records every ``recv`` (its bytes and when it returned), so these tests see what a
client's reads see: ``split`` pieces arriving as separate reads, a read that ends inside a UTF-8
character, raw UTF-8, SSE ``id:``/``retry:`` fields, stalls, a dropped body, 429 headers. Times
are only ever checked as lower bounds, with a margin for when the reads return (a stall lasts
about as long as it says, never much less).
"""

from __future__ import annotations

import json
import random
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from support import SPECS

from conformance import sse
from conformance.mock.core import Mock
from conformance.mock.faults import apply_faults, parse_faults
from conformance.mock.message import MockRequest, MockResponse
from conformance.mock.server import MockServer

SPEC = SPECS / "openai-2.3.0.yaml"
CHAT = "/v1/chat/completions"
TEXT = "Héllo, wörld! 日本語 🎉 ça va? ½ — ok"


@dataclass
class Wire:
    """One exchange as the client read it: the head, and each read of the body after it."""

    status: int
    headers: dict[str, str]
    head_at: float  # when the read that completed the head returned
    reads: list[tuple[float, bytes]]  # (when, bytes) of each read after the head
    closed: bool  # the server closed the connection (EOF)

    @property
    def raw(self) -> bytes:
        return b"".join(data for _, data in self.reads)

    def frames(self) -> list[tuple[int, bytes]]:
        """``(read index, payload)`` of each piece of a chunked body, in order (a piece that
        straddles two reads is given as one frame per read)."""
        owner: list[int] = []
        for index, (_, data) in enumerate(self.reads):
            owner += [index] * len(data)
        raw, at, out = self.raw, 0, []
        while at < len(raw):
            end = raw.find(b"\r\n", at)
            if end < 0:
                break
            size = int(raw[at:end], 16)
            start = end + 2
            if size == 0 or start + size > len(raw):
                break
            piece = raw[start : start + size]
            while piece:  # cut where the reads cut it
                first = owner[start]
                run = next((i for i in range(len(piece)) if owner[start + i] != first), len(piece))
                out.append((first, piece[:run]))
                piece, start = piece[run:], start + run
            at = start + 2
        return out

    @property
    def chunked_complete(self) -> bool:
        return self.raw.endswith(b"0\r\n\r\n")

    @property
    def body(self) -> bytes:
        if self.headers.get("transfer-encoding") == "chunked":
            return b"".join(piece for _, piece in self.frames())
        return self.raw

    def read_payloads(self) -> list[bytes]:
        """The body bytes each read carried (reads with framing only left out)."""
        if self.headers.get("transfer-encoding") != "chunked":
            return [data for _, data in self.reads]
        per: dict[int, bytes] = {}
        for index, piece in self.frames():
            per[index] = per.get(index, b"") + piece
        return [per[i] for i in sorted(per)]


def exchange(
    port: int,
    path: str,
    body: Any = None,
    *,
    faults: str = "",
    headers: dict[str, str] | None = None,
    method: str = "POST",
    timeout: float = 30.0,
) -> Wire:
    """Send one HTTP/1.1 request (``connection: close``) and record every read of the answer."""
    payload = b"" if body is None else json.dumps(body).encode()
    lines = [
        f"{method} {path} HTTP/1.1",
        f"host: 127.0.0.1:{port}",
        "authorization: Bearer sk-test",
        "connection: close",
        f"content-length: {len(payload)}",
    ]
    if body is not None:
        lines.append("content-type: application/json")
    if faults:
        lines.append(f"x-conformance-faults: {faults}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        buffer, head_at = b"", 0.0
        reads: list[tuple[float, bytes]] = []
        closed = False
        while True:
            data = sock.recv(65536)
            now = time.monotonic()
            if not data:
                closed = True
                break
            if head_at:
                reads.append((now, data))
                continue
            buffer += data
            if b"\r\n\r\n" in buffer:
                head_at = now
                head, _, rest = buffer.partition(b"\r\n\r\n")
                if rest:
                    reads.append((now, rest))
    status_line, *fields = head.decode("latin-1").split("\r\n")
    names = {k.strip().lower(): v.strip() for k, _, v in (f.partition(":") for f in fields)}
    return Wire(int(status_line.split()[1]), names, head_at, reads, closed)


def _stream_handler(request: MockRequest) -> MockResponse:
    """A chat stream as the mock writes one (JSON ASCII-escaped), with multi-byte text."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        data = {
            "id": "chatcmpl-wire",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        return sse.encode(json.dumps(data)).encode()

    chunks = (
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": TEXT}),
        chunk({}, finish="stop"),
        sse.encode("[DONE]").encode(),
    )
    headers = {"content-type": "text/event-stream; charset=utf-8"}
    return MockResponse(200, headers, chunks, stream=True)


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    mock = Mock(SPEC, seed=7, state=False)
    mock.override("createChatCompletion", handler=_stream_handler)
    mock.override(
        "listModels",
        body={
            "object": "list",
            "data": [{"id": TEXT, "object": "model", "created": 1, "owned_by": TEXT}],
        },
    )
    with MockServer(mock) as server:
        yield server.port


@pytest.fixture(scope="module")
def edge_port() -> Iterator[int]:
    with MockServer(Mock(SPEC, seed=3, profile="edge", state=False)) as server:
        yield server.port


ASK = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stream": True}


# -- split: pieces and the cut character reach the client's reads ------------------------------


def test_split_pieces_arrive_as_separate_reads_and_one_ends_inside_a_character(port: int) -> None:
    wire = exchange(port, CHAT, ASK, faults="utf8,split=3")
    assert wire.status == 200 and wire.chunked_complete
    body = wire.body
    assert TEXT.encode() in body  # raw UTF-8 on the wire (the handler's JSON was escaped)
    pieces = [piece for _, piece in wire.frames()]
    assert all(len(piece) <= 3 for piece in pieces)
    # paced: the client's reads are the pieces, not the kernel's merge of them
    payloads = wire.read_payloads()
    small = [p for p in payloads if len(p) <= 3]
    assert len(small) >= len(payloads) // 2 and len(small) > 4 * len(sse.parse(body).events)

    def alone(data: bytes) -> bool:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    # a read that ends inside a multi-byte character: its bytes alone do not decode…
    cut = [p for p in payloads if not alone(p)]
    assert cut, payloads
    # …and the character is whole once the reads are joined
    assert alone(b"".join(payloads))
    assert [e.data for e in sse.parse(body).events][-1] == "[DONE]"


def test_split_one_byte_pieces(port: int) -> None:
    wire = exchange(port, CHAT, ASK, faults="utf8,split=1")
    pieces = [piece for _, piece in wire.frames()]
    assert all(len(piece) == 1 for piece in pieces)
    assert len(pieces) == len(wire.body)
    emoji = "🎉".encode()
    assert emoji in wire.body
    at = wire.body.index(emoji)
    assert pieces[at : at + 4] == [emoji[i : i + 1] for i in range(4)]


def test_split_json_body_keeps_its_content_length(port: int) -> None:
    wire = exchange(port, "/v1/models", method="GET", faults="utf8,split=4")
    assert wire.status == 200
    assert int(wire.headers["content-length"]) == len(wire.body)
    assert json.loads(wire.body)["data"][0]["id"] == TEXT
    payloads = wire.read_payloads()
    assert len(payloads) > 10 and sum(len(p) <= 4 for p in payloads) >= len(payloads) // 2


# -- raw UTF-8 ---------------------------------------------------------------------------------


def test_utf8_on_a_json_body(port: int) -> None:
    plain = exchange(port, "/v1/models", method="GET")
    assert b"\\u00e9" in plain.body and max(plain.body) < 0x80  # escaped by default
    raw = exchange(port, "/v1/models", method="GET", faults="utf8")
    assert TEXT.encode() in raw.body and b"\\u" not in raw.body
    assert json.loads(raw.body) == json.loads(plain.body)
    assert int(raw.headers["content-length"]) == len(raw.body)


def test_utf8_reaches_generated_edge_streams(edge_port: int) -> None:
    """Edge values (text beyond ASCII) in chat stream events, written raw by ``utf8``."""
    seen = []
    for seed in range(6):
        wire = exchange(
            edge_port, CHAT, ASK, faults="utf8", headers={"x-conformance-seed": str(seed)}
        )
        assert wire.status == 200
        seen.append(wire.body)
    assert any(max(body) >= 0x80 for body in seen)


# -- edge values in streams ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "ask"),
    [
        (CHAT, ASK),
        (
            CHAT,
            {**ASK, "n": 2, "stream_options": {"include_usage": True}},
        ),
        ("/v1/completions", {"model": "gpt-3.5-turbo-instruct", "prompt": "hi", "stream": True}),
        ("/v1/responses", {"model": "gpt-4o", "input": "hi", "stream": True}),
    ],
)
def test_edge_profile_reaches_stream_events_and_they_stay_valid(
    edge_port: int, path: str, ask: dict[str, Any]
) -> None:
    mock = Mock(SPEC, profile="edge", state=False)
    operation = {
        CHAT: "createChatCompletion",
        "/v1/completions": "createCompletion",
        "/v1/responses": "createResponse",
    }[path]
    edgy = 0
    for seed in range(6):
        wire = exchange(edge_port, path, ask, headers={"x-conformance-seed": str(seed)})
        assert wire.status == 200
        errors = [v for v in mock.validator.stream(operation, wire.body) if v.is_error]
        assert errors == [], [str(v) for v in errors]
        strings = [
            s
            for e in sse.parse(wire.body).events
            if e.data != "[DONE]"
            for s in _strings(json.loads(e.data))
        ]
        edgy += any(any(ord(c) > 0x7F for c in s) or len(s) > 500 for s in strings)
    assert edgy  # text beyond ASCII or very long strings: what the edge profile draws


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# -- SSE fields, comments, CRLF, no [DONE] -------------------------------------------------------


def test_sse_fields_keepalive_crlf_no_done_on_the_wire(port: int) -> None:
    wire = exchange(port, CHAT, ASK, faults="sse-fields,keepalive,crlf,no-done")
    body = wire.body
    assert body.startswith(b": keep-alive\r\n\r\nretry: 3000\r\nid: 1\r\ndata: {")
    assert b"id: 2\r\n" in body and b"[DONE]" not in body
    assert b"\n" not in body.replace(b"\r\n", b"")
    parsed = sse.parse(body)
    assert parsed.issues == []
    assert [e.id for e in parsed.events] == ["1", "2", "3"]
    assert parsed.events[0].retry == 3000


# -- stalls ---------------------------------------------------------------------------------------


def test_stall_after_the_head(port: int) -> None:
    wire = exchange(port, CHAT, ASK, faults="stall=0.4")
    first = wire.reads[0][0]
    assert first - wire.head_at >= 0.8 * 0.4
    assert wire.chunked_complete


def test_stall_after_the_head_of_a_json_body(port: int) -> None:
    wire = exchange(port, "/v1/models", method="GET", faults="stall=0.3")
    assert wire.reads[0][0] - wire.head_at >= 0.8 * 0.3
    assert json.loads(wire.body)["object"] == "list"


def test_stall_mid_stream_falls_between_events(port: int) -> None:
    wire = exchange(port, CHAT, ASK, faults="stall-mid=0.4")
    gaps = [
        (b[0] - a[0], i)
        for i, (a, b) in enumerate(zip(wire.reads, wire.reads[1:], strict=False), 1)
    ]
    gap, at = max(gaps)
    assert gap >= 0.8 * 0.4
    before = b"".join(data for _, data in wire.reads[:at])
    # whole events before the stall, more after it
    assert before.endswith(b"\n\n\r\n") and b"[DONE]" not in before
    assert b"[DONE]" in b"".join(data for _, data in wire.reads[at:])


def test_stall_mid_json_body(port: int) -> None:
    wire = exchange(port, "/v1/models", method="GET", faults="stall-mid=0.3")
    gaps = [b[0] - a[0] for a, b in zip(wire.reads, wire.reads[1:], strict=False)]
    assert gaps and max(gaps) >= 0.8 * 0.3
    assert int(wire.headers["content-length"]) == len(wire.body)
    json.loads(wire.body)


# -- drops, errors --------------------------------------------------------------------------------


def test_drop_mid_json_body(port: int) -> None:
    full = exchange(port, "/v1/models", method="GET")
    wire = exchange(port, "/v1/models", method="GET", faults="drop")
    assert wire.status == 200 and wire.closed and not wire.chunked_complete
    assert 0 < len(wire.body) < len(full.body)
    assert full.body.startswith(wire.body)


def test_drop_mid_stream(port: int) -> None:
    wire = exchange(port, CHAT, ASK, faults="drop")
    assert wire.closed and not wire.chunked_complete and b"[DONE]" not in wire.body


def test_rate_limit_has_retry_after_and_retry_after_ms(port: int) -> None:
    wire = exchange(port, CHAT, ASK, faults="rate-limit=1.5")
    assert wire.status == 429
    assert wire.headers["retry-after"] == "1.5"
    assert wire.headers["retry-after-ms"] == "1500"
    assert json.loads(wire.body)["error"]["code"] == "rate_limit_exceeded"


@pytest.mark.parametrize(
    ("fault", "status"), [("server-error", 500), ("bad-gateway", 502), ("unavailable", 503)]
)
def test_5xx(port: int, fault: str, status: int) -> None:
    wire = exchange(port, CHAT, ASK, faults=fault)
    assert wire.status == status
    assert json.loads(wire.body)["error"]["message"]


# -- the faults themselves (no server) ------------------------------------------------------------


def _fire(response: MockResponse, text: str, seed: int = 0) -> MockResponse:
    return apply_faults(response, parse_faults(text), random.Random(seed))


def test_stall_is_placed_on_the_final_chunks_whatever_the_order() -> None:
    stream = _stream_handler(MockRequest("POST", CHAT)).with_(operation="createChatCompletion")
    got = _fire(stream, "stall-mid=1,split=2,stall=0.5")
    assert got.faults == ("split", "stall-mid", "stall")
    (mid, one), (head, half) = got.pauses
    assert (one, head, half) == (1.0, 0, 0.5)
    before = b"".join(got.chunks[:mid])
    assert before.endswith(b"\n\n") and len(before) >= len(got.body) // 2


def test_utf8_keeps_escapes_it_must() -> None:
    # an escaped backslash before "u00e9", an escaped quote, é, 🎉 (a pair), a lone surrogate,
    # an escaped ASCII letter and a newline
    body = b'{"t": "a\\\\u00e9 \\" \\u00e9 \\ud83c\\udf89 \\ud800 \\u0041 \\n"}'
    response = MockResponse(200, {"content-type": "application/json"}, (body,), operation="x")
    got = _fire(response, "utf8")
    assert got.body == '{"t": "a\\\\u00e9 \\" é 🎉 \\ud800 \\u0041 \\n"}'.encode()
    assert json.loads(got.body.decode("utf-8", "surrogatepass")) == json.loads(body)


def test_utf8_leaves_non_json_data_alone() -> None:
    chunks = (b"data: caf\\u00e9 is text\n\n", b'data: {"a": "\\u00e9"}\n\n')
    response = MockResponse(200, {}, chunks, stream=True, operation="x")
    got = _fire(response, "utf8")
    assert got.chunks == (b"data: caf\\u00e9 is text\n\n", 'data: {"a": "é"}\n\n'.encode())


@pytest.mark.parametrize("text", ["split=0", "split=0.5", "split=2000000", "utf8=1", "stall=4000"])
def test_bad_values(text: str) -> None:
    with pytest.raises(Exception, match="fault"):
        parse_faults(text)


def test_the_respx_transport_waits_out_a_stall_too() -> None:
    import httpx

    from conformance.mock.transport import ChunkStream

    stream = ChunkStream((b"a", b"b"), pauses=((1, 5.0),), read_timeout=0.05)
    got: list[bytes] = []
    with pytest.raises(httpx.ReadTimeout):
        got.extend(stream)
    assert got == [b"a"]
