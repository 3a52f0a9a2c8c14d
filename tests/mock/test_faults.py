"""Faults on realistic OpenAI answers: parsing, each fault's effect, rates, composition, seeds."""

from __future__ import annotations

import doctest
import json
import random
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

import conformance.mock.faults as faults_module
from conformance import sse
from conformance.errors import InputError
from conformance.mock.faults import FAULTS, Fault, apply_faults, parse_faults
from conformance.mock.message import MockResponse
from conformance.validate import Violation

PROPERTY = settings(
    max_examples=150,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
CHAT = "createChatCompletion"
VIOLATION = Violation("'model' is a required property", where="request.body", keyword="required")
ERROR_FAULTS = ("rate-limit", "server-error", "bad-gateway", "unavailable")
STREAM_FAULTS = ("split", "crlf", "keepalive", "no-done", "sse-fields")


# -- realistic answers --------------------------------------------------------------------------


def completion() -> dict[str, Any]:
    return {
        "id": "chatcmpl-123",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Héllo, wörld! 日本語 🎉",
                    "refusal": None,
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
    }


def json_response() -> MockResponse:
    body = json.dumps(completion(), ensure_ascii=False).encode()
    headers = {"content-type": "application/json", "content-length": str(len(body))}
    return MockResponse(200, headers, (body,), operation=CHAT, violations=(VIOLATION,))


def chat_chunk(delta: dict[str, Any], finish: str | None = None) -> str:
    chunk = {
        "id": "chatcmpl-123",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_1",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return json.dumps(chunk, ensure_ascii=False)


def stream_of(datas: list[str], *, newline: str = "\n") -> MockResponse:
    chunks = tuple(sse.encode(data, newline=newline).encode() for data in datas)
    headers = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}
    return MockResponse(200, headers, chunks, stream=True, operation=CHAT, violations=(VIOLATION,))


def chat_stream() -> MockResponse:
    """Three chat.completion.chunk events (with multi-byte UTF-8 content) and ``[DONE]``."""
    return stream_of(
        [
            chat_chunk({"role": "assistant", "content": ""}),
            chat_chunk({"content": "Héllo, wörld! 日本語 🎉"}),
            chat_chunk({}, finish="stop"),
            "[DONE]",
        ]
    )


def events(body: bytes) -> list[tuple[str | None, str]]:
    """(event, data) of each event, asserting the framing is clean."""
    parsed = sse.parse(body)
    assert parsed.issues == [], [str(issue) for issue in parsed.issues]
    return [(event.event, event.data) for event in parsed.events]


def fed(chunks: tuple[bytes, ...]) -> list[tuple[str | None, str]]:
    """The events a client reading chunk by chunk sees."""
    parser = sse.Parser()
    out = [event for chunk in chunks for event in parser.feed(chunk)]
    out += parser.close()
    assert parser.issues == []
    return [(event.event, event.data) for event in out]


def fire(response: MockResponse, text: str, seed: int = 0) -> MockResponse:
    return apply_faults(response, parse_faults(text), random.Random(seed))


# -- parsing ------------------------------------------------------------------------------------


def test_names_are_the_contract() -> None:
    assert set(FAULTS) == {
        "rate-limit",
        "server-error",
        "bad-gateway",
        "unavailable",
        "latency",
        "drop",
        "split",
        "no-done",
        "keepalive",
        "crlf",
        "truncate",
        "stall",
        "stall-mid",
        "sse-fields",
        "utf8",
    }
    assert all(description and "\n" not in description for description in FAULTS.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "rate-limit:0.1,latency=0.25:0.5,drop",
            (Fault("rate-limit", 0.1), Fault("latency", 0.5, 0.25), Fault("drop")),
        ),
        ("split", (Fault("split"),)),
        (" keepalive , crlf:0 ,", (Fault("keepalive"), Fault("crlf", 0.0))),
        ("Latency = 2 : 1", (Fault("latency", 1.0, 2.0),)),
        ("unavailable=0:0.75", (Fault("unavailable", 0.75, 0.0),)),
        ("no-done,truncate:1", (Fault("no-done"), Fault("truncate"))),
    ],
)
def test_parse_good(text: str, expected: tuple[Fault, ...]) -> None:
    assert parse_faults(text) == expected


