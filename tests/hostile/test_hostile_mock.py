"""The mock server under hostile requests: every request is recorded as the client got it, bad
knob values and hostile JSON are OpenAI-style 400s naming the header or pointer (never a 500),
and the state answers what it holds. A real server on 127.0.0.1, real sockets.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import SPECS

from conformance.mock import Mock, MockRequest
from conformance.mock.server import MockServer
from conformance.results import read_results
from conformance.spec import Spec, load_spec

V230 = SPECS / "openai-2.3.0.yaml"

pytestmark = pytest.mark.skipif(not V230.exists(), reason=f"specs not found at {SPECS}")

AUTH = {"authorization": "Bearer sk-test-hostile"}
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hi"}]}


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(V230)


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("log") / "requests.jsonl"


@pytest.fixture(scope="module")
def mock(spec: Spec, log_path: Path) -> Mock:
    return Mock(spec, seed=1, log=log_path)


@pytest.fixture(scope="module")
def server(mock: Mock) -> Iterator[MockServer]:
    with MockServer(mock) as running:
        yield running


@pytest.fixture()
def client(server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=30) as http:
        yield http


def openai_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert {"message", "type", "param", "code"} <= set(error)
    return dict(error)


def logged(mock: Mock, log_path: Path, request_id: str) -> Any:
    """The record of a request, in memory and in the JSONL file (they must agree)."""
    kept = [r for r in mock.records if r.request_id == request_id]
    assert len(kept) == 1, f"request {request_id} not in mock.records"
    mock.log.close()  # flushes nothing new (lines are flushed as written); reopened on demand
    on_disk = [r for r in read_results(log_path).results if r.request_id == request_id]
    assert len(on_disk) == 1, f"request {request_id} not in the --log file"
    assert on_disk[0].response is not None and kept[0].response is not None
    assert on_disk[0].response.status == kept[0].response.status
    return kept[0]


def raw_exchange(server: MockServer, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """Send bytes on a socket; the status and body of the answer (Connection: close)."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


# -- lost records --------------------------------------------------------------------------------


def test_a_crash_is_a_500_and_is_recorded(spec: Spec, tmp_path: Path, log_path: Path) -> None:
    def boom(request: MockRequest) -> Any:
        raise RuntimeError("handler exploded")

    mock = Mock(spec, seed=1, log=tmp_path / "crash.jsonl")
    mock.override("listModels", handler=boom)
    with MockServer(mock) as server, httpx.Client(base_url=server.base_url, headers=AUTH) as c:
        response = c.get("/models")
        error = openai_error(response, 500)
        assert error["type"] == "server_error"
        record = logged(mock, tmp_path / "crash.jsonl", response.headers["x-request-id"])
        assert record.response.status == 500
        assert any("RuntimeError" in note and "handler exploded" in note for note in record.notes)
        # the server keeps serving, and the next request is recorded too
        assert c.post("/chat/completions", json=CHAT).status_code == 200
        assert mock.records[-1].operation == "createChatCompletion"


def test_a_handler_answering_an_impossible_status_is_a_recorded_500(spec: Spec) -> None:
    from conformance.mock import MockResponse

    mock = Mock(spec, seed=1)
    mock.override("listModels", handler=lambda r: MockResponse(999, {}, (b"{}",)))
    with MockServer(mock) as server, httpx.Client(base_url=server.base_url, headers=AUTH) as c:
        response = c.get("/models")
        openai_error(response, 500)
        assert mock.records[-1].response is not None
        assert mock.records[-1].response.status == 500
        assert "999" in " ".join(mock.records[-1].notes)


@pytest.mark.parametrize("value", ["999", "600", "100", "101", "0", "-1", "1e3", "20O"])
def test_a_status_knob_outside_200_599_is_a_recorded_400(
    client: httpx.Client, mock: Mock, log_path: Path, value: str
) -> None:
    response = client.get("/models", headers={"x-conformance-status": value})
    error = openai_error(response, 400)
    assert error["param"] == "x-conformance-status"
    record = logged(mock, log_path, response.headers["x-request-id"])
    assert record.response.status == 400
    assert record.replay.status is None


