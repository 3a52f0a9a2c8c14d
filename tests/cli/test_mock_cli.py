"""``conformance mock``, run as a real process."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

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
