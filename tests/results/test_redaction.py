"""Redaction: a canary secret planted in requests never reaches the mock's log or records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import SPECS

from conformance.mock import Mock
from conformance.mock.server import MockServer
from conformance.mock.transport import mock_router
from conformance.results import Redactor, Request, Response, Result, read_results
from conformance.spec import Spec, load_spec
from conformance.validate import Violation

V230 = SPECS / "openai-2.3.0.yaml"
pytestmark = pytest.mark.skipif(not V230.exists(), reason=f"specs not found at {SPECS}")

CANARY = "sk-proj-CANARY0123456789abcdefXYZ"
NAMED = "my-own-Secret-value-42"  # no token shape: found only because the user names it
NEEDLES = ("CANARY", NAMED)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(V230)


def test_credential_headers_keep_their_scheme_only() -> None:
    r = Redactor()
    out = r.headers(
        {
            "authorization": f"Bearer {CANARY}",
            "api-key": "plain",
            "x-api-key": "plain",
            "cookie": "session=abc",
            "set-cookie": "id=1; Path=/",
            "x-goog-api-key": "plain",
            "openai-organization": "org-1",
            "x-note": f"was {CANARY}",
        }
    )
    assert out == {
        "authorization": "Bearer [redacted:authorization]",
        "api-key": "[redacted:api-key]",
        "x-api-key": "[redacted:x-api-key]",
        "cookie": "[redacted:cookie]",
        "set-cookie": "[redacted:set-cookie]",
        "x-goog-api-key": "[redacted:x-goog-api-key]",
        "openai-organization": "org-1",
        "x-note": "was [redacted:token]",
    }
    assert Redactor(headers=["x-session"]).headers({"X-Session": "s"}) == {
        "X-Session": "[redacted:x-session]"
    }


def test_query_parameters_by_name_and_by_value() -> None:
    r = Redactor(values=[NAMED])
    assert r.query(f"api_key={CANARY}&limit=2&key=k&access_token=t&after=x") == (
        "api_key=[redacted:api_key]&limit=2&key=[redacted:key]"
        "&access_token=[redacted:access_token]&after=x"
    )
    assert r.query(f"q=a+{NAMED.replace('-', '%2D')}") == "q=[redacted:value]"
    assert r.query(f"q={CANARY}") == "q=[redacted:token]"
    assert Redactor(params=["p"]).query("p=1&order=asc") == "p=[redacted:p]&order=asc"


def test_tokens_need_their_shape() -> None:
    r = Redactor()
    for secret in ("sk-abcdefgh", "sk-proj-abc_DEF-123", "sk-svcacct-0123456789", "sess-abcdefgh1"):
        assert r.text(f"x {secret} y") == "x [redacted:token] y", secret
    for harmless in ("sk-short", "task-abcdefghijk", "desk-0123456789", "ask-me"):
        assert r.text(harmless) == harmless


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=60), max_size=5), st.sampled_from(NEEDLES))
def test_a_secret_cut_by_chunk_boundaries_is_still_found(cuts: list[int], needle: str) -> None:
    secret = CANARY if needle == "CANARY" else NAMED
    body = f'data: {{"k": "{secret}", "é": 1}}\n\n'.encode()
    edges = sorted({min(c, len(body)) for c in cuts})
    chunks = [body[a:b] for a, b in zip([0, *edges], [*edges, len(body)], strict=True) if b > a]
    out = Redactor(values=[NAMED]).chunks(chunks)
    assert len(out) == len(chunks)
    joined = b"".join(out)
    assert needle.encode() not in joined
    assert joined == Redactor(values=[NAMED]).body(body)


def test_results_are_redacted_everywhere() -> None:
    result = Result(
        "createChatCompletion",
        Request(
            "POST",
            f"/v1/files/{CANARY}",
            f"api_key={CANARY}",
            {"authorization": f"Bearer {CANARY}"},
            json.dumps({"user": CANARY, "note": NAMED}).encode(),
            origin=f"https://me:{NAMED}@example.com",
        ),
        Response(
            200, {"set-cookie": CANARY}, (f"data: {CANARY[:9]}".encode(), CANARY[9:].encode())
        ),
        notes=(f"saw {CANARY}",),
        violations=(Violation(f"{CANARY!r} is bad", where="request.body", actual=[CANARY]),),
    )
    dumped = json.dumps(result.redacted(Redactor(values=[NAMED])).to_dict())
    for needle in NEEDLES:
        assert needle not in dumped
    assert "[redacted:token]" in dumped and "[redacted:password]" in dumped


# -- a canary through a real mock ---------------------------------------------------------------


def planted(client: httpx.Client, base: str) -> None:
    """Requests carrying the canary in every place a client can put it."""
    headers = {"authorization": f"Bearer {CANARY}", "cookie": f"s={CANARY}"}
    chat = {"model": "gpt-4o", "messages": [{"role": "user", "content": f"my key is {CANARY}"}]}
    client.get(f"{base}/models", params={"api_key": CANARY}, headers=headers)
    client.post(f"{base}/chat/completions", json={**chat, "user": CANARY}, headers=headers)
    client.post(  # echoed in a 400's message and in the violation
        f"{base}/chat/completions", json={**chat, "temperature": CANARY}, headers=headers
    )
    client.post(
        f"{base}/chat/completions",
        json={**chat, "stream": True, "metadata": {"k": NAMED}},
        headers={**headers, "x-conformance-faults": "split"},
    )
    client.post(
        f"{base}/responses",
        json={"model": "gpt-4o", "input": "hi", "user": CANARY, "metadata": {"note": NAMED}},
        headers=headers,
    )
    client.get(f"{base}/models/{CANARY}", headers={"api-key": CANARY})


def assert_nowhere(mock: Mock, path: Path) -> None:
    raw = path.read_bytes()
    assert raw.count(b"\n") >= 7  # a head and six results
    memory = "\n".join(
        [json.dumps(r.to_dict(), ensure_ascii=False) for r in mock.records]
        + [repr(r) for r in mock.records]
        + [json.dumps(mock.log.document().to_dict())]
    ).encode()
    for needle in NEEDLES:
        assert needle.encode() not in raw, needle
        assert needle.encode() not in memory, needle
    assert b"[redacted:" in raw
    assert len(read_results(path).results) == len(mock.records) == 6
    assert mock.records[2].status == 400 and not mock.records[2].valid


def test_no_canary_reaches_the_log_in_process(spec: Spec, tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    mock = Mock(spec, log=path, redact=[NAMED])
    with mock_router(mock), httpx.Client() as client:
        planted(client, "https://api.openai.com/v1")
    mock.log.close()
    assert_nowhere(mock, path)


@pytest.fixture
def served(spec: Spec, tmp_path: Path) -> Iterator[tuple[MockServer, Mock, Path]]:
    path = tmp_path / "served.jsonl"
    mock = Mock(spec, log=path, redact=[NAMED])
    with MockServer(mock) as server:
        yield server, mock, path
    mock.log.close()


def test_no_canary_reaches_the_log_over_http(served: tuple[MockServer, Mock, Path]) -> None:
    server, mock, path = served
    with httpx.Client(timeout=30) as client:
        planted(client, server.base_url)
    assert_nowhere(mock, path)
