"""The respx adapter: the official OpenAI SDK (sync and async) talks to the mock in process."""

from __future__ import annotations

import asyncio
import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
import respx
from openai.types.chat import ChatCompletionMessageParam
from support import SPECS

from conformance.mock import Mock, MockResponse
from conformance.mock.transport import (
    DEFAULT_BASE_URL,
    DROP_MESSAGE,
    ChunkStream,
    mock_router,
    to_httpx_response,
    to_mock_request,
)
from conformance.spec import Spec, load_spec

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hi"}]
AUTH = {"authorization": "Bearer sk-test"}


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(SPECS / "openai-2.3.0.yaml")


@pytest.fixture
def mock(spec: Spec) -> Iterator[Mock]:
    mock = Mock(spec, seed=1)
    with mock_router(mock):
        yield mock


@pytest.fixture
def client(mock: Mock) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", max_retries=0)


# -- conversion ----------------------------------------------------------------------------------


def test_to_mock_request_keeps_the_base_path_raw_query_headers_and_body() -> None:
    request = httpx.Request(
        "post",
        "https://api.openai.com/v1/files?purpose=batch&x=a%20b",
        headers={"Authorization": "Bearer sk-test"},
        content=b"abc",
    )
    got = to_mock_request(request)
    assert (got.method, got.path, got.query, got.body) == (
        "POST",
        "/v1/files",
        "purpose=batch&x=a%20b",
        b"abc",
    )
    assert got.headers["authorization"] == "Bearer sk-test"


def test_to_httpx_response_streams_chunk_by_chunk() -> None:
    answer = MockResponse(
        200, {"content-type": "text/event-stream"}, (b"data: 1\n\n", b"data: 2\n\n"), stream=True
    )
    response = to_httpx_response(answer)
    assert isinstance(response.stream, ChunkStream)
    assert list(response.iter_raw()) == [b"data: 1\n\n", b"data: 2\n\n"]


def test_chunk_stream_pauses_between_chunks_and_drops() -> None:
    stream = ChunkStream((b"a", b"b", b"c"), interval=0.05, drop=True)
    seen: list[bytes] = []
    started = time.perf_counter()
    with pytest.raises(httpx.RemoteProtocolError, match=DROP_MESSAGE):
        for chunk in stream:
            seen.append(chunk)
    assert seen == [b"a", b"b", b"c"]
    assert time.perf_counter() - started >= 0.09

    async def collect() -> list[bytes]:
        out = []
        async for chunk in ChunkStream((b"a", b"b"), interval=0.01):
            out.append(chunk)
        return out

    assert asyncio.run(collect()) == [b"a", b"b"]


def test_ids_with_encoded_slashes_route_to_their_operation(client: openai.OpenAI) -> None:
    model = client.models.retrieve(
        "ft:gpt-4o:org/custom"
    )  # the SDK sends ft%3Agpt-4o%3Aorg%2Fcustom
    assert model.id == "ft:gpt-4o:org/custom"


def test_mock_router_is_a_respx_router(spec: Spec) -> None:
    router = mock_router(Mock(spec))
    assert isinstance(router, respx.MockRouter)


# -- the official SDK, sync ----------------------------------------------------------------------


def test_models_list(client: openai.OpenAI, mock: Mock) -> None:
    page = client.models.list()
    assert all(model.object == "model" for model in page.data)
    assert [(r.method, r.path, r.operation) for r in mock.records] == [
        ("GET", "/v1/models", "listModels")
    ]


def test_chat_completion(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="gpt-4o", messages=USER)
    assert completion.object == "chat.completion"
    assert len(completion.choices) == 1
    two = client.chat.completions.create(model="gpt-4o", messages=USER, n=2)
    assert len(two.choices) == 2
    assert [choice.index for choice in two.choices] == [0, 1]


def test_chat_stream_arrives_chunk_by_chunk_and_ends(client: openai.OpenAI, mock: Mock) -> None:
    stream = client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    chunks = list(stream)
    assert chunks
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert any(choice.finish_reason for chunk in chunks for choice in chunk.choices)
    assert mock.records[-1].valid


def test_chat_stream_events_are_separate_chunks(mock: Mock) -> None:
    with (
        httpx.Client() as http,
        http.stream(
            "POST",
            f"{DEFAULT_BASE_URL}/chat/completions",
            headers=AUTH,
            json={"model": "gpt-4o", "messages": USER, "stream": True},
        ) as response,
    ):
        pieces = list(response.iter_raw())
    assert len(pieces) > 2
    assert all(piece.endswith(b"\n\n") for piece in pieces)
    assert pieces[-1] == b"data: [DONE]\n\n"


def test_chat_stream_include_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=USER,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    last = chunks[-1]
    assert last.usage is not None
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens
    assert all(chunk.usage is None for chunk in chunks[:-1])


def test_files_round_trip(client: openai.OpenAI) -> None:
    content = b'{"custom_id": "1", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'
    created = client.files.create(file=("batch.jsonl", content), purpose="batch")
    assert created.object == "file"
    assert client.files.content(created.id).content == content
    deleted = client.files.delete(created.id)
    assert deleted.deleted
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)


