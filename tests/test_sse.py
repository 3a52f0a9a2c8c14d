"""Tests for conformance.sse: parsing per the HTML standard's event stream interpretation."""

from __future__ import annotations

import doctest
import itertools
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conformance.sse as sse_module
from conformance.sse import Event, FramingIssue, Parsed, Parser, encode, encode_comment, parse

NEWLINES = ["\n", "\r\n", "\r"]


def feed_chunks(chunks: list[bytes] | list[str]) -> Parsed:
    """Parse a stream delivered in the given chunks."""
    parser = Parser()
    events: list[Event] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    events += parser.close()
    return Parsed(events=events, issues=parser.issues, comments=parser.comments)


# --- OpenAI-shaped streams ------------------------------------------------------------------


def test_chat_completions_stream() -> None:
    chunks = [
        {"id": "c1", "object": "chat.completion.chunk", "choices": [{"delta": {"role": "x"}}]},
        {"id": "c1", "object": "chat.completion.chunk", "choices": [{"delta": {"content": "Hé"}}]},
        {"id": "c1", "object": "chat.completion.chunk", "choices": [{"finish_reason": "stop"}]},
    ]
    body = "".join(f"data: {json.dumps(c, ensure_ascii=False)}\n\n" for c in chunks)
    body += "data: [DONE]\n\n"
    parsed = parse(body.encode())
    assert parsed.events == [
        Event(data=json.dumps(chunks[0], ensure_ascii=False), line=1),
        Event(data=json.dumps(chunks[1], ensure_ascii=False), line=3),
        Event(data=json.dumps(chunks[2], ensure_ascii=False), line=5),
        Event(data="[DONE]", line=7),
    ]
    assert [json.loads(e.data) for e in parsed.events[:-1]] == chunks
    assert all(e.event is None and e.event_type == "message" for e in parsed.events)
    assert parsed.issues == []
    assert parsed.comments == 0


def test_assistants_stream() -> None:
    body = (
        "event: thread.created\n"
        'data: {"id":"thread_1","object":"thread"}\n'
        "\n"
        "event: thread.run.created\n"
        'data: {"id":"run_1","object":"thread.run","status":"queued"}\n'
        "\n"
        "event: thread.message.delta\n"
        'data: {"id":"msg_1","object":"thread.message.delta","delta":{"content":[]}}\n'
        "\n"
        "event: thread.run.completed\n"
        'data: {"id":"run_1","object":"thread.run","status":"completed"}\n'
        "\n"
        "event: done\n"
        "data: [DONE]\n"
        "\n"
    )
    parsed = parse(body)
    assert [(e.event, e.line) for e in parsed.events] == [
        ("thread.created", 1),
        ("thread.run.created", 4),
        ("thread.message.delta", 7),
        ("thread.run.completed", 10),
        ("done", 13),
    ]
    assert parsed.events[1] == Event(
        data='{"id":"run_1","object":"thread.run","status":"queued"}',
        event="thread.run.created",
        line=4,
    )
    assert parsed.events[-1] == Event(data="[DONE]", event="done", line=13)
    assert json.loads(parsed.events[2].data)["object"] == "thread.message.delta"
    assert parsed.issues == []
    assert parsed.comments == 0


def test_responses_stream_with_keepalives() -> None:
    body = (
        "event: response.created\n"
        'data: {"type":"response.created","sequence_number":0}\n'
        "\n"
        ": keep-alive\n"
        "\n"
        "event: response.output_text.delta\n"
        'data: {"type":"response.output_text.delta","delta":"Hi","sequence_number":1}\n'
        "\n"
        ": keep-alive\n"
        "event: response.completed\n"
        'data: {"type":"response.completed","sequence_number":2}\n'
        "\n"
    )
    parsed = parse(body.encode())
    assert parsed.events == [
        Event(
            data='{"type":"response.created","sequence_number":0}',
            event="response.created",
            line=1,
        ),
        Event(
            data='{"type":"response.output_text.delta","delta":"Hi","sequence_number":1}',
            event="response.output_text.delta",
            line=6,
        ),
        Event(
            data='{"type":"response.completed","sequence_number":2}',
            event="response.completed",
            line=10,  # the comment on line 9 is not a field line
        ),
    ]
    for event in parsed.events:
        assert json.loads(event.data)["type"] == event.event
    assert parsed.comments == 2
    assert parsed.issues == []


# --- field syntax ---------------------------------------------------------------------------


