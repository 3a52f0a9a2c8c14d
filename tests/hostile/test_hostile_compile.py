"""Compiling validators for hostile specs: schemas linked in a chain (memory grows with the spec,
not operations × reachable schemas), patterns the validation engine refuses, schemas nested too
deeply. Each is one line naming the pointer, or works within bounds.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.errors import SpecError
from conformance.schema import MAX_DEPTH, schema_set
from conformance.spec import load_spec
from conformance.validate import Validator

ROOT = Path(__file__).resolve().parents[2]
THING = "#/components/schemas/Thing"


def _bench_module(name: str) -> Any:
    found = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert found is not None and found.loader is not None
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


chained_spec = _bench_module("chained_spec").chained_spec


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("CONFORMANCE_CACHE_DIR", str(path))
    return path


def spec_doc(thing: Any) -> dict[str, Any]:
    """A one-operation spec whose 200 answers ``Thing`` and whose request body is one."""
    content = {"application/json": {"schema": {"$ref": THING}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "hostile", "version": "1"},
        "paths": {
            "/things": {
                "post": {
                    "operationId": "makeThing",
                    "requestBody": {"content": content},
                    "responses": {"200": {"description": "ok", "content": content}},
                }
            }
        },
        "components": {"schemas": {"Thing": thing}},
    }


def write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc))
    return path


# -- 1. schemas linked in a chain ---------------------------------------------------------------

# the child's own peak: VmHWM (ru_maxrss keeps the parent's peak across fork and exec on Linux,
# and a pytest process that ran many tests holds a large one)
PEAK = """
import sys
from conformance.cli import main
code = main(["spec", "check", sys.argv[1]])
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(code, peak // 1024)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM (Linux)")
def test_a_chained_spec_compiles_in_memory_that_grows_with_the_spec(tmp_path: Path) -> None:
    """1,000 schemas each referencing the next, 100 operations answering the head: every
    operation reaches every schema. Compiled per operation, that took 1.7 GB; shared, the
    whole check stays within a few hundred MB (a bound on memory, not on time)."""
    path = chained_spec(tmp_path, 1000, 100)
    proc = subprocess.run(
        [sys.executable, "-c", PEAK, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    code, peak_mb = proc.stdout.split()[-2:]
    assert code == "0"
    assert int(peak_mb) < 400, f"spec check peaked at {peak_mb} MB"


def test_a_chained_spec_validates_at_every_link(tmp_path: Path) -> None:
    validator = Validator(load_spec(chained_spec(tmp_path, 40, 5), cache=False))
    assert validator.compile_all() == 10
    body: dict[str, Any] = {"name": "end"}
    for i in range(38):
        body = {"name": f"s{i}", "next": body}
    assert validator.response("getChain3", body=body) == []
    deep = body
    for _ in range(30):
        deep = deep["next"]
    deep["value"] = "seven"
    deep["extra"] = 1
    found = validator.response("getChain3", body=body)
    errors = [v for v in found if v.is_error]
    assert [(v.pointer, v.keyword) for v in errors] == [("/next" * 30 + "/value", "type")]
    assert errors[0].schema_path.endswith("#/components/schemas/S30/properties/value/type")
    (warning,) = [v for v in found if not v.is_error]
    assert warning.pointer == "/next" * 30 + "/extra" and warning.code == "undeclared.property"
    assert validator.response("getChain0", body={"next": {"name": 1}}) != []


# -- 2. patterns the validation engine refuses ---------------------------------------------------

ENGINE_REFUSES = [r"\\p{L}", r"\k<name>", r"(?<n>a)\k<n>", r"x{,3}", r"\Z", r"\p{NoSuchClass}"]


@pytest.mark.parametrize("pattern", ENGINE_REFUSES)
def test_a_pattern_the_engine_refuses_is_one_line_naming_the_pointer(
    tmp_path: Path, pattern: str
) -> None:
    thing = {"type": "object", "properties": {"name": {"type": "string", "pattern": pattern}}}
    path = write(tmp_path / "pattern.json", spec_doc(thing))
    validator = Validator(load_spec(path, cache=False))
    with pytest.raises(SpecError) as info:
        validator.compile_all()
    message = str(info.value)
    assert message.startswith(f"{path}{THING}/properties/name/pattern: ")
    assert repr(pattern) in message and "\n" not in message
    with pytest.raises(SpecError):  # and again, not a half-built engine
        validator.response("makeThing", body={"name": "x"})


def test_spec_check_exits_2_on_a_pattern_the_engine_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    thing = {"type": "object", "properties": {"name": {"type": "string", "pattern": "x{,3}"}}}
    path = write(tmp_path / "pattern.json", spec_doc(thing))
    assert main(["spec", "check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"conformance: error: {path}{THING}/properties/name/pattern: ")
    assert err.count("\n") == 1


def test_a_refused_pattern_in_an_unused_component_is_reported_too(tmp_path: Path) -> None:
    doc = spec_doc({"type": "object"})
    doc["components"]["schemas"]["Unused"] = {"type": "string", "pattern": r"\Z"}
    path = write(tmp_path / "unused.json", doc)
    with pytest.raises(SpecError, match=r"#/components/schemas/Unused/pattern: "):
        Validator(load_spec(path, cache=False)).compile_all()


# -- 3. schemas nested too deeply ----------------------------------------------------------------


def nested(levels: int, kind: str) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        if kind == "properties":
            node = {"type": "object", "properties": {"a": node}}
        elif kind == "items":
            node = {"type": "array", "items": node}
        else:
            node = {"nullable": True, "allOf": [node]}
    return node


STEP = {"properties": "/properties/a", "items": "/items", "allOf": "/allOf/0"}


def _deep_json(doc: Any) -> str:
    """``json.dumps`` of a document nested deeper than Python's recursion limit allows."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        return json.dumps(doc)
    finally:
        sys.setrecursionlimit(limit)


@pytest.mark.parametrize(("kind", "levels"), [("properties", 440), ("items", 880), ("allOf", 300)])
def test_a_schema_nested_hundreds_deep_is_one_line_naming_the_pointer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, levels: int
) -> None:
    """~900 JSON levels (a ~25 KB spec): a SpecError at the depth limit, not a RecursionError."""
    path = tmp_path / "deep.json"
    path.write_text(_deep_json(spec_doc(nested(levels, kind))))
    spec = load_spec(path, cache=False)
    with pytest.raises(SpecError) as info:
        schema_set(spec, "response")
    message = str(info.value)
    assert message.startswith(f"{path}{THING}{STEP[kind]}")
    assert f"nested more than {MAX_DEPTH} levels deep" in message and "\n" not in message
    assert main(["spec", "check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"conformance: error: {path}{THING}{STEP[kind]}")
    assert err.count("\n") == 1


@pytest.mark.parametrize("kind", ["properties", "items", "allOf"])
def test_a_schema_just_within_the_depth_limit_works(tmp_path: Path, kind: str) -> None:
    per_level = {"properties": 2, "items": 1, "allOf": 4}[kind]  # allOf: 2, nullable: 2 more
    levels = MAX_DEPTH // per_level
    path = write(tmp_path / "deep.json", spec_doc(nested(levels, kind)))
    validator = Validator(load_spec(path, cache=False))
    assert validator.compile_all() == 4
    value: Any = "leaf"
    for _ in range(levels):
        value = {"a": value} if kind == "properties" else [value] if kind == "items" else value
    body = json.dumps(value)  # raw JSON text: a bare string body would be read as text
    ctype = "application/json"
    assert validator.response("makeThing", body=body, content_type=ctype) == []
    assert validator.request("makeThing", body=body, content_type=ctype) == []
    path = write(tmp_path / "deeper.json", spec_doc(nested(levels + 1, kind)))
    with pytest.raises(SpecError, match=f"nested more than {MAX_DEPTH} levels deep"):
        Validator(load_spec(path, cache=False))


@pytest.mark.parametrize("keyword", ["default", "enum", "const"])
def test_a_value_nested_hundreds_deep_is_one_line_naming_the_pointer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], keyword: str
) -> None:
    """Data kept in a schema (past jsonschema-rs' 255 levels, within the JSON parser's)."""
    value: Any = 1
    for _ in range(600):
        value = [value]
    thing = {"type": "array", keyword: [value] if keyword == "enum" else value}
    path = tmp_path / "deep.json"
    path.write_text(_deep_json(spec_doc(thing)))
    assert main(["spec", "check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"conformance: error: {path}{THING}/{keyword}: "
        f"value nested more than {MAX_DEPTH} levels deep\n"
    )
