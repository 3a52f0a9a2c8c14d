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

import jsonschema_rs
import pytest
import yaml

import conformance.spec.source as source_module
from conformance.cli import main
from conformance.errors import (
    RefError,
    RefNotAllowedError,
    SpecError,
    SpecLoadError,
)
from conformance.schema import schema_set
from conformance.schema.keywords import pattern_problem
from conformance.spec import load_spec
from conformance.validate import Validator

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


# -- 1. $ref confined to the spec's folder or origin ----------------------------------------------


def test_file_uri_ref_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path / "spec" / "root.yaml", spec_doc({"Thing": {"$ref": "file:///etc/passwd"}})
    )
    with pytest.raises(RefNotAllowedError) as info:
        load_spec(path, cache=False)
    message = str(info.value)
    assert f"{path}{THING}:" in message and "'file:///etc/passwd'" in message
    assert "\n" not in message and isinstance(info.value, SpecError)


def test_relative_ref_escaping_the_folder_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "outside.yaml", {"Thing": {"type": "object"}})
    path = write(
        tmp_path / "spec" / "root.yaml", spec_doc({"Thing": {"$ref": "../outside.yaml#/Thing"}})
    )
    with pytest.raises(RefNotAllowedError, match=r"#/components/schemas/Thing: \$ref '\.\./out"):
        load_spec(path, cache=False)


def test_symlink_escaping_the_folder_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "outside.yaml", {"Thing": {"type": "object"}})
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    path = write(tmp_path / "spec" / "root.yaml", spec_doc({"Thing": {"$ref": "link.yaml#/Thing"}}))
    with pytest.raises(RefNotAllowedError, match=r"'link\.yaml#/Thing'"):
        load_spec(path, cache=False)


def test_ref_under_a_property_named_example_is_checked(tmp_path: Path) -> None:
    thing = {"type": "object", "properties": {"example": {"$ref": "file:///etc/passwd"}}}
    path = write(tmp_path / "root.yaml", spec_doc({"Thing": thing}))
    with pytest.raises(RefNotAllowedError, match="Thing/properties/example:"):
        Validator(load_spec(path, cache=False)).compile_all()


def test_refs_below_the_folder_and_in_allowed_folders_load(tmp_path: Path) -> None:
    write(tmp_path / "spec" / "sub" / "thing.yaml", {"Thing": {"$ref": "../../shared/a.yaml#/A"}})
    write(tmp_path / "shared" / "a.yaml", {"A": {"type": "object", "required": ["id"]}})
    path = write(
        tmp_path / "spec" / "root.yaml", spec_doc({"Thing": {"$ref": "sub/thing.yaml#/Thing"}})
    )
    with pytest.raises(
        RefNotAllowedError, match=r"sub/thing\.yaml#/Thing: \$ref '\.\./\.\./shared"
    ):
        load_spec(path, cache=False)
    for allowed in (tmp_path / "shared", str(tmp_path / "shared"), (tmp_path / "shared").as_uri()):
        spec = load_spec(path, cache=False, allow_refs=[allowed])
        assert Validator(spec).response("getThing", body={})[0].keyword == "required"


def test_a_cached_spec_is_checked_against_the_refs_allowed_now(tmp_path: Path) -> None:
    write(tmp_path / "shared" / "a.yaml", {"A": {"type": "object"}})
    path = write(
        tmp_path / "spec" / "root.yaml", spec_doc({"Thing": {"$ref": "../shared/a.yaml#/A"}})
    )
    load_spec(path, allow_refs=[tmp_path / "shared"])
    with pytest.raises(RefNotAllowedError):
        load_spec(path)


def test_local_spec_fetches_no_url_unless_allowed(
    tmp_path: Path, web: Callable[[str], Served]
) -> None:
    served = web("www")
    write(served.root / "a.yaml", {"A": {"type": "object"}})
    url = f"{served.base}/a.yaml#/A"
    path = write(tmp_path / "root.yaml", spec_doc({"Thing": {"$ref": url}}))
    with pytest.raises(RefNotAllowedError, match=f"{THING}: \\$ref '{url}'"):
        load_spec(path, cache=False)
    assert served.paths == []  # refused before any request
    load_spec(path, cache=False, allow_refs=[served.base + "/"])
    assert served.paths == ["/a.yaml"]