def test_multi_line_data() -> None:
    body = "data: first\ndata:second\ndata\ndata:  two spaces\ndata: \n\n"
    parsed = parse(body)
    assert parsed.events == [Event(data="first\nsecond\n\n two spaces\n", line=1)]
    assert parsed.issues == []


def test_only_one_space_after_colon_is_removed_and_colons_in_value_kept() -> None:
    parsed = parse("event:  spaced\ndata:a: b :c\n\n")
    assert parsed.events == [Event(data="a: b :c", event=" spaced", line=1)]


def test_data_line_without_colon_dispatches_empty_data() -> None:
    parsed = parse("data\n\n")
    assert parsed.events == [Event(data="", line=1)]
    assert parsed.issues == []


def test_empty_event_field_is_kept_as_empty_string() -> None:
    parsed = parse("event:\ndata: x\n\ndata: y\n\n")
    assert parsed.events == [Event(data="x", event="", line=1), Event(data="y", line=4)]
    assert parsed.events[0].event_type == "message"


def test_event_type_does_not_leak_into_next_block() -> None:
    parsed = parse("event: a\ndata: 1\n\ndata: 2\n\n")
    assert parsed.events == [Event(data="1", event="a", line=1), Event(data="2", line=4)]


def test_last_event_in_block_wins() -> None:
    parsed = parse("event: a\nevent: b\nretry: 5\nretry: 7\nid: 1\nid: 2\ndata: x\n\n")
    assert parsed.events == [Event(data="x", event="b", id="2", retry=7, line=1)]


def test_comments_and_keepalives_counted() -> None:
    body = ": ping\n:\n: keep-alive\ndata: x\n: inside the block\n\n:\n"
    parsed = parse(body)
    assert parsed.comments == 5
    assert parsed.events == [Event(data="x", line=4)]
    assert parsed.issues == []


def test_comment_only_stream() -> None:
    parsed = parse(": a\n: b\n\n: c")  # a final unterminated comment is not an issue
    assert parsed == Parsed(events=[], issues=[], comments=3)


def test_id_persists_across_events_and_can_be_reset() -> None:
    body = "id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 9\n\ndata: d\n\n"
    parsed = parse(body)
    assert parsed.events == [
        Event(data="a", id="1", line=1),
        Event(data="b", id="1", line=4),
        Event(data="c", id="", line=6),
        # an id-only block dispatches nothing but still sets the last event ID
        Event(data="d", id="9", line=11),
    ]
    assert parsed.issues == []


def test_id_with_null_is_ignored() -> None:
    parsed = parse("id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n")
    assert parsed.events == [Event(data="a", id="1", line=1), Event(data="b", id="1", line=4)]
    assert parsed.issues == [FramingIssue(4, "id '2\\x003' at line 4 contains NULL: ignored")]


def test_retry_digits_only() -> None:
    body = (
        "retry: 3000\n\nretry: 1.5\ndata: a\n\nretry: \u0661\u0662\ndata: b\n\nretry:\ndata: c\n\n"
    )
    parser = Parser()
    events = parser.feed(body) + parser.close()
    assert events == [Event(data="a", line=3), Event(data="b", line=6), Event(data="c", line=9)]
    assert parser.retry == 3000
    assert [i.line for i in parser.issues] == [3, 6, 9]
    assert parser.issues[0].message == "retry '1.5' at line 3 is not all ASCII digits: ignored"
    assert parse("retry: 0042\ndata: a\n\n").events == [Event(data="a", retry=42, line=1)]


def test_unknown_field_is_ignored_and_reported() -> None:
    parsed = parse("foo: bar\ndata: x\nData: y\nDATA\n\n")
    assert parsed.events == [Event(data="x", line=1)]  # the unknown field starts the block
    assert parsed.issues == [
        FramingIssue(1, "unknown field 'foo' at line 1: ignored"),
        FramingIssue(3, "unknown field 'Data' at line 3: ignored"),
        FramingIssue(4, "unknown field 'DATA' at line 4: ignored"),
    ]


def test_event_without_data_is_not_dispatched() -> None:
    parsed = parse("event: ping\n\ndata: x\n\nevent: a\nid: 7\n\nretry: 10\n\nid: 8\n\n")
    assert parsed.events == [Event(data="x", line=3)]
    assert parsed.issues == [
        FramingIssue(1, "event 'ping' at line 1 has no data: not dispatched"),
        FramingIssue(5, "event 'a' at line 5 has no data: not dispatched"),
    ]


