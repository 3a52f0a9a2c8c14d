"""The loader under hostile specs: refs that escape, endless or special files, alias bombs,
pure ``$ref`` cycles and invalid schemas. Each is refused with one line naming where it is.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
import yaml

import conformance.spec.source as source_module
from conformance.errors import (
    RefError,
    SpecLoadError,
)
from conformance.spec import load_spec

THING = "#/components/schemas/Thing"


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("CONFORMANCE_CACHE_DIR", str(path))
    return path


def spec_doc(schemas: dict[str, Any], *, openapi: str = "3.0.3") -> dict[str, Any]:
    """A one-operation spec whose 200 answers ``Thing``, with these component schemas."""
    return {
        "openapi": openapi,
        "info": {"title": "hostile", "version": "1"},
        "paths": {
            "/things": {
                "get": {
                    "operationId": "getThing",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"$ref": THING}}},
                        }
                    },
                }
            }
        },
        "components": {"schemas": schemas},
    }


def write(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc) if path.suffix == ".yaml" else json.dumps(doc))
    return path


def finishes(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a thread and return what it returns or raises; a hang fails the test
    (a guard against hanging forever, not a time assertion)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "hung"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


# -- a local web server -----------------------------------------------------------------------


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a directory; ``/endless`` and ``/slow`` are hostile bodies. Counts requests."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        if self.path == "/endless":  # zeros with no length, bounded only to protect the test run
            self.send_response(200)
            self.send_header("Content-Type", "application/yaml")
            self.end_headers()
            chunk = b"\0" * 65536
            with contextlib.suppress(OSError):
                for _ in range(4096):  # 256 MiB at most
                    self.wfile.write(chunk)
            return
        if self.path == "/slow":  # one byte at a time, for up to 20 s
            self.send_response(200)
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(400):
                    self.wfile.write(b"#")
                    self.wfile.flush()
                    time.sleep(0.05)
            return
        super().do_GET()


class Served:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        handler = functools.partial(_Handler, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.server.paths = []  # type: ignore[attr-defined]
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def paths(self) -> list[str]:
        paths: list[str] = self.server.paths  # type: ignore[attr-defined]
        return paths

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Callable[[str], Served]]:
    """Start web servers on 127.0.0.1, each serving its own folder under tmp_path."""
    started: list[Served] = []

    def start(name: str) -> Served:
        served = Served(tmp_path / name)
        started.append(served)
        return served

    yield start
    for served in started:
        served.close()


# -- 2. limits on what is read ------------------------------------------------------------------


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    with pytest.raises(SpecLoadError, match=f"^{fifo}: not a regular file"):
        finishes(lambda: load_spec(fifo, cache=False))


def test_a_fifo_as_ref_target_is_refused_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")
    path = write(tmp_path / "root.yaml", spec_doc({"Thing": {"$ref": "fifo.yaml#/Thing"}}))
    with pytest.raises(RefError, match=r"#/components/schemas/Thing: .*fifo\.yaml: not a regular"):
        finishes(lambda: load_spec(path, cache=False))


def test_dev_zero_is_refused() -> None:
    with pytest.raises(SpecLoadError, match=r"^/dev/zero: not a regular file"):
        finishes(lambda: load_spec("/dev/zero", cache=False))


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecLoadError, match=f"^{tmp_path}: is a directory"):
        load_spec(tmp_path, cache=False)


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:  # sparse: costs no disk
        f.truncate(source_module.MAX_BYTES + 1)
    with pytest.raises(SpecLoadError, match=f"^{big}: .*more than the 67108864-byte limit"):
        load_spec(big, cache=False)


def test_an_endless_body_stops_at_the_cap(
    web: Callable[[str], Served], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source_module, "MAX_BYTES", 1 << 20, raising=False)
    served = web("www")
    url = f"{served.base}/endless"
    with pytest.raises(SpecLoadError, match=f"^{url}: .*more than the 1048576-byte limit"):
        finishes(lambda: load_spec(url, cache=False))


def test_a_slow_body_stops_at_the_time_limit(
    web: Callable[[str], Served], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source_module, "FETCH_TIMEOUT", 0.5, raising=False)
    served = web("www")
    url = f"{served.base}/slow"
    with pytest.raises(SpecLoadError, match=f"^{url}: not read within 0.5 s"):
        finishes(lambda: load_spec(url, cache=False))


def test_json_nested_too_deep_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"openapi": "3.0.0", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(SpecLoadError, match=f"^{path}: .*nested too deeply"):
        load_spec(path, cache=False)


# -- 3. YAML alias bombs ------------------------------------------------------------------------

LAUGHS = (
    "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\nx:\n"
    '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"  {n}: &{n} [{','.join([f'*{p}'] * 9)}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
)


def test_billion_laughs_is_refused_before_expansion(tmp_path: Path) -> None:
    path = tmp_path / "lol.yaml"
    path.write_text(LAUGHS)
    # in a child process with 2 GB of address space, so that a regression cannot take the run down
    code = dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        from conformance.spec import load_spec
        from conformance.errors import SpecLoadError
        try:
            load_spec({str(path)!r}, cache=False)
        except SpecLoadError as exc:
            print(exc)
            sys.exit(0)
        sys.exit(3)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    line = done.stdout.strip()
    assert line.startswith(f"{path}:") and "aliases" in line and "\n" not in line


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\nx: &x [*x]\n")
    with pytest.raises(SpecLoadError, match=f"^{path}:"):
        load_spec(path, cache=False)


def test_a_few_aliases_still_load(tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    path.write_text(
        dedent("""\
        openapi: 3.0.0
        info: {title: t, version: '1'}
        paths: {}
        components:
          schemas:
            A: &obj {type: object, properties: {id: &id {type: string}}}
            B: *obj
            C: {type: object, properties: {a: *id, b: *id, c: *id}}
        """)
    )
    doc = load_spec(path, cache=False).document
    assert doc["components"]["schemas"]["B"] == doc["components"]["schemas"]["A"]
