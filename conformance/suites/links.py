"""The OpenAPI links the OpenAI spec lacks, for the stateful flows (``conformance.suites.flows``).

``links(spec)`` derives most links from naming, over the mock's collections
(``conformance.mock.state.routes``: ``C`` is a collection when ``POST C`` creates objects with
an ``id`` that paths below ``C/{item}`` address). For each created object, in order:

- its create feeds the ``id`` to the retrieve and to what changes the object (updates, actions,
  creates below it; parents' ids from the create's own request path), and follows with the list;
- the retrieve feeds the other reads (content, lists below the object); the reads feed the
  delete; the delete feeds the retrieve again: the 404 that shows the object gone;
- a list that no create fills (models, run steps…) feeds ``data/0/id`` to the GET operations of
  its items: flows change and delete only what they created;
- a create fills the request-body property named after its noun (``file_id``, ``file_ids``,
  ``assistant_id``) of operations whose path parameters it fills too.

``LINKS`` lists by hand what naming cannot say (``previous_response_id``, the thread and run ids
of a thread-and-run…); ``with_links`` writes them into a copy of the spec document as OpenAPI
``links``, which schemathesis' state machines follow.

>>> len(links(spec))  # doctest: +SKIP
113
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import InputError
from ..mock.state import parents, properties, routes
from ..spec import Operation, Spec

__all__ = ["LINKS", "STORED", "Link", "links", "with_links"]

_CREATED = "$response.body#/id"
_FIRST = "$response.body#/data/0/id"


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: once ``source`` answers 2xx, ``target`` may follow with ``parameters``
    (name → runtime expression) and ``body`` (top-level fields → expressions, laid over the
    generated body). ``origin``: ``naming`` or ``hand``.

    >>> Link("createFile", "retrieveFile", {"file_id": "$response.body#/id"}).definition()
    {'operationId': 'retrieveFile', 'parameters': {'file_id': '$response.body#/id'}}
    """

    source: str
    target: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    origin: str = "hand"

    def definition(self) -> dict[str, Any]:
        """The OpenAPI Link Object."""
        out: dict[str, Any] = {"operationId": self.target}
        if self.parameters:
            out["parameters"] = dict(self.parameters)
        if self.body is not None:
            out["requestBody"] = copy.deepcopy(dict(self.body))
        return out


_THREAD = {"thread_id": "$response.body#/thread_id"}
_THREAD_RUN = {**_THREAD, "run_id": _CREATED}

# what naming cannot give (links(spec) keeps those whose operations the spec has)
LINKS: tuple[Link, ...] = (
    Link("createResponse", "createResponse", body={"previous_response_id": _CREATED}),
    Link("createThreadAndRun", "getRun", _THREAD_RUN),
    Link("createThreadAndRun", "listRunSteps", _THREAD_RUN),
    Link("createThreadAndRun", "cancelRun", _THREAD_RUN),
    Link("createThreadAndRun", "getThread", _THREAD),
    Link("createThreadAndRun", "listMessages", _THREAD),
    Link(
        "addUploadPart",
        "completeUpload",
        {"upload_id": "$request.path.upload_id"},
        {"part_ids": [_CREATED]},
    ),
    Link("createFile", "createBatch", body={"input_file_id": _CREATED}),
    Link("createFile", "createFineTuningJob", body={"training_file": _CREATED}),
)

# body fields every flow request of an operation carries, so that what it creates is kept
STORED: dict[str, dict[str, Any]] = {
    "createResponse": {"store": True},
    "createChatCompletion": {"store": True},
}


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def _same(names: Iterable[str], *skip: str) -> dict[str, str]:
    return {name: f"$request.path.{name}" for name in names if name not in skip}


def _lifecycles(spec: Spec, creators: Mapping[str, str]) -> Iterator[Link]:
    """Each created object's operations, in order (see the module's docstring)."""
    ops = {op.operation_id: op for op in spec.operations}
    items: dict[tuple[str, str], list[Operation]] = {}
    for op in spec.operations:
        chain = parents(op.path, set(creators))
        if chain and set(op.path_names()) == {name for _, name in chain}:
            items.setdefault(chain[-1], []).append(op)
    for (collection, item), members in items.items():
        creator = ops[creators[collection]]
        names = members[0].path_names()
        if not set(names) - {item} <= set(creator.path_names()):
            continue
        gets = [m for m in members if m.method == "GET"]
        retrieve = [m for m in gets if m.path.endswith(f"{{{item}}}")]
        reads = [m for m in gets if m not in retrieve]
        deletes = [m for m in members if m.method == "DELETE"]
        changes = [m for m in members if m.method not in ("GET", "DELETE")]
        order = [
            ([creator], [*retrieve, *changes]),
            (retrieve or [creator], reads),
            (reads or retrieve or [creator], deletes),
            (deletes, retrieve),
        ]
        for sources, targets in order:
            for source in sources:
                values = {item: _CREATED, **_same(names, item)} if source is creator else None
                for target in targets:
                    link = values or _same(names)
                    yield Link(source.operation_id, target.operation_id, link, origin="naming")