# --- line endings, BOM, encoding ------------------------------------------------------------

STYLED = "event: a\n: c\ndata: 1\ndata: 2\n\ndata: 3\n\n"
STYLED_EVENTS = [Event(data="1\n2", event="a", line=1), Event(data="3", line=6)]


@pytest.mark.parametrize("newline", NEWLINES)
def test_line_ending_styles(newline: str) -> None:
    body = STYLED.replace("\n", newline)
    for stream in (body, body.encode()):
        parsed = parse(stream)
        assert parsed.events == STYLED_EVENTS
        assert parsed.comments == 1
        assert parsed.issues == []


def test_mixed_line_endings() -> None:
    parsed = parse("data: a\r\ndata: b\rdata: c\n\r\n\rdata: d\n\r")
    # LF then CRLF (not LF, CR, LF) ends line 4, then a lone CR is blank line 5
    assert parsed.events == [Event(data="a\nb\nc", line=1), Event(data="d", line=6)]
    assert parsed.issues == []


def test_lf_cr_is_two_line_ends() -> None:
    parsed = parse("data: a\n\rdata: b\n\n")
    assert parsed.events == [Event(data="a", line=1), Event(data="b", line=3)]


def test_bom_stripped_once() -> None:
    expected = [Event(data="x", line=1)]
    assert parse(b"\xef\xbb\xbfdata: x\n\n").events == expected
    assert parse("\ufeffdata: x\n\n").events == expected
    assert parse(b"\xef\xbb\xbfdata: x\n\n").issues == []
    twice = parse("\ufeff\ufeffdata: x\n\n")
    assert twice.events == []
    assert twice.issues == [FramingIssue(1, "unknown field '\\ufeffdata' at line 1: ignored")]
    later = parse("data: x\n\n\ufeffdata: y\n\n")
    assert later.events == expected
    assert later.issues == [FramingIssue(3, "unknown field '\\ufeffdata' at line 3: ignored")]


def test_bom_split_across_chunks() -> None:
    parsed = feed_chunks([b"\xef", b"\xbb", b"\xbf", b"data: x\n\n"])
    assert parsed == Parsed(events=[Event(data="x", line=1)], issues=[], comments=0)


def test_bom_prefix_only_is_not_swallowed() -> None:
    parsed = parse(b"\xef\xbb")
    assert parsed.events == []
    assert parsed.issues == [
        FramingIssue(
            1,
            "invalid UTF-8 at line 1, byte 1: decoded with U+FFFD replacement"
            " (first occurrence only)",
        ),
        FramingIssue(1, "unknown field '\ufffd' at line 1: ignored"),
        FramingIssue(
            1, "stream ended without a blank line: block starting at line 1 (no data) discarded"
        ),
    ]


def test_invalid_utf8_replaced_and_reported_once() -> None:
    parsed = parse(b"data: ok\n\ndata: a\xffb\n\ndata: \xc3\n\ndata: \xe2\x82\n\n")
    assert parsed.events == [
        Event(data="ok", line=1),
        Event(data="a\ufffdb", line=3),
        Event(data="\ufffd", line=5),
        Event(data="\ufffd", line=7),
    ]
    assert parsed.issues == [
        FramingIssue(
            3,
            "invalid UTF-8 at line 3, byte 8: decoded with U+FFFD replacement"
            " (first occurrence only)",
        )
    ]


def test_lone_surrogate_in_str_input_is_replaced() -> None:
    parsed = parse("data: a\ud800b\n\n")
    assert [e.data for e in parsed.events] == ["a\ufffd\ufffd\ufffdb"]
    assert [i.line for i in parsed.issues] == [1]


# --- end of stream --------------------------------------------------------------------------


@pytest.mark.parametrize("tail", ["data: b\n", "data: b", "data: b\r\n", "data: b\r"])
def test_missing_final_blank_line(tail: str) -> None:
    parsed = parse("data: a\n\n" + tail)
    assert parsed.events == [Event(data="a", line=1)]
    assert parsed.issues == [
        FramingIssue(3, "stream ended without a blank line: last event (line 3) not dispatched")
    ]


def test_unterminated_multi_line_block_reports_first_field_line() -> None:
    parsed = parse(b"data: a\n\n: c\nevent: e\nid: 1\ndata: b\ndata: c")
    assert parsed.events == [Event(data="a", line=1)]
    assert parsed.issues == [
        FramingIssue(4, "stream ended without a blank line: last event (line 4) not dispatched")
    ]
    assert parsed.comments == 1


