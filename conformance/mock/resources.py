"""The mock's state machine: what each stateful operation does with the ``Store``.

``Resources`` decides whether a request's objects exist (an OpenAI-style 404 when not) and
turns a generated body into the one the state implies: a created object is stored (with the
uploaded bytes), a retrieve returns what was stored, a list pages through the collection, an
update merges the request, a delete removes, an action (``cancel``) changes the stored status.
Every body it builds is checked by ``ok`` and falls back to the generated one if invalid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ..spec import Operation, Spec
from .fit import Check, overlay, replaced, request_fields
from .state import MAX_BYTES, MAX_OBJECTS, Route, Store, parents, properties, routes

__all__ = ["Resources"]

_PARAM = re.compile(r"\{([^}]+)\}")
_FINAL_STATUS = {
    "cancel": ("cancelling", "cancelled"),  # the API answers a cancel while it happens
    "complete": ("completed",),
    "archive": ("archived",),
}

_ENDED = ("cancelled", "cancelling", "expired")
_FRESH_STATUS = ("pending", "validating", "queued", "in_progress", "completed")


def _with_status(obj: dict[str, Any], statuses: tuple[Any, ...], ok: Check) -> dict[str, Any]:
    """A copy of ``obj`` with the first of ``statuses`` it stays valid with (else unchanged).

    >>> _with_status({"status": "x"}, (None, "a", "b"), lambda o: o["status"] == "b")
    {'status': 'b'}
    """
    for status in statuses:
        if status is not None and ok(candidate := {**obj, "status": status}):
            return candidate
    return dict(obj)


def _names(template: str) -> list[str]:
    return _PARAM.findall(template)


def _noun(collection: str) -> str:
    last = collection.rstrip("/").rsplit("/", 1)[-1]
    word = last[:-1] if last.endswith("s") else last
    return word.replace("_", " ")


class Resources:
    """Stateful behaviour of a spec's collections (see ``conformance.mock.state``)."""

    def __init__(
        self,
        spec: Spec,
        *,
        max_objects: int = MAX_OBJECTS,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.spec = spec
        self.routes = routes(spec)
        self.store = Store(max_objects, max_bytes)
        if clock is not None:
            self.store.now = clock
        self.kinds: dict[str, str] = {}  # object type ("thread.run") -> collection
        self.store_defaults: dict[str, bool] = {}  # operationId -> default of its ``store`` flag
        for op in spec.operations:
            route = self.routes.get(op.operation_id)
            if route is not None and route.kind == "create":
                for kind in self._object_kinds(op):
                    self.kinds.setdefault(kind, route.collection)
                default = self._store_default(op)
                if default is not None:
                    self.store_defaults[op.operation_id] = default

    def _object_kinds(self, op: Operation) -> list[str]:
        response = next((r for s, r in op.responses.items() if s.startswith("2")), None)
        media = next(iter(response.content.values()), None) if response else None
        if media is None or media.schema is None:
            return []
        prop = properties(self.spec, media.schema).get("object")
        if not isinstance(prop, dict):
            return []
        values = prop.get("enum") or ([prop["const"]] if "const" in prop else [])
        return [v for v in values if isinstance(v, str)]

    def _store_default(self, op: Operation) -> bool | None:
        body = op.request_body
        media = next(iter(body.content.values()), None) if body else None
        if media is None or media.schema is None:
            return None
        prop = properties(self.spec, media.schema).get("store")
        if not isinstance(prop, dict):
            return None
        return bool(prop.get("default", False))

    def route(self, op: Operation) -> Route | None:
        """The state role of an operation, if it has one."""
        return self.routes.get(op.operation_id)

    def key(self, collection: str, params: Mapping[str, str]) -> tuple[str, ...] | None:
        """The parent ids of a collection from path parameters (None when one is unknown)."""
        names = _names(collection)
        if any(n not in params for n in names):
            return None
        return tuple(str(params[n]) for n in names)

    def missing(self, route: Route, params: Mapping[str, str]) -> tuple[str, str] | None:
        """``(message, param)`` of an OpenAI-style 404 when a named object does not exist."""
        if route.catalog and route.item is not None:
            if (self._catalog_key(route, params), params.get(route.item, "")) in self.store.gone:
                return (
                    f"No {_noun(route.collection)} found with id '{params[route.item]}'.",
                    route.item,
                )
            return None
        checks = list(route.parents)
        if route.item is not None and route.kind != "create":
            checks.append((route.collection, route.item))
        for collection, name in checks:
            key = self.key(collection, params)
            if key is not None and not self.store.exists(collection, key, params[name]):
                return f"No {_noun(collection)} found with id '{params[name]}'.", name
        return None

    def stores(self, op: Operation, body: Any) -> bool:
        """Whether a create request asks to be stored (``store`` flag, with its default)."""
        default = self.store_defaults.get(op.operation_id)
        if default is None:
            return True
        flag = body.get("store") if isinstance(body, Mapping) else None
        return bool(default if flag is None else flag)

    # -- bodies --------------------------------------------------------------------------------

    def apply(
        self,
        op: Operation,
        route: Route,
        params: Mapping[str, str],
        query: Mapping[str, str],
        request: Any,
        generated: Any,
        ok: Check,
    ) -> Any:
        """The body the state implies for a request, given a generated valid one."""
        if route.catalog:
            return self._catalog(route, params, generated, ok)
        key = self.key(route.collection, params)
        item = params.get(route.item) if route.item else None
        if key is not None and route.kind == "delete" and item is not None:
            self.store.delete(route.collection, key, item)
            return (
                replaced(generated, {"id": item, "deleted": True}, ok)
                if isinstance(generated, dict)
                else generated
            )
        if key is None or not isinstance(generated, dict):
            return generated
        stored = self.store.get(route.collection, key, item) if item is not None else None
        if route.kind == "create":
            return self._create(op, route, key, request, generated, ok)
        if route.kind == "retrieve" and stored is not None:
            return self._declared_only(op, stored)
        if route.kind == "update" and stored is not None:
            merged = overlay(stored, request_fields(request), ok)
            return self.store.put(route.collection, key, merged)
        if route.kind == "list":
            return self._list(route.collection, key, query, generated, ok)
        if route.kind == "action" and stored is not None:
            return self._act(route, key, params, request, stored, generated, ok)
        return generated

    def _declared_only(self, op: Operation, stored: dict[str, Any]) -> dict[str, Any]:
        """A stored object as ``op`` answers it: without the fields only its create answer has
        (a service account's ``api_key`` is shown once, when it is created)."""
        response = op.response_for(200)
        media = response.content.get("application/json") if response is not None else None
        names = properties(self.spec, media.schema) if media is not None and media.schema else {}
        if not names or set(stored) <= set(names):
            return stored
        return {k: v for k, v in stored.items() if k in names}

    def _catalog_key(self, route: Route, params: Mapping[str, str]) -> str:
        return "/".join([route.collection, *(self.key(route.collection, params) or ())])

    def _catalog(self, route: Route, params: Mapping[str, str], generated: Any, ok: Check) -> Any:
        """A catalog's answer: a delete forgets the id, a list leaves deleted ids out."""
        catalog, gone = self._catalog_key(route, params), self.store.gone
        item = params.get(route.item) if route.item else None
        if route.kind == "delete" and item is not None:
            gone[(catalog, item)] = True
            if isinstance(generated, dict):
                return replaced(generated, {"id": item, "deleted": True}, ok)
        if route.kind == "list" and isinstance(generated, dict) and gone:
            data = generated.get("data")
            if isinstance(data, list):
                kept = [
                    d
                    for d in data
                    if not (isinstance(d, dict) and (catalog, str(d.get("id"))) in gone)
                ]
                return replaced(generated, {"data": kept}, ok)
        return generated

    def _create(
        self,
        op: Operation,
        route: Route,
        key: tuple[str, ...],
        request: Any,
        generated: dict[str, Any],
        ok: Check,
    ) -> Any:
        noun = _noun(route.collection).replace(" ", "_")
        if "id" not in generated:  # the schema leaves ``id`` optional (AdminApiKey): give one
            generated = replaced(generated, {"id": f"{noun}_{self.store.tick()}"}, ok)
            if "id" not in generated:
                return generated
        obj = dict(generated)
        named = request.get(f"{noun}_id") if isinstance(request, Mapping) else None
        if isinstance(named, str):  # POST /vector_stores/{id}/files {"file_id": …} → id = file_id
            obj = replaced(obj, {"id": named}, ok)  # attached again: the same object, replaced
        if obj.get("status") in _ENDED:  # a new upload, batch or run has not ended yet
            obj = _with_status(obj, _FRESH_STATUS, ok)
        if isinstance(obj.get("created_at"), int):
            obj = replaced(obj, {"created_at": self.store.tick()}, ok)
        files = request.get("__files__") if isinstance(request, Mapping) else None
        if files:
            filename, content = next(iter(files.values()))
            obj = replaced(obj, {"filename": filename, "bytes": len(content)}, ok)
            self.store.set_content(str(obj["id"]), content)
        if self.stores(op, request):
            self.store.put(route.collection, key, obj)
        return obj

    def _list(
        self,
        collection: str,
        key: tuple[str, ...],
        query: Mapping[str, str],
        generated: dict[str, Any],
        ok: Check,
    ) -> Any:
        if not isinstance(generated.get("data"), list) and not ok({**generated, "data": []}):
            return generated  # not a list envelope (ApiKeyList may omit its optional ``data``)
        try:
            limit = max(1, int(query.get("limit", 20)))
        except ValueError:
            limit = 20
        page = self.store.page(
            collection,
            key,
            limit=limit,
            order=query.get("order", "desc"),
            after=query.get("after"),
            before=query.get("before"),
        )
        cursor = {"has_more": page.has_more, "first_id": page.first_id, "last_id": page.last_id}
        # every cursor field the envelope takes, even where the draw left an optional one out
        for fields in (
            cursor,
            {k: v for k, v in cursor.items() if k in generated or k == "has_more"},
        ):
            body = {**generated, "data": page.data, **fields}
            if ok(body):
                return body
        body = {**generated, "data": page.data}
        return body if ok(body) else generated

    def _act(
        self,
        route: Route,
        key: tuple[str, ...],
        params: Mapping[str, str],
        request: Any,
        stored: dict[str, Any],
        generated: dict[str, Any],
        ok: Check,
    ) -> Any:
        if route.verb == "parts" and isinstance(request, Mapping):
            files = request.get("__files__") or {}
            if files and "id" in generated:
                self.store.set_content(str(generated["id"]), next(iter(files.values()))[1])
            return generated
        file = generated.get("file") or stored.get("file")
        if route.verb == "complete" and isinstance(file, dict):
            generated = {**generated, "file": file}
            self._complete_upload(request, file)
        if generated.get("object") != stored.get("object"):
            return generated
        statuses = _FINAL_STATUS.get(route.verb or "", (generated.get("status"),))
        result = _with_status(stored, statuses, ok)
        if route.verb == "complete" and "file" in generated:
            result = replaced(result, {"file": generated["file"]}, ok)
        return self.store.put(route.collection, key, result)

    def _complete_upload(self, request: Any, file: dict[str, Any]) -> None:
        """``POST /uploads/{id}/complete``: the parts, in the order given, become a file (and are
        no longer kept apart: an upload is stored once)."""
        if "/files" not in self.kinds.values() or not isinstance(file.get("id"), str):
            return
        parts = request.get("part_ids") if isinstance(request, Mapping) else None
        ids = [str(p) for p in parts or ()]
        content = b"".join(self.store.contents.get(p, b"") for p in ids)
        for part in ids:
            self.store.drop_content(part)
        self.store.set_content(file["id"], content)
        self.store.put("/files", (), file)

    def observe(self, obj: Any, make_parent: Callable[[str, str], Any] | None = None) -> None:
        """Remember an object another operation produced (a run from createThreadAndRun)."""
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            return
        collection = self.kinds.get(str(obj.get("object")))
        if collection is None:
            return
        key = self.key(collection, {k: v for k, v in obj.items() if isinstance(v, str)})
        if key is None:
            return
        if make_parent is not None:
            for parent, name in parents(collection, set(self.kinds.values())):
                parent_key = self.key(parent, obj)
                if parent_key is not None and not self.store.exists(parent, parent_key, obj[name]):
                    made = make_parent(parent, obj[name])
                    if isinstance(made, dict):
                        self.store.put(parent, parent_key, made)
        self.store.put(collection, key, obj)
