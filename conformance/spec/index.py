"""Build the operation index from a resolved document set."""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from .model import MediaType, Operation, Parameter, RequestBody, Response, Stream
from .refs import Documents, join_pointer, split_location

__all__ = ["METHODS", "build_operations", "event_schema_is_envelope"]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_DEFAULT_STYLE = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}
SSE = "text/event-stream"


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SpecError(f"{where}: expected an object, found {type(value).__name__}")
    return value


class _Indexer:
    def __init__(self, docs: Documents) -> None:
        self.docs = docs

    def label(self, location: str) -> str:
        return self.docs.label(location)

    def deref(self, node: Any, location: str) -> tuple[str, dict[str, Any]]:
        location, target = self.docs.deref(node, location)
        return location, _obj(target, self.label(location))

    def schema_location(self, holder: dict[str, Any], location: str) -> str | None:
        if "schema" not in holder:
            return None
        uri, pointer = split_location(location)
        return f"{uri}#{join_pointer(pointer, 'schema')}"

    def content(self, node: dict[str, Any], location: str) -> dict[str, MediaType]:
        uri, pointer = split_location(location)
        out: dict[str, MediaType] = {}
        for media, raw in _obj(
            node.get("content") or {}, self.label(location) + "/content"
        ).items():
            where = f"{uri}#{join_pointer(pointer, 'content', media)}"
            body = _obj(raw, self.label(where))
            out[media] = MediaType(
                media_type=media,
                schema=self.schema_location(body, where),
                encoding=dict(body.get("encoding") or {}),
                pointer=self.label(where),
            )
        return out

    def parameter(self, raw: Any, location: str) -> Parameter:
        location, node = self.deref(raw, location)
        where = self.label(location)
        try:
            name, place = node["name"], node["in"]
        except KeyError as exc:
            raise SpecError(f"{where}: parameter without {exc.args[0]!r}") from None
        if place not in _DEFAULT_STYLE:
            raise SpecError(f"{where}: parameter {name!r} has unknown location {place!r}")
        style = node.get("style") or _DEFAULT_STYLE[place]
        content_type = None
        schema = self.schema_location(node, location)
        if schema is None and isinstance(node.get("content"), dict) and node["content"]:
            media = self.content(node, location)
            content_type, first = next(iter(media.items()))
            schema = first.schema
        return Parameter(
            name=str(name),
            location=place,
            required=bool(node.get("required", place == "path")),
            schema=schema,
            style=style,
            explode=bool(node.get("explode", style == "form")),
            content_type=content_type,
            pointer=where,
        )

    def header(self, name: str, raw: Any, location: str) -> Parameter:
        location, node = self.deref(raw, location)
        return Parameter(
            name=name,
            location="header",
            required=bool(node.get("required", False)),
            schema=self.schema_location(node, location),
            style="simple",
            explode=bool(node.get("explode", False)),
            pointer=self.label(location),
        )

    def operation(
        self, path: str, method: str, raw: Any, location: str, shared: list[Parameter]
    ) -> Operation:
        location, node = self.deref(raw, location)
        where = self.label(location)
        uri, pointer = split_location(location)
        params: dict[tuple[str, str], Parameter] = {(p.name, p.location): p for p in shared}
        for i, praw in enumerate(node.get("parameters") or []):
            p = self.parameter(praw, f"{uri}#{join_pointer(pointer, 'parameters', i)}")
            params[(p.name, p.location)] = p
        body = None
        if "requestBody" in node:
            bloc, bnode = self.deref(
                node["requestBody"], f"{uri}#{join_pointer(pointer, 'requestBody')}"
            )
            body = RequestBody(
                required=bool(bnode.get("required", False)),
                content=self.content(bnode, bloc),
                pointer=self.label(bloc),
            )
        responses: dict[str, Response] = {}
        streams: list[Stream] = []
        raw_responses = _obj(node.get("responses") or {}, where + "/responses")
        for status, rraw in raw_responses.items():
            rloc, rnode = self.deref(
                rraw, f"{uri}#{join_pointer(pointer, 'responses', str(status))}"
            )
            content = self.content(rnode, rloc)
            headers = {
                name: self.header(name, h, f"{rloc}/headers/{name}")
                for name, h in (rnode.get("headers") or {}).items()
            }
            response = Response(
                status=str(status),
                description=str(rnode.get("description") or ""),
                content=content,
                headers=headers,
                pointer=self.label(rloc),
            )
            responses[str(status)] = response
            for media in content.values():
                if media.media_type.split(";")[0].strip() == SSE:
                    streams.append(self.stream(response, media, rnode))
        op_id = node.get("operationId") or f"{method.upper()} {path}"
        return Operation(
            operation_id=str(op_id),
            method=method.upper(),
            path=path,
            parameters=tuple(params.values()),
            request_body=body,
            responses=responses,
            streams=tuple(streams),
            stream_flag=self.stream_flag(body) if streams else None,
            pointer=where,
            node=node,
        )

    def stream(self, response: Response, media: MediaType, rnode: dict[str, Any]) -> Stream:
        raw = (rnode.get("content") or {}).get(media.media_type) or {}
        meta = raw.get("x-conformance-stream") or {}
        envelope = meta.get("envelope")
        if envelope is None:
            envelope = media.schema is not None and event_schema_is_envelope(
                self.docs, media.schema
            )
        return Stream(
            status=response.status,
            media_type=media.media_type,
            schema=media.schema,
            envelope=bool(envelope),
            done=meta.get("done"),
            pointer=media.pointer,
        )

    def stream_flag(self, body: RequestBody | None) -> str | None:
        if body is None:
            return None
        for media in body.content.values():
            if media.schema is None:
                continue
            for props in _properties(self.docs, media.schema):
                if "stream" in props:
                    return "stream"
        return None