def test_unterminated_block_without_data() -> None:
    parsed = parse("data: a\n\nevent: x\nid: 2")
    assert parsed.events == [Event(data="a", line=1)]
    assert parsed.issues == [
        FramingIssue(
            3, "stream ended without a blank line: block starting at line 3 (no data) discarded"
        )
    ]


def test_empty_stream() -> None:
    assert parse(b"") == Parsed(events=[], issues=[], comments=0)
    assert parse("\n\n\n") == Parsed(events=[], issues=[], comments=0)


# --- incremental parser ---------------------------------------------------------------------


def test_feed_returns_events_as_soon_as_dispatched() -> None:
    stream = b"data: a\r\n\r\ndata: b\n\n"
    parser = Parser()
    returned_at = []
    for index in range(len(stream)):
        for event in parser.feed(stream[index : index + 1]):
            returned_at.append((index, event.data))
    assert parser.close() == []
    # "a" dispatches at the CR ending the blank line (byte 9), "b" at the final LF (byte 19)
    assert returned_at == [(9, "a"), (19, "b")]


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    parser = Parser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"\n\r") == [Event(data="a", line=1)]
    assert parser.feed(b"\n") == []
    assert parser.feed(b"") == []
    assert parser.feed(b"data: b\r") == []
    assert parser.feed(b"\r") == [Event(data="b", line=3)]
    assert parser.close() == []
    assert parser.issues == []


def test_feed_after_close_raises_and_close_is_idempotent() -> None:
    parser = Parser()
    parser.feed("data: x\n")
    assert parser.close() == []
    assert parser.close() == []
    assert len(parser.issues) == 1
    with pytest.raises(RuntimeError):
        parser.feed("\n")


def test_parser_tracks_last_event_id() -> None:
    parser = Parser()
    assert parser.last_event_id is None
    parser.feed("id: 5\n\n")
    assert parser.last_event_id == "5"


SPLIT_STREAM = (
    b"\xef\xbb\xbf: hello\r\n"
    b"event: caf\xc3\xa9\r\n"
    b"id: \xe2\x82\xac1\r\n"
    b"data: \xf0\x9f\x98\x80 one\r\n"
    b"data: two\r\r\n"
    b"data: \xff three\rfoo: x\r\r"
    b"event: lost\n\n"
    b"data: tail\r\n"
)
SPLIT_EXPECTED = Parsed(
    events=[
        Event(data="😀 one\ntwo", event="café", id="€1", line=2),
        Event(data="\ufffd three", id="€1", line=7),
    ],
    issues=[
        FramingIssue(
            7,
            "invalid UTF-8 at line 7, byte 7: decoded with U+FFFD replacement"
            " (first occurrence only)",
        ),
        FramingIssue(8, "unknown field 'foo' at line 8: ignored"),
        FramingIssue(10, "event 'lost' at line 10 has no data: not dispatched"),
        FramingIssue(12, "stream ended without a blank line: last event (line 12) not dispatched"),
    ],
    comments=1,
)


def test_split_stream_whole() -> None:
    assert parse(SPLIT_STREAM) == SPLIT_EXPECTED
    assert feed_chunks([SPLIT_STREAM]) == SPLIT_EXPECTED


def test_split_at_every_byte_offset() -> None:
    for i in range(len(SPLIT_STREAM) + 1):
        assert feed_chunks([SPLIT_STREAM[:i], SPLIT_STREAM[i:]]) == SPLIT_EXPECTED, i


def test_split_at_every_pair_of_byte_offsets() -> None:
    n = len(SPLIT_STREAM)
    for i in range(n + 1):
        for j in range(i, n + 1):
            chunks = [SPLIT_STREAM[:i], SPLIT_STREAM[i:j], SPLIT_STREAM[j:]]
            assert feed_chunks(chunks) == SPLIT_EXPECTED, (i, j)


def test_byte_at_a_time() -> None:
    chunks = [SPLIT_STREAM[i : i + 1] for i in range(len(SPLIT_STREAM))]
    assert feed_chunks(chunks) == SPLIT_EXPECTED


def test_str_chunks_split_at_every_offset() -> None:
    text = "\ufeffevent: café\r\ndata: 😀\r\n\r\ndata: b\r\r\n"
    expected = Parsed(
        events=[Event(data="😀", event="café", line=1), Event(data="b", line=4)],
        issues=[],
        comments=0,
    )
    assert parse(text) == expected
    for i in range(len(text) + 1):
        assert feed_chunks([text[:i], text[i:]]) == expected, i


