"""The result model: exact round trips, the published JSON Schema, the exchange the rules see,
and the mock's request log written in it."""

from __future__ import annotations

import ast
import doctest
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import SPECS

import conformance
from conformance import results
from conformance.mock import Mock
from conformance.mock.transport import mock_router
from conformance.results import (
    Document,
    Replay,
    Request,
    Response,
    Result,
    read_results,
)
from conformance.results import document as document_module
from conformance.results import message as message_module
from conformance.results import redact as redact_module
from conformance.results import result as result_module
from conformance.results.message import decode_body, encode_body
from conformance.spec import Spec, load_spec
from conformance.validate import Validator, Violation, semantics
from conformance.validate.examples import check_examples

V230 = SPECS / "openai-2.3.0.yaml"
pytestmark = pytest.mark.skipif(not V230.exists(), reason=f"specs not found at {SPECS}")

BASE = "https://api.openai.com/v1"
AUTH = {"authorization": "Bearer sk-test"}
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hi"}]}
SCHEMA = results.schema()
LINE = {**SCHEMA, "$ref": "#/$defs/line"}


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(V230)


def valid_document(data: Any) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(data)


def valid_line(data: Any) -> None:
    jsonschema.Draft202012Validator(LINE).validate(data)


def through_json(data: Any) -> Any:
    return json.loads(json.dumps(data, ensure_ascii=False, allow_nan=False))


def sample() -> list[Result]:
    """Results with every kind of body: JSON (both styles), text, binary, chunks, not recorded."""
    violation = Violation(
        "'model' is a required property",
        where="request.body",
        keyword="required",
        operation="createChatCompletion",
        param="model",
    )
    warning = Violation("undeclared", where="response.body", pointer="/x", severity="warning")
    return [
        Result(
            "createChatCompletion",
            Request(
                "POST",
                "/v1/chat/completions",
                "a=1",
                {"content-type": "application/json"},
                b'{"model":"gpt-4o","messages":[{"role":"user","content":"h\xc3\xa9"}]}',
                origin="https://api.openai.com",
            ),
            Response(200, {"content-type": "application/json"}, (b'{"id": "chatcmpl-1"}',)),
            1_700_000_000.123456,
            1.5,
            "req_1",
            Replay("0", "0:ab:1", "typical", None, ()),
            ("a note",),
            (warning,),
        ),
        Result(
            "createChatCompletion",
            Request("POST", "/v1/chat/completions", body=b"{'not': json}"),
            Response(400, chunks=(b"\x00\xffbinary",)),
            violations=(violation,),
        ),
        Result(
            "createChatCompletion",
            Request("POST", "/v1/chat/completions", body=None, size=12),
            Response(
                200,
                {"content-type": "text/event-stream"},
                (b'data: {"a": "\xc3', b'\xa9"}\n\n', b"data: [DONE]\n\n"),
                stream=True,
                interval=0.01,
                pauses=((1, 2.0), (3, 0.25)),
            ),
            replay=Replay("7", None, None, 500, ("split", "latency", "stall-mid=2")),
        ),
        Result("listModels", Request("GET", "/v1/models"), Response(200, chunks=None, size=9)),
        Result(
            "retrieveModel",
            Request("GET", "/v1/models/x"),
            Response(500, chunks=(b"x",), drop=True),
        ),
        Result(None, name="#/components/schemas/X/example", skipped="not JSON"),
    ]


def test_results_round_trip_exactly_through_json() -> None:
    for result in sample():
        data = through_json(result.to_dict())
        assert Result.from_dict(data) == result
        assert Result.from_dict(data).to_dict() == result.to_dict()


def test_bodies_keep_their_bytes_and_read_as_json_where_they_can() -> None:
    chat, text, stream, unrecorded, dropped, _ = sample()
    assert chat.to_dict()["request"]["body"]["style"] == "compact"
    assert chat.to_dict()["response"]["body"] == {"json": {"id": "chatcmpl-1"}}
    assert chat.request is not None and chat.request.json()["messages"][0]["content"] == "hé"
    assert text.to_dict()["request"]["body"] == {"text": "{'not': json}"}
    assert "base64" in text.to_dict()["response"]["body"]
    chunks = stream.to_dict()["response"]["body"]["chunks"]
    assert chunks[0] == {"base64": "ZGF0YTogeyJhIjogIsM="} and chunks[2] == "data: [DONE]\n\n"
    assert stream.response is not None and [e.data for e in stream.response.events] == [
        '{"a": "é"}',
        "[DONE]",
    ]
    assert unrecorded.to_dict()["response"]["body"] is None
    assert unrecorded.response is not None and unrecorded.response.size == 9
    assert dropped.to_dict()["response"]["drop"] is True


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64) | st.text(max_size=32).map(str.encode))
def test_any_body_comes_back_byte_for_byte(raw: bytes) -> None:
    assert decode_body(through_json(encode_body(raw))) == raw


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    JSON, st.sampled_from([{}, {"separators": (",", ":"), "ensure_ascii": False}, {"indent": 1}])
)
def test_json_bodies_read_as_json_and_keep_their_bytes(value: Any, style: dict[str, Any]) -> None:
    raw = json.dumps(value, **style).encode()
    form = through_json(encode_body(raw))
    assert decode_body(form) == raw
    assert ("json" in form) == ("indent" not in style or raw == json.dumps(value).encode())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=16), max_size=6), st.booleans())