def test_invalid_request_is_rejected_and_logged(client: openai.OpenAI, mock: Mock) -> None:
    messages: Any = [{"role": "nope", "content": "x"}]
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="gpt-4o", messages=messages)
    assert raised.value.param == "messages[0].role"  # OpenAI names the tag
    record = mock.records[-1]
    assert (record.method, record.path, record.status, record.valid) == (
        "POST",
        "/v1/chat/completions",
        400,
        False,
    )
    assert any(v.is_error for v in record.violations)


def test_drop_fault_is_a_connection_error(spec: Spec) -> None:
    mock = Mock(spec, faults="drop")
    with mock_router(mock):
        client = openai.OpenAI(api_key="sk-test", max_retries=0)
        with pytest.raises(openai.APIConnectionError) as raised:
            client.models.list()
    cause = raised.value.__cause__
    assert cause is not None and type(cause).__name__ == "RemoteProtocolError"
    assert DROP_MESSAGE in str(cause)


def test_drop_fault_in_a_stream(spec: Spec) -> None:
    mock = Mock(spec, faults="drop")
    with mock_router(mock):
        client = openai.OpenAI(api_key="sk-test", max_retries=0)
        with pytest.raises(openai.APIConnectionError):
            for _ in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
                pass


def test_rate_limit_fault(spec: Spec) -> None:
    mock = Mock(spec, faults="rate-limit")
    with mock_router(mock):
        client = openai.OpenAI(api_key="sk-test", max_retries=0)
        with pytest.raises(openai.RateLimitError):
            client.models.list()
    assert [r.faults for r in mock.records] == [("rate-limit",)]


def test_latency_delays_the_head_and_a_short_timeout_times_out(spec: Spec) -> None:
    mock = Mock(spec, faults="latency=0.3")
    with mock_router(mock):
        client = openai.OpenAI(api_key="sk-test", max_retries=0)
        started = time.perf_counter()
        client.models.list()
        assert time.perf_counter() - started >= 0.3
        with pytest.raises(openai.APITimeoutError):
            client.with_options(timeout=0.05).models.list()


def test_override(client: openai.OpenAI, mock: Mock) -> None:
    mock.override("listModels", body={"object": "list", "data": []})
    assert client.models.list().data == []


# -- the official SDK, async ---------------------------------------------------------------------


def test_async_client(mock: Mock) -> None:
    async def run() -> tuple[int, int, bool]:
        client = openai.AsyncOpenAI(api_key="sk-test", max_retries=0)
        two = await client.chat.completions.create(model="gpt-4o", messages=USER, n=2)
        stream = await client.chat.completions.create(
            model="gpt-4o",
            messages=USER,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
        await client.close()
        return len(two.choices), len(chunks), chunks[-1].usage is not None

    n, count, usage = asyncio.run(run())
    assert (n, usage) == (2, True)
    assert count > 1
    assert [r.valid for r in mock.records] == [True, True]


def test_async_faults(spec: Spec) -> None:
    async def run(faults: str) -> BaseException:
        with mock_router(Mock(spec, faults=faults)):
            client = openai.AsyncOpenAI(api_key="sk-test", max_retries=0)
            try:
                await client.models.list()
            except openai.OpenAIError as error:
                return error
            finally:
                await client.close()
        raise AssertionError("no error")

    assert isinstance(asyncio.run(run("drop")), openai.APIConnectionError)
    assert isinstance(asyncio.run(run("rate-limit")), openai.RateLimitError)


# -- other httpx traffic -------------------------------------------------------------------------


def test_plain_httpx_is_routed_too(mock: Mock) -> None:
    response = httpx.get(f"{DEFAULT_BASE_URL}/models", headers=AUTH)
    assert response.status_code == 200
    assert response.json()["object"] == "list"


def test_requests_outside_base_url_are_not_mocked(mock: Mock) -> None:
    with pytest.raises(AssertionError, match="not mocked"):
        httpx.get("https://example.com/")
    with pytest.raises(AssertionError, match="not mocked"):
        httpx.get("https://api.openai.com/v1beta/models")  # /v1 is a whole path segment
    assert mock.records == []


def test_custom_base_url(spec: Spec) -> None:
    mock = Mock(spec)
    with mock_router(mock, "http://localhost:8080/v1"):
        client = openai.OpenAI(api_key="sk-test", base_url="http://localhost:8080/v1")
        client.models.list()
    assert mock.records[0].path == "/v1/models"


def test_without_assert_all_mocked_others_pass_through(spec: Spec) -> None:
    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        mock = Mock(spec)
        with mock_router(mock, assert_all_mocked=False):
            assert httpx.get(f"http://127.0.0.1:{server.server_port}/").text == "hello"
            assert httpx.get(f"{DEFAULT_BASE_URL}/models", headers=AUTH).status_code == 200
        assert [r.path for r in mock.records] == ["/v1/models"]
    finally:
        server.shutdown()
        server.server_close()
