"""load_spec: both OpenAI specs, every source kind (YAML, JSON, relative $ref, http), and errors."""

from __future__ import annotations

import collections
import functools
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
import yaml
from support import SPECS

import conformance.spec.source as source_module
from conformance.errors import RefError, SpecError, SpecLoadError, UnknownOperationError
from conformance.spec import Spec, load_spec
from conformance.spec.source import code_version
from conformance.validate import Validator


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own on-disk cache (the OpenAI specs are loaded by module fixtures)."""
    path = tmp_path / "cache"
    monkeypatch.setenv("CONFORMANCE_CACHE_DIR", str(path))
    return path


@pytest.fixture(scope="module")
def spec23() -> Spec:
    return load_spec(SPECS / "openai-2.3.0.yaml")


@pytest.fixture(scope="module")
def spec26() -> Spec:
    return load_spec(SPECS / "openai-2026-08.yaml")


def minimal(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "mini", "version": "0.1"},
        "paths": {
            "/things/{id}": {
                "get": {
                    "operationId": "getThing",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Thing"}
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {"Thing": {"type": "object", "properties": {"id": {"type": "string"}}}}
        },
    }
    doc.update(extra)
    return doc


# -- the OpenAI specs -----------------------------------------------------------------------------


def test_openai_230_index(spec23: Spec) -> None:
    ops = spec23.operations
    assert len(ops) == 126
    assert spec23.openapi == "3.0.0" and spec23.version == (3, 0)
    assert spec23.title == "OpenAI API"
    assert spec23.base_path == "/v1"
    ids = [op.operation_id for op in ops]
    assert len(set(ids)) == len(ids)
    assert len({op.key for op in ops}) == len(ops)
    assert collections.Counter(op.method for op in ops) == {"GET": 58, "POST": 52, "DELETE": 16}
    assert sum(len(op.responses) for op in ops) == 136
    assert sum(len(op.parameters) for op in ops) == 283
    assert sum(1 for op in ops if op.request_body) == 46


def test_openai_202608_index(spec26: Spec) -> None:
    ops = spec26.operations
    assert len(ops) == 288
    assert spec26.openapi == "3.1.0" and spec26.version == (3, 1)
    ids = [op.operation_id for op in ops]
    assert len(set(ids)) == len(ids)
    assert sum(len(op.responses) for op in ops) == 465
    locations = collections.Counter(p.location for op in ops for p in op.parameters)
    assert locations == {"query": 301, "path": 266, "header": 7}


@pytest.mark.parametrize("name", ["spec23", "spec26"])
def test_openai_index_invariants(name: str, request: pytest.FixtureRequest) -> None:
    spec: Spec = request.getfixturevalue(name)
    for op in spec.operations:
        assert op.responses, op.operation_id
        assert any(status.startswith("2") for status in op.responses), op.operation_id
        # every template variable is a declared, required path parameter and vice versa
        assert set(op.path_names()) == {p.name for p in op.params("path")}, op.operation_id
        assert all(p.required for p in op.params("path")), op.operation_id
        assert spec.operation(op.operation_id) is op
        assert spec.operation(op.key) is op
        for response in op.responses.values():
            for media in response.content.values():
                if media.schema is not None:
                    spec.resolve(media.schema)  # every schema location resolves
        if op.method == "GET":
            assert op.request_body is None, op.operation_id


def test_openai_operation_lookup(spec23: Spec) -> None:
    op = spec23.operation("createChatCompletion")
    assert (op.method, op.path) == ("POST", "/chat/completions")
    assert spec23.operation("POST /chat/completions") is op
    assert spec23.operation("post /chat/completions") is op
    assert op.stream_flag == "stream"
    assert spec23.operation("listModels").stream_flag is None


def test_unknown_operation_did_you_mean(spec23: Spec) -> None:
    with pytest.raises(
        UnknownOperationError, match=r"did you mean 'createChatCompletion'\?"
    ) as info:
        spec23.operation("createchatcompletion")
    assert "openai-2.3.0.yaml" in str(info.value)
    with pytest.raises(UnknownOperationError, match="no operation 'noSuchThing'"):
        spec23.operation("noSuchThing")


def test_unknown_operation_did_you_mean_for_typo(spec23: Spec) -> None:
    with pytest.raises(UnknownOperationError, match="did you mean 'createChatCompletion'"):
        spec23.operation("createChatCompletions")


# -- sources --------------------------------------------------------------------------------------


def test_load_yaml(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(minimal()))
    spec = load_spec(path)
    assert [op.operation_id for op in spec.operations] == ["getThing"]
    assert spec.source == str(path)
    assert spec.uri == path.resolve().as_uri()
    assert spec.base_path == ""


def test_load_json(tmp_path: Path) -> None:
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(minimal(servers=[{"url": "/api/v2/"}])))
    spec = load_spec(str(path), cache=False)
    assert spec.operation("GET /things/{id}").operation_id == "getThing"
    assert spec.base_path == "/api/v2"


def test_load_file_uri(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(minimal()))
    spec = load_spec(path.resolve().as_uri(), cache=False)
    assert len(spec.operations) == 1


def test_yaml_integer_keys_and_dates_become_json_strings(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(
        dedent("""\
        openapi: 3.0.3
        info: {title: keys, version: 2024-10-01}
        paths:
          /a:
            get:
              operationId: a
              responses:
                200: {description: ok}
                default: {description: error}
        """)
    )
    for cache in (True, True, False):  # the second load reads the on-disk cache
        spec = load_spec(path, cache=cache)
        assert list(spec.operation("a").responses) == ["200", "default"]
        assert spec.api_version == "2024-10-01"
        assert spec.document["info"]["version"] == "2024-10-01"


def test_operation_without_operation_id_is_keyed_by_method_and_path(tmp_path: Path) -> None:
    doc = minimal()
    del doc["paths"]["/things/{id}"]["get"]["operationId"]
    path = tmp_path / "noid.json"
    path.write_text(json.dumps(doc))
    spec = load_spec(path, cache=False)
    assert spec.operations[0].operation_id == "GET /things/{id}"
    assert spec.operation("GET /things/{id}") is spec.operations[0]


def test_relative_file_ref(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "thing.yaml").write_text(
        dedent("""\
        Thing:
          type: object
          required: [id]
          properties:
            id: {type: string}
            owner: {$ref: "#/Owner"}
        Owner:
          type: object
          properties:
            name: {type: string}
        """)
    )
    doc = minimal()
    media = doc["paths"]["/things/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    media["schema"] = {"$ref": "schemas/thing.yaml#/Thing"}
    path = tmp_path / "root.yaml"
    path.write_text(yaml.safe_dump(doc))
    spec = load_spec(path, cache=False)
    other = (tmp_path / "schemas" / "thing.yaml").resolve().as_uri()
    assert other in spec.documents.by_uri
    assert spec.documents.by_uri[other]["Owner"]["properties"]["name"] == {"type": "string"}

    from conformance.validate import Validator

    v = Validator(spec)
    assert v.response("getThing", body={"id": "t1", "owner": {"name": "Ada"}}) == []
    found = v.response("getThing", body={"owner": {"name": 7}})
    assert sorted((x.pointer, x.code) for x in found) == [
        ("", "schema.required"),
        ("/owner/name", "schema.type"),
    ]


def test_on_disk_cache(tmp_path: Path, cache_dir: Path) -> None:
    path = tmp_path / "mini.yaml"
    doc = minimal()
    doc["components"]["schemas"]["Thing"]["required"] = ["id", "id"]  # erratum required-duplicates
    path.write_text(yaml.safe_dump(doc))
    load_spec(path, cache=False)
    assert not cache_dir.exists()
    first = load_spec(path)
    (cached,) = (cache_dir / "specs").iterdir()
    assert cached.name == f"{first.cache_key}-{code_version()}.json"
    assert cached.name.startswith(first.sha256)
    entry = json.loads(cached.read_bytes())
    # the entry holds the patched document and the errata it took
    assert entry["document"]["components"]["schemas"]["Thing"]["required"] == ["id"]
    assert [e[0] for e in entry["errata"]] == ["required-duplicates"] and not entry["external"]
    again = load_spec(path)
    assert again.document == first.document and again.errata == first.errata
    assert [op.key for op in again.operations] == [op.key for op in first.operations]
    # a damaged entry is ignored and rewritten
    for damage in ("{not json", "[]", '{"document": 1, "errata": [], "external": false}'):
        cached.write_text(damage)
        assert load_spec(path).errata == first.errata
        assert json.loads(cached.read_bytes()) == entry
    # another errata selection is another entry
    assert load_spec(path, errata=()).document["components"]["schemas"]["Thing"]["required"] == [
        "id",
        "id",
    ]
    assert len(list((cache_dir / "specs").iterdir())) == 2


def test_cache_entries_of_other_code_versions_are_deleted(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(minimal()))
    key = load_spec(path).cache_key
    monkeypatch.setattr(source_module, "code_version", lambda: "0ld0ld0ld0ld0ld0")
    assert load_spec(path).cache_key == key
    assert [p.name for p in (cache_dir / "specs").iterdir()] == [f"{key}-0ld0ld0ld0ld0ld0.json"]


def test_cache_rechecks_external_refs_and_keeps_no_conversions(
    tmp_path: Path, cache_dir: Path
) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("Thing: {type: object}\n")
    doc = minimal()
    doc["components"]["schemas"]["Ext"] = {"$ref": "other.yaml#/Thing"}
    path = tmp_path / "root.yaml"
    path.write_text(yaml.safe_dump(doc))
    spec = load_spec(path)
    assert spec.cache_key is None  # conversions depend on other.yaml too: not cached
    Validator(spec).compile_all()
    assert not (cache_dir / "schemas").exists()
    other.write_text("Other: {type: object}\n")  # the cached root's ref now dangles
    with pytest.raises(RefError, match=r"dangling \$ref .*other\.yaml#/Thing"):
        load_spec(path)


def test_cache_keeps_integers_exact(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(
        dedent("""\
        openapi: 3.1.0
        info: {title: big, version: "1"}
        paths: {}
        components:
          schemas:
            Big: {type: integer, minimum: -9223372036854775809, maximum: 18446744073709551616}
        """)
    )
    for _ in range(2):
        big = load_spec(path).document["components"]["schemas"]["Big"]
        assert big["minimum"] == -(2**63) - 1 and isinstance(big["minimum"], int)
        assert big["maximum"] == 2**64 and isinstance(big["maximum"], int)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, http.server.ThreadingHTTPServer, Path]]:
    """A directory served over http on 127.0.0.1 (base URL, server, directory)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server, root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_load_from_http_with_relative_ref_then_offline(
    served: tuple[str, http.server.ThreadingHTTPServer, Path], cache_dir: Path
) -> None:
    base, server, root = served
    doc = minimal()
    media = doc["paths"]["/things/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    media["schema"] = {"$ref": "components.yaml#/Thing"}
    (root / "openapi.yaml").write_text(yaml.safe_dump(doc))
    (root / "components.yaml").write_text("Thing: {type: object, required: [id]}\n")

    url = f"{base}/openapi.yaml"
    spec = load_spec(url)
    assert spec.uri == url
    assert f"{base}/components.yaml" in spec.documents.by_uri
    assert spec.operation("getThing").path == "/things/{id}"
    assert (cache_dir / "urls").is_dir()

    server.shutdown()
    server.server_close()
    offline = load_spec(url)  # served from the on-disk cache
    assert offline.sha256 == spec.sha256
    assert [op.operation_id for op in offline.operations] == ["getThing"]
    assert offline.document == spec.document


def test_http_404_is_a_load_error(
    served: tuple[str, http.server.ThreadingHTTPServer, Path],
) -> None:
    base, _, _ = served
    with pytest.raises(SpecLoadError, match=r"/missing\.yaml: cannot fetch"):
        load_spec(f"{base}/missing.yaml")


# -- errors ---------------------------------------------------------------------------------------


def test_malformed_yaml_names_file_line_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("openapi: 3.0.0\ninfo:\n  title: x\n   version: 1\npaths: {}\n")
    with pytest.raises(SpecLoadError) as info:
        load_spec(path, cache=False)
    message = str(info.value)
    assert message.startswith(f"{path}:4:11: invalid YAML")
    with pytest.raises(SpecLoadError, match=r"bad\.yaml:4:11: invalid YAML"):
        load_spec(path)  # same message through the caching path


def test_malformed_json_names_file_line_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "openapi": "3.0.0",\n  "paths": {,}\n}')
    with pytest.raises(SpecLoadError) as info:
        load_spec(path, cache=False)
    assert str(info.value).startswith(f"{path}:3:13: invalid JSON")