def test_any_chunks_come_back_byte_for_byte(chunks: list[bytes], stream: bool) -> None:
    response = Response(200, chunks=tuple(c for c in chunks if c), stream=stream)
    assert Response.from_dict(through_json(response.to_dict())) == response


def test_documents_and_lines_validate_against_the_published_schema(spec: Spec) -> None:
    doc = Document(sample(), spec=document_module.spec_info(spec), run={"producer": "test"})
    valid_document(through_json(doc.to_dict()))
    lines = doc.to_jsonl().splitlines()
    for line in lines:
        valid_line(json.loads(line))
    assert Document.from_dict(through_json(doc.to_dict())).results == doc.results
    again = Document.from_jsonl(lines)
    assert again.results == doc.results and again.spec == doc.spec and again.run == doc.run
    with pytest.raises(jsonschema.ValidationError):
        valid_line({"operation": None})


def test_a_torn_last_line_is_left_out_and_other_formats_are_refused(tmp_path: Path) -> None:
    lines = Document(sample()).to_jsonl().splitlines()
    torn = tmp_path / "torn.jsonl"
    torn.write_text("\n".join([*lines, lines[1][:40]]), encoding="utf-8")
    assert read_results(torn).results == sample()
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something-else", "version": 1, "results": []}))
    with pytest.raises(conformance.InputError, match="something-else"):
        read_results(other)
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**Document().to_dict(), "version": 99}))
    with pytest.raises(conformance.InputError, match="version 99"):
        read_results(newer)


def test_the_schema_ships_inside_the_package() -> None:
    path = Path(results.__file__).parent / "schema.json"
    assert json.loads(path.read_text(encoding="utf-8")) == SCHEMA
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_exchange_gives_the_rules_the_request_and_the_answer() -> None:
    chat, _, stream, *_ = sample()
    x = chat.exchange()
    assert x.operation == "createChatCompletion" and x.asked("model") == "gpt-4o"
    assert x.body == {"id": "chatcmpl-1"} and x.query == {"a": "1"} and not x.is_stream
    assert x.time == pytest.approx(1_700_000_000.125, abs=0.01)
    s = stream.exchange()
    assert s.is_stream and s.request is None and s.events is not None
    assert [e.data for e in s.events] == [{"a": "é"}, "[DONE]"]


# -- the mock's request log --------------------------------------------------------------------


@pytest.fixture
def mock_and_log(spec: Spec, tmp_path: Path) -> Iterator[tuple[Mock, Path]]:
    path = tmp_path / "requests.jsonl"
    mock = Mock(spec, seed=4, log=path)
    yield mock, path
    mock.log.close()


def test_records_keep_the_request_as_respx_users_read_it(mock_and_log: tuple[Mock, Path]) -> None:
    mock, _ = mock_and_log
    with mock_router(mock), httpx.Client(headers=AUTH) as client:
        client.post(f"{BASE}/chat/completions?x=1", json=CHAT, headers={"x-trace": "t1"})
    request = mock.records[-1].request
    assert request is not None
    assert (request.method, request.path, request.query) == ("POST", "/v1/chat/completions", "x=1")
    assert request.url == "/v1/chat/completions?x=1"
    assert request.headers["x-trace"] == "t1"
    assert request.headers["authorization"] == "Bearer [redacted:authorization]"
    assert request.json() == CHAT and request.body == request.content


def test_the_logged_answer_is_the_bytes_the_client_got(mock_and_log: tuple[Mock, Path]) -> None:
    mock, path = mock_and_log
    got: list[tuple[int, bytes, list[bytes]]] = []
    with mock_router(mock), httpx.Client(headers=AUTH) as client:
        for body, faults in (
            (CHAT, ""),
            ({**CHAT, "stream": True}, ""),
            ({**CHAT, "stream": True}, "split,keepalive,crlf"),
            (CHAT, "truncate"),
            (CHAT, "rate-limit"),
        ):
            headers = {"x-conformance-faults": faults} if faults else {}
            with client.stream("POST", f"{BASE}/chat/completions", json=body, headers=headers) as r:
                got.append((r.status_code, b"", list(r.iter_raw())))
    on_file = read_results(path).results
    assert len(on_file) == len(got) == len(mock.records)
    for (status, _, pieces), kept, written in zip(got, mock.records, on_file, strict=True):
        assert kept == written
        assert kept.response is not None and kept.response.status == status
        assert kept.response.body == b"".join(pieces)
        valid_line(written.to_dict())
    split = mock.records[2]
    assert split.faults == ("split", "keepalive", "crlf") and split.response is not None
    assert split.response.stream and split.response.chunks is not None
    assert len(split.response.chunks) > len(mock.records[1].response.chunks or ())  # type: ignore[union-attr]
    assert mock.records[3].faults == ("truncate",) and mock.records[4].status == 429
    assert mock.records[4].response.headers["retry-after"] == "1"  # type: ignore[union-attr]


