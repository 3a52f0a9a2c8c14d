"""Known errors in specs, fixed by explicit, documented, switchable patches.

Each erratum finds the places it applies to in the parsed document and patches them in place
*before* indexing and schema conversion. Every applied patch is reported as an
:class:`AppliedErratum` (``spec.errata``) and printed by ``conformance spec check``; none is
applied silently, and ``load_spec(source, errata=())`` applies none.

Generic errata (any spec):

- ``required-duplicates``: a ``required`` array lists a name twice (invalid JSON Schema) → dedupe.
- ``required-undefined``: a standalone object schema (not a composition branch) lists in
  ``required`` a property it never declares and forbids nothing else → the name is dropped from
  ``required`` (a sender can't know what to put there; OpenAI's Responses audio events do this).
- ``oneof-overlap``: a ``oneOf`` branch accepts every object another branch accepts — an open
  object whose properties the other declares identically and whose required names it requires
  (a bare ``{type: object}`` is the extreme case) — so valid data of the narrower branch always
  fails ``oneOf`` (OpenAI's ``CompoundFilter.filters``; the plain and verbose transcription and
  translation responses) → the ``oneOf`` becomes ``anyOf``.

- ``query-deep-object``: an object query parameter without ``style`` whose description shows
  ``name[key]=value`` (OpenAI's ``listChatCompletions`` ``metadata``) would be read with the
  default ``form`` style, where every unknown query key is one of its entries → ``style:
  deepObject``, as described and as the SDKs send it.

- ``download-json-string``: a ``GET …/content`` download whose only response media type is
  ``application/json`` with a bare ``{type: string}`` schema (OpenAI's ``downloadFile``) — the
  bytes of a file are not a JSON string literal, and the API serves them raw →
  ``application/octet-stream``, ``format: binary``.

OpenAI-specific errata (apply only where the named operations and schemas exist):

- ``openai-base64-embeddings``: ``CreateEmbeddingRequest`` offers ``encoding_format: base64``,
  for which the API (and its SDKs, which ask for it by default) send each embedding as a base64
  string, but ``Embedding.embedding`` declares only an array of numbers → the string is allowed
  too (``anyOf``).

- ``openai-run-streams``: ``createRun``, ``createThreadAndRun`` and ``submitToolOuputsToRun``
  stream ``AssistantStreamEvent`` s when ``stream: true`` but declare only JSON → a
  ``text/event-stream`` response is added.
- ``openai-completion-stream``: ``createCompletion`` streams ``CreateCompletionResponse`` chunks
  but declares only JSON → a ``text/event-stream`` response is added, whose chunk schema is a copy
  of the JSON one with ``choices[].finish_reason`` nullable: the API sends ``null`` on every
  chunk but the last, as chat streams do (``CreateChatCompletionStreamResponse`` says so).
- ``openai-done-sentinel``: chat and legacy completion streams end with ``data: [DONE]``, which
  the spec says only in prose → the stream is marked as ending with ``[DONE]``.

- ``list-ids-nullable``: a list envelope (``data`` array, ``has_more``, ``first_id``,
  ``last_id``) declares its cursor ids as required strings, but the API answers an empty page
  with ``null`` ids (Assistants messages and run steps) and leaves them out of unfiltered
  ``listFiles`` and fine-tuning job pages (real traffic) → both nullable and optional.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .index import METHODS
from .refs import escape, pointer_get

__all__ = ["ERRATA", "AppliedErratum", "Erratum", "apply_errata"]


@dataclass(frozen=True)
class AppliedErratum:
    """One place an erratum patched: which erratum, where, and what it did."""

    id: str
    pointer: str
    detail: str

    def __str__(self) -> str:
        return f"{self.id} at {self.pointer}: {self.detail}"


Patch = tuple[str, str, Callable[[], None]]  # pointer, detail, apply
Node = tuple[str, dict[str, Any], bool]  # pointer, node, is a composition branch


@dataclass(frozen=True)
class Erratum:
    """A named fix: ``find(document)`` yields (pointer, detail, apply) for each place it fixes."""

    id: str
    summary: str
    find: Callable[[dict[str, Any], list[Node]], Iterator[Patch]]


_COMPOSITIONS = ("allOf", "anyOf", "oneOf")


def _schemas(
    node: Any, pointer: str, branch: bool = False
) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """Every dict in the document with its pointer and whether it is a composition branch."""
    if isinstance(node, dict):
        yield pointer, node, branch
        for key, value in node.items():
            if key in _COMPOSITIONS and isinstance(value, list):
                for i, item in enumerate(value):
                    yield from _schemas(item, f"{pointer}/{key}/{i}", True)
            elif key != "example" and key != "examples" and not key.startswith("x-"):
                yield from _schemas(value, f"{pointer}/{escape(str(key))}", False)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _schemas(item, f"{pointer}/{i}", False)


def _required_duplicates(doc: dict[str, Any], nodes: list[Node]) -> Iterator[Patch]:
    for pointer, node, _ in nodes:
        req = node.get("required")
        if (
            isinstance(req, list)
            and all(isinstance(r, str) for r in req)
            and len(set(req)) < len(req)
        ):
            dupes = sorted({r for r in req if req.count(r) > 1})

            def fix(node: dict[str, Any] = node) -> None:
                node["required"] = list(dict.fromkeys(node["required"]))

            yield f"{pointer}/required", f"duplicated {', '.join(dupes)} removed", fix


def _required_undefined(doc: dict[str, Any], nodes: list[Node]) -> Iterator[Patch]:
    for pointer, node, branch in nodes:
        req, props = node.get("required"), node.get("properties")
        if branch or not isinstance(req, list) or not isinstance(props, dict):
            continue
        if any(
            k in node for k in (*_COMPOSITIONS, "$ref", "additionalProperties", "patternProperties")
        ):
            continue
        missing = [r for r in req if isinstance(r, str) and r not in props]
        if missing:

            def fix(node: dict[str, Any] = node, missing: list[str] = missing) -> None:
                node["required"] = [r for r in node["required"] if r not in missing]

            yield f"{pointer}/required", f"undeclared {', '.join(missing)} no longer required", fix


def _local(doc: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref`` chains in the root document (errata see nothing else)."""
    for _ in range(16):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node
        try:
            node = pointer_get(doc, ref[1:])
        except KeyError:
            return node
    return node