@pytest.mark.parametrize("empty", [None, "", " ", " , ,", (), []])
def test_parse_empty(empty: Any) -> None:
    assert parse_faults(empty) == ()


def test_parse_sequence_of_strings_and_faults() -> None:
    got = parse_faults(["drop:0.5,split", Fault("latency", value=1.0), "crlf"])
    assert got == (Fault("drop", 0.5), Fault("split"), Fault("latency", 1.0, 1.0), Fault("crlf"))


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("bogus", "bogus"),
        ("drop,bogus:0.2", "bogus:0.2"),
        ("rate-limit:1.5", "rate-limit:1.5"),
        ("split, rate-limit:-0.1", "rate-limit:-0.1"),
        ("rate-limit:nan", "rate-limit:nan"),
        ("latency=abc", "latency=abc"),
        ("latency=-1", "latency=-1"),
        ("latency=inf:0.5", "latency=inf:0.5"),
        ("drop=3", "drop=3"),
        ("drop:x", "drop:x"),
        ("drop:", "drop:"),
        ("=0.5", "=0.5"),
        ("latency:0.5=1", "latency:0.5=1"),
    ],
)
def test_parse_bad_names_the_item_and_the_known_faults(text: str, item: str) -> None:
    with pytest.raises(InputError) as info:
        parse_faults(text)
    message = str(info.value)
    assert repr(item) in message
    assert "\n" not in message
    assert all(name in message for name in FAULTS)


@pytest.mark.parametrize(
    ("args", "shown"),
    [(("nope",), "'nope'"), (("drop", 2.0), "'drop:2'"), (("split", 1.0, 0.5), "'split=0.5'")],
)
def test_bad_fault_objects_raise(args: tuple[Any, ...], shown: str) -> None:
    with pytest.raises(InputError, match=shown):
        Fault(*args)


def test_parse_rejects_other_types() -> None:
    with pytest.raises(InputError, match="42"):
        parse_faults([42])  # type: ignore[list-item]


faults_st = st.builds(
    Fault,
    name=st.sampled_from(sorted(FAULTS)),
    rate=st.floats(0.0, 1.0),
).map(
    lambda f: (
        Fault(f.name, f.rate, 0.25) if f.name in ("latency", "rate-limit", "unavailable") else f
    )
)


@PROPERTY
@given(st.lists(faults_st, max_size=6))
def test_str_round_trips(faults: list[Fault]) -> None:
    assert parse_faults(",".join(str(f) for f in faults)) == tuple(faults)


# -- error faults -------------------------------------------------------------------------------


def error_body(response: MockResponse) -> dict[str, Any]:
    assert response.content_type == "application/json"
    body = json.loads(response.body)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("make", [json_response, chat_stream])
def test_rate_limit(make: Any) -> None:
    original = make()
    got = fire(original, "rate-limit")
    assert got.status == 429
    error = error_body(got)
    assert error["type"] == "requests"
    assert error["code"] == "rate_limit_exceeded"
    assert error["message"].startswith("Rate limit reached for requests")
    assert got.headers["retry-after"] == "1"
    assert got.headers["retry-after-ms"] == "1000"
    assert got.headers["x-ratelimit-remaining-requests"] == "0"
    assert not got.stream and not got.drop and len(got.chunks) == 1
    assert got.operation == CHAT and got.violations == (VIOLATION,)
    assert got.faults == ("rate-limit",)


