"""What the mock remembers: objects created through the API, derived from the spec's paths.

No resource is written by hand. A path ``C`` is a *collection* when the spec has ``POST C``
answering an object with an ``id`` and paths below ``C/{param}``; then

- ``POST C`` creates (``create``), ``GET C`` lists (``list``),
- ``GET``/``POST``/``DELETE C/{id}`` retrieve, update and delete (``retrieve``/``update``/``delete``),
- ``GET C/{id}/content`` returns what was uploaded (``content``),
- ``POST C/{id}/verb`` acts on the object (``action``: cancel, complete, submit_tool_outputs…),
- anything below ``C/{id}`` requires the object to exist (``parents``).

A path ``C`` the API lists and deletes from but never creates in (``GET C``, ``GET``/``DELETE
C/{id}``: OpenAI's models) is a *catalog*: every id exists until it is deleted, after which it
is a 404 and leaves the lists.

OpenAI's files, uploads, assistants, threads, messages, runs, vector stores (and their files
and file batches), batches, fine-tuning jobs, stored chat completions and responses all come
out of these rules; so do the collections of any other REST-shaped spec.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..spec import Operation, Spec
from .lru import Lru

__all__ = ["MAX_BYTES", "MAX_OBJECTS", "Page", "Route", "Store", "parents", "properties", "routes"]

_FIRST_CREATED_AT = 1_742_600_000  # 2025-03-22, the date of OpenAI's spec 2.3.0


@dataclass(frozen=True)
class Route:
    """What one operation does to the store."""

    kind: str  # create | list | retrieve | update | delete | content | action
    collection: str  # collection path template, e.g. "/threads/{thread_id}/messages"
    item: str | None = None  # the item's path parameter, e.g. "message_id"
    parents: tuple[tuple[str, str], ...] = ()  # (collection, path parameter) that must exist
    verb: str | None = None  # for actions: the last path segment ("cancel")
    catalog: bool = False  # items exist until deleted (never created through the API)


@dataclass
class Page:
    """One page of a list: the items and the cursor fields OpenAI's lists carry."""

    data: list[dict[str, Any]]
    has_more: bool
    first_id: str | None
    last_id: str | None


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _param(segment: str) -> str | None:
    return segment[1:-1] if segment.startswith("{") and segment.endswith("}") else None


def _creates_objects(op: Operation, spec: Spec) -> bool:
    """Does a 2xx JSON response of ``op`` declare an ``id`` property (through refs/allOf)?"""
    for status, response in op.responses.items():
        if not status.startswith("2"):
            continue
        for media in response.content.values():
            if media.schema and "id" in properties(spec, media.schema):
                return True
    return False


def properties(spec: Spec, location: str, depth: int = 0) -> dict[str, Any]:
    """The properties a schema declares, through ``$ref`` and ``allOf`` (raw OpenAPI schemas).

    >>> sorted(properties(spec, spec.uri + "#/components/schemas/OpenAIFile"))[:2]  # doctest: +SKIP
    ['bytes', 'created_at']
    """
    location, schema = spec.documents.deref(spec.resolve(location), location)
    found: dict[str, Any] = {}
    if not isinstance(schema, dict) or depth > 8:
        return found
    for index, _ in enumerate(schema.get("allOf") or ()):
        found.update(properties(spec, f"{location}/allOf/{index}", depth + 1))
    found.update(schema.get("properties") or {})
    return found


def routes(spec: Spec) -> dict[str, Route]:
    """The state role of every operation that has one, by operationId.

    >>> routes(spec)["retrieveFile"]  # doctest: +SKIP
    Route(kind='retrieve', collection='/files', item='file_id', parents=(), verb=None)
    """
    by_path: dict[str, dict[str, Operation]] = {}
    for op in spec.operations:
        by_path.setdefault(op.path, {})[op.method] = op
    collections: set[str] = set()
    for path, methods in by_path.items():
        post = methods.get("POST")
        if post is None or not _creates_objects(post, spec):
            continue
        below = [
            _segments(other)[len(_segments(path))]
            for other in by_path
            if other != path and other.startswith(path + "/")
        ]
        if any(_param(segment) for segment in below):
            collections.add(path)
    found: dict[str, Route] = {}
    for op in spec.operations:
        route = _route(op, _segments(op.path), collections, parents(op.path, collections))
        if route is not None:
            found[op.operation_id] = route
    found.update(_catalogs(by_path, collections))
    return found


