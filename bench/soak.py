"""Soak: minutes of mixed traffic against ``conformance mock`` with bounded stores; reports 5xx,
lost log lines and the server's memory over time. Nothing is asserted: it prints and exits 1
when a goal is missed.

    python bench/soak.py                 # 10 minutes (the issue's soak)
    python bench/soak.py --minutes 3     # shorter
    python bench/soak.py --json          # also the figures as one JSON object on the last line

The server is ``python -m conformance mock SPEC --port 0 --log FILE --max-objects N --max-bytes N``
on 127.0.0.1, one process. Clients, all at once:

- ``--workers`` threads (8), each with its own keep-alive httpx client, sending a mix: creates
  (assistants, stored chat completions, files of 1 B–256 KiB and now and then 4 MiB, uploads in
  parts then completed), lists, retrieves and downloads of what was created (a 404 once it was
  evicted is expected), deletes, streamed chat completions read to the end, embeddings, invalid
  requests (malformed JSON, a missing field, a wrong type, an unknown path, no API key), and a
  new ``x-conformance-seed`` on 30% of them;
- slow connections: raw sockets that dribble a request's bytes (16 bytes every 50 ms) then read
  the answer;
- idle connections: raw sockets that send one request, stay idle for 5–30 s, then send another
  (reconnecting when the server closed the idle one), and sockets that connect and send nothing.

Checks: no answer with a 5xx status; the request log has one line per request answered, and no
request went unanswered (a connection closed before its answer; a request sent again after the
keep-alive race — the server closing an idle connection as it goes out — is counted apart); the
server's RSS at the end is within 1.5x of its RSS after the warm-up (the first fifth of the run,
at least 30 s). RSS is read from ``/proc/PID/status`` (Linux).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT.parent / "shared" / "specs" / "openai-2.3.0.yaml"
AUTH = {"authorization": "Bearer sk-soak"}
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello."}]}
RSS_GOAL = 1.5


class Tally:
    """Counts shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.kinds: collections.Counter[str] = collections.Counter()
        self.statuses: collections.Counter[int] = collections.Counter()
        self.answered = 0  # requests the server answered (a full response read)
        self.unanswered: list[str] = []  # requests whose connection failed before the answer
        self.server_5xx: list[str] = []
        self.events: collections.Counter[str] = collections.Counter()  # idle_closed, races
        self.bytes_up = 0

    def answer(self, kind: str, status: int, sent: int = 0, what: str = "") -> None:
        with self.lock:
            self.kinds[kind] += 1
            self.statuses[status] += 1
            self.answered += 1
            self.bytes_up += sent
            if status >= 500 and len(self.server_5xx) < 20:
                self.server_5xx.append(f"{status} {kind} {what}"[:300])
            elif status >= 500:
                self.server_5xx.append("…")

    def count(self, event: str) -> None:
        with self.lock:
            self.events[event] += 1

    def lost(self, kind: str, error: BaseException) -> None:
        with self.lock:
            self.kinds[kind] += 1
            self.unanswered.append(f"{kind}: {type(error).__name__}: {error}"[:300])


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]


# -- the mixed client --------------------------------------------------------------------------