@pytest.mark.parametrize(
    ("text", "after", "after_ms"),
    [
        ("rate-limit=0.25", "0.25", "250"),
        ("rate-limit=2", "2", "2000"),
        ("unavailable=3.5", "3.5", "3500"),
    ],
)
def test_retry_after_value(text: str, after: str, after_ms: str) -> None:
    got = fire(json_response(), text)
    assert (got.headers["retry-after"], got.headers["retry-after-ms"]) == (after, after_ms)


@pytest.mark.parametrize(
    ("name", "status", "retry"),
    [("server-error", 500, False), ("bad-gateway", 502, False), ("unavailable", 503, True)],
)
def test_server_errors(name: str, status: int, retry: bool) -> None:
    got = fire(chat_stream(), name)
    assert got.status == status
    assert error_body(got)["type"] == "server_error"
    assert ("retry-after" in got.headers) is retry
    assert not got.stream
    assert got.operation == CHAT and got.violations == (VIOLATION,)
    assert got.faults == (name,)


def test_first_error_wins_and_body_faults_do_not_apply() -> None:
    got = fire(chat_stream(), "server-error,rate-limit,split,keepalive,crlf,drop,no-done")
    assert got.status == 500
    assert len(got.chunks) == 1 and not got.drop
    assert b"\r" not in got.body
    assert got.faults == ("server-error",)


def test_latency_still_applies_to_an_error() -> None:
    got = fire(json_response(), "rate-limit,latency=0.25")
    assert (got.status, got.delay, got.faults) == (429, 0.25, ("rate-limit", "latency"))


# -- latency ------------------------------------------------------------------------------------


def test_latency() -> None:
    assert fire(json_response(), "latency").delay == 0.5
    got = fire(json_response().with_(delay=0.1), "latency=0.25,latency=1")
    assert got.delay == pytest.approx(1.35)
    assert got.faults == ("latency", "latency")
    assert got.body == json_response().body and got.status == 200


# -- drop ---------------------------------------------------------------------------------------