def test_a_status_knob_of_non_ascii_digits_is_a_recorded_400(
    server: MockServer, mock: Mock
) -> None:
    # "²" (latin-1 \xb2) is a digit to str.isdigit() but not to int()
    before = mock.log.count
    head = (
        b"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test-hostile\r\n"
        b"x-conformance-status: 2\xb200\r\nConnection: close\r\n\r\n"
    )
    status, body = raw_exchange(server, head)
    assert status == 400, body
    assert json.loads(body)["error"]["param"] == "x-conformance-status"
    assert mock.log.count == before + 1
    assert mock.records[-1].response is not None
    assert mock.records[-1].response.status == 400


def test_a_documented_status_knob_is_answered_and_recorded_as_sent(
    client: httpx.Client, mock: Mock
) -> None:
    response = client.get("/models", headers={"x-conformance-status": "503"})
    assert response.status_code == 503
    assert mock.records[-1].response is not None
    assert mock.records[-1].response.status == 503
    assert mock.records[-1].replay is not None and mock.records[-1].replay.status == 503


# -- 4xx, not 500 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nope", "TYPICAL", "edge,typical"])
def test_an_unknown_profile_knob_is_a_400_naming_the_header(
    client: httpx.Client, mock: Mock, log_path: Path, value: str
) -> None:
    response = client.get("/models", headers={"x-conformance-profile": value})
    error = openai_error(response, 400)
    assert error["param"] == "x-conformance-profile"
    assert logged(mock, log_path, response.headers["x-request-id"]).response.status == 400


@pytest.mark.parametrize(
    "value",
    ["rate-limit=1e308", "latency=1e308", "unavailable=1e5", "latency=inf", "rate-limit=nan"],
)
def test_an_out_of_range_fault_knob_is_a_400_naming_the_header(
    client: httpx.Client, mock: Mock, log_path: Path, value: str
) -> None:
    response = client.get("/models", headers={"x-conformance-faults": value})
    error = openai_error(response, 400)
    assert error["param"] == "x-conformance-faults"
    assert logged(mock, log_path, response.headers["x-request-id"]).response.status == 400


def test_a_digit_named_key_of_a_free_form_map_is_a_400(
    client: httpx.Client, mock: Mock, log_path: Path
) -> None:
    # schemathesis negative mode: an undeclared field inside attributes' "0" entry
    response = client.post("/vector_stores/vs_1/files/file_1", json={"attributes": {"0": {"a": 1}}})
    error = openai_error(response, 400)
    assert error["param"] is not None and error["param"].startswith("attributes")
    assert logged(mock, log_path, response.headers["x-request-id"]).response.status == 400


def chat_with(raw_value: bytes) -> bytes:
    return (
        b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], ' + raw_value + b"}"
    )


