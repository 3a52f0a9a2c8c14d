"""The broad SDK test (issue #4): the official OpenAI SDK calls every method it has for the
2.3.0 operations against the mock and gets typed results — in process (respx) and over HTTP, with
the installed SDK and (slow) with an SDK contemporary with the spec (openai==1.68.2) in its own venv.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sdk_calls
from support import SPECS

from conformance.mock import Mock
from conformance.mock.transport import mock_router
from conformance.spec import Spec, load_spec

SPEC_PATH = SPECS / "openai-2.3.0.yaml"
ROOT = Path(__file__).resolve().parents[2]
OLD_SDK = "1.68.2"
SDK_CALLS = Path(sdk_calls.__file__)

# 2.3.0 operations the installed SDK cannot reach. Every other operation must be called and pass.
NO_SDK_METHOD = {
    # The SDK's delete is DELETE /fine_tuning/checkpoints/{checkpoint}/permissions/{permission_id};
    # the spec (2.3.0) documents DELETE /fine_tuning/checkpoints/{permission_id}/permissions, so
    # the SDK's request cannot route to this operation.
    "deleteFineTuningCheckpointPermission",
}


@pytest.fixture(scope="module")
def spec() -> Spec:
    if not SPEC_PATH.is_file():
        pytest.skip(f"shared spec {SPEC_PATH} is missing")
    return load_spec(SPEC_PATH)


def _report(results: list[tuple[str, str]], mock: Mock | None = None) -> str:
    lines = [f"{op}: {outcome}" for op, outcome in results if outcome.startswith("fail")]
    if mock is not None:
        for record in mock.records:
            if not record.valid:
                lines.append(f"INVALID {record.method} {record.path} ({record.operation}):")
                lines += [f"    {v.pointer} [{v.code}] {v.message}" for v in record.violations]
    return "\n".join(lines)


def _check(results: list[tuple[str, str]], spec: Spec, no_sdk_method: set[str]) -> None:
    failed = [(op, outcome) for op, outcome in results if outcome.startswith("fail")]
    assert not failed, _report(failed)
    ok = {op for op, outcome in results if outcome == "ok"}
    every = {op.operation_id for op in spec.operations}
    assert len(every) == 126
    assert ok - every == set(), "calls labelled with unknown operationIds"
    assert every - ok == no_sdk_method, (
        f"not covered: {sorted(every - ok - no_sdk_method)}; "
        f"covered but listed in NO_SDK_METHOD: {sorted(no_sdk_method & ok)}"
    )


def test_every_sdk_method_gets_a_typed_result(spec: Spec) -> None:
    """In-process: the respx router catches the SDK's own HTTP client, unmodified."""
    mock = Mock(spec, profile="typical", seed=0)
    with mock_router(mock):
        client = sdk_calls.make_client("https://api.openai.com/v1")
        results = sdk_calls.run_all(client)
    problems = _report(results, mock)
    assert not problems, problems
    _check(results, spec, NO_SDK_METHOD)
    assert {r.operation for r in mock.records} >= {op for op, out in results if out == "ok"}


# -- the SDK of March 2025, over HTTP, in its own venv --------------------------------------------

# What openai==1.68.2 has no method for, on top of NO_SDK_METHOD: the admin (organization) API
# arrived in the SDK much later, and so did fine-tuning checkpoint permissions.
OLD_NO_SDK_METHOD = {
    "admin-api-keys-create",
    "admin-api-keys-delete",
    "admin-api-keys-get",
    "admin-api-keys-list",
    "archive-project",
    "create-project",
    "create-project-service-account",
    "create-project-user",
    "delete-invite",
    "delete-project-api-key",
    "delete-project-service-account",
    "delete-project-user",
    "delete-user",
    "inviteUser",
    "list-audit-logs",
    "list-invites",
    "list-project-api-keys",
    "list-project-rate-limits",
    "list-project-service-accounts",
    "list-project-users",
    "list-projects",
    "list-users",
    "modify-project",
    "modify-project-user",
    "modify-user",
    "retrieve-invite",
    "retrieve-project",
    "retrieve-project-api-key",
    "retrieve-project-service-account",
    "retrieve-project-user",
    "retrieve-user",
    "update-project-rate-limits",
    "usage-audio-speeches",
    "usage-audio-transcriptions",
    "usage-code-interpreter-sessions",
    "usage-completions",
    "usage-costs",
    "usage-embeddings",
    "usage-images",
    "usage-moderations",
    "usage-vector-stores",
    "createFineTuningCheckpointPermission",
    "listFineTuningCheckpointPermissions",
    "deleteFineTuningCheckpointPermission",
}


