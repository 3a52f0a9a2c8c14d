"""The mock's core: routing, request validation, generation fitted to the request, control."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import traffic
from support import SPECS

from conformance import Validator, load_spec
from conformance.mock import Mock, MockRequest, MockResponse
from conformance.mock.draw import draw
from conformance.mock.log import RequestLog
from conformance.mock.transport import to_mock_request
from conformance.results import Request, Response, Result
from conformance.spec import Spec
from conformance.strategies import invalid_requests, requests

AUTH = {"authorization": "Bearer sk-test"}


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(SPECS / "openai-2.3.0.yaml")


@pytest.fixture(scope="module")
def validator(spec: Spec) -> Validator:
    return Validator(spec, strict=True)


def send(
    mock: Mock, method: str, path: str, body: Any = None, query: str = "", **headers: str
) -> MockResponse:
    raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    ctype = {"content-type": "application/json"} if body is not None else {}
    hdrs = {**AUTH, **ctype, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return mock.handle(MockRequest(method, path, query, hdrs, raw))


def as_json(response: MockResponse) -> Any:
    return json.loads(response.body)


CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi"}]}


def test_chat_completion_echoes_model_and_honours_n(spec: Spec, validator: Validator) -> None:
    mock = Mock(spec, seed=3)
    for n in (1, 3):
        response = send(mock, "POST", "/v1/chat/completions", {**CHAT, "n": n})
        assert response.status == 200
        body = as_json(response)
        assert body["model"] == "gpt-4o-mini"
        assert [c["index"] for c in body["choices"]] == list(range(n))
        assert not any(c["message"].get("tool_calls") for c in body["choices"])  # no tools sent
        assert (
            validator.response(
                "createChatCompletion", status=200, headers=response.headers, body=response.body
            )
            == []
        )


@pytest.mark.parametrize("n, usage", [(1, False), (2, True)])
def test_chat_stream_is_real_sse_honouring_n_and_include_usage(
    spec: Spec, validator: Validator, n: int, usage: bool
) -> None:
    mock = Mock(spec, seed=5)
    request = {**CHAT, "stream": True, "n": n, "stream_options": {"include_usage": usage}}
    response = send(mock, "POST", "/v1/chat/completions", request)
    assert response.status == 200 and response.stream
    assert response.headers["content-type"].startswith("text/event-stream")
    assert len(response.chunks) >= 4  # one chunk per event: delivered incrementally
    assert response.chunks[-1] == b"data: [DONE]\n\n"
    chunks = [json.loads(c[len(b"data: ") :]) for c in response.chunks[:-1]]
    assert {c["model"] for c in chunks} == {"gpt-4o-mini"}
    assert len({c["id"] for c in chunks}) == 1
    assert {ch["index"] for c in chunks for ch in c["choices"]} == set(range(n))
    assert any(c.get("usage") for c in chunks) is usage
    assert [v for v in validator.stream("createChatCompletion", response.body) if v.is_error] == []


def test_invalid_requests_get_openai_style_400s_naming_the_violation(spec: Spec) -> None:
    mock = Mock(spec)
    missing = send(mock, "POST", "/v1/chat/completions", {"model": "gpt-4o"})
    assert missing.status == 400
    assert as_json(missing)["error"] == {
        "message": "Missing required parameter: 'messages'.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "missing_required_parameter",
    }
    wrong = send(mock, "POST", "/v1/chat/completions", {**CHAT, "temperature": "hot"})
    error = as_json(wrong)["error"]
    assert (wrong.status, error["param"], error["code"]) == (400, "temperature", "invalid_type")
    broken = send(mock, "POST", "/v1/chat/completions", b'{"model": ')
    assert (
        broken.status == 400
        and "could not parse the JSON body" in as_json(broken)["error"]["message"]
    )
    nested = send(
        mock,
        "POST",
        "/v1/chat/completions",
        {**CHAT, "messages": [{"role": "robot", "content": "x"}]},
    )
    assert as_json(nested)["error"]["param"] == "messages[0].role"  # see test_rejection.py
    assert [r.valid for r in mock.records] == [False, False, False, False]
    assert all(r.violations for r in mock.records)


def test_unknown_paths_and_missing_credentials(spec: Spec) -> None:
    mock = Mock(spec)
    unknown = send(mock, "GET", "/v1/no/such/thing")
    assert (
        unknown.status == 404
        and as_json(unknown)["error"]["message"] == "Invalid URL (GET /v1/no/such/thing)"
    )
    outside = send(mock, "GET", "/models")  # no base path
    assert outside.status == 404
    anonymous = mock.handle(MockRequest("GET", "/v1/models"))
    assert (
        anonymous.status == 401 and as_json(anonymous)["error"]["type"] == "invalid_request_error"
    )
    assert send(Mock(spec, auth=False), "GET", "/v1/models").status == 200 if True else None


def test_mock_routes_real_paths_as_the_validator_does(spec: Spec, validator: Validator) -> None:
    """Every real request path, and each with the base path doubled (``/v1/v1/models``): the
    mock answers for the operation the Validator routes it to, or 404/405 where none matches."""
    paths = sorted({(e["method"], urlsplit(e["url"]).path) for e in traffic.index()})
    mock = Mock(spec, state=False)
    doubled = [(method, spec.base_path + path) for method, path in paths]
    for method, path in paths + doubled:
        routed = validator.request(method=method, path=path)
        unknown = [x for x in routed if x.where == "request.path" and not x.pointer]
        answer = send(mock, method, path)
        if unknown:
            assert (answer.status, answer.operation) in ((404, None), (405, None)), (method, path)
        else:
            assert answer.operation == spec.match(method, path)[0].operation_id, (method, path)  # type: ignore[index]
    assert send(mock, "GET", "/v1/v1/models").status == 404


def test_mock_streams_real_streaming_requests(spec: Spec) -> None:
    """The first valid real request of each operation answered with a stream gets a stream from
    the mock, and one the Validator accepts (no error raised and caught on the way)."""
    mock, v = Mock(spec, state=False), Validator(spec)
    seen: set[str] = set()
    for entry in traffic.index():
        interaction = traffic.load(entry["file"]) if entry["kind"] == "sse" else None
        op = traffic.route(spec, interaction) if interaction else None
        if interaction is None or op is None or op.operation_id in seen:
            continue
        body = interaction["request"]["body"]
        if any(x.is_error for x in v.request(op, body=body)):
            continue  # e.g. max_completion_tokens below the spec's minimum
        seen.add(op.operation_id)
        answer = send(mock, op.method, urlsplit(interaction["url"]).path, body)
        assert (answer.status, answer.stream) == (200, True), op.operation_id
        assert [x for x in v.stream(op, answer.body) if x.is_error] == [], op.operation_id
    assert {"createChatCompletion", "createCompletion", "createResponse"} <= seen


def test_same_seed_same_answers_other_seed_other_answers(spec: Spec) -> None:
    def session(seed: int) -> list[bytes]:
        mock = Mock(spec, seed=seed, clock=lambda: 1_764_000_000.5)  # timestamps follow the clock
        return [send(mock, "POST", "/v1/chat/completions", CHAT).body for _ in range(4)] + [
            send(
                mock, "POST", "/v1/embeddings", {"model": "text-embedding-3-small", "input": "x"}
            ).body
        ]

    first = session(1)
    assert first == session(1)
    assert len(set(first[:4])) > 1  # repeated requests still vary
    assert first != session(2)


@pytest.mark.parametrize("name", ["openai-2.3.0.yaml", "openai-2026-08.yaml"])
def test_every_operation_answers_generated_requests_with_valid_responses(name: str) -> None:
    spec = load_spec(SPECS / name)
    mock = Mock(spec, state=False, seed=7)
    check = Validator(spec)
    failures = []
    for op in spec.operations:
        for index in range(2):
            case = draw(requests(spec, op), f"{name}:{op.operation_id}:{index}")
            request = case.to_httpx("http://mock/v1")
            response = mock.handle(as_mock_request(request))
            errors = []
            if response.status != 200 and not (200 <= response.status < 300):
                errors = [f"status {response.status}: {response.body[:300]!r}"]
            elif response.stream:
                errors = [
                    str(v)
                    for v in check.stream(op, response.body, status=response.status)
                    if v.is_error
                ]
            else:
                errors = [
                    str(v)
                    for v in check.response(
                        op, status=response.status, headers=response.headers, body=response.body
                    )
                    if v.is_error
                ]
            if errors:
                failures.append(f"{op.operation_id}: {errors[:2]}")
    assert failures == []
    assert all(r.valid for r in mock.records)


def as_mock_request(request: Any) -> MockRequest:
    """A generated request, with credentials, as the mock sees it."""
    request.headers.update(AUTH)
    return to_mock_request(request)


def test_generated_invalid_requests_are_rejected_with_the_announced_violation(spec: Spec) -> None:
    mock = Mock(spec, state=False)
    checked = 0
    for op in spec.operations:
        if op.request_body is None:
            continue
        try:
            bad = draw(invalid_requests(spec, op), op.operation_id)
        except ValueError:
            continue
        request = bad.case.to_httpx("http://mock/v1")
        response = mock.handle(as_mock_request(request))
        assert response.status == 400, (op.operation_id, bad.constraint, response.body[:200])
        record = mock.records[-1]
        assert not record.valid
        announced = (bad.expected.where, bad.expected.pointer, bad.expected.code)
        assert announced in [(v.where, v.pointer, v.code) for v in record.violations], (
            op.operation_id,
            bad.constraint,
        )
        checked += 1
    assert checked >= 30


def test_overrides_fix_body_status_latency_or_call_a_handler(spec: Spec) -> None:
    mock = Mock(spec)
    mock.override("listModels", body={"object": "list", "data": []}, latency=0.25)
    fixed = send(mock, "GET", "/v1/models")
    assert as_json(fixed) == {"object": "list", "data": []} and fixed.delay == 0.25
    mock.override("createEmbedding", status=503)
    assert send(mock, "POST", "/v1/embeddings", {"model": "m", "input": "x"}).status == 503
    seen: list[MockRequest] = []
    mock.override(
        "GET /models/{model}",
        handler=lambda r: (
            seen.append(r) or {"id": "mine", "object": "model", "created": 1, "owned_by": "me"}
        ),
    )
    assert (
        as_json(send(mock, "GET", "/v1/models/abc"))["id"] == "mine"
        and seen[0].path == "/v1/models/abc"
    )
    mock.reset()
    assert as_json(send(mock, "GET", "/v1/models/abc"))["id"] == "abc"  # path id echoed


def test_header_knobs_select_status_profile_and_seed(spec: Spec) -> None:
    mock = Mock(spec, clock=lambda: 1_800_000_000)  # same seed, same second: same answer
    assert send(mock, "GET", "/v1/models", x_conformance_status="500").status == 500
    not_documented = send(mock, "GET", "/v1/models", x_conformance_status="201")
    assert (
        not_documented.status == 400
        and "not documented" in as_json(not_documented)["error"]["message"]
    )
    a = send(mock, "POST", "/v1/chat/completions", CHAT, x_conformance_seed="9").body
    other = Mock(spec, clock=lambda: 1_800_000_000)
    b = send(other, "POST", "/v1/chat/completions", CHAT, x_conformance_seed="9").body
    assert a == b
    edge = send(mock, "GET", "/v1/models", x_conformance_profile="edge")
    assert edge.status == 200
    bad = send(mock, "GET", "/v1/models", x_conformance_faults="explode")
    assert bad.status == 400 and "explode" in as_json(bad)["error"]["message"]


@pytest.mark.parametrize("errata", [None, ()], ids=["errata", "no-errata"])
def test_embeddings_come_in_the_encoding_asked_for(errata: tuple[str, ...] | None) -> None:
    spec = load_spec(SPECS / "openai-2.3.0.yaml", errata=errata)
    validator = Validator(spec, strict=True)
    for seed in range(40):
        mock = Mock(spec, seed=seed)
        ask = {"model": "text-embedding-3-small", "input": ["a", "b"]}
        floats = as_json(send(mock, "POST", "/v1/embeddings", ask))
        assert all(isinstance(d["embedding"], list) and d["embedding"] for d in floats["data"])
        assert validator.response("createEmbedding", body=floats) == []
        packed = send(mock, "POST", "/v1/embeddings", {**ask, "encoding_format": "base64"})
        for item in as_json(packed)["data"]:
            raw = base64.b64decode(item["embedding"], validate=True)
            assert raw and len(raw) % 4 == 0  # float32s, as the SDKs decode them
        record = mock.log.records[-1]
        assert bool(record.notes) == (errata == ()), record.notes  # a deviation only without
        found = validator.response("createEmbedding", headers=packed.headers, body=packed.body)
        assert (found == []) == (errata is None), found


def test_a_request_body_is_parsed_once(spec: Spec, monkeypatch: pytest.MonkeyPatch) -> None:
    import conformance.mock.core as core_module
    import conformance.validate.body as body_module
    import conformance.validate.validator as validator_module

    calls: list[str] = []
    sent: list[bytes] = []  # request bodies (the mock's generator also parses its own answers)
    for module in (core_module, validator_module):
        for name in ("parse_multipart", "decode_json"):
            real = getattr(body_module, name)

            def counted(*args: Any, _real: Any = real, _name: str = name) -> Any:
                if args[0] in sent:
                    calls.append(_name)
                return _real(*args)

            monkeypatch.setattr(module, name, counted)
    request = httpx.Request(
        "POST",
        "https://x/v1/files",
        files={"file": ("a.jsonl", b"{}\n")},
        data={"purpose": "batch"},
    )
    mock = Mock(spec)
    sent += [request.read(), json.dumps(CHAT).encode(), b'"just a string"']
    created = mock.handle(
        MockRequest("POST", "/v1/files", "", {**AUTH, **request.headers}, request.read())
    )
    assert created.status == 200 and calls == ["parse_multipart"]
    calls.clear()
    assert send(mock, "POST", "/v1/chat/completions", CHAT).status == 200
    assert calls == ["decode_json"]
    calls.clear()
    rejected = send(mock, "POST", "/v1/chat/completions", b'"just a string"')
    assert rejected.status == 400 and calls == ["decode_json", "decode_json"]  # a scalar: twice


def test_request_log_is_written_as_jsonl_as_it_goes(spec: Spec, tmp_path: Path) -> None:
    path = tmp_path / "log" / "requests.jsonl"
    mock = Mock(spec, log=path)
    send(mock, "GET", "/v1/models")
    send(mock, "POST", "/v1/chat/completions", {"model": 1})
    head, *lines = [json.loads(line) for line in path.read_text().splitlines()]  # flushed
    assert head["format"] == "openai-conformance/results"  # then results (conformance.results)
    assert [(x["operation"], x["response"]["status"], x["valid"]) for x in lines] == [
        ("listModels", 200, True),
        ("createChatCompletion", 400, False),
    ]
    assert {v["code"] for v in lines[1]["violations"]} >= {"schema.required"}
    mock.log.close()


def test_memory_stays_bounded_while_the_file_keeps_every_request(tmp_path: Path) -> None:
    log = RequestLog(tmp_path / "requests.jsonl", keep=3)
    for i in range(5):
        log.add(Result("retrieveModel", Request("GET", f"/v1/models/{i}"), Response(200)))
    assert [r.path for r in log.records] == ["/v1/models/2", "/v1/models/3", "/v1/models/4"]
    assert log.count == 5
    assert len((tmp_path / "requests.jsonl").read_text().splitlines()) == 1 + 5  # head, records
    log.close()


def test_created_ids_stay_unique_with_a_bounded_id_map(spec: Spec) -> None:
    """Variants repeat (a pool of 128 per answer kind); ids handed out must not, and the mock
    remembers only the drawn ids, not every id it handed out."""
    mock = Mock(spec, seed=1, state=False)
    ids = [as_json(send(mock, "POST", "/v1/chat/completions", CHAT))["id"] for _ in range(400)]
    assert len(set(ids)) == 400
    assert len(mock.issued) <= 128 < 400


def test_faults_apply_from_the_mock_and_per_request(spec: Spec) -> None:
    mock = Mock(spec, faults="rate-limit")
    limited = send(mock, "GET", "/v1/models")
    assert limited.status == 429 and "retry-after" in limited.headers
    assert mock.records[-1].faults == ("rate-limit",)
    calm = Mock(spec)
    stream = send(
        calm,
        "POST",
        "/v1/chat/completions",
        {**CHAT, "stream": True},
        x_conformance_faults="no-done",
    )
    assert b"[DONE]" not in stream.body and stream.status == 200