def _derived(spec: Spec) -> Iterator[Link]:
    """The links naming gives (see the module's docstring)."""
    table = routes(spec)
    ops = {op.operation_id: op for op in spec.operations}
    creators = {r.collection: oid for oid, r in table.items() if r.kind == "create"}
    yield from _lifecycles(spec, creators)
    for oid, route in table.items():  # a create is followed by the list of its collection
        creator = creators.get(route.collection)
        names = ops[oid].path_names()
        if route.kind == "list" and creator and set(names) <= set(ops[creator].path_names()):
            yield Link(creator, oid, _same(names), origin="naming")
    for op in spec.operations:  # lists no create fills: their items, read only
        if op.method != "GET" or op.path.endswith("}") or op.path in creators:
            continue
        for other in spec.operations:
            if other.method != "GET" or not other.path.startswith(op.path + "/{"):
                continue
            item = other.path[len(op.path) + 2 :].split("}", 1)[0]
            if set(other.path_names()) == {*op.path_names(), item}:
                values = {item: _FIRST, **_same(op.path_names())}
                yield Link(op.operation_id, other.operation_id, values, origin="naming")
    for collection, creator in creators.items():  # ids named after the noun, in request bodies
        noun = _singular(collection.rsplit("/", 1)[-1])
        for op in spec.operations:
            if op.operation_id == creator or not set(op.path_names()) <= set(
                ops[creator].path_names()
            ):
                continue
            media = op.request_body.content.values() if op.request_body else ()
            fields = {name for m in media if m.schema for name in properties(spec, m.schema)}
            body = {f"{noun}_id": _CREATED, f"{noun}_ids": [_CREATED]}
            body = {name: value for name, value in body.items() if name in fields}
            if body:
                yield Link(creator, op.operation_id, _same(op.path_names()), body, "naming")


def links(spec: Spec) -> list[Link]:
    """The links the flows add to a spec: derived from naming, then ``LINKS`` (those whose
    operations the spec has); one per (source, target), a hand link's values over naming's.

    >>> [l.target for l in links(spec) if l.source == "createFile"]  # doctest: +SKIP
    ['retrieveFile', 'listFiles', 'createVectorStore', 'createBatch', 'createFineTuningJob']
    """
    known = {op.operation_id for op in spec.operations}
    found: dict[tuple[str, str], Link] = {}
    for link in [*_derived(spec), *LINKS]:
        if link.source not in known or link.target not in known:
            continue
        old = found.get((link.source, link.target))
        if old is not None:
            body = {**(old.body or {}), **(link.body or {})} or None
            link = replace(link, parameters={**old.parameters, **link.parameters}, body=body)
        found[link.source, link.target] = link
    return list(found.values())


def with_links(document: Mapping[str, Any], found: Iterable[Link]) -> dict[str, Any]:
    """A copy of an OpenAPI document with ``found`` links added to each source's first 2xx
    response (a referenced response is inlined first, so no other operation gains the links).

    >>> doc = with_links(spec.document, links(spec))  # doctest: +SKIP
    >>> doc["paths"]["/files/{file_id}"]["delete"]["responses"]["200"]["links"]["retrieveFile"]  # doctest: +SKIP
    {'operationId': 'retrieveFile', 'parameters': {'file_id': '$request.path.file_id'}}
    """
    doc: dict[str, Any] = copy.deepcopy(dict(document))
    where = {
        node["operationId"]: node
        for item in (doc.get("paths") or {}).values()
        if isinstance(item, dict)
        for node in item.values()
        if isinstance(node, dict) and "operationId" in node
    }
    for link in found:
        node = where.get(link.source)
        if node is None:
            raise InputError(f"link {link.source} -> {link.target}: no operation {link.source!r}")
        responses = node.setdefault("responses", {})
        status = next((s for s in responses if str(s).startswith("2")), None)
        if status is None:
            continue
        response = responses[status]
        while isinstance(response, dict) and isinstance(response.get("$ref"), str):
            response = copy.deepcopy(_local(doc, response["$ref"]))
        responses[status] = response
        names = response.setdefault("links", {})
        name = link.target
        while name in names:
            name += "_"
        names[name] = link.definition()
    return doc


def _local(doc: Mapping[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node