def test_url_prefix_is_matched_on_whole_segments(
    tmp_path: Path, web: Callable[[str], Served]
) -> None:
    served = web("www")
    write(served.root / "shared-evil" / "a.yaml", {"A": {"type": "object"}})
    url = f"{served.base}/shared-evil/a.yaml#/A"
    path = write(tmp_path / "root.yaml", spec_doc({"Thing": {"$ref": url}}))
    for prefix in (f"{served.base}/shared", f"{served.base}/shared/../shared-evil/x"):
        with pytest.raises(RefNotAllowedError):
            load_spec(path, cache=False, allow_refs=[prefix])
    assert served.paths == []


def test_remote_spec_never_reads_local_files(tmp_path: Path, web: Callable[[str], Served]) -> None:
    served = web("www")
    secret = write(tmp_path / "secret.yaml", {"Thing": {"type": "object"}})
    write(served.root / "openapi.yaml", spec_doc({"Thing": {"$ref": secret.as_uri() + "#/Thing"}}))
    with pytest.raises(RefNotAllowedError, match=f"{THING}: \\$ref 'file://"):
        load_spec(f"{served.base}/openapi.yaml", cache=False, allow_refs=[tmp_path])


def test_remote_spec_reads_its_own_origin_only_unless_allowed(
    web: Callable[[str], Served],
) -> None:
    home, other = web("home"), web("other")
    write(home.root / "same.yaml", {"S": {"type": "object"}})
    write(other.root / "a.yaml", {"A": {"type": "object"}})
    doc = spec_doc(
        {"Thing": {"$ref": f"{other.base}/a.yaml#/A"}, "Same": {"$ref": "/same.yaml#/S"}}
    )
    write(home.root / "openapi.yaml", doc)
    with pytest.raises(RefNotAllowedError, match=f"{THING}: \\$ref '{other.base}/a.yaml#/A'"):
        load_spec(f"{home.base}/openapi.yaml", cache=False)
    assert other.paths == []
    spec = load_spec(f"{home.base}/openapi.yaml", cache=False, allow_refs=[other.base])
    assert other.paths == ["/a.yaml"] and "/same.yaml" in home.paths
    assert f"{other.base}/a.yaml" in spec.documents.by_uri


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


# -- 4. pure $ref cycles ------------------------------------------------------------------------


@pytest.mark.parametrize("openapi", ["3.0.3", "3.1.0"])
def test_a_ref_cycle_names_the_cycle(tmp_path: Path, openapi: str) -> None:
    schemas = {
        "Thing": {"$ref": "#/components/schemas/B"},
        "B": {"$ref": "#/components/schemas/Thing", "description": "siblings change nothing"},
    }
    path = write(tmp_path / "cycle.yaml", spec_doc(schemas, openapi=openapi))
    with pytest.raises(RefError) as info:
        load_spec(path, cache=False)
    assert str(info.value) == (
        f"{path}#/components/schemas/Thing: $ref cycle with no schema in it: "
        "#/components/schemas/Thing -> #/components/schemas/B -> #/components/schemas/Thing"
    )


def test_a_self_ref_is_a_cycle(tmp_path: Path) -> None:
    path = write(tmp_path / "self.json", spec_doc({"Thing": {"$ref": THING}}))
    with pytest.raises(RefError, match=f"cycle with no schema in it: {THING} -> {THING}$"):
        load_spec(path, cache=False)


def test_a_cycle_across_files_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "other.yaml", {"B": {"$ref": f"root.yaml{THING}"}})
    path = write(tmp_path / "root.yaml", spec_doc({"Thing": {"$ref": "other.yaml#/B"}}))
    with pytest.raises(RefError, match=r"cycle with no schema in it: .*other\.yaml#/B ->"):
        load_spec(path, cache=False)


