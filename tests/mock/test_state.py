"""The mock's state: created objects are retrievable, listable page by page, updatable, deletable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import SPECS
from test_core import AUTH, as_json, send

from conformance import Validator, load_spec
from conformance.mock import Mock, MockRequest, MockResponse
from conformance.mock.state import Store, routes
from conformance.spec import Spec


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(SPECS / "openai-2.3.0.yaml")


def upload(
    mock: Mock, content: bytes, filename: str = "data.jsonl", purpose: str = "batch"
) -> MockResponse:
    boundary = "conformance-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n{purpose}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {**AUTH, "content-type": f"multipart/form-data; boundary={boundary}"}
    return mock.handle(MockRequest("POST", "/v1/files", "", headers, body))


def test_routes_are_derived_from_the_spec(spec: Spec) -> None:
    found = routes(spec)
    assert (found["retrieveFile"].kind, found["retrieveFile"].collection) == ("retrieve", "/files")
    assert found["cancelBatch"].verb == "cancel"
    assert found["downloadFile"].kind == "content"
    assert found["listMessages"].parents == (("/threads", "thread_id"),)
    # nothing creates models: a catalog, generated, where a deleted id is gone
    assert (found["listModels"].kind, found["listModels"].catalog) == ("list", True)
    assert (found["deleteModel"].collection, found["deleteModel"].item) == ("/models", "model")
    assert found["getChatCompletion"].kind == "retrieve"


def test_file_content_round_trips_and_delete_gives_a_404(spec: Spec) -> None:
    mock = Mock(spec)
    content = b'{"custom_id": "1"}\n' * 3
    created = upload(mock, content)
    assert created.status == 200
    file = as_json(created)
    assert (file["filename"], file["bytes"], file["purpose"]) == (
        "data.jsonl",
        len(content),
        "batch",
    )
    assert as_json(send(mock, "GET", f"/v1/files/{file['id']}")) == file
    download = send(mock, "GET", f"/v1/files/{file['id']}/content")
    assert download.body == content
    assert send(mock, "DELETE", f"/v1/files/{file['id']}").status == 200
    gone = send(mock, "GET", f"/v1/files/{file['id']}")
    assert gone.status == 404
    assert as_json(gone)["error"] == {
        "message": f"No file found with id '{file['id']}'.",
        "type": "invalid_request_error",
        "param": "file_id",
        "code": None,
    }
    assert send(mock, "DELETE", f"/v1/files/{file['id']}").status == 404


def test_lists_paginate_with_limit_after_before_and_order(spec: Spec) -> None:
    mock = Mock(spec, seed=2)
    ids = [
        as_json(send(mock, "POST", "/v1/assistants", {"model": "gpt-4o", "name": f"a{i}"}))["id"]
        for i in range(5)
    ]
    assert len(set(ids)) == 5
    newest_first = list(reversed(ids))
    page = as_json(send(mock, "GET", "/v1/assistants", query="limit=2"))
    assert [a["id"] for a in page["data"]] == newest_first[:2]
    assert (page["has_more"], page["first_id"], page["last_id"]) == (
        True,
        newest_first[0],
        newest_first[1],
    )
    following = as_json(
        send(mock, "GET", "/v1/assistants", query=f"limit=2&after={page['last_id']}")
    )
    assert [a["id"] for a in following["data"]] == newest_first[2:4]
    last = as_json(
        send(mock, "GET", "/v1/assistants", query=f"limit=2&after={following['last_id']}")
    )
    assert [a["id"] for a in last["data"]] == newest_first[4:] and last["has_more"] is False
    ascending = as_json(send(mock, "GET", "/v1/assistants", query="order=asc&limit=10"))
    assert [a["id"] for a in ascending["data"]] == ids
    before = as_json(
        send(mock, "GET", "/v1/assistants", query=f"order=asc&before={ids[3]}&limit=2")
    )
    assert [a["id"] for a in before["data"]] == ids[1:3]
    created = [a["created_at"] for a in ascending["data"]]
    assert created == sorted(created) and len(set(created)) == 5
    assert [a["name"] for a in ascending["data"]] == [f"a{i}" for i in range(5)]  # request echoed


def test_update_merges_the_request_and_nested_objects_need_their_parent(spec: Spec) -> None:
    mock = Mock(spec)
    thread = as_json(send(mock, "POST", "/v1/threads", {}))
    updated = as_json(send(mock, "POST", f"/v1/threads/{thread['id']}", {"metadata": {"k": "v"}}))
    assert updated["metadata"] == {"k": "v"} and updated["id"] == thread["id"]
    assert as_json(send(mock, "GET", f"/v1/threads/{thread['id']}"))["metadata"] == {"k": "v"}
    message = as_json(
        send(
            mock, "POST", f"/v1/threads/{thread['id']}/messages", {"role": "user", "content": "hi"}
        )
    )
    assert message["thread_id"] == thread["id"] and message["role"] == "user"
    listed = as_json(send(mock, "GET", f"/v1/threads/{thread['id']}/messages"))
    assert [m["id"] for m in listed["data"]] == [message["id"]]
    orphan = send(
        mock, "POST", "/v1/threads/thread_nope/messages", {"role": "user", "content": "hi"}
    )
    assert orphan.status == 404 and as_json(orphan)["error"]["param"] == "thread_id"
    assert send(mock, "GET", f"/v1/threads/{thread['id']}/runs/run_nope/steps").status == 404


def test_actions_change_the_stored_object(spec: Spec) -> None:
    mock = Mock(spec)
    file = as_json(upload(mock, b"{}\n"))
    batch = as_json(
        send(
            mock,
            "POST",
            "/v1/batches",
            {
                "input_file_id": file["id"],
                "endpoint": "/v1/chat/completions",
                "completion_window": "24h",
            },
        )
    )
    assert (batch["input_file_id"], batch["endpoint"]) == (file["id"], "/v1/chat/completions")
    cancelled = as_json(send(mock, "POST", f"/v1/batches/{batch['id']}/cancel"))
    assert (
        cancelled["id"] == batch["id"] and cancelled["status"] == "cancelling"
    )  # as the API answers
    assert as_json(send(mock, "GET", f"/v1/batches/{batch['id']}"))["status"] == cancelled["status"]


def test_store_flag_decides_what_is_remembered(spec: Spec) -> None:
    mock = Mock(spec)
    chat = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    unstored = as_json(send(mock, "POST", "/v1/chat/completions", chat))
    assert (
        send(mock, "GET", f"/v1/chat/completions/{unstored['id']}").status == 404
    )  # store defaults to false
    stored = as_json(send(mock, "POST", "/v1/chat/completions", {**chat, "store": True}))
    assert as_json(send(mock, "GET", f"/v1/chat/completions/{stored['id']}"))["id"] == stored["id"]
    response = as_json(send(mock, "POST", "/v1/responses", {"model": "gpt-4o", "input": "hi"}))
    assert (
        send(mock, "GET", f"/v1/responses/{response['id']}").status == 200
    )  # store defaults to true


def test_objects_made_elsewhere_are_remembered_with_their_parents(spec: Spec) -> None:
    mock = Mock(spec)
    assistant = as_json(send(mock, "POST", "/v1/assistants", {"model": "gpt-4o"}))
    run = as_json(send(mock, "POST", "/v1/threads/runs", {"assistant_id": assistant["id"]}))
    assert send(mock, "GET", f"/v1/threads/{run['thread_id']}").status == 200
    assert (
        as_json(send(mock, "GET", f"/v1/threads/{run['thread_id']}/runs/{run['id']}"))["id"]
        == run["id"]
    )
    streamed = send(
        mock,
        "POST",
        f"/v1/threads/{run['thread_id']}/runs",
        {"assistant_id": assistant["id"], "stream": True},
    )
    assert streamed.stream
    runs = as_json(send(mock, "GET", f"/v1/threads/{run['thread_id']}/runs"))
    assert len(runs["data"]) == 2  # the streamed run was remembered too


def test_vector_store_files_take_the_file_id_and_uploads_become_files(spec: Spec) -> None:
    mock = Mock(spec)
    file = as_json(upload(mock, b"hello"))
    store = as_json(send(mock, "POST", "/v1/vector_stores", {"name": "docs"}))
    assert store["name"] == "docs"
    attached = as_json(
        send(mock, "POST", f"/v1/vector_stores/{store['id']}/files", {"file_id": file["id"]})
    )
    assert attached["id"] == file["id"] and attached["vector_store_id"] == store["id"]
    again = send(mock, "POST", f"/v1/vector_stores/{store['id']}/files", {"file_id": file["id"]})
    assert as_json(again)["id"] == file["id"]  # attached twice: still the one file
    listed = as_json(send(mock, "GET", f"/v1/vector_stores/{store['id']}/files"))
    assert [f["id"] for f in listed["data"]] == [file["id"]]
    upload_ = as_json(
        send(
            mock,
            "POST",
            "/v1/uploads",
            {"filename": "big.txt", "purpose": "assistants", "bytes": 6, "mime_type": "text/plain"},
        )
    )
    part_ids = []
    for chunk in (b"abc", b"def"):
        boundary = "b0undary"
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="data"; filename="blob"\r\n\r\n'.encode()
            + chunk
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {**AUTH, "content-type": f"multipart/form-data; boundary={boundary}"}
        part = mock.handle(
            MockRequest("POST", f"/v1/uploads/{upload_['id']}/parts", "", headers, body)
        )
        part_ids.append(as_json(part)["id"])
    done = as_json(
        send(mock, "POST", f"/v1/uploads/{upload_['id']}/complete", {"part_ids": part_ids})
    )
    assert done["status"] == "completed"
    if done.get("file"):
        assert send(mock, "GET", f"/v1/files/{done['file']['id']}/content").body == b"abcdef"


def test_created_objects_have_not_ended_yet(spec: Spec) -> None:
    ask = {"filename": "a.txt", "purpose": "assistants", "bytes": 1, "mime_type": "text/plain"}
    batch = {"input_file_id": "file-x", "endpoint": "/v1/chat/completions"}
    batch |= {"completion_window": "24h"}
    statuses: dict[str, set[str]] = {"upload": set(), "batch": set()}
    for seed in range(40):
        mock = Mock(spec, seed=seed)
        statuses["upload"].add(as_json(send(mock, "POST", "/v1/uploads", ask))["status"])
        statuses["batch"].add(as_json(send(mock, "POST", "/v1/batches", batch))["status"])
    assert statuses["upload"] and statuses["batch"]
    for kind, seen in statuses.items():
        assert not seen & {"cancelled", "cancelling", "expired"}, (kind, seen)


def test_without_state_nothing_is_remembered(spec: Spec) -> None:
    mock = Mock(spec, state=False)
    file = as_json(upload(mock, b"x"))
    retrieved = send(mock, "GET", f"/v1/files/{file['id']}")
    assert (
        retrieved.status == 200 and as_json(retrieved)["id"] == file["id"]
    )  # generated, id echoed


def test_every_stateful_answer_stays_valid(spec: Spec) -> None:
    """A CRUD session over every collection: each answer validates strictly."""
    mock = Mock(spec, seed=11)
    check = Validator(spec, strict=True)
    file = as_json(upload(mock, b"{}\n"))
    assistant = as_json(send(mock, "POST", "/v1/assistants", {"model": "gpt-4o", "name": "x"}))
    thread = as_json(send(mock, "POST", "/v1/threads", {}))
    calls = [
        ("GET", "/v1/files"),
        ("GET", f"/v1/assistants/{assistant['id']}"),
        ("GET", "/v1/assistants?limit=1"),
        ("POST", f"/v1/assistants/{assistant['id']}", {"name": "y"}),
        ("GET", f"/v1/threads/{thread['id']}/messages"),
        ("DELETE", f"/v1/assistants/{assistant['id']}"),
        ("DELETE", f"/v1/files/{file['id']}"),
        ("DELETE", f"/v1/threads/{thread['id']}"),
    ]
    for method, target, *body in calls:
        path, _, query = target.partition("?")
        response = send(mock, method, path, body[0] if body else None, query=query)
        op, _ = spec.match(method, path) or (None, None)
        assert op is not None and response.status == 200, (method, target, response.body[:200])
        assert [
            v
            for v in check.response(op, status=200, headers=response.headers, body=response.body)
            if v.is_error
        ] == []


SMALL_SPEC = """
openapi: 3.1.0
info: {title: Notes, version: "1"}
servers: [{url: "http://localhost/api"}]
paths:
  /notes:
    get:
      operationId: listNotes
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: after, in: query, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [data]
                properties:
                  data: {type: array, items: {$ref: "#/components/schemas/Note"}}
                  has_more: {type: boolean}
    post:
      operationId: createNote
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [text]
              properties: {text: {type: string, maxLength: 50}}
      responses:
        "201":
          description: created
          content: {application/json: {schema: {$ref: "#/components/schemas/Note"}}}
  /notes/{note_id}:
    parameters: [{name: note_id, in: path, required: true, schema: {type: string}}]
    get:
      operationId: getNote
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Note"}}}}
        "404": {description: missing}
    delete:
      operationId: deleteNote
      responses:
        "204": {description: deleted}
