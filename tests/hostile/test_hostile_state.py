"""Bounded state: what the mock remembers (stored objects and uploads, generated variants,
request counters, ids handed out, the in-memory log) stays under its caps however long it runs
and whatever clients send, forgetting the oldest first; multipart bodies are parsed in one pass.
"""

from __future__ import annotations

import email.parser
import json
import random
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import SPECS

import conformance.mock.core as core_module
from conformance.mock import Mock, MockRequest, MockResponse
from conformance.mock.log import RequestLog
from conformance.mock.pool import Pool
from conformance.results import Request, Response, Result
from conformance.spec import Spec, load_spec
from conformance.validate.body import DecodeError, parse_multipart

V230 = SPECS / "openai-2.3.0.yaml"

pytestmark = pytest.mark.skipif(not V230.exists(), reason=f"specs not found at {SPECS}")

AUTH = {"authorization": "Bearer sk-test"}
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi"}]}
BOUNDARY = "hostile-boundary"


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(V230)


def send(mock: Mock, method: str, target: str, body: Any = None, **headers: str) -> MockResponse:
    raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    ctype = {"content-type": "application/json"} if body is not None else {}
    hdrs = {**AUTH, **ctype, **{k.replace("_", "-"): v for k, v in headers.items()}}
    path, _, query = target.partition("?")
    return mock.handle(MockRequest(method, path, query, hdrs, raw))


def as_json(response: MockResponse) -> Any:
    return json.loads(response.body)