_OPEN_OBJECT_KEYS = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "title",
    "description",
    "example",
    "nullable",
}


def _bare(schema: Any) -> Any:
    """A schema without the annotations that validate nothing."""
    if not isinstance(schema, dict):
        return schema
    return {
        k: v
        for k, v in schema.items()
        if k not in ("description", "title", "example", "examples") and not k.startswith("x-")
    }


def _subsumes(doc: dict[str, Any], wide: Any, narrow: Any) -> bool:
    """True when every object ``narrow`` accepts (without undeclared keys), ``wide`` accepts too:
    ``wide`` is an open object, the properties both declare are declared identically, and every
    name ``wide`` requires ``narrow`` requires as well."""
    wide, narrow = _local(doc, wide), _local(doc, narrow)
    if not (isinstance(wide, dict) and isinstance(narrow, dict)) or wide is narrow:
        return False
    if wide.get("type") != "object" or narrow.get("type") != "object":
        return False
    if {k for k in wide if not k.startswith("x-")} - _OPEN_OBJECT_KEYS:
        return False
    if wide.get("additionalProperties", True) not in (True, {}):
        return False
    wide_props, narrow_props = wide.get("properties") or {}, narrow.get("properties") or {}
    # a property only ``wide`` declares is absent from ``narrow``'s instances (without extras)
    shared = [name for name in wide_props if name in narrow_props]
    if any(_bare(narrow_props[name]) != _bare(wide_props[name]) for name in shared):
        return False
    return set(wide.get("required") or []) <= set(narrow.get("required") or [])