components:
  schemas:
    Note:
      type: object
      required: [id, text]
      properties:
        id: {type: string}
        text: {type: string}
        parent: {$ref: "#/components/schemas/Note"}
"""


def test_any_rest_shaped_spec_gets_the_same_state(tmp_path: Path) -> None:
    path = tmp_path / "notes.yaml"
    path.write_text(SMALL_SPEC)
    mock = Mock(path, seed=1)
    assert mock.base_path == "/api"

    def call(method: str, target: str, body: Any = None) -> MockResponse:
        raw = json.dumps(body).encode() if body is not None else b""
        headers = {"content-type": "application/json"} if body is not None else {}
        path_, _, query = target.partition("?")
        return mock.handle(MockRequest(method, path_, query, headers, raw))

    notes = [json.loads(call("POST", "/api/notes", {"text": f"n{i}"}).body) for i in range(3)]
    assert [n["text"] for n in notes] == ["n0", "n1", "n2"]
    assert call("POST", "/api/notes", {"text": "x" * 51}).status == 400
    listed = json.loads(call("GET", "/api/notes?limit=2").body)
    assert [n["id"] for n in listed["data"]] == [notes[2]["id"], notes[1]["id"]]
    assert call("GET", f"/api/notes/{notes[0]['id']}").status == 200
    assert call("DELETE", f"/api/notes/{notes[0]['id']}").status == 204
    assert call("GET", f"/api/notes/{notes[0]['id']}").status == 404
    assert all(r.valid for r in mock.records if r.status != 400)


def test_store_pages_like_openai() -> None:
    store = Store()
    for i in range(5):
        store.put("/x", (), {"id": f"x{i}"})
    assert [o["id"] for o in store.page("/x", (), limit=2).data] == ["x4", "x3"]
    assert store.page("/x", (), limit=5).has_more is False
    assert [o["id"] for o in store.page("/x", (), order="asc", after="x1", limit=2).data] == [
        "x2",
        "x3",
    ]
    assert store.delete("/x", (), "x1") and not store.delete("/x", (), "x1")


def test_resources_doctests() -> None:
    import doctest

    import conformance.mock.resources as resources_module

    assert doctest.testmod(resources_module).attempted >= 1
    assert doctest.testmod(resources_module).failed == 0


def test_stored_objects_are_created_at_the_mocks_clock() -> None:
    from conformance.mock.state import Store

    store = Store(now=lambda: 1_800_000_000.7)
    assert [store.tick() for _ in range(3)] == [1_800_000_000, 1_800_000_001, 1_800_000_002]
    assert Store().tick() == 1_742_600_000  # no clock: deterministic, from the spec's date


def test_a_retrieve_answers_only_what_its_schema_declares(spec: Spec) -> None:
    mock = Mock(spec, seed=1, profile="typical")
    project = as_json(send(mock, "POST", "/v1/organization/projects", {"name": "ci"}))["id"]
    body = {"name": "ci-bot"}
    created = as_json(
        send(mock, "POST", f"/v1/organization/projects/{project}/service_accounts", body)
    )
    assert "api_key" in created  # shown once, when it is created
    again = as_json(
        send(mock, "GET", f"/v1/organization/projects/{project}/service_accounts/{created['id']}")
    )
    assert again["id"] == created["id"] and "api_key" not in again
