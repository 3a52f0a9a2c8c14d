"""The official OpenAI Node SDK against ``python -m conformance mock``, both as real processes.

``tests/mock/node/sdk_check.mjs`` makes each call (chat, chat streams, embeddings, models, the
file round trip, responses) and prints one JSON line per call; it exits non-zero when any failed.
The SDK is installed with ``npm ci`` from the committed lock into ``tests/mock/node/node_modules``
(once: an install whose ``openai`` version matches the lock is reused).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import SPECS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "sdk_check.mjs"
SPEC = SPECS / "openai-2.3.0.yaml"
START_TIMEOUT = 90.0  # seconds for the mock to load the spec and listen (a loaded CI box is slow)


def _node_and_npm() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(n for n, p in (("node", node), ("npm", npm)) if p is None)
        pytest.skip(f"{missing} not found on PATH: the Node SDK test needs Node.js ≥ 20 and npm")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    major = int(version.stdout.strip().lstrip("v").split(".")[0])
    if major < 20:
        pytest.skip(f"node {version.stdout.strip()} is too old for openai 6.x (needs ≥ 20)")
    return node, npm


def _locked_version() -> str:
    lock = json.loads((NODE_DIR / "package-lock.json").read_text(encoding="utf-8"))
    return str(lock["packages"]["node_modules/openai"]["version"])


def _installed_version() -> str | None:
    manifest = NODE_DIR / "node_modules" / "openai" / "package.json"
    if not manifest.is_file():
        return None
    return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])


@pytest.fixture(scope="module")
def node() -> str:
    """``node``, with the SDK installed next to the script (``npm ci`` when not yet there)."""
    node, npm = _node_and_npm()
    if _installed_version() != _locked_version():
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            pytest.skip(
                f"npm ci in {NODE_DIR} failed (is the npm registry reachable?): "
                f"{(result.stderr or result.stdout).strip()[-800:]}"
            )
    assert _installed_version() == _locked_version()
    return node


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _mock_help() -> str:
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "mock", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    if result.returncode != 0:
        pytest.fail(f"`python -m conformance mock --help` failed:\n{result.stderr}")
    return result.stdout


class Server:
    """A running ``python -m conformance mock`` process."""

    def __init__(self, process: subprocess.Popen[bytes], base_url: str, log: Path | None) -> None:
        self.process, self.base_url, self.log = process, base_url, log

    def records(self) -> list[dict[str, Any]]:
        assert self.log is not None
        if not self.log.is_file():
            return []
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """The mock on a free loopback port, with its request log in ``tmp_path`` when it has one."""
    if not SPEC.is_file():
        pytest.skip(f"spec not found at {SPEC}")
    log = tmp_path / "requests.jsonl" if "--log" in _mock_help() else None
    port = _free_port()
    args = [sys.executable, "-m", "conformance", "mock", str(SPEC)]
    args += ["--host", "127.0.0.1", "--port", str(port), "--seed", "1"]
    if log is not None:
        args += ["--log", str(log)]
    stderr = tmp_path / "mock.stderr"
    with stderr.open("wb") as err:
        process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"the mock exited with {process.returncode} before listening:\n"
                    f"{stderr.read_text(errors='replace')}"
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the mock did not listen on port {port} in {START_TIMEOUT:.0f} s")
                time.sleep(0.1)
        yield Server(process, f"http://127.0.0.1:{port}/v1", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_node_sdk_calls_succeed_against_the_mock(node: str, server: Server) -> None:
    result = subprocess.run(
        [node, str(SCRIPT), server.base_url],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    calls = [line for line in lines if "call" in line]
    failed = [line for line in calls if not line["ok"]]
    report = "\n".join(json.dumps(line) for line in failed) or result.stdout
    assert result.returncode == 0, f"Node SDK calls failed:\n{report}\n{result.stderr[-2000:]}"
    assert lines and lines[-1] == {"done": True, "failures": 0}, result.stdout
    assert len(calls) >= 14, result.stdout

    if server.log is not None:
        records = server.records()
        assert len(records) >= len(calls) + 1, "the request log is missing requests"
        invalid = [r for r in records if "format" not in r and not r["valid"]]  # heads, results
        assert not invalid, "the SDK sent requests the spec rejects:\n" + "\n".join(
            json.dumps(r) for r in invalid
        )
