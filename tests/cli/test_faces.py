"""The command as a new user meets it: a request checked with its answer (``validate`` with
``--request`` and ``--response``/``--stream``), ``codes``, ``--version``, ``spec examples`` as a
CI gate. Run as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import SPECS

from conformance.validate.codes import CODES

V230 = SPECS / "openai-2.3.0.yaml"

pytestmark = pytest.mark.skipif(not V230.exists(), reason=f"specs not found at {SPECS}")

USER = [{"role": "user", "content": "Say hi"}]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_error(result: subprocess.CompletedProcess[str], says: str) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "error:" in lines[0] and says in lines[0], lines[0]


def completion(choices: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o",
        "choices": [
            {
                "index": i,
                "message": {"role": "assistant", "content": "Hi!", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
            for i in range(choices)
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return path


def codes(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [v["code"] for v in json.loads(result.stdout)]


def test_request_with_response_is_checked_as_an_exchange(tmp_path: Path) -> None:
    request = write(tmp_path, "req.json", {"model": "gpt-4o", "messages": USER, "n": 2})
    one = write(tmp_path, "one.json", completion(1))
    two = write(tmp_path, "two.json", completion(2))
    alone = run("validate", V230, "-o", "createChatCompletion", "--response", one, "--json")
    assert alone.returncode == 0, alone.stdout  # one choice is a valid completion…
    both: list[str | Path] = [V230, "-o", "createChatCompletion", "--request", request]
    found = run("validate", *both, "--response", one, "--json")
    assert found.returncode == 1
    assert codes(found) == ["rule.chat.n-choices"]  # …but not the answer to n=2
    assert run("validate", *both, "--response", two).returncode == 0


def test_request_with_stream_is_checked_as_an_exchange(tmp_path: Path) -> None:
    asked = {"model": "gpt-4o", "messages": USER, "stream": True, "n": 2}
    request = write(tmp_path, "req.json", asked)
    chunk = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "gpt-4o",
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": "Hi"}, "finish_reason": None}
        ],
    }
    finish = {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    events = "".join(f"data: {json.dumps(c)}\n\n" for c in (chunk, finish)) + "data: [DONE]\n\n"
    stream = write(tmp_path, "chat.sse", events.encode())
    args: list[str | Path] = [
        "validate",
        V230,
        "-o",
        "createChatCompletion",
        "--stream",
        stream,
        "--json",
    ]
    assert run(*args).returncode == 0
    found = run(*args, "--request", request)
    assert found.returncode == 1
    assert "rule.chat.n-choices" in codes(found)


def test_a_raw_request_line_routes_the_operation(tmp_path: Path) -> None:
    head = b"POST /v1/chat/completions HTTP/1.1\r\ncontent-type: application/json\r\n\r\n"
    raw = head + json.dumps({"model": "gpt-4o", "messages": USER, "n": 2}).encode()
    request = write(tmp_path, "req.http", raw)
    one = write(tmp_path, "one.json", completion(1))
    found = run("validate", V230, "--request", request, "--response", one)
    assert found.returncode == 1
    assert found.stdout.splitlines()[-1] == "createChatCompletion: 1 violation(s), 0 warning(s)"
    alone = run("validate", V230, "--request", write(tmp_path, "get.http", b"GET /v1/models\r\n"))
    assert (alone.returncode, alone.stdout.strip()) == (
        0,
        "listModels: 0 violation(s), 0 warning(s)",
    )
    nowhere = write(tmp_path, "nowhere.http", b"GET /v1/nowhere HTTP/1.1\r\n\r\n")
    unrouted = run("validate", V230, "--request", nowhere, "--json")
    assert (unrouted.returncode, codes(unrouted)) == (1, ["request.route"])


def test_what_cannot_be_checked_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bare = write(tmp_path, "bare.json", {"model": "gpt-4o", "messages": USER})
    one_line_error(run("validate", V230, "--request", bare), "give --operation")
    one_line_error(run("validate", V230, "-o", "listModels"), "give --request, --response")
    both = run("validate", V230, "-o", "listModels", "--response", bare, "--stream", bare)
    one_line_error(both, "not allowed with")
    stdin_twice = run("validate", V230, "-o", "listModels", "--request", "-", "--response", "-")
    one_line_error(stdin_twice, "only one of --request, --response and --stream can read stdin")


def test_codes_prints_the_table_or_the_meaning_of_each_code() -> None:
    table = run("codes")
    assert table.returncode == 0
    assert table.stdout.splitlines()[0] == "| code | meaning |"
    assert "| `stream.done-missing` |" in table.stdout
    given = run("codes", "schema.required", "stream.done-missing")
    assert given.returncode == 0
    assert given.stdout.splitlines() == [
        f"schema.required      {CODES['schema.required']}",
        f"stream.done-missing  {CODES['stream.done-missing']}",
    ]
    as_json = run("codes", "--json")
    assert json.loads(as_json.stdout) == CODES
    assert json.loads(run("codes", "--json", "request.route").stdout) == {
        "request.route": CODES["request.route"]
    }
    one_line_error(run("codes", "schema.required", "schema.nope"), "unknown code 'schema.nope'")


def test_version() -> None:
    from conformance import __version__

    result = run("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"conformance {__version__}")


EXAMPLE_SPEC = """
openapi: 3.1.0
info: {{title: t, version: '1'}}
paths: {{}}
components:
  schemas:
    Thing:
      type: object
      properties: {{name: {{type: string}}}}
      example: {example}
"""


@pytest.mark.parametrize(("example", "exit_code"), [("{name: x}", 0), ("{name: 1}", 1)])
def test_spec_examples_exits_1_when_an_example_is_invalid(
    tmp_path: Path, example: str, exit_code: int
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(EXAMPLE_SPEC.format(example=example))
    assert run("spec", "examples", spec).returncode == exit_code
    assert run("spec", "examples", spec, "--json").returncode == exit_code
    assert "CI" in run("spec", "examples", "--help").stdout