class Worker(threading.Thread):
    def __init__(self, base: str, tally: Tally, deadline: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.base, self.tally, self.deadline = base, tally, deadline
        self.rng = random.Random(seed)
        self.made: dict[str, collections.deque[str]] = collections.defaultdict(
            lambda: collections.deque(maxlen=200)
        )

    def run(self) -> None:
        with httpx.Client(base_url=self.base, headers=AUTH, timeout=120) as http:
            while time.monotonic() < self.deadline:
                kind, call = self.pick()
                try:
                    status, sent, what = call(http)
                except (httpx.TransportError, OSError) as exc:
                    self.tally.lost(kind, exc)
                    continue
                self.tally.answer(kind, status, sent, what)

    def seed(self) -> dict[str, str]:
        if self.rng.random() < 0.3:
            return {"x-conformance-seed": f"soak-{self.rng.getrandbits(48)}"}
        return {}

    def pick(self) -> tuple[str, Any]:
        table = [
            (12, "create assistant", self.create_assistant),
            (8, "list assistants", self.list_assistants),
            (8, "retrieve assistant", self.retrieve_assistant),
            (2, "delete assistant", self.delete_assistant),
            (10, "chat", self.chat),
            (6, "chat stored", self.chat_stored),
            (8, "chat stream", self.chat_stream),
            (6, "upload file", self.upload_file),
            (4, "download file", self.download_file),
            (2, "upload in parts", self.upload_parts),
            (6, "embeddings", self.embeddings),
            (4, "list chat completions", self.list_completions),
            (10, "invalid", self.invalid),
            (4, "models", self.models),
        ]
        total = sum(w for w, _, _ in table)
        at = self.rng.uniform(0, total)
        for weight, kind, call in table:
            at -= weight
            if at <= 0:
                return kind, call
        return table[-1][1], table[-1][2]

    # each call returns (status, bytes sent, a note for a 5xx)

    def _json(self, http: httpx.Client, method: str, path: str, body: Any = None) -> Any:
        response = http.request(method, path, json=body, headers=self.seed())
        return response

    def create_assistant(self, http: httpx.Client) -> tuple[int, int, str]:
        body = {"model": "gpt-4o", "name": f"soak {self.rng.getrandbits(32)}"}
        if self.rng.random() < 0.3:
            body["instructions"] = "x" * self.rng.randrange(1, 20_000)
        r = self._json(http, "POST", "/assistants", body)
        if r.status_code == 200:
            self.made["assistant"].append(r.json()["id"])
        return r.status_code, len(json.dumps(body)), r.text[:200]

    def list_assistants(self, http: httpx.Client) -> tuple[int, int, str]:
        r = http.get("/assistants", params={"limit": self.rng.choice([1, 5, 20, 100])})
        return r.status_code, 0, r.text[:200]

    def retrieve_assistant(self, http: httpx.Client) -> tuple[int, int, str]:
        known = self.made["assistant"]
        target = self.rng.choice(known) if known else "asst_missing"
        r = http.get(f"/assistants/{target}")
        return r.status_code, 0, r.text[:200]

    def delete_assistant(self, http: httpx.Client) -> tuple[int, int, str]:
        known = self.made["assistant"]
        target = known.popleft() if known else "asst_missing"
        r = http.delete(f"/assistants/{target}")
        return r.status_code, 0, r.text[:200]

    def chat(self, http: httpx.Client) -> tuple[int, int, str]:
        body = {**CHAT, "n": self.rng.choice([1, 1, 2]), "user": str(self.rng.getrandbits(40))}
        r = self._json(http, "POST", "/chat/completions", body)
        return r.status_code, 0, r.text[:200]

    def chat_stored(self, http: httpx.Client) -> tuple[int, int, str]:
        body = {**CHAT, "store": True, "metadata": {"run": str(self.rng.getrandbits(40))}}
        r = self._json(http, "POST", "/chat/completions", body)
        if r.status_code == 200:
            self.made["completion"].append(r.json()["id"])
        return r.status_code, 0, r.text[:200]

    def list_completions(self, http: httpx.Client) -> tuple[int, int, str]:
        known = self.made["completion"]
        if known and self.rng.random() < 0.5:
            r = http.get(f"/chat/completions/{self.rng.choice(known)}")
        else:
            r = http.get("/chat/completions", params={"limit": 10})
        return r.status_code, 0, r.text[:200]

    def chat_stream(self, http: httpx.Client) -> tuple[int, int, str]:
        body = {**CHAT, "stream": True, "user": str(self.rng.getrandbits(40))}
        if self.rng.random() < 0.5:
            body["stream_options"] = {"include_usage": True}
        with http.stream("POST", "/chat/completions", json=body, headers=self.seed()) as r:
            data = b"".join(r.iter_bytes())
            return r.status_code, 0, data[:200].decode("utf-8", "replace")

    def upload_file(self, http: httpx.Client) -> tuple[int, int, str]:
        size = 4 * 1024 * 1024 if self.rng.random() < 0.02 else self.rng.randrange(1, 256 * 1024)
        content = self.rng.randbytes(size)
        files = {"file": ("soak.jsonl", content)}
        r = http.post("/files", files=files, data={"purpose": "batch"}, headers=self.seed())
        if r.status_code == 200:
            self.made["file"].append(r.json()["id"])
        return r.status_code, size, r.text[:200]

    def download_file(self, http: httpx.Client) -> tuple[int, int, str]:
        known = self.made["file"]
        target = self.rng.choice(known) if known else "file-missing"
        r = http.get(f"/files/{target}/content")
        return r.status_code, 0, r.text[:200]

    def upload_parts(self, http: httpx.Client) -> tuple[int, int, str]:
        """Create an upload, send 2–3 parts, complete it (one request is counted: the others
        are tallied here as they go)."""
        sizes = [self.rng.randrange(1, 64 * 1024) for _ in range(self.rng.randrange(2, 4))]
        ask = {"filename": "p.txt", "purpose": "assistants", "bytes": sum(sizes)}
        made = http.post("/uploads", json={**ask, "mime_type": "text/plain"})
        if made.status_code != 200:
            return made.status_code, 0, made.text[:200]
        self.tally.answer("upload in parts", made.status_code)
        parts = []
        upload = made.json()["id"]
        for size in sizes:
            part = http.post(
                f"/uploads/{upload}/parts", files={"data": ("blob", self.rng.randbytes(size))}
            )
            self.tally.answer("upload in parts", part.status_code, size, part.text[:200])
            if part.status_code == 200:
                parts.append(part.json()["id"])
        done = http.post(f"/uploads/{upload}/complete", json={"part_ids": parts})
        if done.status_code == 200 and isinstance(done.json().get("file"), dict):
            self.made["file"].append(done.json()["file"]["id"])
        return done.status_code, 0, done.text[:200]

    def embeddings(self, http: httpx.Client) -> tuple[int, int, str]:
        body = {"model": "text-embedding-3-small", "input": [str(self.rng.random())] * 2}
        if self.rng.random() < 0.5:
            body["encoding_format"] = "base64"
        r = self._json(http, "POST", "/embeddings", body)
        return r.status_code, 0, r.text[:200]

    def models(self, http: httpx.Client) -> tuple[int, int, str]:
        r = http.get("/models", headers=self.seed())
        return r.status_code, 0, r.text[:200]

    def invalid(self, http: httpx.Client) -> tuple[int, int, str]:
        choice = self.rng.randrange(6)
        headers = {"content-type": "application/json", **self.seed()}
        if choice == 0:
            r = http.post(
                "/chat/completions", content=b'{"model": "x", "messages": [', headers=headers
            )
        elif choice == 1:
            r = http.post("/chat/completions", json={"model": "gpt-4o"}, headers=headers)
        elif choice == 2:
            r = http.post("/chat/completions", json={**CHAT, "n": "two"}, headers=headers)
        elif choice == 3:
            r = http.get(f"/no/such/path/{self.rng.getrandbits(32)}")
        elif choice == 4:
            r = httpx.get(self.base + "/models", timeout=60)  # no API key, a new connection
        else:
            r = http.post("/embeddings", json={"model": 3, "input": []}, headers=headers)
        return r.status_code, 0, r.text[:200]


# -- slow and idle connections -----------------------------------------------------------------


class NoAnswer(ConnectionError):
    """The connection closed before a byte of the answer came."""


def _read_response(sock: socket.socket) -> int:
    """Read one HTTP/1.1 response with a Content-Length or chunked body; its status."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk and not buffer:
            raise NoAnswer("closed before any byte of the answer")
        if not chunk:
            raise ConnectionError("closed before the answer's head")
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    if "content-length" in headers:
        need = int(headers["content-length"])
        while len(rest) < need:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed mid-body")
            rest += chunk
    elif headers.get("transfer-encoding") == "chunked":
        while not rest.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed mid-body")
            rest += chunk
    return status


def _request_bytes(host: str, path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nhost: {host}\r\nauthorization: {AUTH['authorization']}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode() + body


class Slow(threading.Thread):
    """Dribbles whole requests, 16 bytes every 50 ms, on fresh connections."""

    def __init__(self, host: str, port: int, base_path: str, tally: Tally, deadline: float) -> None:
        super().__init__(daemon=True)
        self.address, self.base_path, self.tally, self.deadline = (
            (host, port),
            base_path,
            tally,
            deadline,
        )

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            body = json.dumps({**CHAT, "user": str(time.time())}).encode()
            raw = _request_bytes(self.address[0], self.base_path + "/chat/completions", body)
            try:
                with socket.create_connection(self.address, timeout=120) as sock:
                    for at in range(0, len(raw), 16):
                        sock.sendall(raw[at : at + 16])
                        time.sleep(0.05)
                    status = _read_response(sock)
            except OSError as exc:
                self.tally.lost("slow", exc)
                continue
            self.tally.answer("slow", status)


class Idle(threading.Thread):
    """One request, then idle 5–30 s on the same keep-alive connection, then another (after a
    reconnect when the server closed it, and sent again on a new connection when the server
    closed it just as the request went out: the keep-alive race, counted apart); or a
    connection that never sends anything."""

    def __init__(
        self, host: str, port: int, base_path: str, tally: Tally, deadline: float, seed: int
    ) -> None:
        super().__init__(daemon=True)
        self.address, self.base_path, self.tally, self.deadline = (
            (host, port),
            base_path,
            tally,
            deadline,
        )
        self.rng = random.Random(seed)

    def run(self) -> None:
        sock: socket.socket | None = None
        while time.monotonic() < self.deadline:
            if self.rng.random() < 0.2:  # connect, say nothing, leave
                with socket.create_connection(self.address, timeout=60):
                    time.sleep(self.rng.uniform(1, 10))
                continue
            body = json.dumps({"model": "gpt-4o", "input": "idle"}).encode()
            raw = _request_bytes(self.address[0], self.base_path + "/embeddings", body)
            try:
                if sock is not None and _closed(sock):
                    self.tally.count("idle_closed")
                    sock.close()
                    sock = None
                try:
                    reused = sock is not None
                    sock = sock or socket.create_connection(self.address, timeout=120)
                    sock.sendall(raw)
                    status = _read_response(sock)
                except (ConnectionResetError, BrokenPipeError, NoAnswer):
                    if not reused:
                        raise
                    # the keep-alive race: the server closed the idle connection as the request
                    # went out, before reading it; an HTTP client sends it again on a new one
                    self.tally.count("keepalive_races")
                    if sock is not None:
                        sock.close()
                    sock = socket.create_connection(self.address, timeout=120)
                    sock.sendall(raw)
                    status = _read_response(sock)
            except OSError as exc:
                self.tally.lost("idle", exc)
                if sock is not None:
                    sock.close()
                sock = None
                continue
            self.tally.answer("idle", status)
            time.sleep(min(self.rng.uniform(5, 30), max(0.0, self.deadline - time.monotonic())))
        if sock is not None:
            sock.close()


def _closed(sock: socket.socket) -> bool:
    """Whether the server has closed a connection (an EOF is waiting to be read)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    finally:
        sock.setblocking(True)
        sock.settimeout(120)


# -- the run -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the run (10)")
    parser.add_argument("--workers", type=int, default=8, help="mixed-traffic threads (8)")
    parser.add_argument("--slow", type=int, default=4, help="slow connections at once (4)")
    parser.add_argument("--idle", type=int, default=16, help="idle connections at once (16)")
    parser.add_argument("--max-objects", type=int, default=2_000, help="the mock's --max-objects")
    parser.add_argument(
        "--max-bytes", type=int, default=64 * 1024 * 1024, help="the mock's --max-bytes (64 MiB)"
    )
    parser.add_argument("--spec", default=str(SPEC))
    parser.add_argument("--log", default=None, help="the request log (default: a temporary file)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()

    log = Path(args.log) if args.log else Path(f"/tmp/soak-{os.getpid()}.jsonl")
    log.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "conformance", "mock", args.spec, "--port", "0", "--json",
        "--log", str(log), "--max-objects", str(args.max_objects),
        "--max-bytes", str(args.max_bytes),
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert server.stdout is not None
    info = json.loads(server.stdout.readline() or "null") or {}
    if not info:
        print(server.communicate()[1], file=sys.stderr)
        return 2
    base, port = info["base_url"], info["port"]
    base_path = base[len(info["url"]) :]
    print(f"soak: {' '.join(command[1:])}", flush=True)
    print(
        f"  {args.minutes:g} min, {args.workers} workers, {args.slow} slow and {args.idle} idle "
        f"connections; {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )

    tally = Tally()
    started = time.monotonic()
    deadline = started + args.minutes * 60
    warm_at = started + max(30.0, args.minutes * 60 / 5)
    threads: list[threading.Thread] = [
        Worker(base, tally, deadline, seed) for seed in range(args.workers)
    ]
    threads += [Slow("127.0.0.1", port, base_path, tally, deadline) for _ in range(args.slow)]
    threads += [
        Idle("127.0.0.1", port, base_path, tally, deadline, 100 + i) for i in range(args.idle)
    ]
    for thread in threads:
        thread.start()

    samples: list[tuple[float, int]] = []
    warm: int | None = None
    next_print = started
    while any(t.is_alive() for t in threads):
        now = time.monotonic()
        rss, _ = rss_kib(server.pid)
        samples.append((now - started, rss))
        if warm is None and now >= warm_at:
            warm = rss
        if now >= next_print:
            print(
                f"  t={now - started:6.0f}s  rss={rss / 1024:7.1f} MiB  answered={tally.answered}"
                f"  5xx={len(tally.server_5xx)}  unanswered={len(tally.unanswered)}",
                flush=True,
            )
            next_print = now + 30
        time.sleep(1)
    elapsed = time.monotonic() - started
    end_rss, hwm = rss_kib(server.pid)
    time.sleep(0.5)  # every line is flushed as written; give the last one a moment anyway
    lines = log.read_text().splitlines()
    heads = sum(1 for line in lines if '"format"' in line[:200] and '"results"' not in line[:60])
    records = len(lines) - heads
    server.send_signal(signal.SIGINT)
    try:
        code = server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        code = server.wait()
    warm = warm or samples[len(samples) // 5][1]
    peak_after_warm = max((r for t, r in samples if t >= warm_at - started), default=end_rss)
    figures = {
        "minutes": round(elapsed / 60, 2),
        "answered": tally.answered,
        "per_second": round(tally.answered / elapsed, 1),
        "uploaded_mib": round(tally.bytes_up / 2**20, 1),
        "statuses": dict(sorted(tally.statuses.items())),
        "kinds": dict(sorted(tally.kinds.items())),
        "server_5xx": len(tally.server_5xx),
        "unanswered": len(tally.unanswered),
        "idle_closed_by_server": tally.events["idle_closed"],
        "keepalive_races": tally.events["keepalive_races"],
        "log_records": records,
        "log_head_lines": heads,
        "lost_log_lines": tally.answered - records,
        "rss_after_warmup_mib": round(warm / 1024, 1),
        "rss_end_mib": round(end_rss / 1024, 1),
        "rss_peak_after_warmup_mib": round(peak_after_warm / 1024, 1),
        "rss_hwm_mib": round(hwm / 1024, 1),
        "rss_end_over_warmup": round(end_rss / warm, 3),
        "server_exit": code,
    }
    print()
    print(
        f"  {tally.answered} requests answered in {elapsed / 60:.1f} min ({figures['per_second']}/s)"
    )
    print(f"  statuses: {figures['statuses']}")
    print(f"  kinds: {figures['kinds']}")
    print(
        f"  5xx: {figures['server_5xx']}  unanswered: {figures['unanswered']}"
        f"  idle connections closed by the server: {tally.events['idle_closed']}"
        f" (keep-alive races, sent again: {tally.events['keepalive_races']})"
    )
    for line in tally.server_5xx[:10] + tally.unanswered[:10]:
        print(f"    {line}")
    print(
        f"  log: {records} records (+{heads} head line) for {tally.answered} answered:"
        f" {figures['lost_log_lines']} lost"
    )
    print(
        f"  RSS: {figures['rss_after_warmup_mib']} MiB after warm-up ({warm_at - started:.0f} s),"
        f" {figures['rss_end_mib']} MiB at the end ({figures['rss_end_over_warmup']}x; goal"
        f" <= {RSS_GOAL}x), peak after warm-up {figures['rss_peak_after_warmup_mib']} MiB,"
        f" high-water {figures['rss_hwm_mib']} MiB"
    )
    print(f"  server exit code after SIGINT: {code}")
    if args.json:
        print(json.dumps(figures))
    ok = (
        not tally.server_5xx
        and not tally.unanswered
        and figures["lost_log_lines"] == 0
        and end_rss <= RSS_GOAL * warm
    )
    print("  verdict: " + ("every goal met" if ok else "a goal missed"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
