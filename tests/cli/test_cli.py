"""The ``conformance`` command, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import SPECS

V230 = SPECS / "openai-2.3.0.yaml"
V2026 = SPECS / "openai-2026-08.yaml"

pytestmark = pytest.mark.skipif(not V230.exists(), reason=f"specs not found at {SPECS}")


def run(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *map(str, args)],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(("spec", "operations"), [(V230, 126), (V2026, 288)])
def test_spec_check_indexes_every_operation_and_compiles_everything(
    spec: Path, operations: int
) -> None:
    result = run("spec", "check", spec, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["operations"] == operations
    assert report["validators"] > 2 * operations
    assert {e["id"] for e in report["errata"]} >= {"required-undefined", "openai-run-streams"}


def test_spec_check_text_lists_each_erratum() -> None:
    result = run("spec", "check", V230)
    assert result.returncode == 0
    assert "126 indexed" in result.stdout
    assert "openai-done-sentinel at #/paths/~1chat~1completions/post" in result.stdout


def test_spec_check_without_errata() -> None:
    result = run("spec", "check", V230, "--errata", "none", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["errata"] == []


def test_spec_examples_reports_the_invalid_ones() -> None:
    result = run("spec", "examples", V230, "--no-schemas")
    assert result.returncode == 1  # some are invalid: see test_faces.py
    summary = [
        line for line in result.stdout.splitlines() if line.startswith("operation examples:")
    ]
    assert summary, result.stdout
    valid, total = summary[0].split()[2].split("/")
    assert int(total) == 150
    assert 40 <= int(valid) < 150
    assert "unparseable createBatch" in " ".join(result.stdout.split())


def test_validate_response_file(tmp_path: Path) -> None:
    body = {
        "object": "list",
        "data": [{"id": "gpt-4o", "object": "model", "created": 1, "owned_by": 7}],
    }
    path = tmp_path / "models.json"
    path.write_text(json.dumps(body))
    result = run("validate", V230, "-o", "listModels", "--response", path)
    assert result.returncode == 1
    assert "listModels response.body /data/0/owned_by: 7 is not of type" in result.stdout


def test_validate_raw_http_response_with_status(tmp_path: Path) -> None:
    path = tmp_path / "r.http"
    path.write_bytes(b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n\r\n{}")
    result = run("validate", V230, "-o", "listModels", "--response", path)
    assert result.returncode == 1
    assert "status 404 is not documented" in result.stdout


def test_validate_raw_http_request_routes_path_and_query(tmp_path: Path) -> None:
    path = tmp_path / "req.http"
    path.write_bytes(b"GET /v1/files?limit=ten HTTP/1.1\r\nHost: x\r\n\r\n")
    result = run("validate", V230, "-o", "listFiles", "--request", path, "--json")
    assert result.returncode == 1
    found = json.loads(result.stdout)
    assert [(v["where"], v["pointer"], v["code"]) for v in found] == [
        ("request.query", "/limit", "schema.type")
    ]


def test_validate_stream_from_stdin() -> None:
    chunk = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o",
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
        ],
    }
    good = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
    assert (
        run("validate", V230, "-o", "createChatCompletion", "--stream", "-", stdin=good).returncode
        == 0
    )
    missing_done = f"data: {json.dumps(chunk)}\n\n".encode()
    result = run(
        "validate", V230, "-o", "createChatCompletion", "--stream", "-", stdin=missing_done
    )
    assert result.returncode == 1
    assert "stream ended without data: [DONE]" in result.stdout


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        ("openapi: 3.0.0\npaths: {a: [}\n", "bad.yaml", "bad.yaml:2:"),
        ('{"openapi": "3.0.0", "paths": {,}}', "bad.json", "bad.json:1:"),
        ("swagger: '2.0'\npaths: {}\n", "old.yaml", "Swagger 2.0 is not supported"),
        ("openapi: 4.0.0\npaths: {}\n", "new.yaml", "unsupported OpenAPI version '4.0.0'"),
        (
            "openapi: 3.0.0\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n"
            "          description: ok\n          content:\n            application/json:\n"
            "              schema: {$ref: '#/components/schemas/Nope'}\n",
            "dangling.yaml",
            "#/paths/~1a/get/responses/200/content/application~1json/schema: dangling $ref '#/components/schemas/Nope'",
        ),
    ],
)
def test_bad_specs_give_one_line_and_exit_2(
    tmp_path: Path, content: str, name: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = run("spec", "check", path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_file_unreachable_url_and_unknown_operation_exit_2(tmp_path: Path) -> None:
    missing = run("spec", "check", tmp_path / "nope.yaml")
    assert missing.returncode == 2 and "nope.yaml: no such file" in missing.stderr
    unreachable = run("spec", "check", "http://127.0.0.1:9/openapi.yaml")
    assert (
        unreachable.returncode == 2
        and "http://127.0.0.1:9/openapi.yaml: cannot fetch" in unreachable.stderr
    )
    body = tmp_path / "b.json"
    body.write_text("{}")
    unknown = run("validate", V230, "-o", "createchatcompletion", "--response", body)
    assert unknown.returncode == 2
    assert (
        "no operation 'createchatcompletion' (did you mean 'createChatCompletion'?)"
        in unknown.stderr
    )
    unreadable = run("validate", V230, "-o", "listModels", "--response", tmp_path / "none.json")
    assert unreadable.returncode == 2 and "none.json: cannot read" in unreadable.stderr