def form(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> bytes:
    """A multipart/form-data body with ``BOUNDARY``."""
    out = []
    for name, value in fields.items():
        out.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, (filename, content) in files.items():
        out.append(
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    return b"".join(out) + f"--{BOUNDARY}--\r\n".encode()


def upload(mock: Mock, content: bytes, path: str = "/v1/files") -> MockResponse:
    fields = {"purpose": "batch"} if path == "/v1/files" else {}
    name = "file" if path == "/v1/files" else "data"
    body = form(fields, {name: ("data.jsonl", content)})
    headers = {**AUTH, "content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    return mock.handle(MockRequest("POST", path, "", headers, body))


# -- stored objects and bytes ------------------------------------------------------------------


def test_stored_objects_are_capped_and_an_evicted_one_answers_404(spec: Spec) -> None:
    mock = Mock(spec, max_objects=3)
    ids = [
        as_json(send(mock, "POST", "/v1/assistants", {"model": "gpt-4o", "name": f"a{i}"}))["id"]
        for i in range(5)
    ]
    assert len(set(ids)) == 5
    store = mock.resources.store if mock.resources else None
    assert store is not None and store.count == 3 and store.evicted == 2
    for gone in ids[:2]:  # the oldest went first, and answer as a deleted one would
        missing = send(mock, "GET", f"/v1/assistants/{gone}")
        assert missing.status == 404
        assert as_json(missing)["error"]["message"] == f"No assistant found with id '{gone}'."
        assert send(mock, "DELETE", f"/v1/assistants/{gone}").status == 404
    for kept in ids[2:]:
        assert as_json(send(mock, "GET", f"/v1/assistants/{kept}"))["id"] == kept
    listed = as_json(send(mock, "GET", "/v1/assistants?limit=10"))
    assert sorted(a["id"] for a in listed["data"]) == sorted(ids[2:])


def test_stored_bytes_are_capped_oldest_first_and_the_content_goes_with_its_file(
    spec: Spec,
) -> None:
    mock = Mock(spec, max_bytes=10_000)
    files = [as_json(upload(mock, bytes([65 + i]) * 3_000))["id"] for i in range(5)]
    store = mock.resources.store if mock.resources else None
    assert store is not None and store.size <= 10_000
    assert send(mock, "GET", f"/v1/files/{files[0]}/content").status == 404
    assert send(mock, "GET", f"/v1/files/{files[0]}").status == 404
    assert send(mock, "GET", f"/v1/files/{files[-1]}/content").body == b"E" * 3_000
    # one upload larger than the cap is still kept (the newest is never evicted for itself)
    big = as_json(upload(mock, b"z" * 20_000))["id"]
    assert send(mock, "GET", f"/v1/files/{big}/content").body == b"z" * 20_000
    assert store.count == 1 and send(mock, "GET", f"/v1/files/{files[-1]}").status == 404


def test_an_upload_is_stored_once_its_parts_consumed_by_complete(spec: Spec) -> None:
    mock = Mock(spec)
    store = mock.resources.store if mock.resources else None
    assert store is not None
    ask = {
        "filename": "big.txt",
        "purpose": "assistants",
        "bytes": 8_000,
        "mime_type": "text/plain",
    }
    made = as_json(send(mock, "POST", "/v1/uploads", ask))
    parts = [
        as_json(upload(mock, c * 4_000, f"/v1/uploads/{made['id']}/parts"))["id"]
        for c in (b"a", b"b")
    ]
    done = as_json(send(mock, "POST", f"/v1/uploads/{made['id']}/complete", {"part_ids": parts}))
    file = done["file"]["id"]
    assert send(mock, "GET", f"/v1/files/{file}/content").body == b"a" * 4_000 + b"b" * 4_000
    assert sum(len(c) for c in store.contents.values()) == 8_000  # the parts became the file


def test_store_and_bytes_options_reach_the_mock_from_the_command_line() -> None:
    """``conformance mock --max-objects N --max-bytes N`` over a real server and sockets."""
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "conformance", "mock", str(V230), "--port", "0", "--json"),
            *("--no-auth", "--max-objects", "2", "--max-bytes", "1000000"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline() or "null")
        assert info["max_objects"] == 2 and info["max_bytes"] == 1_000_000
        with httpx.Client(base_url=info["base_url"], timeout=30) as http:
            made = [
                http.post("/assistants", json={"model": "gpt-4o"}).json()["id"] for _ in range(3)
            ]
            assert http.get(f"/assistants/{made[0]}").status_code == 404
            assert [http.get(f"/assistants/{i}").status_code for i in made[1:]] == [200, 200]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    bad = subprocess.run(
        [sys.executable, "-m", "conformance", "mock", str(V230), "--max-objects", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--max-objects" in bad.stderr and "Traceback" not in bad.stderr


# -- the answer pool, request counters, ids handed out -----------------------------------------


def test_the_answer_pool_is_bounded_whatever_seeds_clients_send(spec: Spec) -> None:
    mock = Mock(spec, state=False)
    mock.pool = Pool(variants=16)
    for seed in range(60):
        send(mock, "GET", "/v1/models", x_conformance_seed=f"client-{seed}")
        send(mock, "POST", "/v1/chat/completions", CHAT, x_conformance_seed=f"client-{seed}")
    assert mock.pool.held <= 16


def test_evicted_variants_come_back_the_same(spec: Spec) -> None:
    """Eviction costs a draw, never an answer: a tiny pool answers as a big one does."""

    def session(pool: Pool) -> list[bytes]:
        mock = Mock(spec, state=False, seed=4)
        mock.pool = pool
        out = []
        for i in range(30):
            seed = {"x_conformance_seed": str(i % 7)} if i % 3 else {}
            out.append(send(mock, "POST", "/v1/chat/completions", CHAT, **seed).body)
            out.append(send(mock, "GET", "/v1/models", **seed).body)
        return [
            json.dumps({k: v for k, v in json.loads(b).items() if k != "created"}).encode()
            for b in out
        ]

    assert session(Pool(variants=3)) == session(Pool())


def test_request_counters_are_bounded_with_no_state(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core_module, "REMEMBERED_REQUESTS", 50)
    mock = Mock(spec, state=False)
    for i in range(200):
        send(mock, "GET", f"/v1/models/m{i}")
    assert len(mock._seen) == 50


def test_repeated_requests_vary_and_stay_deterministic_below_the_counter_cap(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core_module, "REMEMBERED_REQUESTS", 8)

    def session() -> list[bytes]:
        # a fixed clock: answers carry "now", and a second may tick between two sessions
        mock = Mock(spec, state=False, seed=2, clock=lambda: 1_800_000_000)
        return [send(mock, "POST", "/v1/chat/completions", CHAT).body for _ in range(6)]

    first = session()
    assert first == session() and len(set(first)) > 1


def test_created_ids_stay_unique_past_the_cap_of_ids_remembered(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core_module, "REMEMBERED_IDS", 8)
    mock = Mock(spec, state=False, seed=1)
    ids = []
    for round_ in range(3):  # the same seeds again: the same drawn ids come back
        for seed in range(12):
            answer = send(mock, "POST", "/v1/chat/completions", CHAT, x_conformance_seed=str(seed))
            ids.append(as_json(answer)["id"])
        assert len(mock.issued) <= 8, round_
    assert len(set(ids)) == len(ids) == 36


def test_the_in_memory_log_is_bounded_by_bytes_too() -> None:
    log = RequestLog(keep=1_000, keep_bytes=10_000)
    for i in range(10):
        body = bytes([97 + i]) * 3_000
        log.add(Result("createFile", Request("POST", "/v1/files", body=body), Response(200)))
    kept = log.records
    assert log.count == 10 and len(kept) == 3  # 3 × 3,000 bytes fit, a fourth does not
    assert kept[-1].request is not None and kept[-1].request.body == b"j" * 3_000
    log.add(Result("createFile", Request("POST", "/v1/files", body=b"z" * 50_000), Response(200)))
    assert len(log.records) == 1  # the newest is kept, however big


# -- multipart ---------------------------------------------------------------------------------


def _big_upload(size: int) -> tuple[bytes, str]:
    body = form({"purpose": "batch"}, {"file": ("big.jsonl", b"x" * size)})
    return body, f"multipart/form-data; boundary={BOUNDARY}"


def test_multipart_is_parsed_in_one_pass_without_email(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("email parser used")

    monkeypatch.setattr(email.parser.BytesParser, "parsebytes", refuse)
    size = 16 * 1024 * 1024
    body, ctype = _big_upload(size)
    tracemalloc.start()
    try:
        parts = parse_multipart(body, ctype)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(n, len(v), f) for n, v, f in parts] == [
        ("purpose", 5, None),
        ("file", size, "big.jsonl"),
    ]
    assert peak < 1.2 * size  # the file part's bytes, once


def test_a_large_upload_peaks_near_twice_its_size(spec: Spec) -> None:
    """The body, plus the file's bytes copied out of it once (and stored as they are)."""
    size = 16 * 1024 * 1024
    mock = Mock(spec)
    send(mock, "GET", "/v1/models")  # warm
    upload(mock, b"warm")
    body, ctype = _big_upload(size)
    request = MockRequest("POST", "/v1/files", "", {**AUTH, "content-type": ctype}, body)
    tracemalloc.start()
    try:
        created = mock.handle(request)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert created.status == 200 and as_json(created)["bytes"] == size
    assert peak < 1.2 * size  # beyond the body itself: 2x its size in all


def _parse(raw: bytes, boundary: str = "b") -> list[tuple[str, bytes, str | None]]:
    return parse_multipart(raw, f"multipart/form-data; boundary={boundary}")


def test_multipart_edge_cases_parse_as_the_rfc_says() -> None:
    # preamble and epilogue ignored; a delimiter-like line inside content is content
    raw = (
        b'preamble\r\n--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--bx\r\n'
        b'\r\n--b  \r\ncontent-disposition: form-data; name="f"; filename="q\\"x.txt"\r\n'
        b"\r\n\r\n\r\n--b--\r\nepilogue"
    )
    assert _parse(raw) == [("a", b"1\r\n--bx\r\n", None), ("f", b"\r\n", 'q"x.txt')]
    # a quoted boundary, RFC 5987 file names, base64 transfer encoding, empty values
    raw = (
        b'--a:b\r\nContent-Disposition: form-data; name="f"; filename="x"; '
        b"filename*=UTF-8''%C3%A9t%C3%A9.txt\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"aGk=\r\n--a:b\r\nContent-Disposition: form-data; name=e\r\n\r\n\r\n--a:b--"
    )
    assert _parse(raw, '"a:b"') == [("f", b"hi", "été.txt"), ("e", b"", None)]
    for broken, why in [
        (b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1', "close"),
        (b'--c\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--c--', "boundary"),
        (b"--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--", "name"),
        (b"--b--\r\n", "no parts"),
        (b'--b\r\nContent-Disposition: form-data; name="a"\r\n1\r\n--b--', "header"),
    ]:
        with pytest.raises(DecodeError, match=why):
            _parse(broken)
    with pytest.raises(DecodeError, match="boundary"):
        parse_multipart(b"--b--", "multipart/form-data")


# httpx escapes '"' as %22 and control characters as %XX (HTML5), which no parser can undo
_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"'), max_size=12
)


@settings(max_examples=60, deadline=None)
@given(
    fields=st.dictionaries(_TEXT.filter(bool), _TEXT, max_size=3),
    files=st.dictionaries(
        _TEXT.filter(bool).map(lambda s: "f_" + s),
        st.tuples(_TEXT.filter(bool), st.binary(max_size=300)),
        max_size=3,
    ),
)
def test_multipart_bodies_as_httpx_sends_them_parse_back(
    fields: dict[str, str], files: dict[str, tuple[str, bytes]]
) -> None:
    """What the OpenAI SDK (httpx) sends parses back to the fields and files it was built from."""
    files = {k: v for k, v in files.items() if k not in fields}
    if not fields and not files:
        return
    request = httpx.Request(
        "POST", "https://x/v1/files", data=fields, files=files or {"_": ("x", b"")}
    )
    parsed = parse_multipart(request.read(), request.headers["content-type"])
    expected = [(k, v.encode(), None) for k, v in fields.items()] + [
        (k, content, name) for k, (name, content) in (files or {"_": ("x", b"")}).items()
    ]
    assert parsed == expected


# -- a long mixed run --------------------------------------------------------------------------


def _mixed(mock: Mock, rng: random.Random, n: int) -> Iterator[MockResponse]:
    made: list[str] = []
    for i in range(n):
        pick = rng.random()
        seed = {"x_conformance_seed": f"s{rng.randrange(10_000)}"} if rng.random() < 0.3 else {}
        if pick < 0.2:
            response = send(
                mock, "POST", "/v1/assistants", {"model": "gpt-4o", "name": f"{i}"}, **seed
            )
            if response.status == 200:
                made.append(as_json(response)["id"])
        elif pick < 0.35:
            response = upload(mock, bytes([97 + i % 26]) * rng.randrange(1, 4_000))
        elif pick < 0.45 and made:
            response = send(mock, "GET", f"/v1/assistants/{rng.choice(made)}")
        elif pick < 0.55:
            response = send(mock, "GET", "/v1/assistants?limit=5")
        elif pick < 0.7:
            stored = {**CHAT, "store": rng.random() < 0.5, "stream": rng.random() < 0.5}
            response = send(mock, "POST", "/v1/chat/completions", stored, **seed)
        elif pick < 0.8:
            response = send(mock, "POST", "/v1/chat/completions", {"model": 1}, **seed)
        elif pick < 0.9:
            response = send(mock, "GET", f"/v1/models/m{i}", **seed)
        else:
            response = send(mock, "POST", "/v1/embeddings", {"model": "m", "input": str(i)}, **seed)
        yield response


@pytest.mark.slow
def test_a_long_mixed_run_stays_within_every_cap(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core_module, "REMEMBERED_REQUESTS", 100)
    monkeypatch.setattr(core_module, "REMEMBERED_IDS", 100)
    mock = Mock(spec, max_objects=40, max_bytes=50_000)
    mock.pool = Pool(variants=64)
    mock.log = RequestLog(keep=200, keep_bytes=100_000)
    store = mock.resources.store if mock.resources else None
    assert store is not None
    rng = random.Random(9)
    peaks: dict[str, int] = {}
    statuses: set[int] = set()
    for i, response in enumerate(_mixed(mock, rng, 3_000)):
        statuses.add(response.status)
        if i % 50 == 0:
            for name, value in {
                "objects": store.count,
                "bytes": store.size,
                "variants": mock.pool.held,
                "requests": len(mock._seen),
                "ids": len(mock.issued),
                "records": len(mock.records),
            }.items():
                peaks[name] = max(peaks.get(name, 0), value)
    assert max(statuses) < 500, statuses
    assert sum(len(c) for c in store.objects.values()) <= store.count
    assert peaks["objects"] <= 40 and peaks["bytes"] <= 50_000
    assert peaks["variants"] <= 64 and peaks["requests"] <= 100 and peaks["ids"] <= 100
    assert peaks["records"] <= 200 and store.evicted > 0 and mock.pool.evicted > 0


def test_deleted_catalog_ids_are_remembered_within_a_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    import conformance.mock.state as state_module

    monkeypatch.setattr(state_module, "GONE_IDS", 3)
    mock = Mock(load_spec(SPECS / "openai-2.3.0.yaml"))
    headers = {"authorization": "Bearer sk-x"}
    for i in range(10):
        assert mock.handle(MockRequest("DELETE", f"/v1/models/m{i}", headers=headers)).status == 200
    assert len(mock.resources.store.gone) == 3  # type: ignore[union-attr]
    assert mock.handle(MockRequest("GET", "/v1/models/m9", headers=headers)).status == 404
    assert mock.handle(MockRequest("GET", "/v1/models/m0", headers=headers)).status == 200