def _properties(docs: Documents, location: str, depth: int = 0) -> list[dict[str, Any]]:
    """Property maps of a schema and of its allOf/anyOf/oneOf branches."""
    if depth > 8:
        return []
    location, node = docs.deref(docs.get(location), location)
    if not isinstance(node, dict):
        return []
    found = [node["properties"]] if isinstance(node.get("properties"), dict) else []
    for key in ("allOf", "anyOf", "oneOf"):
        for i, _ in enumerate(node.get(key) or []):
            found += _properties(docs, f"{location}/{key}/{i}", depth + 1)
    return found


def event_schema_is_envelope(docs: Documents, location: str) -> bool:
    """True when every branch of an event schema is an ``{event, data}`` object (Assistants)."""
    leaves = _properties(docs, location)
    return bool(leaves) and all({"event", "data"} <= set(props) for props in leaves)


def build_operations(docs: Documents) -> list[Operation]:
    """Index every operation under ``paths``, in document order."""
    root = docs.by_uri[docs.root_uri]
    paths = _obj(root.get("paths") or {}, "#/paths")
    indexer = _Indexer(docs)
    operations: list[Operation] = []
    seen: dict[str, str] = {}
    for path, raw_item in paths.items():
        item_loc = f"{docs.root_uri}#{join_pointer('/paths', path)}"
        item_loc, item = indexer.deref(raw_item, item_loc)
        uri, pointer = split_location(item_loc)
        shared = [
            indexer.parameter(p, f"{uri}#{join_pointer(pointer, 'parameters', i)}")
            for i, p in enumerate(item.get("parameters") or [])
        ]
        for method in METHODS:
            if method not in item:
                continue
            op_loc = f"{uri}#{join_pointer(pointer, method)}"
            op = indexer.operation(path, method, item[method], op_loc, shared)
            if op.operation_id in seen:
                raise SpecError(
                    f"{op.pointer}: operationId {op.operation_id!r} already used by {seen[op.operation_id]}"
                )
            seen[op.operation_id] = op.pointer
            operations.append(op)
    return operations