def test_recursion_through_properties_stays_legal(tmp_path: Path) -> None:
    node = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": THING}},
        },
    }
    path = write(tmp_path / "tree.yaml", spec_doc({"Thing": node}))
    validator = Validator(load_spec(path, cache=False))
    tree = {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}
    assert validator.response("getThing", body=tree) == []
    (bad,) = validator.response("getThing", body={"name": "a", "children": [{"children": []}]})
    assert bad.pointer == "/children/0" and bad.keyword == "required"


# -- 5. invalid schemas ---------------------------------------------------------------------------

BAD_SCHEMAS = [
    ({"type": "strin"}, "/type", "unknown type 'strin'"),
    ({"type": ["string", "nul"]}, "/type", "unknown type 'nul'"),
    ({"type": 3}, "/type", "type must be"),
    ({"type": "string", "pattern": "a(b"}, "/pattern", "invalid pattern 'a(b'"),
    ({"type": "string", "pattern": 7}, "/pattern", "pattern must be a string"),
]


@pytest.mark.parametrize(("name", "where", "problem"), BAD_SCHEMAS)
def test_an_invalid_schema_is_one_line_naming_the_pointer(
    tmp_path: Path, name: dict[str, Any], where: str, problem: str
) -> None:
    thing = {"type": "object", "properties": {"name": name}}
    path = write(tmp_path / "typo.yaml", spec_doc({"Thing": thing}, openapi="3.1.0"))
    spec = load_spec(path, cache=False)
    with pytest.raises(SpecError) as info:
        schema_set(spec, "response")
    message = str(info.value)
    assert message.startswith(f"{path}{THING}/properties/name{where}: {problem}")
    assert "\n" not in message


def test_spec_check_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    thing = {"type": "object", "properties": {"name": {"type": "strin"}}}
    path = write(tmp_path / "typo.yaml", spec_doc({"Thing": thing}))
    assert main(["spec", "check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"conformance: error: {path}{THING}/properties/name/type: unknown type 'strin' "
        "(expected one of: array, boolean, integer, null, number, object, string)\n"
    )


def test_an_invalid_request_parameter_schema_is_refused(tmp_path: Path) -> None:
    doc = spec_doc({"Thing": {"type": "object"}})
    param = {"name": "q", "in": "query", "schema": {"type": "string", "pattern": "[a-"}}
    doc["paths"]["/things"]["get"]["parameters"] = [param]
    path = write(tmp_path / "param.yaml", doc)
    with pytest.raises(SpecError, match=r"#/paths/~1things/get/parameters/0/schema/pattern: "):
        Validator(load_spec(path, cache=False)).compile_all()


ENGINE_TAKES = [
    r"^[a-z]+$",
    r"\d{3}-\d{4}",
    r"\p{L}+",
    r"\P{Lu}",
    r"(?<year>\d{4})-(?<month>\d{2})",
    r"(?<=a)b",
    r"(?<!a)b",
    r"(?<=a+)b",
    r"\cA",
    r"\z",
    r"\/",
    r"(?i)abc",
    r"[\p{L}\d]+",
    r"[\w-]+",
]
ENGINE_REFUSES = [
    r"a(b",
    r"[",
    r"a{2,1}",
    r"a**",
    r"*a",
    r"(?<n>a",
    r"\p{L}(",
    r"[z-a]",
    r")",
    "a\\",
]


def engine_takes(pattern: str) -> bool:
    try:
        jsonschema_rs.Draft202012Validator({"pattern": pattern})
    except jsonschema_rs.ValidationError:
        return False
    return True


@pytest.mark.parametrize("pattern", ENGINE_TAKES + ENGINE_REFUSES)
def test_pattern_check_agrees_with_the_validation_engine(pattern: str) -> None:
    assert engine_takes(pattern) == (pattern in ENGINE_TAKES)  # the table is right
    assert (pattern_problem(pattern) is None) == (pattern in ENGINE_TAKES)