def _oneof_overlap(doc: dict[str, Any], nodes: list[Node]) -> Iterator[Patch]:
    for pointer, node, _ in nodes:
        branches = node.get("oneOf")
        if not isinstance(branches, list) or len(branches) < 2:
            continue
        pair = next(
            (
                (i, j)
                for i, a in enumerate(branches)
                for j, b in enumerate(branches)
                if i != j and _subsumes(doc, a, b)
            ),
            None,
        )
        if pair is None:
            continue

        def fix(node: dict[str, Any] = node) -> None:
            node["anyOf"] = node.pop("oneOf")

        i, j = pair
        yield (
            f"{pointer}/oneOf",
            f"branch {i} accepts everything branch {j} accepts: oneOf → anyOf",
            fix,
        )


def _parameters(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every parameter object the document declares (path items, operations, components)."""
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for where, holder in [("", item), *((f"/{m}", op) for m, op in item.items())]:
            params = holder.get("parameters") if isinstance(holder, dict) else None
            for i, param in enumerate(params if isinstance(params, list) else []):
                if isinstance(param, dict):
                    yield f"#/paths/{escape(path)}{where}/parameters/{i}", param
    shared = (doc.get("components") or {}).get("parameters") or {}
    for name, param in shared.items():
        if isinstance(param, dict):
            yield f"#/components/parameters/{escape(name)}", param


def _query_deep_object(doc: dict[str, Any], nodes: list[Node]) -> Iterator[Patch]:
    for pointer, param in _parameters(doc):
        name, description = param.get("name"), param.get("description")
        if param.get("in") != "query" or "style" in param or not isinstance(name, str):
            continue
        schema = _local(doc, param.get("schema"))
        branches = (
            (schema.get("anyOf") or schema.get("oneOf")) if isinstance(schema, dict) else None
        )
        options = [schema, *(branches if isinstance(branches, list) else [])]
        is_object = any(
            isinstance(o := _local(doc, option), dict)
            and (o.get("type") == "object" or "additionalProperties" in o)
            for option in options
        )
        if is_object and isinstance(description, str) and f"{name}[" in description:

            def fix(param: dict[str, Any] = param) -> None:
                param["style"], param["explode"] = "deepObject", True

            yield pointer, f"`{name}[key]=value` as described: style deepObject", fix


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(pointer, path, operation) of every operation."""
    for path, item in (doc.get("paths") or {}).items():
        if isinstance(item, dict):
            for method in METHODS:
                op = item.get(method)
                if isinstance(op, dict):
                    yield f"#/paths/{escape(path)}/{method}", path, op


def _add_stream(
    op_ids: set[str], schema_of: Callable[[dict[str, Any], dict[str, Any]], Any]
) -> Callable[[dict[str, Any], list[Node]], Iterator[Patch]]:
    def find(doc: dict[str, Any], nodes: list[Node]) -> Iterator[Patch]:
        for pointer, _, op in _operations(doc):
            ok = (op.get("responses") or {}).get("200")
            if op.get("operationId") not in op_ids or not isinstance(ok, dict) or "$ref" in ok:
                continue
            content = ok.get("content")
            if not isinstance(content, dict) or "text/event-stream" in content:
                continue
            schema = schema_of(doc, content)
            if schema is None:
                continue

            def fix(content: dict[str, Any] = content, schema: Any = schema) -> None:
                content["text/event-stream"] = {"schema": schema}

            what = schema.get("title", schema) if isinstance(schema, dict) else schema
            yield f"{pointer}/responses/200/content", f"text/event-stream of {what} added", fix

    return find


def _assistant_events(doc: dict[str, Any], content: dict[str, Any]) -> Any:
    return {"$ref": "#/components/schemas/AssistantStreamEvent"}


def _completion_chunk(doc: dict[str, Any], content: dict[str, Any]) -> Any:
    """The JSON response schema with ``choices[].finish_reason`` nullable: a copy (``$ref`` s on
    the way resolved and copied too) titled ``<name> chunk``; the JSON answer keeps its reason.
    Without such a property, or with a nullable one, the JSON schema itself."""
    schema = (content.get("application/json") or {}).get("schema")
    if not isinstance(schema, dict):
        return schema
    chunk = node = copy.deepcopy(_local(doc, schema))
    for key in ("properties", "choices", "items", "properties", "finish_reason"):
        if not isinstance(node, dict) or not isinstance(node.get(key), dict):
            return schema
        node[key] = copy.deepcopy(_local(doc, node[key]))
        node = node[key]
    if node.get("nullable") is True:
        return schema
    node["nullable"] = True
    chunk["title"] = f"{str(schema.get('$ref', 'response')).rsplit('/', 1)[-1]} chunk"
    return chunk


def _done_sentinel(doc: dict[str, Any], nodes: list[Node]) -> Iterator[Patch]:
    for pointer, _, op in _operations(doc):
        if op.get("operationId") not in ("createChatCompletion", "createCompletion"):
            continue
        media = (
            ((op.get("responses") or {}).get("200") or {})
            .get("content", {})
            .get("text/event-stream")
        )
        if isinstance(media, dict) and "done" not in media.get("x-conformance-stream", {}):

            def fix(media: dict[str, Any] = media) -> None:
                media.setdefault("x-conformance-stream", {})["done"] = "[DONE]"

            yield (
                f"{pointer}/responses/200/content/text~1event-stream",
                "ends with data: [DONE]",
                fix,
            )


def _download_json_string(doc: dict[str, Any], nodes: list[Node]) -> Iterator[Patch]:
    for op_pointer, path, op in _operations(doc):
        if not (path.endswith("/content") and op_pointer.endswith("/get")):
            continue
        for status, response in (op.get("responses") or {}).items():
            content = response.get("content") if isinstance(response, dict) else None
            if not isinstance(content, dict) or list(content) != ["application/json"]:
                continue
            media = content["application/json"]
            if not isinstance(media, dict) or _bare(media.get("schema")) != {"type": "string"}:
                continue

            def fix(content: dict[str, Any] = content) -> None:
                media = content.pop("application/json")
                media["schema"] = {**media["schema"], "format": "binary"}
                content["application/octet-stream"] = media

            pointer = f"{op_pointer}/responses/{status}/content"
            yield pointer, "raw file bytes: application/octet-stream, format binary", fix


def _openai_base64_embeddings(doc: dict[str, Any], nodes: list[Node]) -> Iterator[Patch]:
    schemas = (doc.get("components") or {}).get("schemas") or {}
    request = _local(doc, schemas.get("CreateEmbeddingRequest"))
    embedding = _local(doc, schemas.get("Embedding"))
    if not isinstance(request, dict) or not isinstance(embedding, dict):
        return
    encoding = _local(doc, (request.get("properties") or {}).get("encoding_format"))
    prop = (embedding.get("properties") or {}).get("embedding")
    if not isinstance(encoding, dict) or "base64" not in (encoding.get("enum") or []):
        return
    if not isinstance(prop, dict) or prop.get("type") != "array":
        return

    def fix(props: dict[str, Any] = embedding["properties"]) -> None:
        array = props["embedding"]
        props["embedding"] = {
            "description": array.get("description", ""),
            "anyOf": [{k: v for k, v in array.items() if k != "description"}, {"type": "string"}],
        }

    yield (
        "#/components/schemas/Embedding/properties/embedding",
        "encoding_format base64 answers a base64 string: array or string",
        fix,
    )


def _openai_error_envelope(doc: dict[str, Any], nodes: list[Node]) -> Iterator[Patch]:
    schemas = (doc.get("components") or {}).get("schemas") or {}
    if not isinstance(schemas.get("Error"), dict) or not isinstance(
        schemas.get("ErrorResponse"), dict
    ):
        return
    bare = "#/components/schemas/Error"
    for path, item in (doc.get("paths") or {}).items():
        for method, operation in (item or {}).items() if isinstance(item, dict) else ():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            for status, response in (responses or {}).items():
                if str(status)[:1] not in ("4", "5") or not isinstance(response, dict):
                    continue
                media = ((response.get("content") or {}).get("application/json")) or {}
                if not isinstance(media, dict) or media.get("schema") != {"$ref": bare}:
                    continue

                def fix(media: dict[str, Any] = media) -> None:
                    media["schema"] = {"$ref": "#/components/schemas/ErrorResponse"}

                pointer = "/".join(
                    ("#/paths", escape(path), method, "responses", str(status), "content")
                )
                yield (
                    pointer + "/application~1json/schema",
                    "a bare Error is the ErrorResponse envelope {error: Error}",
                    fix,
                )


def _list_ids_nullable(doc: dict[str, Any], nodes: list[Node]) -> Iterator[Patch]:
    for pointer, node, _ in nodes:
        props = node.get("properties")
        if not isinstance(props, dict) or not {"data", "has_more", "first_id", "last_id"} <= set(
            props
        ):
            continue
        targets = [
            k
            for k in ("first_id", "last_id")
            if isinstance(props[k], dict) and not props[k].get("nullable")
        ]
        required = [k for k in ("first_id", "last_id") if k in (node.get("required") or [])]
        if not targets and not required:
            continue

        def fix(node: dict[str, Any] = node, targets: list[str] = targets) -> None:
            for key in targets:
                prop = node["properties"][key]
                node["properties"][key] = (
                    {"allOf": [prop], "nullable": True}
                    if "$ref" in prop
                    else {**prop, "nullable": True}
                )
            if isinstance(node.get("required"), list):
                node["required"] = [k for k in node["required"] if k not in ("first_id", "last_id")]

        yield pointer, "first_id/last_id nullable (an empty page) and optional", fix


def _has_schema(doc: dict[str, Any], name: str) -> bool:
    return name in ((doc.get("components") or {}).get("schemas") or {})


def _openai_run_streams(doc: dict[str, Any], nodes: list[Node]) -> Iterator[Patch]:
    if _has_schema(doc, "AssistantStreamEvent"):
        ids = {"createRun", "createThreadAndRun", "submitToolOuputsToRun"}
        yield from _add_stream(ids, _assistant_events)(doc, nodes)


ERRATA: tuple[Erratum, ...] = (
    Erratum(
        "required-duplicates", "duplicated names in `required` are removed", _required_duplicates
    ),
    Erratum(
        "required-undefined",
        "`required` names a property the schema never declares",
        _required_undefined,
    ),
    Erratum(
        "oneof-overlap",
        "`oneOf` whose branches overlap by construction becomes `anyOf`",
        _oneof_overlap,
    ),
    Erratum(
        "query-deep-object",
        "an object query parameter described as `name[key]=value` is a deepObject",
        _query_deep_object,
    ),
    Erratum(
        "download-json-string",
        "a file download declared as a JSON string is raw bytes",
        _download_json_string,
    ),
    Erratum(
        "openai-base64-embeddings",
        "embeddings asked for as base64 are base64 strings",
        _openai_base64_embeddings,
    ),
    Erratum(
        "openai-run-streams",
        "Assistants run operations stream AssistantStreamEvent",
        _openai_run_streams,
    ),
    Erratum(
        "openai-completion-stream",
        "createCompletion streams CreateCompletionResponse chunks",
        _add_stream({"createCompletion"}, _completion_chunk),
    ),
    Erratum(
        "openai-done-sentinel", "chat and completion streams end with data: [DONE]", _done_sentinel
    ),
    Erratum(
        "openai-error-envelope",
        "an error answer documented as a bare Error is wrapped in {error: ...}, as the API sends every error",
        _openai_error_envelope,
    ),
    Erratum(
        "list-ids-nullable",
        "list envelopes' first_id/last_id are null on an empty page, absent on some",
        _list_ids_nullable,
    ),
)


def apply_errata(
    document: dict[str, Any], ids: tuple[str, ...] | None = None
) -> list[AppliedErratum]:
    """Apply errata (all by default, or those named) to a parsed document; report each patch.

    >>> applied = apply_errata(document)  # doctest: +SKIP
    """
    known = {e.id for e in ERRATA}
    if ids is not None:
        unknown = sorted(set(ids) - known)
        if unknown:
            from ..errors import ConformanceError

            raise ConformanceError(
                f"unknown erratum {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
    applied: list[AppliedErratum] = []
    nodes = list(_schemas(document, "#"))
    for erratum in ERRATA:
        if ids is not None and erratum.id not in ids:
            continue
        patches = list(erratum.find(document, nodes))
        for pointer, detail, fix in patches:
            fix()
            applied.append(AppliedErratum(erratum.id, pointer, detail))
    return applied
