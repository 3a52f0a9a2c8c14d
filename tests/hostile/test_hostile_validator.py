"""The validator under hostile input: over arbitrary JSON-ish values and bytes (deep nesting,
huge numbers, NaN/Infinity, odd keys, lone surrogates, bytes that are not UTF-8), every failure
of ``Validator.request/response/stream/exchange`` is a ``ConformanceError`` or a ``Violation``,
never a raw exception; and the CLI answers in one line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings
from support import SPECS

from conformance import sse
from conformance.cli import main
from conformance.errors import ConformanceError
from conformance.spec import Spec, load_spec
from conformance.validate import Validator, Violation
from conformance.validate.limits import Limits, loads, problem

V230 = SPECS / "openai-2.3.0.yaml"
V2026 = SPECS / "openai-2026-08.yaml"

pytestmark = pytest.mark.skipif(not V230.exists(), reason=f"specs not found at {SPECS}")

HOSTILE = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

# a small spec of our own: free-form maps, deep recursion, numbers of every kind, a stream
TINY: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "tiny", "version": "1"},
    "paths": {
        "/things/{id}": {
            "post": {
                "operationId": "postThing",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "n", "in": "query", "schema": {"type": "number"}},
                    {
                        "name": "tags",
                        "in": "query",
                        "schema": {"type": "array", "items": {"type": "integer"}},
                    },
                    {
                        "name": "filter",
                        "in": "query",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    {"name": "x-count", "in": "header", "schema": {"type": "integer"}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}},
                        "application/x-www-form-urlencoded": {
                            "schema": {"$ref": "#/components/schemas/Thing"}
                        },
                    },
                },
                "responses": {
                    "200": {
                        "description": "ok",
                        "headers": {"x-left": {"schema": {"type": "integer"}}},
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}},
                            "text/event-stream": {"schema": {"$ref": "#/components/schemas/Thing"}},
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z]"},
                    "size": {"type": "integer", "maximum": 10},
                    "ratio": {"type": ["number", "null"]},
                    "attributes": {
                        "type": "object",
                        "additionalProperties": {
                            "oneOf": [
                                {"type": "string"},
                                {
                                    "type": "object",
                                    "properties": {"a": {"type": "integer"}},
                                    "additionalProperties": False,
                                },
                            ]
                        },
                    },
                    "child": {"$ref": "#/components/schemas/Thing"},
                },
                "additionalProperties": False,
            }
        }
    },
}


@pytest.fixture(scope="module")
def tiny_validator(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    path = tmp_path_factory.mktemp("tiny") / "tiny.json"
    path.write_text(json.dumps(TINY))
    return Validator(load_spec(path))


@pytest.fixture(scope="module", params=[V230, V2026], ids=["2.3.0", "2026-08"])
def validator(request: pytest.FixtureRequest) -> Validator:
    path: Path = request.param
    if not path.exists():
        pytest.skip(f"{path} missing")
    return Validator(load_spec(path), strict=True)


# -- strategies -------------------------------------------------------------------------------------

ODD_KEYS = st.sampled_from(
    ["0", "1", "", " ", "é", "名前", "\ud800", "a/b", "~0", "$ref", "__proto__"]
)
KEYS = ODD_KEYS | st.text(max_size=6)
NUMBERS = st.one_of(
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(0, 6000).map(lambda k: 10**k),  # up to 6,001 digits
    st.sampled_from([2**64, -(2**63) - 1, 1e308, -0.0, 5e-324]),
)
STRINGS = st.text(max_size=12) | st.sampled_from(["\ud800", "a\udfffb", "\x00", "9" * 5000])
LEAVES = st.none() | st.booleans() | NUMBERS | STRINGS


def nest(depth: int, value: Any, kind: int) -> Any:
    for _ in range(depth):
        value = [value] if kind % 2 else {"child": value}
    return value


JSONISH = st.one_of(
    st.recursive(
        LEAVES,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
        max_leaves=20,
    ),
    st.builds(nest, st.integers(100, 3000), LEAVES, st.integers(0, 1)),
)

RAW_TOKENS = st.sampled_from(
    [
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b"1e400",
        b"-1e400",
        b"9" * 5000,
        b"0." + b"0" * 5000 + b"1",
        b'"\\ud800"',
        b'"\xed\xa0\x80"',
        b"\xff",
        b"\xc3",
        b"[" * 5000,
        b"{" * 5000,
        b'{"0": ',
    ]
)


def to_bytes(value: Any) -> bytes:
    try:
        return json.dumps(value).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        return b"[]"


RAW = st.one_of(
    JSONISH.map(to_bytes),
    st.tuples(JSONISH.map(to_bytes), RAW_TOKENS, st.integers(0, 50)).map(
        lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :]
    ),
    st.builds(lambda t, n: b'{"a": ' + t * n + b"}", RAW_TOKENS, st.integers(1, 3)),
    st.binary(max_size=64),
)
BODIES = JSONISH | RAW
TEXT = st.text(max_size=20) | st.sampled_from(
    ["9" * 5000, "1e400", "NaN", "[" * 3000, "{" * 3000 + "1", "\ud800", "٣"]
)


def never_raw(call: Callable[[], list[Violation]]) -> None:
    try:
        out = call()
    except ConformanceError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(out, list) and all(isinstance(v, Violation) for v in out)
    for v in out:
        str(v)  # every verdict prints
        json.dumps(v.to_dict(), default=str)


# -- the property test -------------------------------------------------------------------------------


CHAT_OPS = [
    "createChatCompletion",
    "createEmbedding",
    "updateVectorStoreFileAttributes",
    "createResponse",
]


@HOSTILE
@given(data=st.data())
def test_openai_requests_never_raise(validator: Validator, data: st.DataObject) -> None:
    op = data.draw(st.sampled_from(CHAT_OPS))
    body = data.draw(BODIES)
    ctype = data.draw(st.sampled_from(["application/json", "application/json; charset=utf-8"]))
    never_raw(lambda: validator.request(op, headers={"content-type": ctype}, body=body))
    query = data.draw(
        st.lists(st.tuples(st.sampled_from(["limit", "after", "order", "0", ""]), TEXT), max_size=3)
    )
    never_raw(lambda: validator.request("listFiles", query=query))


@HOSTILE
@given(data=st.data())
def test_openai_responses_and_streams_never_raise(
    validator: Validator, data: st.DataObject
) -> None:
    body = data.draw(BODIES)
    op = data.draw(st.sampled_from(["createChatCompletion", "listModels", "createEmbedding"]))
    never_raw(lambda: validator.response(op, status=200, body=body))
    never_raw(
        lambda: validator.response(
            op, status=200, headers={"content-type": "application/json"}, body=body
        )
    )
    event = body if isinstance(body, bytes) else to_bytes(body)
    raw = b"data: " + event + b"\n\ndata: [DONE]\n\n"
    never_raw(lambda: validator.stream("createChatCompletion", raw))
    never_raw(
        lambda: validator.stream(
            "createChatCompletion", [sse.Event(data=event.decode("utf-8", "replace"))]
        )
    )


@HOSTILE
@given(data=st.data())
def test_openai_exchanges_never_raise(validator: Validator, data: st.DataObject) -> None:
    request = data.draw(BODIES)
    response = data.draw(BODIES)
    never_raw(lambda: validator.exchange("createChatCompletion", body=request, response=response))
    streamed = b"data: " + to_bytes(data.draw(JSONISH)) + b"\n\ndata: [DONE]\n\n"
    never_raw(
        lambda: validator.exchange(
            "createChatCompletion",
            body={"model": "gpt-4o", "messages": [], "stream": True},
            response_headers={"content-type": "text/event-stream"},
            response=streamed,
        )
    )


@HOSTILE
@given(data=st.data())
def test_a_small_spec_never_raises(tiny_validator: Validator, data: st.DataObject) -> None:
    body = data.draw(BODIES)
    query = data.draw(
        st.lists(
            st.tuples(st.sampled_from(["n", "tags", "tags[]", "filter", "x"]), TEXT), max_size=4
        )
    )
    path = "/things/" + data.draw(
        TEXT.filter(lambda t: "/" not in t and "?" not in t and "#" not in t)
    )
    header = data.draw(TEXT.filter(lambda t: "\n" not in t and "\r" not in t))
    never_raw(
        lambda: tiny_validator.request(
            "postThing",
            path=path,
            query=query,
            headers={"content-type": "application/json", "x-count": header},
            body=body,
        )
    )
    form = data.draw(
        st.lists(st.tuples(st.sampled_from(["size", "ratio", "child", "name"]), TEXT), max_size=4)
    )
    never_raw(
        lambda: tiny_validator.request(
            "postThing",
            path="/things/1",
            headers={"content-type": "application/x-www-form-urlencoded"},
            body="&".join(f"{k}={v}" for k, v in form),
        )
    )
    never_raw(lambda: tiny_validator.response("postThing", headers={"x-left": header}, body=body))
    raw = body if isinstance(body, bytes) else to_bytes(body)
    never_raw(lambda: tiny_validator.stream("postThing", b"data: " + raw + b"\n\n"))
    never_raw(
        lambda: tiny_validator.exchange("postThing", path="/things/1", body=body, response=body)
    )


# -- what the verdicts say ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "pointer", "said"),
    [
        (b'{"ratio": NaN}', "/ratio", "NaN is not a JSON number"),
        (b'{"ratio": Infinity}', "/ratio", "Infinity is not a JSON number"),
        (b'{"ratio": 1e400}', "/ratio", "beyond the range"),
        (b'{"size": ' + b"9" * 5000 + b"}", "/size", "longer than 4300 digits"),
        (b'{"name": "\\udc00"}', "/name", "lone surrogate"),
        (b'{"child": ' * 200 + b"{}" + b"}" * 200, "/child" * 128, "nested deeper than 128"),
        (
            b'{"attributes": {"0": ' + b"[" * 5000,
            "/attributes/0" + "/0" * 126,
            "nested deeper than 128",
        ),
    ],
)
def test_values_that_are_not_json_are_decode_verdicts_naming_the_pointer(
    tiny_validator: Validator, raw: bytes, pointer: str, said: str
) -> None:
    found = tiny_validator.response(
        "postThing", headers={"content-type": "application/json"}, body=raw
    )
    assert [v.code for v in found] == ["response.decode"], found
    assert found[0].pointer == pointer and said in found[0].message
    assert "null is not of types" not in found[0].message


def test_a_parsed_nan_is_not_null(tiny_validator: Validator) -> None:
    found = tiny_validator.request("postThing", path="/things/1", body={"ratio": math.nan})
    assert [(v.code, v.pointer) for v in found] == [("request.decode", "/ratio")]


def test_long_numbers_in_parameters_are_decode_verdicts(tiny_validator: Validator) -> None:
    found = tiny_validator.request(
        "postThing",
        path="/things/" + "9" * 5000,
        query={"n": "1e400"},
        headers={"x-count": "8" * 5000},
        body={},
    )
    assert sorted((v.code, v.pointer) for v in found) == [
        ("request.decode", "/id"),
        ("request.decode", "/n"),
        ("request.decode", "/x-count"),
    ]


def test_limits_are_options(tmp_path: Path) -> None:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY))
    tight = Validator(load_spec(path), limits=Limits(depth=3, digits=4))
    assert [
        v.code
        for v in tight.response(
            "postThing",
            body=b'{"child": {"child": {"child": {}}}}',
            headers={"content-type": "application/json"},
        )
    ] == ["response.decode"]
    assert [
        v.code
        for v in tight.response(
            "postThing", body=b'{"size": 12345}', headers={"content-type": "application/json"}
        )
    ] == ["response.decode"]
    assert tight.response(
        "postThing", body=b'{"size": 1234}', headers={"content-type": "application/json"}
    ) == [
        v
        for v in tight.response(
            "postThing", body=b'{"size": 1234}', headers={"content-type": "application/json"}
        )
        if v.code == "schema.maximum"
    ]


@given(JSONISH)
@HOSTILE
def test_loads_agrees_with_problem(value: Any) -> None:
    """What ``loads`` refuses in text is what ``problem`` finds in the value."""
    raw = to_bytes(value)
    try:
        parsed = loads(raw)
    except ValueError as exc:
        assert problem(value) is not None or raw == b"[]", exc
        return
    assert problem(parsed) is None


def test_deep_tool_arguments_in_an_exchange_are_a_verdict() -> None:
    spec: Spec = load_spec(V230)
    validator = Validator(spec)
    answer = {
        "id": "c",
        "object": "chat.completion",
        "created": 1742600000,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "logprobs": None,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": "t",
                            "type": "function",
                            "function": {"name": "f", "arguments": "[" * 10000},
                        }
                    ],
                },
            }
        ],
    }
    tools = [
        {
            "type": "function",
            "function": {"name": "f", "strict": True, "parameters": {"type": "object"}},
        }
    ]
    found = validator.exchange(
        "createChatCompletion",
        body={"model": "gpt-4o", "messages": [], "tools": tools},
        response=answer,
    )
    assert "rule.tool.arguments-json" in [v.code for v in found]


# -- the CLI -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"object": "list", "data": ' + b"9" * 5000 + b"}",
        b'{"data": NaN}',
        b"\xff\xfe",
    ],
)
def test_cli_validate_answers_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], raw: bytes
) -> None:
    path = tmp_path / "answer.json"
    path.write_bytes(raw)
    code = main(["validate", str(V230), "-o", "listModels", "--response", str(path)])
    out, err = capsys.readouterr()
    assert code == 1, (out, err)
    assert "Traceback" not in out + err
    assert "response.decode" in out