def test_swagger_2(tmp_path: Path) -> None:
    path = tmp_path / "swagger.json"
    path.write_text(
        json.dumps({"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {}})
    )
    with pytest.raises(
        SpecError,
        match=r"swagger\.json: no 'openapi' version field \(Swagger 2\.0 is not supported\)",
    ):
        load_spec(path, cache=False)


@pytest.mark.parametrize("version", ["4.0.0", "3.2.0", "2.0", "3"])
def test_unsupported_openapi_version(tmp_path: Path, version: str) -> None:
    path = tmp_path / "v.json"
    path.write_text(json.dumps(minimal(openapi=version)))
    with pytest.raises(SpecError, match=f"unsupported OpenAPI version '{version}'"):
        load_spec(path, cache=False)


def test_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(SpecError, match="top level is not a mapping"):
        load_spec(path, cache=False)


def test_dangling_ref_names_ref_and_pointer(tmp_path: Path) -> None:
    doc = minimal()
    doc["components"]["schemas"]["Thing"]["properties"]["owner"] = {
        "$ref": "#/components/schemas/Owner"
    }
    path = tmp_path / "dangling.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(RefError) as info:
        load_spec(path, cache=False)
    message = str(info.value)
    assert "'#/components/schemas/Owner'" in message
    assert message.startswith(f"{path}#/components/schemas/Thing/properties/owner:")
    assert isinstance(info.value, SpecError)


def test_dangling_ref_into_other_file(tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text("Thing: {type: object}\n")
    doc = minimal()
    doc["components"]["schemas"]["Thing"] = {"$ref": "other.yaml#/Nothing"}
    path = tmp_path / "root.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(
        RefError,
        match=r"root\.yaml#/components/schemas/Thing: dangling \$ref .*other\.yaml#/Nothing",
    ):
        load_spec(path, cache=False)


def test_ref_to_missing_file(tmp_path: Path) -> None:
    doc = minimal()
    doc["components"]["schemas"]["Thing"] = {"$ref": "gone.yaml#/Thing"}
    path = tmp_path / "root.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(
        RefError,
        match=r"#/components/schemas/Thing: \$ref target cannot be loaded: .*gone\.yaml: no such file",
    ):
        load_spec(path, cache=False)


def test_duplicate_operation_id(tmp_path: Path) -> None:
    doc = minimal()
    doc["paths"]["/others"] = {
        "get": {"operationId": "getThing", "responses": {"200": {"description": "ok"}}}
    }
    path = tmp_path / "dup.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(
        SpecError,
        match=r"#/paths/~1others/get: operationId 'getThing' already used by #/paths/~1things~1\{id\}/get",
    ):
        load_spec(path, cache=False)


@pytest.mark.parametrize("cache", [True, False])
def test_missing_file(tmp_path: Path, cache: bool) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(SpecLoadError, match=f"^{path}: no such file$"):
        load_spec(path, cache=cache)


def test_directory_is_not_a_spec(tmp_path: Path) -> None:
    with pytest.raises(SpecLoadError, match="is a directory"):
        load_spec(tmp_path, cache=False)


def test_unreachable_url() -> None:
    with socket.socket() as sock:  # a port nothing listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        url = f"http://127.0.0.1:{port}/openapi.yaml"
        with pytest.raises(SpecLoadError, match=f"^{url}: cannot fetch"):
            load_spec(url)


def test_unknown_erratum_is_rejected(tmp_path: Path) -> None:
    from conformance.errors import ConformanceError

    path = tmp_path / "mini.json"
    path.write_text(json.dumps(minimal()))
    with pytest.raises(ConformanceError, match="unknown erratum no-such-fix"):
        load_spec(path, errata=("no-such-fix",), cache=False)