def test_stalls_are_logged_as_pauses_and_lines_written_before_pauses_still_read(
    mock_and_log: tuple[Mock, Path],
) -> None:
    mock, path = mock_and_log
    with mock_router(mock), httpx.Client(headers=AUTH) as client:
        mid = {"x-conformance-faults": "stall-mid=0.05"}
        client.post(f"{BASE}/chat/completions", json=CHAT, headers=mid)
        head = {"x-conformance-faults": "stall=0.05"}
        client.post(f"{BASE}/chat/completions", json={**CHAT, "stream": True}, headers=head)
    json_body, stream = read_results(path).results
    assert json_body == mock.records[0] and stream == mock.records[1]
    assert json_body.response is not None and stream.response is not None
    # a JSON body: cut in two, the pause before its second half; a stream: after the head
    assert json_body.response.chunks is not None and len(json_body.response.chunks) == 2
    assert json_body.response.pauses == ((1, 0.05),)
    assert stream.response.pauses == ((0, 0.05),)
    line = stream.to_dict()
    assert line["response"]["pauses"] == [[0, 0.05]]
    valid_line(line)
    del line["response"]["pauses"]  # as written before pauses were recorded: version 1 still
    valid_line(line)
    assert Result.from_dict(line).response == replace(stream.response, pauses=())
    with pytest.raises(jsonschema.ValidationError):
        valid_line({**line, "response": {**line["response"], "pauses": [[0]]}})


def test_the_log_file_starts_with_a_head_naming_spec_and_settings(
    mock_and_log: tuple[Mock, Path],
) -> None:
    mock, path = mock_and_log
    with mock_router(mock), httpx.Client(headers=AUTH) as client:
        client.get(f"{BASE}/models")
    head = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    valid_line(head)
    assert head["format"] == "openai-conformance/results" and head["version"] == 1
    assert head["spec"]["title"] == mock.spec.title and head["spec"]["sha256"] == mock.spec.sha256
    assert head["run"]["seed"] == "4" and head["run"]["producer"] == "mock"
    assert head["tool"] == {"name": "openai-conformance", "version": conformance.__version__}


def test_the_replay_key_serves_the_same_answer_again(spec: Spec) -> None:
    now = 1_764_000_000.0  # timestamps follow the mock's clock: replay at the recorded time
    first = Mock(spec, seed=11, clock=lambda: now)
    with mock_router(first), httpx.Client(headers=AUTH) as client:
        for _ in range(3):
            client.post(f"{BASE}/chat/completions", json=CHAT)
    record = first.records[2]
    replay = record.replay
    assert replay is not None and replay.seed == "11" and replay.profile == "typical"
    assert replay.variant is not None and replay.variant.endswith(":3")  # the third such request
    assert record.request_id == record.response.headers["x-request-id"]  # type: ignore[union-attr]
    again = Mock(spec, seed=replay.seed, clock=lambda: now)
    again_body = None
    with mock_router(again), httpx.Client(headers=AUTH) as client:
        for _ in range(3):
            again_body = client.post(f"{BASE}/chat/completions", json=CHAT).content
    assert record.response is not None and again_body == record.response.body


def test_status_knob_and_unknown_routes_are_in_the_replay_key(spec: Spec) -> None:
    mock = Mock(spec)
    with mock_router(mock), httpx.Client(headers=AUTH) as client:
        client.get(f"{BASE}/models", headers={"x-conformance-status": "500"})
        client.get(f"{BASE}/nowhere")
    knob, unknown = mock.records
    assert knob.replay is not None and knob.replay.status == 500 and knob.status == 500
    assert unknown.operation is None and unknown.replay is not None
    assert unknown.replay.variant is None and unknown.status == 404


