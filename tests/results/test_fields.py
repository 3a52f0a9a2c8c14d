"""Secret fields: values under secret-named keys are redacted in bodies, streams, forms and
JSON values; the OpenAI fields that only look like it (``max_tokens``, usage's ``*_tokens``,
logprobs' ``token``) are kept byte for byte."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import SPECS

from conformance.results import Redactor
from conformance.results.fields import field_spans, may_name_secrets, secret_field
from conformance.spec import Spec, load_spec
from conformance.strategies import ResponseCase, responses

SECRET = "abc123-quiet"  # no token shape: found only by the key it is under
V2026 = SPECS / "openai-2026-08.yaml"

SECRET_KEYS = (
    "api_key",
    "API_KEY",
    "apiKey",
    "x-api-key",
    "password",
    "Password",
    "user_password",
    "secret",
    "client_secret",
    "clientSecret",
    "domain_secrets",
    "token",
    "access_token",
    "refresh_token",
    "authorization",
    "Authorization",
    "credentials",
    "private_key",
)
KEPT_KEYS = (
    "max_tokens",
    "max_completion_tokens",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "tokens",
    "token_logprobs",
    "token_usage",
    "bytes",
    "logprob",
    "key",
    "keys",
    "prompt_cache_key",
    "api_key_id",
    "external_key_id",
    "author",
    "pass_threshold",
    "passed",
    "is_scale_tier_authorized_purchaser",
)


@pytest.mark.parametrize("name", SECRET_KEYS)
def test_secret_names(name: str) -> None:
    assert secret_field(name)
    body = json.dumps({"model": "m", "outer": [{name: SECRET}]}).encode()
    assert SECRET.encode() not in Redactor().body(body)


@pytest.mark.parametrize("name", KEPT_KEYS)
def test_names_that_only_look_secret(name: str) -> None:
    assert not secret_field(name)
    body = json.dumps({"outer": {name: SECRET}}).encode()
    assert Redactor().body(body) == body


def test_logprobs_tokens_and_usage_are_kept() -> None:
    """A chat completion's logprobs (``token`` beside ``logprob``) and usage stay as they were."""
    entry = {"token": "Hello", "logprob": -0.31, "bytes": [72, 101, 108, 108, 111]}
    answer = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello"},
                "logprobs": {
                    "content": [{**entry, "top_logprobs": [entry, {**entry, "token": "Hi"}]}]
                },
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 9,
            "completion_tokens": 1,
            "total_tokens": 10,
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }
    body = json.dumps(answer).encode()
    assert Redactor().body(body) == body
    assert Redactor().value(answer) == answer
    # the Responses API's output_text logprobs, in a stream
    event = {"type": "response.output_text.delta", "delta": "Hi", "logprobs": [entry]}
    stream = f"event: x\ndata: {json.dumps(event)}\n\n".encode()
    assert Redactor().chunks([stream[:40], stream[40:]]) == (stream[:40], stream[40:])
    # without a logprob beside it, a token is a credential
    assert b"Hello" not in Redactor().body(json.dumps({"token": "Hello"}).encode())


def test_nested_values_keep_their_shape() -> None:
    body = {
        "client_secret": {"value": SECRET, "expires_at": 1760000000, "type": "ephemeral"},
        "domain_secrets": [{"domain": "x.io", "name": "N", "value": SECRET}],
        "password": 1234567,
        "tools": [{"type": "mcp", "authorization": SECRET, "server_url": "https://x.io"}],
    }
    raw = json.dumps(body, indent=2).encode()
    out = Redactor().body(raw)
    assert SECRET.encode() not in out and b"1234567" not in out
    parsed = json.loads(out)
    assert parsed["client_secret"] == {
        "value": "[redacted:client_secret]",
        "expires_at": 1760000000,
        "type": "ephemeral",
    }
    assert parsed["password"] == "[redacted:password]"
    assert parsed["tools"][0]["server_url"] == "https://x.io"
    assert out.replace(b"[redacted:client_secret]", b"").count(b"\n") == raw.count(b"\n")
    assert Redactor().body(out) == out  # idempotent
    assert Redactor().value(body) == parsed