@pytest.mark.parametrize(
    ("name", "body", "said"),
    [
        ("deep array", b"[" * 10_000 + b"]" * 10_000, "nested deeper than 128"),
        (
            "deep object",
            chat_with(b'"metadata": ' + b'{"a": ' * 10_000 + b"1" + b"}" * 10_000),
            "nested deeper than 128",
        ),
        ("long integer", chat_with(b'"n": ' + b"9" * 5000), "longer than 4300 digits"),
        ("NaN", chat_with(b'"temperature": NaN'), "NaN is not a JSON number"),
        ("Infinity", chat_with(b'"temperature": -Infinity'), "-Infinity is not a JSON number"),
        ("1e400", chat_with(b'"temperature": 1e400'), "beyond the range"),
        ("lone surrogate", chat_with(b'"user": "\\ud800"'), "lone surrogate"),
    ],
)
def test_hostile_json_is_a_400_that_says_what_it_is(
    client: httpx.Client, mock: Mock, log_path: Path, name: str, body: bytes, said: str
) -> None:
    response = client.post(
        "/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    error = openai_error(response, 400)
    assert said in error["message"], error
    assert "null is not of types" not in error["message"]
    record = logged(mock, log_path, response.headers["x-request-id"])
    assert [v.code for v in record.errors] == ["request.decode"]
    assert client.post("/chat/completions", json=CHAT).status_code == 200


def test_nan_names_its_pointer(client: httpx.Client) -> None:
    response = client.post(
        "/chat/completions",
        content=chat_with(b'"temperature": NaN'),
        headers={"content-type": "application/json"},
    )
    assert openai_error(response, 400)["param"] == "temperature"


def test_a_5000_digit_integer_in_the_query_is_a_400(
    client: httpx.Client, mock: Mock, log_path: Path
) -> None:
    response = client.get("/files", params={"limit": "9" * 5000})
    error = openai_error(response, 400)
    assert error["param"] == "limit"
    assert "longer than 4300 digits" in error["message"]
    assert logged(mock, log_path, response.headers["x-request-id"]).response.status == 400


def test_limits_are_options(spec: Spec) -> None:
    from conformance.validate.limits import Limits

    mock = Mock(spec, seed=1, limits=Limits(depth=4, digits=5))
    deep = mock.handle(
        MockRequest(
            "POST",
            "/v1/chat/completions",
            headers={**AUTH, "content-type": "application/json"},
            body=chat_with(b'"metadata": {"a": [[[1]]]}'),
        )
    )
    assert deep.status == 400 and b"nested deeper than 4" in deep.body
    long = mock.handle(MockRequest("GET", "/v1/files", "limit=123456", headers=AUTH))
    assert long.status == 400 and b"longer than 5 digits" in long.body


# -- wrong answers ----------------------------------------------------------------------------------


def test_a_deleted_model_is_gone(client: httpx.Client) -> None:
    listed = client.get("/models").json()["data"]
    model = listed[0]["id"]
    assert client.get(f"/models/{model}").status_code == 200
    deleted = client.delete(f"/models/{model}")
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    error = openai_error(client.get(f"/models/{model}"), 404)
    assert error["param"] is not None or model in error["message"]
    assert model not in [m["id"] for m in client.get("/models").json()["data"]]


@pytest.mark.parametrize("name", ["api_key", "api%5Fkey", "key", "access_token"])
def test_a_key_in_the_query_is_never_logged(
    client: httpx.Client, mock: Mock, log_path: Path, name: str
) -> None:
    secret = "plain-secret-7f3a9c"  # no sk- prefix: found by the parameter's name alone
    response = client.get(f"/models?{name}={secret}")
    record = logged(mock, log_path, response.headers["x-request-id"])
    assert record.request is not None and secret not in record.request.query
    assert secret not in log_path.read_text()


def test_a_small_completion_body_cannot_ask_for_a_huge_answer(client: httpx.Client) -> None:
    """prompt: 1,000 strings x n: 128 is 128,000 choices asked in a 5 kB body (a 64 MiB one
    could ask for billions): OpenAI's 400 naming n, streamed or not; at the cap it is served."""
    asked = {"model": "gpt-3.5-turbo-instruct", "prompt": ["a"] * 1000, "n": 128}
    for stream in (False, True):
        response = client.post("/completions", json={**asked, "stream": stream})
        assert response.status_code == 400, response.text[:300]
        error = openai_error(response, 400)
        assert (error["param"], error["code"]) == ("n", "invalid_value")
        assert "128000 choices" in error["message"] and "2048" in error["message"]
    response = client.post("/completions", json={**asked, "prompt": ["a"] * 16})
    assert response.status_code == 200, response.text
    assert len(response.json()["choices"]) == 16 * 128
