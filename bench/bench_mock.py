"""Mock server throughput and latency on loopback: ``python -m conformance mock`` vs. its ceiling,
an earlier commit of itself, and (optionally) Stoplight Prism.

    python bench/bench_mock.py                    # ~2 min: 3 repeats × 5 s per case and server
    python bench/bench_mock.py --quick            # 3 repeats × 2 s
    python bench/bench_mock.py --against 3bbd709  # also the mock of git revision 3bbd709, same run
    python bench/bench_mock.py --prism            # also Prism (static examples) and Prism -d; needs node

Servers, each one process on 127.0.0.1, run side by side:

- ours: ``python -m conformance mock`` of this working tree (seed 1);
- ours @REV (``--against REV``): the same command from a temporary git worktree of REV, so a change
  is measured against the code before it on the same machine state;
- static: the ceiling, ``bench/static_asgi.py``, an ASGI app answering every request with one fixed
  body (ours' chat completion, read before timing) on the same server stack (uvicorn, httptools,
  uvloop, access log off): what HTTP alone costs;
- Prism and Prism -d (``--prism``).

Each case (GET /models, POST /chat/completions as JSON — the same body every time, and a distinct
body per request — and with ``stream: true``) is driven with the same closed-loop load (a fixed
number of keep-alive connections, each sending its next request as soon as the previous answer
is complete), server after server, repeat after repeat, so a noisy stretch hits all alike.
Figures are medians of the repeats; each is printed beside ours as a ratio.

The load generator is ``wrk`` (installed with apt-get when missing and running as root), with a
Lua script for the POST bodies and for machine-readable percentiles. Without wrk, a raw-socket
asyncio client (uvloop when available) takes its place; it is slower than wrk and shares the two
CPUs with the server, so its figures are lower bounds. Prism (``@stoplight/prism-cli``, the
version pinned in ``bench/node/package.json``) is installed by the script with npm into
``~/.cache/openai-conformance/prism``. Prism serves the spec's paths without the ``/v1`` of its
``servers`` URL; ours serves under ``/v1``. Nothing is asserted: this script reports.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT.parent / "shared" / "specs" / "openai-2.3.0.yaml"
PRISM_DIR = Path(
    os.environ.get("CONFORMANCE_PRISM_DIR", Path.home() / ".cache" / "openai-conformance" / "prism")
)
PRISM_MANIFEST = ROOT / "bench" / "node" / "package.json"
AUTH = "Bearer sk-test"
TARGET_RATIO = 3.0  # ours / Prism requests/s on POST /chat/completions (JSON), with a lower p99

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello in one word."}]}


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # under the spec's paths, without the base path
    body: bytes = b""
    # a distinct body per request: ``body`` holds one "%d", filled with a request counter
    distinct: bool = False

    def payload(self, count: int = 0) -> bytes:
        return self.body.replace(b"%d", str(count).encode()) if self.distinct else self.body


CASES = (
    Case("GET /models", "GET", "/models"),
    Case("POST /chat/completions", "POST", "/chat/completions", json.dumps(CHAT).encode()),
    Case(
        "POST /chat/completions distinct",
        "POST",
        "/chat/completions",
        json.dumps(
            {**CHAT, "messages": [{"role": "user", "content": "Say hello in one word (%d)."}]}
        ).encode(),
        distinct=True,
    ),
    Case(
        "POST /chat/completions stream",
        "POST",
        "/chat/completions",
        json.dumps({**CHAT, "stream": True}).encode(),
    ),
)


@dataclass
class Server:
    name: str
    args: list[str]
    port: int
    prefix: str  # what goes before the spec's paths
    process: subprocess.Popen[bytes] | None = None
    startup: float = 0.0  # seconds until the first 200
    log: Path | None = None
    cwd: Path = ROOT
    env: dict[str, str] | None = None

    def url(self, case: Case) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}{case.path}"

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process (all its threads) so far."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


@dataclass
class Run:
    """One timed run of one case against one server."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # connection errors, timeouts and non-2xx answers
    cpu: float  # server CPU seconds during the run

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass
class Results:
    runs: dict[tuple[str, str], list[Run]] = field(default_factory=dict)

    def add(self, case: Case, server: Server, run: Run) -> None:
        self.runs.setdefault((case.name, server.name), []).append(run)

    def median(self, case: Case, server: Server, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.runs[(case.name, server.name)])