def test_forms_multipart_streams_and_messages() -> None:
    r = Redactor()
    assert r.body(f"model=m&api_key={SECRET}&max_tokens=3".encode()) == (
        b"model=m&api_key=[redacted:api_key]&max_tokens=3"
    )
    multipart = (
        b'--xx\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n'
        b'--xx\r\nContent-Disposition: form-data; name="client_secret"\r\n\r\n'
        + SECRET.encode()
        + b'\r\n--xx\r\nContent-Disposition: form-data; name="file"; filename="token"\r\n'
        b"Content-Type: audio/wav\r\n\r\nRIFF\xff\x00\r\n--xx--\r\n"
    )
    out = r.body(multipart)
    assert SECRET.encode() not in out and b"whisper-1" in out and b"RIFF\xff\x00" in out
    stream = f'data: {{"a": 1, "secret": "{SECRET}"}}\n\ndata: [DONE]\n\n'.encode()
    cut = stream.index(SECRET[:4].encode()) + 2  # a chunk boundary inside the secret
    chunks = r.chunks([stream[:cut], stream[cut:]])
    assert SECRET.encode() not in b"".join(chunks) and len(chunks) == 2
    assert chunks[1].endswith(b"data: [DONE]\n\n")
    assert SECRET not in r.text(f"{{'password': '{SECRET}', 'x': 1}} is not valid")
    violation = {"message": f"'{SECRET}' is too short", "pointer": "/tools/0/authorization"}
    assert SECRET not in json.dumps(r.value(violation))
    kept = {"message": "'Hi' is too short", "pointer": "/choices/0/logprobs/content/0/token"}
    assert r.value(kept) == kept


def test_user_named_fields() -> None:
    assert Redactor().body(b'{"pin": "1234"}') == b'{"pin": "1234"}'
    assert Redactor(fields=["PIN"]).body(b'{"pin": "1234"}') == b'{"pin": "[redacted:pin]"}'


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from((*KEPT_KEYS, "a", "b")), inner, max_size=3)
        ),
        max_leaves=12,
    ),
    st.sampled_from(SECRET_KEYS),
    st.sampled_from([0, 2, None]),
)
def test_a_planted_secret_never_survives(tree: object, key: str, indent: int | None) -> None:
    """A secret under a secret key, anywhere in any JSON, is gone; every other value stays."""
    doc = {"x": tree, "deep": [{"y": tree, key: SECRET}]}
    raw = json.dumps(doc, indent=indent).encode()
    out = Redactor().body(raw)
    assert SECRET.encode() not in out
    expected = {"x": tree, "deep": [{"y": tree, key: f"[redacted:{key.lower()}]"}]}
    assert json.loads(out) == json.loads(json.dumps(expected))


@pytest.fixture(scope="module")
def spec() -> Spec:
    if not V2026.exists():
        pytest.skip(f"specs not found at {SPECS}")
    return load_spec(V2026)


@pytest.mark.parametrize("operation", ["createChatCompletion", "createCompletion"])
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_answers_pass_untouched(spec: Spec, operation: str, data: st.DataObject) -> None:
    """Valid answers of the operations with logprobs and usage (JSON and streamed) carry no
    secret field: the redactor leaves every byte."""
    case: ResponseCase = data.draw(responses(spec, operation, status=200, profile="typical"))
    content = case.content()
    assert Redactor().body(content) == content


PIECES = ['{"', '"', "'", ": ", "=", "&", "{", "}", 'name="', "\r\n", "x", "1", *SECRET_KEYS]
PIECES += KEPT_KEYS


@given(
    st.lists(
        st.sampled_from(PIECES),
        max_size=14,
    ).map("".join)
)
def test_the_byte_prefilter_never_hides_what_the_text_scan_finds(text: str) -> None:
    """``may_name_secrets`` (on bytes, no copy) says yes whenever ``field_spans`` finds a span."""
    if field_spans(text):
        assert may_name_secrets(text.encode("latin-1"))


def test_a_large_body_without_secret_keys_is_not_copied() -> None:
    body = b'{"purpose": "batch", "file": "' + b"x" * 4_000_000 + b'"}'
    assert Redactor().body(body) is body