def test_without_bodies_the_log_keeps_sizes_only(spec: Spec, tmp_path: Path) -> None:
    path = tmp_path / "sizes.jsonl"
    mock = Mock(spec, log=path, log_bodies=False)
    with mock_router(mock), httpx.Client(headers=AUTH) as client:
        sent = client.post(f"{BASE}/chat/completions", json=CHAT)
    mock.log.close()
    record = read_results(path).results[0]
    assert record.request is not None and record.request.body is None
    assert record.request.size == len(json.dumps(CHAT, separators=(",", ":")))
    assert record.response is not None and record.response.body is None
    assert record.response.size == len(sent.content)
    assert mock.records[0] == record


def test_invalid_requests_stay_invalid_records(spec: Spec) -> None:
    mock = Mock(spec)
    with mock_router(mock), httpx.Client(headers=AUTH) as client:
        client.post(f"{BASE}/chat/completions", json={"model": 1})
    assert mock.log.invalid() == mock.records and not mock.records[0].valid
    assert {v.code for v in mock.records[0].errors} >= {"schema.required"}
    valid_document(mock.log.document().to_dict())


def test_examples_are_expressible_as_results(spec: Spec) -> None:
    checked = check_examples(Validator(spec), schemas=True)
    made = [Result.from_example(e) for e in checked]
    doc = Document(made, spec=document_module.spec_info(spec))
    valid_document(through_json(doc.to_dict()))
    for example, result in zip(checked, made, strict=True):
        expected = "invalid" if example.status == "unparseable" else example.status
        assert result.outcome == expected, example
        assert result.name == example.pointer
    assert {r.operation for r in made if r.operation} <= {op.operation_id for op in spec.operations}


def test_spec_examples_json_is_a_results_document(capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.cli.main import main

    main(["spec", "examples", str(V230), "--no-schemas", "--json"])
    data = json.loads(capsys.readouterr().out)
    valid_document(data)
    doc = Document.from_dict(data)
    assert doc.run["producer"] == "spec examples" and doc.spec["version"] == "2.3.0"
    assert len(doc.results) == 150 and any(not r.valid for r in doc.results)
    assert all(r.name.startswith("#/paths/") and r.operation for r in doc.results)


def test_the_rules_judge_a_logged_exchange_as_they_judge_the_traffic(spec: Spec) -> None:
    mock = Mock(spec, seed=2)
    with mock_router(mock), httpx.Client(headers=AUTH) as client:
        client.post(f"{BASE}/chat/completions", json={**CHAT, "n": 2})
        client.post(f"{BASE}/chat/completions", json={**CHAT, "stream": True})
    plain, streamed = (r.exchange() for r in mock.records)
    assert plain.asked("n") == 2 and len(plain.body["choices"]) == 2
    assert streamed.is_stream and streamed.events and streamed.events[-1].data == "[DONE]"
    assert semantics.check(plain) == [] and semantics.check(streamed) == []  # typical obeys
    plain.body["choices"].pop()
    assert "rule.chat.n-choices" in {v.code for v in semantics.check(plain)}


def test_results_import_only_the_layers_above_them() -> None:
    allowed = {"errors", "sse", "spec", "schema", "validate", "results", ""}
    for path in Path(results.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                top = (node.module or "").split(".")[0] if node.level > 1 else "results"
                assert top in allowed, (path.name, node.module)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = (
                    [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                )
                assert not any(str(n).startswith("conformance") for n in names), path.name


def test_exported_names() -> None:
    # the names themselves are locked in tests/test_exported_members.py
    assert all(hasattr(results, name) for name in results.__all__)
    assert conformance.Result is Result and conformance.read_results is read_results


def test_doctests() -> None:
    for module in (results, message_module, result_module, document_module, redact_module):
        outcome = doctest.testmod(module)
        assert outcome.failed == 0 and outcome.attempted >= 1, module.__name__


def test_verdicts_round_trip_in_json_and_json_lines_and_match_the_schema() -> None:
    import jsonschema

    from conformance.results import Verdict

    r = Result("listModels", Request("GET", "/v1/models"), Response(200, chunks=(b"{}",)))
    v = Verdict("listModels", "schema", "schema", "pass", results=(0,))
    w = Verdict(
        "listModels", "error.envelope", "semantics", "fail", ("error.envelope",), ("n",), "m", (0,)
    )
    doc = Document([r], verdicts=[v, w])
    assert Document.from_dict(doc.to_dict()).verdicts == [v, w]
    assert Document.from_jsonl(doc.to_jsonl().splitlines()).verdicts == [v, w]
    validator = jsonschema.Draft202012Validator(results.schema())
    validator.validate(doc.to_dict())
    line = jsonschema.Draft202012Validator({**results.schema(), "$ref": "#/$defs/line"})
    for text in doc.to_jsonl().splitlines():
        line.validate(json.loads(text))
    with pytest.raises(ValueError):
        Verdict("x", "schema", "schema", "great")
    bad = {**doc.to_dict(), "verdicts": [{**v.to_dict(), "grade": "great"}]}
    assert not validator.is_valid(bad)