# -- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def npm_install_prism() -> Path:
    """Prism's entry point, installed from bench/node/package.json into PRISM_DIR if needed."""
    wanted = json.loads(PRISM_MANIFEST.read_text())["dependencies"]["@stoplight/prism-cli"]
    installed = PRISM_DIR / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    entry = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if installed.is_file() and json.loads(installed.read_text())["version"] == wanted:
        return entry
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found on PATH: it is needed to install Prism, the baseline")
    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PRISM_MANIFEST, PRISM_DIR / "package.json")
    print(f"  installing @stoplight/prism-cli {wanted} into {PRISM_DIR} …", flush=True)
    subprocess.run(
        [npm, "install", "--prefix", str(PRISM_DIR), "--no-audit", "--no-fund", "--loglevel=error"],
        check=True,
        timeout=900,
    )
    return entry


def start(server: Server, probe: Case, workdir: Path, timeout: float = 120.0) -> None:
    server.log = workdir / f"{server.name.lower()}.log"
    with server.log.open("wb") as out:
        t0 = time.perf_counter()
        server.process = subprocess.Popen(
            server.args,
            cwd=server.cwd,
            env=server.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise SystemExit(
                f"{server.name} exited with {server.process.returncode}:\n{server.log.read_text()}"
            )
        try:
            status, *_ = fetch(server, probe)
            if status == 200:
                server.startup = time.perf_counter() - t0
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{server.name} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.1)