def test_drop_json() -> None:
    original = json_response()
    got = fire(original, "drop")
    assert got.drop
    assert got.body == original.body[: len(original.body) // 2]
    assert len(got.chunks) == 1
    assert (got.status, got.headers) == (original.status, original.headers)
    assert got.faults == ("drop",)


@pytest.mark.parametrize(("count", "kept"), [(4, 2), (3, 1), (1, 1), (7, 3)])
def test_drop_stream_keeps_the_first_half_of_the_events(count: int, kept: int) -> None:
    original = stream_of([chat_chunk({"content": str(i)}) for i in range(count)])
    got = fire(original, "drop")
    assert got.drop and got.stream
    assert got.chunks == original.chunks[:kept]


# -- split --------------------------------------------------------------------------------------


def test_split() -> None:
    original = chat_stream()
    got = fire(original, "split")
    assert got.body == original.body
    assert events(got.body) == events(original.body)
    assert fed(got.chunks) == events(original.body)
    # every event chunk is cut into 2 or 3 pieces, so boundaries fall inside events
    rest = list(got.chunks)
    for chunk in original.chunks:
        pieces: list[bytes] = []
        while b"".join(pieces) != chunk:
            pieces.append(rest.pop(0))
        assert 2 <= len(pieces) <= 3
    assert got.faults == ("split",)


def test_split_cuts_inside_utf8_characters_for_some_seed() -> None:
    def cuts_a_character(seed: int) -> bool:
        chunks = fire(chat_stream(), "split", seed).chunks
        try:
            [chunk.decode() for chunk in chunks]
        except UnicodeDecodeError:
            return True
        return False

    assert any(cuts_a_character(seed) for seed in range(200))


def test_split_is_a_no_op_on_json() -> None:
    original = json_response()
    got = fire(original, "split")
    assert got == original


# -- no-done ------------------------------------------------------------------------------------


def test_no_done() -> None:
    original = chat_stream()
    got = fire(original, "no-done")
    assert events(got.body) == events(original.body)[:-1]
    assert got.chunks == original.chunks[:-1]
    assert b"[DONE]" not in got.body
    assert got.faults == ("no-done",)


def test_no_done_removes_the_whole_block() -> None:
    body = sse.encode('{"id": "run_1"}', event="thread.run.completed") + sse.encode(
        "[DONE]", event="done"
    )
    original = MockResponse(200, {}, (body.encode(),), stream=True)
    got = fire(original, "no-done")
    assert events(got.body) == [("thread.run.completed", '{"id": "run_1"}')]


def test_no_done_without_done_is_a_no_op() -> None:
    original = stream_of([chat_chunk({"content": "x"})])
    got = fire(original, "no-done")
    assert got == original
    assert fire(json_response(), "no-done") == json_response()


# -- keepalive ----------------------------------------------------------------------------------


def test_keepalive() -> None:
    original = chat_stream()
    got = fire(original, "keepalive")
    comment = (sse.encode_comment("keep-alive") + "\n").encode()
    assert got.chunks[0] == comment
    assert got.chunks == tuple(
        piece for chunk in original.chunks for piece in (comment, chunk)
    )  # before the first event and between events, not after the last
    parsed = sse.parse(got.body)
    assert parsed.comments == len(original.chunks)
    assert events(got.body) == events(original.body)
    assert got.faults == ("keepalive",)


def test_keepalive_is_a_no_op_on_json() -> None:
    assert fire(json_response(), "keepalive") == json_response()


# -- crlf ---------------------------------------------------------------------------------------


def test_crlf() -> None:
    original = chat_stream()
    got = fire(original, "crlf")
    assert b"\n" not in got.body.replace(b"\r\n", b"")
    assert b"\r" not in got.body.replace(b"\r\n", b"")
    assert got.body.count(b"\r\n") == original.body.count(b"\n")
    assert got.chunks == tuple(chunk.replace(b"\n", b"\r\n") for chunk in original.chunks)
    assert events(got.body) == events(original.body)
    assert got.faults == ("crlf",)


def test_crlf_does_not_double_existing_crlf() -> None:
    original = MockResponse(
        200,
        {},
        (b"data: a\r", b"\n\r\n", b"data: b\n", b"\ndata: c\r\rdata: [DONE]\r\n\n"),
        stream=True,
    )
    got = fire(original, "crlf")
    assert got.body == b"data: a\r\n\r\ndata: b\r\n\r\ndata: c\r\n\r\ndata: [DONE]\r\n\r\n"
    assert events(got.body) == events(original.body)
    already = stream_of(["x", "[DONE]"], newline="\r\n")
    assert fire(already, "crlf") == already


def test_crlf_is_a_no_op_on_json() -> None:
    assert fire(json_response(), "crlf") == json_response()


# -- truncate -----------------------------------------------------------------------------------


def test_truncate() -> None:
    original = json_response()
    got = fire(original, "truncate")
    assert 0 < len(got.body) < len(original.body)
    assert original.body.startswith(got.body)
    with pytest.raises(ValueError):
        json.loads(got.body)
    assert got.status == original.status
    assert "content-length" not in got.headers
    assert got.headers == {"content-type": "application/json"}
    assert got.faults == ("truncate",)


def test_truncate_leaves_streams_and_other_bodies_alone() -> None:
    assert fire(chat_stream(), "truncate") == chat_stream()
    text = MockResponse(200, {"content-type": "text/plain"}, (b"hello world",))
    assert fire(text, "truncate") == text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)


@PROPERTY
@given(
    st.dictionaries(st.text(), json_values, min_size=0, max_size=4)
    | st.lists(json_values, max_size=4),
    st.integers(0, 2**32),
    st.sampled_from(["", " ", "\n"]),
)
def test_truncated_json_never_parses(value: Any, seed: int, trailer: str) -> None:
    body = (json.dumps(value, ensure_ascii=False) + trailer).encode()
    original = MockResponse(200, {"content-type": "application/json"}, (body,))
    got = fire(original, "truncate", seed)
    assert 0 < len(got.body) < len(body)
    with pytest.raises(ValueError):
        json.loads(got.body)


