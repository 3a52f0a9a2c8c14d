"""The mock over real HTTP: ``MockApp`` served by uvicorn in a ``MockServer`` on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from support import SPECS

from conformance import sse
from conformance.mock import Mock, MockRequest, MockResponse
from conformance.mock.app import HEALTH_PATH
from conformance.mock.server import MockServer, bind
from conformance.spec import Spec, load_spec
from conformance.validate import Validator, Violation

V230 = SPECS / "openai-2.3.0.yaml"

pytestmark = pytest.mark.skipif(not V230.exists(), reason=f"specs not found at {SPECS}")

AUTH = {"authorization": "Bearer sk-test"}
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hi"}]}


class SlowStreams(Mock):
    """A mock that paces its event streams, so each event arrives in its own read."""

    def handle(self, request: MockRequest) -> MockResponse:
        response = super().handle(request)
        return response.with_(interval=0.02) if response.stream else response


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(V230)


@pytest.fixture(scope="module")
def validator(spec: Spec) -> Validator:
    return Validator(spec)


@pytest.fixture(scope="module")
def mock(spec: Spec) -> Mock:
    return SlowStreams(spec, seed=1)


@pytest.fixture(scope="module")
def server(mock: Mock) -> Iterator[MockServer]:
    with MockServer(mock) as running:
        yield running


@pytest.fixture()
def client(server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=30) as http:
        yield http


def errors(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.is_error]


def assert_serving(client: httpx.Client) -> None:
    response = client.post("/chat/completions", json=CHAT)
    assert response.status_code == 200, response.text
    assert response.json()["object"] == "chat.completion"


def assert_openai_error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error, dict)
    assert {"message", "type", "param", "code"} <= set(error)
    return error


def test_urls(server: MockServer, mock: Mock) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert server.base_url == server.url + "/v1"
    assert mock.base_path == "/v1"


def test_list_models(client: httpx.Client, validator: Validator) -> None:
    response = client.get("/models")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.json()["object"] == "list"
    assert not errors(
        validator.response(
            "listModels",
            status=200,
            headers=dict(response.headers),
            body=response.content,
            content_type=response.headers["content-type"],
        )
    )


def test_chat_completion_is_valid(client: httpx.Client, validator: Validator) -> None:
    response = client.post("/chat/completions", json=CHAT)
    assert response.status_code == 200, response.text
    assert not errors(
        validator.response(
            "createChatCompletion",
            status=200,
            headers=dict(response.headers),
            body=response.content,
            content_type=response.headers["content-type"],
        )
    )


def test_health_outside_the_base_path(server: MockServer) -> None:
    for path in (HEALTH_PATH, "/"):
        response = httpx.get(server.url + path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/chat/completions", content=b'{"model": ', headers={"content-type": "application/json"}
    )
    assert assert_openai_error(response, 400)["type"] == "invalid_request_error"
    assert_serving(client)


def test_wrong_content_type_is_4xx(client: httpx.Client) -> None:
    response = client.post(
        "/chat/completions", content=json.dumps(CHAT), headers={"content-type": "text/plain"}
    )
    assert 400 <= response.status_code < 500
    assert_openai_error(response, response.status_code)
    assert_serving(client)


def test_unknown_path_is_404(client: httpx.Client) -> None:
    assert_openai_error(client.get("/no/such/thing"), 404)
    assert_serving(client)


def test_missing_auth_is_401(server: MockServer, client: httpx.Client) -> None:
    response = httpx.get(server.base_url + "/models")
    assert_openai_error(response, 401)
    assert_serving(client)


def test_percent_encoded_slash_stays_in_the_id(
    client: httpx.Client, mock: Mock, server: MockServer
) -> None:
    response = client.get(server.base_url + "/models/ft%3Aorg%2Fmodel")
    assert response.status_code == 200, response.text
    assert mock.records[-1].operation == "retrieveModel"
    assert mock.records[-1].path == "/v1/models/ft%3Aorg%2Fmodel"


def test_stream_arrives_event_by_event(client: httpx.Client, validator: Validator) -> None:
    reads: list[bytes] = []
    with client.stream("POST", "/chat/completions", json={**CHAT, "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "content-length" not in response.headers
        reads.extend(chunk for chunk in response.iter_raw() if chunk)
    assert len(reads) >= 3
    raw = b"".join(reads)
    events = sse.parse(raw).events
    assert events[-1].data == "[DONE]"
    assert not errors(validator.stream("createChatCompletion", raw))
    assert_serving(client)


def test_oversized_bodies_are_413(spec: Spec) -> None:
    small = Mock(spec, max_body=1024)
    with (
        MockServer(small) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH, timeout=30) as client,
    ):
        big = json.dumps({**CHAT, "user": "x" * 4096}).encode()
        declared = client.post(
            "/chat/completions", content=big, headers={"content-type": "application/json"}
        )
        assert assert_openai_error(declared, 413)["type"] == "invalid_request_error"
        assert_serving(client)

        def pieces() -> Iterator[bytes]:  # chunked: no Content-Length to refuse up front
            for _ in range(64):
                yield b"x" * 8192

        chunked = client.post(
            "/chat/completions", content=pieces(), headers={"content-type": "application/json"}
        )
        assert_openai_error(chunked, 413)
        assert_serving(client)


def test_unexpected_error_is_500_and_server_keeps_serving(spec: Spec) -> None:
    broken = Mock(spec)

    def boom(request: MockRequest) -> object:
        raise RuntimeError("boom")

    broken.override("listModels", handler=boom)
    with (
        MockServer(broken) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH, timeout=30) as client,
    ):
        assert assert_openai_error(client.get("/models"), 500)["type"] == "server_error"
        assert_serving(client)


def test_drop_breaks_the_response_and_server_keeps_serving(spec: Spec) -> None:
    dropping = Mock(spec, faults="drop")
    with (
        MockServer(dropping) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH, timeout=30) as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/models")
        with (
            pytest.raises(httpx.RemoteProtocolError),
            client.stream("POST", "/chat/completions", json={**CHAT, "stream": True}) as stream,
        ):
            stream.read()
        assert client.get(server.url + HEALTH_PATH).status_code == 200


def test_drop_knob_then_good_request(client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/models", headers={"x-conformance-faults": "drop"})
    assert_serving(client)


def test_latency_override_delays(spec: Spec) -> None:
    slow = Mock(spec)
    slow.override("listModels", latency=0.2)
    with (
        MockServer(slow) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH, timeout=30) as client,
    ):
        started = time.perf_counter()
        response = client.get("/models")
        assert time.perf_counter() - started >= 0.2
        assert response.status_code == 200


def test_port_in_use_is_an_input_error(server: MockServer, mock: Mock) -> None:
    from conformance.errors import InputError

    with pytest.raises(InputError, match="in use"):
        bind("127.0.0.1", server.port)
    with pytest.raises(InputError, match="in use"):
        MockServer(mock, port=server.port).start()