def _catalogs(by_path: dict[str, dict[str, Operation]], collections: set[str]) -> dict[str, Route]:
    """Routes of the catalogs: ``GET C`` and ``GET``/``DELETE C/{id}`` with no ``POST C``."""
    found: dict[str, Route] = {}
    for path, methods in by_path.items():
        segments = _segments(path)
        item = _param(segments[-1]) if segments else None
        collection = "/" + "/".join(segments[:-1])
        if item is None or "DELETE" not in methods or collection in collections:
            continue
        if "POST" in by_path.get(collection, {}) or _param(collection.rsplit("/", 1)[-1]):
            continue
        for method, kind in (("GET", "retrieve"), ("DELETE", "delete")):
            if method in methods:
                found[methods[method].operation_id] = Route(kind, collection, item, catalog=True)
        if "GET" in by_path.get(collection, {}):
            found[by_path[collection]["GET"].operation_id] = Route("list", collection, catalog=True)
    return found


def parents(path: str, collections: set[str]) -> tuple[tuple[str, str], ...]:
    """(collection, path parameter) of each object a path names in one of ``collections``.

    >>> parents("/threads/{thread_id}/runs/{run_id}/steps", {"/threads", "/threads/{thread_id}/runs"})
    (('/threads', 'thread_id'), ('/threads/{thread_id}/runs', 'run_id'))
    """
    segments = _segments(path)
    out = []
    for index, segment in enumerate(segments):
        name = _param(segment)
        collection = "/" + "/".join(segments[:index])
        if name and collection in collections:
            out.append((collection, name))
    return tuple(out)


def _route(
    op: Operation,
    segments: list[str],
    collections: set[str],
    parents: tuple[tuple[str, str], ...],
) -> Route | None:
    path = "/" + "/".join(segments)
    if path in collections:
        kind = {"POST": "create", "GET": "list"}.get(op.method)
        return Route(kind, path, parents=parents) if kind else None
    if not segments:
        return None
    last = _param(segments[-1])
    if last is not None:
        collection = "/" + "/".join(segments[:-1])
        if collection in collections:
            kind = {"GET": "retrieve", "POST": "update", "DELETE": "delete"}.get(op.method)
            if kind:
                return Route(kind, collection, last, parents[:-1])
    elif len(segments) >= 2 and _param(segments[-2]):
        collection = "/" + "/".join(segments[:-2])
        if collection in collections and parents and parents[-1][0] == collection:
            item = parents[-1][1]
            if segments[-1] == "content" and op.method == "GET":
                return Route("content", collection, item, parents[:-1])
            if op.method == "POST":
                return Route("action", collection, item, parents[:-1], verb=segments[-1])
    return Route("nested", path, parents=parents) if parents else None


GONE_IDS = 65_536  # ids deleted from catalogs (models…) remembered; older ones come back
MAX_OBJECTS = 10_000  # default cap on stored objects (and upload parts not yet completed)
MAX_BYTES = 256 * 1024 * 1024  # default cap on stored bytes: objects' JSON and uploads


