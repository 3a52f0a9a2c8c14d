"""``conformance mock``, run as a real process."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import SPECS

V230 = SPECS / "openai-2.3.0.yaml"

pytestmark = pytest.mark.skipif(not V230.exists(), reason=f"specs not found at {SPECS}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture()
def process() -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance", "mock", str(V230), "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def started(proc: subprocess.Popen[str]) -> str:
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line, f"mock exited early with {proc.wait(timeout=30)}"
    return line


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_mock_serves_until_signalled(
    process: tuple[subprocess.Popen[str], int], stop: signal.Signals
) -> None:
    proc, port = process
    line = started(proc)
    assert line.startswith("mocking OpenAI API 2.3.0 (126 operations) at ")
    assert line.strip().endswith(f"http://127.0.0.1:{port}/v1")
    response = httpx.get(
        f"http://127.0.0.1:{port}/v1/models",
        headers={"authorization": "Bearer sk-test"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.json()["object"] == "list"
    time.sleep(0.1)
    proc.send_signal(stop)
    assert proc.wait(timeout=30) == 0


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", "mock", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("missing.yaml",), "missing.yaml"),
        ((str(V230), "--faults", "bogus"), "bogus"),
        ((str(V230), "--profile", "nope"), "nope"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], says: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("conformance: error:")
    assert says in lines[0]


def test_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(str(V230), "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"conformance: error: cannot listen on 127.0.0.1:{port}: address already in use"
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--port", "99999"), "'99999' is not a port"),
        (("--port", "-1"), "'-1' is not a port"),
        (("--log-level", "bogus"), "invalid choice: 'bogus'"),
        (("--base-path", "http://example.com/v1"), "--base-path"),
    ],
)
def test_bad_options_are_refused_at_start_up(args: tuple[str, ...], says: str) -> None:
    result = run(str(V230), *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert says in lines[0]


def test_an_unusable_log_file_is_refused_at_start_up(tmp_path: Path) -> None:
    folder = run(str(V230), "--log", str(tmp_path))
    assert folder.returncode == 2
    assert folder.stderr.strip().splitlines() == [
        f"conformance: error: --log {tmp_path}: is a directory "
        f"(give a file, e.g. {tmp_path}/requests.jsonl)"
    ]
    (tmp_path / "file").write_text("")
    under_a_file = run(str(V230), "--log", str(tmp_path / "file" / "log.jsonl"))
    assert under_a_file.returncode == 2
    lines = under_a_file.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write" in lines[0] and "Traceback" not in lines[0]


def start(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """A mock process started with --json, and the JSON line it announced itself with."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance", "mock", str(V230), "--port", "0", "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, f"mock exited early with {proc.wait(timeout=30)}: {proc.communicate()[1]}"
    info: dict[str, Any] = json.loads(line)
    return proc, info


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0


def test_json_announces_the_address_spec_and_options_in_one_line(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    proc, info = start("--seed", "3", "--profile", "edge", "--log", str(log), "--no-auth")
    try:
        port = info["port"]
        assert port > 0
        assert info["url"] == f"http://127.0.0.1:{port}"
        assert info["base_url"] == f"http://127.0.0.1:{port}/v1"
        assert (info["spec"], info["title"], info["version"]) == (str(V230), "OpenAI API", "2.3.0")
        assert (info["operations"], info["profile"], info["seed"]) == (126, "edge", 3)
        assert (info["auth"], info["log"]) == (False, str(log))
        assert httpx.get(info["base_url"] + "/models", timeout=30).status_code == 200
    finally:
        stop(proc)


@pytest.mark.parametrize("given", ["nope", "/nope/", "nope/"])
def test_a_base_path_without_a_slash_is_normalised(given: str) -> None:
    proc, info = start("--base-path", given)
    try:
        assert info["base_url"] == f"{info['url']}/nope"
        models = httpx.get(
            info["base_url"] + "/models", headers={"authorization": "Bearer sk-test"}, timeout=30
        )
        assert models.status_code == 200
    finally:
        stop(proc)