def _cli_has_mock() -> bool:
    out = subprocess.run(
        [sys.executable, "-m", "conformance", "mock", "--help"], capture_output=True, text=True
    )
    return out.returncode == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _old_sdk_python() -> Path:
    """A venv with openai==1.68.2 and this project (editable, for the in-process run), made
    once and kept in ~/.cache/openai-conformance."""
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    venv = root / "openai-conformance" / f"sdk-{OLD_SDK}"
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import openai, conformance; print(openai.__version__)"]
    if python.exists():
        found = subprocess.run(probe, capture_output=True, text=True)
        if found.stdout.strip() == OLD_SDK:
            return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"openai=={OLD_SDK}", "-e", str(ROOT)],
        check=True,
        timeout=600,
    )
    return python


def _run_sdk_calls(python: Path, *args: str) -> tuple[list[tuple[str, str]], list[Any], str]:
    """``sdk_calls.py`` in its own process: its ``(operation, outcome)`` pairs, the invalid
    requests it reported (in-process runs) and its output for failure messages."""
    run = subprocess.run(
        [str(python), str(SDK_CALLS), *args], capture_output=True, text=True, timeout=600
    )
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    results = [(d["operation"], d["outcome"]) for d in lines if "operation" in d]
    output = run.stdout[-4000:] + run.stderr[-4000:]
    assert results, f"sdk_calls.py printed nothing:\n{output}"
    invalid = [d for d in lines if "invalid" in d]
    if run.returncode != 0:
        invalid.append({"exit": run.returncode, "output": output})
    return results, invalid, output


@pytest.fixture
def mock_log(tmp_path: Path) -> Path:
    return tmp_path / "requests.jsonl"


@pytest.fixture
def mock_server(mock_log: Path) -> Iterator[str]:
    if not _cli_has_mock():
        pytest.skip("`python -m conformance mock` does not exist yet (conformance/cli has no mock)")
    port = _free_port()
    command = ["mock", str(SPEC_PATH), "--port", str(port), "--log", str(mock_log)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"the mock server did not start on port {port}:\n{out}")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.parametrize("sdk", ["installed", OLD_SDK])
def test_sdk_over_http(spec: Spec, mock_server: str, mock_log: Path, sdk: str) -> None:
    """``sdk_calls.py`` in its own process, against ``python -m conformance mock`` over HTTP."""
    python = Path(sys.executable) if sdk == "installed" else _old_sdk_python()
    results, problems, _ = _run_sdk_calls(python, mock_server)
    problems += [
        record
        for record in map(json.loads, mock_log.read_text().splitlines())
        if "format" not in record and not record["valid"]  # head lines, then results
    ]
    assert not problems, json.dumps(problems, indent=1)[:8000]
    _check(results, spec, NO_SDK_METHOD | (OLD_NO_SDK_METHOD if sdk == OLD_SDK else set()))


@pytest.mark.slow
def test_old_sdk_in_process(spec: Spec) -> None:
    """openai==1.68.2, unmodified, in its own venv: the respx router answers its httpx client."""
    results, problems, _ = _run_sdk_calls(_old_sdk_python(), "--in-process", str(SPEC_PATH))
    assert not problems, json.dumps(problems, indent=1)[:8000]
    _check(results, spec, NO_SDK_METHOD | OLD_NO_SDK_METHOD)