@dataclass
class Store:
    """Objects by collection and parent ids, in creation order; uploaded bytes by object id.

    At most ``max_objects`` entries (objects, and uploads no object owns yet: the parts of an
    upload) and ``max_bytes`` bytes (each object's JSON text and each upload's bytes) are kept.
    Past either cap the oldest entries go first, an object with its upload, and answer 404 as
    deleted ones do; the entry just stored is never evicted for itself, so one upload larger
    than ``max_bytes`` still round-trips.

    >>> store = Store(); _ = store.put("/files", (), {"id": "file-1", "object": "file"})
    >>> store.get("/files", (), "file-1")["object"], store.count, store.size
    ('file', 1, 34)
    """

    max_objects: int = MAX_OBJECTS
    max_bytes: int = MAX_BYTES
    objects: dict[tuple[str, tuple[str, ...]], dict[str, dict[str, Any]]] = field(
        default_factory=dict
    )
    contents: dict[str, bytes] = field(default_factory=dict)  # read here; write with set_content
    # (catalog and parents, id) deleted from a catalog: the latest GONE_IDS are remembered
    gone: Lru[tuple[str, str], bool] = field(default_factory=lambda: Lru(GONE_IDS))
    evicted: int = 0  # entries evicted so far
    # "now" for creation timestamps (the mock's clock); by default a fixed date, so that
    # timestamps count up one second apart from 2025-03-22
    now: Callable[[], float] = lambda: _FIRST_CREATED_AT
    _last: int = _FIRST_CREATED_AT - 1
    # (collection, parents, id) → [JSON size, size of the upload it owns or -1], oldest first;
    # an upload no object owns yet is under collection ""
    _ledger: OrderedDict[tuple[str, tuple[str, ...], str], list[int]] = field(
        default_factory=OrderedDict
    )
    _bytes: int = 0

    @property
    def count(self) -> int:
        """Entries held: objects, and uploads no object owns yet."""
        return len(self._ledger)

    @property
    def size(self) -> int:
        """Bytes held: the JSON text of every object and every upload's bytes."""
        return self._bytes

    def get(self, collection: str, parents: tuple[str, ...], id: str) -> dict[str, Any] | None:
        """The stored object, or None."""
        return self.objects.get((collection, parents), {}).get(id)

    def exists(self, collection: str, parents: tuple[str, ...], id: str) -> bool:
        """Whether an object is stored."""
        return id in self.objects.get((collection, parents), {})

    def put(self, collection: str, parents: tuple[str, ...], obj: dict[str, Any]) -> dict[str, Any]:
        """Store (or replace, keeping its age) an object under its ``id``; returns it. An upload
        stored under the same id becomes the object's (evicted and deleted with it)."""
        id = str(obj["id"])
        key = (collection, parents, id)
        sizes = self._ledger.get(key)
        if sizes is None:
            sizes = self._ledger[key] = [0, -1]
            loose = self._ledger.pop(("", (), id), None)
            if loose is not None:
                sizes[1] = loose[1]
        size = len(json.dumps(obj, default=str))
        self._bytes += size - sizes[0]
        sizes[0] = size
        self.objects.setdefault((collection, parents), {})[id] = obj
        self._evict(key)
        return obj

    def set_content(self, id: str, content: bytes) -> None:
        """Keep uploaded bytes under ``id`` (the object created next with that id owns them)."""
        key = ("", (), id)
        sizes = self._ledger.get(key)
        if sizes is None:
            sizes = self._ledger[key] = [0, 0]
        self._bytes += len(content) - sizes[1]
        sizes[1] = len(content)
        self.contents[id] = content
        self._evict(key)

    def drop_content(self, id: str) -> None:
        """Forget uploaded bytes no object owns (upload parts, once completed into a file)."""
        sizes = self._ledger.pop(("", (), id), None)
        if sizes is not None:
            self._bytes -= sizes[1]
            self.contents.pop(id, None)

    def tick(self) -> int:
        """A creation timestamp: the clock's second, or one past the last one given (so
        objects created within a second still sort in creation order)."""
        self._last = max(self._last + 1, int(self.now()))
        return self._last

    def delete(self, collection: str, parents: tuple[str, ...], id: str) -> bool:
        """Remove an object (and the upload it owns); False when it was not there."""
        key = (collection, parents, id)
        if key not in self._ledger:
            return False
        self._forget(key)
        return True

    def _forget(self, key: tuple[str, tuple[str, ...], str]) -> None:
        collection, parents, id = key
        object_size, content_size = self._ledger.pop(key)
        self._bytes -= object_size + max(content_size, 0)
        if content_size >= 0:
            self.contents.pop(id, None)
        if collection:
            bucket = self.objects.get((collection, parents), {})
            bucket.pop(id, None)
            if not bucket:
                self.objects.pop((collection, parents), None)

    def _evict(self, keep: tuple[str, tuple[str, ...], str]) -> None:
        """The oldest entries (never ``keep``) forgotten until both caps hold."""
        while len(self._ledger) > self.max_objects or self._bytes > self.max_bytes:
            victim = next((k for k in self._ledger if k != keep), None)
            if victim is None:
                return
            self._forget(victim)
            self.evicted += 1

    def page(
        self,
        collection: str,
        parents: tuple[str, ...],
        *,
        limit: int = 20,
        order: str = "desc",
        after: str | None = None,
        before: str | None = None,
    ) -> Page:
        """A page of a collection as OpenAI's cursor lists give it (newest first by default).

        >>> Store().page("/files", ()).data
        []
        """
        items = list(self.objects.get((collection, parents), {}).values())
        if order != "asc":
            items.reverse()
        ids = [str(item["id"]) for item in items]
        start, stop = 0, len(items)
        if after is not None and after in ids:
            start = ids.index(after) + 1
        if before is not None and before in ids:
            stop = ids.index(before)
            start = max(start, stop - limit) if after is None else start
        window = items[start:stop]
        data = window[:limit]
        has_more = len(window) > limit or (before is not None and start > 0 and after is None)
        return Page(
            data,
            has_more,
            str(data[0]["id"]) if data else None,
            str(data[-1]["id"]) if data else None,
        )

    def clear(self) -> None:
        """Forget everything."""
        self.objects.clear()
        self.contents.clear()
        self._ledger.clear()
        self._bytes = 0
        self.gone.clear()