# -- rates, determinism, composition ------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_rate_zero_never_fires_and_rate_one_always_does(name: str) -> None:
    for original in (json_response(), chat_stream()):
        for seed in range(30):
            assert fire(original, f"{name}:0", seed) == original
            got = fire(original, f"{name}:1", seed)
            if name in ERROR_FAULTS or name in ("latency", "drop"):
                assert got.faults == (name,)
    # truncate leaves streams alone; utf8 has nothing to do on a stream already in raw UTF-8
    no_op = name in ("truncate", "utf8")
    assert fire(chat_stream(), f"{name}:1").faults == (() if no_op else (name,))


@pytest.mark.parametrize(("rate", "expected"), [(0.0, 0), (1.0, 2000)])
def test_rate_bounds_over_many_draws(rate: float, expected: int) -> None:
    rng, faults = random.Random(11), (Fault("latency", rate),)
    fired = sum(bool(apply_faults(json_response(), faults, rng).faults) for _ in range(2000))
    assert fired == expected


def test_rate_half_fires_about_half_the_time() -> None:
    rng = random.Random(7)
    fired = sum(
        bool(apply_faults(json_response(), parse_faults("latency:0.5"), rng).faults)
        for _ in range(400)
    )
    assert 150 < fired < 250


def test_faults_already_recorded_are_kept() -> None:
    got = fire(json_response().with_(faults=("earlier",)), "latency")
    assert got.faults == ("earlier", "latency")


def test_same_seed_same_answer() -> None:
    text = "rate-limit:0.2,latency=0.1:0.5,split:0.7,keepalive:0.5,crlf:0.5,no-done:0.5,drop:0.3"
    runs = [[fire(chat_stream(), text, seed) for seed in range(40)] for _ in range(2)]
    assert runs[0] == runs[1]
    assert len({(r.status, r.chunks, r.delay, r.faults) for r in runs[0]}) > 10


def test_composition_latency_split_keepalive() -> None:
    original = chat_stream()
    got = fire(original, "latency=0.2,split,keepalive", seed=3)
    assert got.delay == 0.2
    assert got.faults == ("latency", "split", "keepalive")
    assert got.body == fire(original, "keepalive").body
    assert events(got.body) == events(original.body)
    assert fed(got.chunks) == events(original.body)
    assert sse.parse(got.body).comments == len(original.chunks)
    assert len(got.chunks) > 2 * len(original.chunks)


streams_st = st.lists(
    st.tuples(
        st.sampled_from([None, "message", "response.output_text.delta"]),
        st.text(st.characters(codec="utf-8"), max_size=12),
    ),
    max_size=5,
)


@PROPERTY
@given(
    streams_st,
    st.booleans(),
    st.lists(st.sampled_from(STREAM_FAULTS), unique=True).flatmap(st.permutations),
    st.integers(0, 2**32),
)
def test_stream_faults_keep_the_events(
    blocks: list[tuple[str | None, str]], done: bool, names: list[str], seed: int
) -> None:
    wire = [sse.encode(data, event=event).encode() for event, data in blocks]
    if done:
        wire.append(sse.encode("[DONE]").encode())
    original = MockResponse(200, {"content-type": "text/event-stream"}, tuple(wire), stream=True)
    expected = events(original.body)
    if done and "no-done" in names:
        expected = expected[:-1]
    got = fire(original, ",".join(names), seed)
    assert events(got.body) == expected
    assert fed(got.chunks) == expected
    assert all(got.chunks)
    assert set(got.faults) <= set(names)
    if "split" not in names and "no-done" not in names:
        assert len(got.chunks) >= len(original.chunks)


def test_doctests() -> None:
    result = doctest.testmod(faults_module)
    assert result.attempted > 0 and result.failed == 0