def stop(server: Server) -> None:
    if server.process is not None and server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def fetch(server: Server, case: Case) -> tuple[int, str, bytes]:
    request = urllib.request.Request(
        server.url(case),
        data=case.payload() or None,
        method=case.method,
        headers={"Authorization": AUTH, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("content-type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read()


# -- load generators ---------------------------------------------------------------------------

_WRK_LUA = """
wrk.method = %(method)s
wrk.body = %(body)s
wrk.headers["Authorization"] = %(auth)s
wrk.headers["Content-Type"] = "application/json"
%(request)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal of ASCII is a valid Lua string literal


def ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    print("  installing wrk with apt-get …", flush=True)
    result = subprocess.run(
        ["apt-get", "install", "-y", "-q", "wrk"], capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        print(f"  apt-get install wrk failed, using the asyncio load generator:\n{result.stderr}")
    return shutil.which("wrk")


def run_wrk(
    wrk: str, server: Server, case: Case, seconds: float, connections: int, workdir: Path
) -> Run:
    script = workdir / f"{abs(hash(case.name))}.lua"
    body = case.body.decode()
    request = ""
    if case.distinct:  # a counter in the body: each request its own
        request = (
            "counter = 0\nrequest = function()\n  counter = counter + 1\n"
            "  return wrk.format(nil, nil, nil, string.format(wrk.body, counter))\nend"
        )
    script.write_text(
        _WRK_LUA
        % {
            "method": lua_string(case.method),
            "body": lua_string(body),
            "auth": lua_string(AUTH),
            "request": request,
        }
    )
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s"]
    cpu0 = server.cpu_seconds()
    result = subprocess.run(
        [*command, "-s", str(script), server.url(case)],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    cpu = server.cpu_seconds() - cpu0
    line = next((x for x in result.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if result.returncode != 0 or line is None:
        assert server.process is not None and server.log is not None
        raise SystemExit(
            f"wrk failed ({result.returncode}) on {case.name} against {server.name} "
            f"(server exit code {server.process.poll()}):\n{result.stdout}\n{result.stderr}\n"
            f"{server.name} output (tail):\n{server.log.read_text(errors='replace')[-3000:]}"
        )
    data = json.loads(line.removeprefix("WRKJSON "))
    return Run(
        data["requests"],
        data["duration_us"] / 1e6,
        data["p50_us"] / 1000,
        data["p99_us"] / 1000,
        data["errors"],
        cpu,
    )


class _Closed(Exception):
    pass


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        raise _Closed
    if headers.get("connection", "").lower() == "close":
        raise _Closed
    return status


async def _load(url: str, case: Case, seconds: float, connections: int) -> tuple[list[float], int]:
    rest = url.split("://", 1)[1]
    hostport, _, path = rest.partition("/")
    host, port = hostport.split(":")
    sent = 0

    def request() -> bytes:
        nonlocal sent
        sent += 1
        body = case.payload(sent)
        return (
            f"{case.method} /{path} HTTP/1.1\r\nHost: {hostport}\r\nAuthorization: {AUTH}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        reader = writer = None
        while time.perf_counter() < stop_at:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, int(port))
                assert reader is not None
                t0 = time.perf_counter()
                writer.write(request())
                status = await _read_response(reader)
                latencies.append(time.perf_counter() - t0)
                if not 200 <= status < 300:
                    errors += 1
            except (OSError, asyncio.IncompleteReadError, _Closed):
                errors += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies, errors


def run_asyncio(server: Server, case: Case, seconds: float, connections: int) -> Run:
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    cpu0 = server.cpu_seconds()
    t0 = time.perf_counter()
    latencies, errors = runner(_load(server.url(case), case, seconds, connections))
    elapsed = time.perf_counter() - t0
    cpu = server.cpu_seconds() - cpu0
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
    return Run(len(latencies), elapsed, q[49] * 1000, q[98] * 1000, errors, cpu)


# -- in-process reference ----------------------------------------------------------------------


def in_process(case: Case, seconds: float) -> tuple[float, float]:
    """``Mock.handle`` calls/s without HTTP, and ``Validator.request`` calls/s (chat JSON)."""
    sys.path.insert(0, str(ROOT))
    from conformance.mock import Mock, MockRequest

    mock = Mock(SPEC, seed=1)
    headers = {"authorization": AUTH, "content-type": "application/json"}
    request = MockRequest(case.method, "/v1" + case.path, headers=headers, body=case.body)
    op = mock.spec.operation("createChatCompletion")

    def rate(fn: Any) -> float:
        for _ in range(50):  # warm-up: the variant pool fills on first use
            fn()
        n, t0 = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - t0) < seconds:
            for _ in range(20):
                fn()
            n += 20
        return n / elapsed

    handle = rate(lambda: mock.handle(request))
    validate = rate(lambda: mock.validator.request(op, headers=headers, body=case.body))
    return handle, validate


def handle_growth(case: Case, calls: int = 20_000, window: int = 2_000) -> list[float]:
    """CPU µs per ``Mock.handle`` call, per window of ``window`` calls, over ``calls`` calls."""
    from conformance.mock import Mock, MockRequest

    mock = Mock(SPEC, seed=1)
    headers = {"authorization": AUTH, "content-type": "application/json"}
    request = MockRequest(case.method, "/v1" + case.path, headers=headers, body=case.body)
    out = []
    for _ in range(calls // window):
        t0 = time.process_time()
        for _ in range(window):
            mock.handle(request)
        out.append((time.process_time() - t0) / window * 1e6)
    return out


# -- main --------------------------------------------------------------------------------------


def version_of(args: list[str]) -> str:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


@contextlib.contextmanager
def running(servers: list[Server], probe: Case, workdir: Path) -> Iterator[None]:
    try:
        for server in servers:
            start(server, probe, workdir)
        yield
    finally:
        for server in servers:
            stop(server)


@contextlib.contextmanager
def worktree(rev: str | None) -> Iterator[Path | None]:
    """A temporary detached git worktree of ``rev`` (None: nothing), removed afterwards."""
    if rev is None:
        yield None
        return
    scratch = Path(tempfile.mkdtemp(prefix="bench-mock-rev-"))
    where = scratch / "tree"
    git = ["git", "-C", str(ROOT), "worktree"]
    subprocess.run([*git, "add", "--detach", str(where), rev], check=True, capture_output=True)
    try:
        yield where
    finally:
        subprocess.run([*git, "remove", "--force", str(where)], check=False, capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)


def revision(rev: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s", rev],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()[:90]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2 s per run instead of 5 s")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case and server")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per case")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "asyncio"), default="auto")
    parser.add_argument(
        "--against", metavar="REV", help="also the mock of this git revision, same run"
    )
    parser.add_argument(
        "--prism", action="store_true", help="also Prism 5 (static examples) and Prism -d"
    )
    parser.add_argument(
        "--no-dynamic", action="store_true", help="with --prism: skip Prism --dynamic"
    )
    parser.add_argument(
        "--no-in-process", action="store_true", help="skip the in-process Mock.handle figures"
    )
    args = parser.parse_args()
    seconds = args.seconds or (2.0 if args.quick else 5.0)

    if not SPEC.is_file():
        raise SystemExit(f"spec not found: {SPEC}")
    node = prism = None
    if args.prism:
        node = shutil.which("node")
        if node is None:
            raise SystemExit("node not found on PATH: it is needed to run Prism")
        prism = npm_install_prism()
    wrk = None if args.loadgen == "asyncio" else ensure_wrk()
    if args.loadgen == "wrk" and wrk is None:
        raise SystemExit("wrk not found (and not installable here)")

    with (
        tempfile.TemporaryDirectory(prefix="bench-mock-") as tmp,
        worktree(args.against) as tree,
    ):
        workdir = Path(tmp)
        mock = ["-m", "conformance", "mock", str(SPEC), "--host", "127.0.0.1", "--seed", "1"]
        port = free_port()
        ours = Server("ours", [sys.executable, *mock, "--port", str(port)], port, "/v1")
        servers = [ours]
        before = None
        if tree is not None:
            port = free_port()
            env = {**os.environ, "PYTHONPATH": str(tree)}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            before = Server(
                f"@{args.against}"[:9],
                [sys.executable, *mock, "--port", str(port)],
                port,
                "/v1",
                cwd=tree,
                env=env,
            )
            servers.append(before)
        port = free_port()
        body_file = workdir / "static-body.json"
        static = Server(
            "static",
            [sys.executable, str(ROOT / "bench" / "static_asgi.py"), str(port), str(body_file)],
            port,
            "/v1",
        )
        prisms: list[Server] = []
        if args.prism:
            assert node is not None and prism is not None
            # Prism logs each request at the default level "info"; "warn" is its fastest setting
            prism_cmd = [node, str(prism), "mock", str(SPEC), "-h", "127.0.0.1", "-v", "warn"]
            port = free_port()
            prisms.append(Server("Prism", [*prism_cmd, "-p", str(port)], port, ""))
            if not args.no_dynamic:
                port = free_port()
                prisms.append(Server("Prism -d", [*prism_cmd, "-d", "-p", str(port)], port, ""))

        print("bench_mock: mock server throughput and latency on loopback (requests per second)")
        print(
            f"  spec {SPEC.name}; ours: python -m conformance mock (uvicorn, one process, seed 1)"
        )
        if before is not None:
            print(f"  {before.name}: the same command at {revision(args.against)}")
        print(
            "  static: bench/static_asgi.py, one fixed body (ours' chat completion) on the same "
            "stack (uvicorn + httptools + uvloop, access log off): the ceiling"
        )
        if args.prism:
            prism_version = json.loads(PRISM_MANIFEST.read_text())["dependencies"][
                "@stoplight/prism-cli"
            ]
            print(
                f"  Prism {prism_version} `prism mock -v warn` (static examples), node "
                f"{version_of([node or 'node', '--version'])}; also `-d` (dynamic)"
            )
        print(
            f"  python {sys.version.split()[0]}, {platform.machine()}, nproc {os.cpu_count()}, "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        loadgen = (
            f"wrk {version_of([wrk, '--version']).split()[1]} -t1 -c{args.connections}"
            if wrk
            else f"asyncio raw sockets, {args.connections} connections (no wrk: figures are lower bounds)"
        )
        print(f"  load: {loadgen}, closed loop, keep-alive, on the same CPUs as the server")
        print(
            f"  {args.repeats} repeats × {seconds:g} s per case and server, round-robin "
            f"(after {args.warmup:g} s warm-up each); medians of the repeats"
        )

        results = Results()
        with running(servers, CASES[0], workdir):
            status, _, chat_body = fetch(ours, CASES[1])
            if status != 200:
                raise SystemExit(f"ours answered {status} to the chat case: {chat_body[:300]!r}")
            body_file.write_bytes(chat_body)
            with running([static, *prisms], CASES[0], workdir):
                servers = [*servers, static, *prisms]
                startups = ", ".join(f"{s.name} {s.startup:.2f} s" for s in servers)
                print(f"  start-up (spawn → first 200 on GET /models): {startups}")
                print("\nwhat each server answers (one request before timing)")
                for case in CASES:
                    for server in servers:
                        status, ctype, body = fetch(server, case)
                        events = body.count(b"\n\ndata:") + body.startswith(b"data:")
                        shape = (
                            f"{events} SSE events" if "event-stream" in ctype else f"{len(body)} B"
                        )
                        print(
                            f"  {case.name:<32} {server.name:<9} {status} "
                            f"{ctype.split(';')[0]:<18} {shape}"
                        )

                def measure(server: Server, case: Case, run_seconds: float) -> Run:
                    if wrk:
                        return run_wrk(wrk, server, case, run_seconds, args.connections, workdir)
                    return run_asyncio(server, case, run_seconds, args.connections)

                for case in CASES:
                    for server in servers:
                        measure(server, case, args.warmup)
                for repeat in range(args.repeats):
                    for case in CASES:
                        for server in servers:
                            results.add(case, server, measure(server, case, seconds))
                    print(f"  repeat {repeat + 1}/{args.repeats} done", flush=True)
                rss = ", ".join(f"{s.name} {s.rss_mb():.0f} MB" for s in servers)

    print(
        f"\n{'case':<32} {'server':<9} {'req/s':>8} {'× ours':>7} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6} {'CPU ms/req':>10}  req/s of each repeat"
    )
    print("-" * 118)
    for case in CASES:
        o_rate = results.median(case, ours, "rate")
        for server in servers:
            runs = results.runs[(case.name, server.name)]
            rate = results.median(case, server, "rate")
            p50, p99 = (
                results.median(case, server, "p50_ms"),
                results.median(case, server, "p99_ms"),
            )
            cpu = 1000 * sum(r.cpu for r in runs) / max(1, sum(r.requests for r in runs))
            print(
                f"{case.name if server is ours else '':<32} {server.name:<9} {rate:>8,.0f} "
                f"{rate / o_rate:>6.2f}× {p50:>8.2f} {p99:>8.2f} "
                f"{sum(r.errors for r in runs):>6} {cpu:>10.2f}  "
                + " / ".join(f"{r.rate:,.0f}" for r in runs)
            )
    print(
        "  × ours = this server's req/s ÷ ours; errors = connection errors, timeouts and non-2xx\n"
        "  over all timed runs; CPU ms/req = server CPU time per request (the load generator runs\n"
        "  on the same CPUs, so CPU ms/req is the steadier figure); static answers every case with\n"
        "  the same fixed JSON body"
    )
    print(f"  server RSS after the runs: {rss}")
    if args.prism:
        print("  Prism cannot stream: it answers stream:true with a JSON body, not SSE")

    chat, distinct = CASES[1], CASES[2]
    if not args.no_in_process:
        handle, validate = in_process(chat, 1.0 if args.quick else 2.0)
        over_http = results.median(chat, ours, "rate")
        print("\nin-process reference, POST /chat/completions (JSON), one thread, no HTTP")
        print(f"  Mock.handle             {handle:>9,.0f}/s  {1e6 / handle:>7.0f} µs/call")
        print(f"  Validator.request only  {validate:>9,.0f}/s  {1e6 / validate:>7.0f} µs/call")
        print(
            f"  over HTTP (above)       {over_http:>9,.0f}/s  {1e6 / over_http:>7.0f} µs/request "
            f"= {over_http / handle:.2f}× Mock.handle"
        )
        growth = handle_growth(chat, 8_000 if args.quick else 20_000)
        print(
            "  Mock.handle CPU µs/call per 2,000 calls on one fresh Mock: "
            + " ".join(f"{x:.0f}" for x in growth)
        )

    def cpu(case: Case, server: Server) -> float:
        runs = results.runs[(case.name, server.name)]
        return sum(r.cpu for r in runs) / max(1, sum(r.requests for r in runs))

    print("\nfigures (req/s: medians; by CPU: the other server's CPU per request ÷ ours)")
    for case in (chat, distinct, CASES[3]):
        o_rate = results.median(case, ours, "rate")
        s_rate = results.median(case, static, "rate")
        print(f"  {case.name}: ours {o_rate:,.0f} req/s, {1e6 * cpu(case, ours):,.0f} µs CPU/req")
        print(
            f"    ours / static (the ceiling)      = {o_rate / s_rate:.2f}× req/s, "
            f"{cpu(case, static) / cpu(case, ours):.2f}× by CPU  ({s_rate:,.0f} req/s)"
        )
        if before is not None:
            b_rate = results.median(case, before, "rate")
            print(
                f"    ours / {before.name:<25} = {o_rate / b_rate:.2f}× req/s, "
                f"{cpu(case, before) / cpu(case, ours):.2f}× by CPU  ({b_rate:,.0f} req/s; "
                f"{before.name} / static = {b_rate / s_rate:.2f}×)"
            )
    print("\ntargets")
    o_rate = results.median(chat, ours, "rate")
    s_rate = results.median(chat, static, "rate")
    if before is not None:
        b_rate = results.median(chat, before, "rate")
        print(
            f"  {'met' if o_rate >= b_rate else 'NOT MET':<8} POST /chat/completions no slower than "
            f"{before.name}: {o_rate / b_rate:.2f}×"
        )
    print(
        f"  {'met' if o_rate >= 0.5 * s_rate else 'NOT MET':<8} POST /chat/completions ≥ 0.5× the "
        f"static ASGI app (aim): {o_rate / s_rate:.2f}×"
    )
    if args.prism:
        p_rate, o_p99 = (
            results.median(chat, prisms[0], "rate"),
            results.median(chat, ours, "p99_ms"),
        )
        p_p99 = results.median(chat, prisms[0], "p99_ms")
        ok = o_rate >= TARGET_RATIO * p_rate and o_p99 < p_p99
        print(
            f"  {'met' if ok else 'NOT MET':<8} POST /chat/completions ≥ {TARGET_RATIO:g}× Prism "
            f"req/s with a lower p99: {o_rate / p_rate:.2f}×, p99 {o_p99:.2f} ms vs {p_p99:.2f} ms"
        )
    print(f"  load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