# --- encoding -------------------------------------------------------------------------------


def test_encode_exact() -> None:
    assert encode("x") == "data: x\n\n"
    assert encode("") == "data: \n\n"
    assert encode("a\nb\r\nc\rd", event="e", id="7", retry=100) == (
        "event: e\nid: 7\nretry: 100\ndata: a\ndata: b\ndata: c\ndata: d\n\n"
    )
    assert encode("a\n", newline="\r\n") == "data: a\r\ndata: \r\n\r\n"
    assert encode("a", event="t", newline="\r") == "event: t\rdata: a\r\r"
    assert encode("\u2028x\x0by") == "data: \u2028x\x0by\n\n"  # only CR/LF split lines


def test_encode_comment() -> None:
    assert encode_comment() == ":\n"
    assert encode_comment("keep-alive") == ": keep-alive\n"
    assert encode_comment("a\nb", newline="\r\n") == ": a\r\n: b\r\n"
    assert parse(encode_comment("a\r\nb\rc") + encode("x")) == Parsed(
        events=[Event(data="x", line=4)], issues=[], comments=3
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"event": "a\nb"},
        {"event": "a\rb"},
        {"id": "a\nb"},
        {"id": "a\x00b"},
        {"retry": -1},
        {"retry": True},
        {"newline": "\n\n"},
        {"newline": ""},
    ],
)
def test_encode_rejects(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        encode("x", **kwargs)


def test_encode_comment_rejects_bad_newline() -> None:
    with pytest.raises(ValueError):
        encode_comment("x", newline="\n\r")


# --- properties -----------------------------------------------------------------------------

_TEXT_CHAR = st.characters(exclude_categories=["Cs"])
_FIELD_CHAR = st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\x00")
_DATA = st.lists(st.one_of(_TEXT_CHAR, st.sampled_from(["\n", "\r", "\r\n"]))).map("".join)
_FIELD = st.none() | st.text(_FIELD_CHAR)
_BLOCKS = st.lists(st.tuples(_DATA, _FIELD, _FIELD, st.none() | st.integers(0, 10**15)), max_size=8)


@pytest.mark.parametrize("newline", NEWLINES)
@given(blocks=_BLOCKS)
@settings(max_examples=150)
def test_round_trip(
    newline: str, blocks: list[tuple[str, str | None, str | None, int | None]]
) -> None:
    stream = ""
    expected: list[Event] = []
    line = 1
    last_id: str | None = None
    for data, event, id_, retry in blocks:
        stream += encode(data, event=event, id=id_, retry=retry, newline=newline)
        if id_ is not None:
            last_id = id_
        expected.append(
            Event(
                data=re.sub(r"\r\n|\r", "\n", data),
                event=event,
                id=last_id,
                retry=retry,
                line=line,
            )
        )
        data_lines = len(re.split(r"\r\n|\r|\n", data))
        line += sum(x is not None for x in (event, id_, retry)) + data_lines + 1
    for form in (stream, stream.encode()):
        parsed = parse(form)
        assert parsed.events == expected
        assert parsed.issues == []
        assert parsed.comments == 0


@given(stream=st.binary(max_size=200), data=st.data())
@settings(max_examples=300)
def test_any_chunking_equals_whole(stream: bytes, data: st.DataObject) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    bounds = [0, *cuts, len(stream)]
    chunks = [stream[a:b] for a, b in itertools.pairwise(bounds)]
    assert feed_chunks(chunks) == parse(stream)


_SSE_BYTES = st.lists(
    st.sampled_from([b"\r", b"\n", b"\r\n", b":", b" ", b"data", b"event", b"id", b"x", b"\xc3"])
    | st.sampled_from([b"\xa9", b"\xef\xbb\xbf", b"retry", b"1", b"\x00", b"\xff"])
).map(b"".join)


@given(stream=_SSE_BYTES, data=st.data())
@settings(max_examples=300)
def test_any_chunking_equals_whole_sse_like(stream: bytes, data: st.DataObject) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    bounds = [0, *cuts, len(stream)]
    chunks = [stream[a:b] for a, b in itertools.pairwise(bounds)]
    assert feed_chunks(chunks) == parse(stream)


def test_doctests() -> None:
    result = doctest.testmod(sse_module)
    assert result.attempted >= 8
    assert result.failed == 0
