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
- ``oneof-freeform-overlap``: a ``oneOf`` has a branch that is a bare ``{type: object}``; every
  object matching another object branch matches it too, so valid data always fails ``oneOf``
  (OpenAI's ``CompoundFilter.filters``) → the ``oneOf`` becomes ``anyOf``.

OpenAI-specific errata (apply only where the named operations and schemas exist):

- ``openai-run-streams``: ``createRun``, ``createThreadAndRun`` and ``submitToolOuputsToRun``
  stream ``AssistantStreamEvent`` s when ``stream: true`` but declare only JSON → a
  ``text/event-stream`` response is added.
- ``openai-completion-stream``: ``createCompletion`` streams ``CreateCompletionResponse`` chunks
  but declares only JSON → a ``text/event-stream`` response is added.
- ``openai-done-sentinel``: chat and legacy completion streams end with ``data: [DONE]``, which
  the spec says only in prose → the stream is marked as ending with ``[DONE]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .refs import escape

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


def _is_freeform_object(node: Any) -> bool:
    if isinstance(node, dict) and node.get("additionalProperties") in (True, {}):
        node = {k: v for k, v in node.items() if k != "additionalProperties"}
    return (
        isinstance(node, dict)
        and node.get("type") == "object"
        and not any(
            k in node
            for k in (
                "properties",
                "required",
                "additionalProperties",
                "patternProperties",
                "$ref",
                *_COMPOSITIONS,
                "minProperties",
                "maxProperties",
                "not",
            )
        )
    )


def _oneof_freeform(doc: dict[str, Any], nodes: list[Node]) -> Iterator[Patch]:
    for pointer, node, _ in nodes:
        branches = node.get("oneOf")
        if (
            isinstance(branches, list)
            and len(branches) > 1
            and any(map(_is_freeform_object, branches))
        ):

            def fix(node: dict[str, Any] = node) -> None:
                node["anyOf"] = node.pop("oneOf")

            yield (
                f"{pointer}/oneOf",
                "free-form object branch overlaps the others: oneOf → anyOf",
                fix,
            )


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in (doc.get("paths") or {}).items():
        if isinstance(item, dict):
            for method, op in item.items():
                if isinstance(op, dict) and "operationId" in op:
                    yield f"#/paths/{escape(path)}/{method}", op


def _add_stream(
    op_ids: set[str], schema_of: Callable[[dict[str, Any]], Any]
) -> Callable[[dict[str, Any], list[Node]], Iterator[Patch]]:
    def find(doc: dict[str, Any], nodes: list[Node]) -> Iterator[Patch]:
        for pointer, op in _operations(doc):
            ok = (op.get("responses") or {}).get("200")
            if op["operationId"] not in op_ids or not isinstance(ok, dict) or "$ref" in ok:
                continue
            content = ok.get("content")
            if not isinstance(content, dict) or "text/event-stream" in content:
                continue
            schema = schema_of(content)
            if schema is None:
                continue

            def fix(content: dict[str, Any] = content, schema: Any = schema) -> None:
                content["text/event-stream"] = {"schema": schema}

            yield f"{pointer}/responses/200/content", f"text/event-stream of {schema} added", fix

    return find


def _assistant_events(content: dict[str, Any]) -> Any:
    return {"$ref": "#/components/schemas/AssistantStreamEvent"}


def _json_schema(content: dict[str, Any]) -> Any:
    return (content.get("application/json") or {}).get("schema")


def _done_sentinel(doc: dict[str, Any], nodes: list[Node]) -> Iterator[Patch]:
    for pointer, op in _operations(doc):
        if op["operationId"] not in ("createChatCompletion", "createCompletion"):
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
        "oneof-freeform-overlap",
        "`oneOf` with a free-form object branch becomes `anyOf`",
        _oneof_freeform,
    ),
    Erratum(
        "openai-run-streams",
        "Assistants run operations stream AssistantStreamEvent",
        _openai_run_streams,
    ),
    Erratum(
        "openai-completion-stream",
        "createCompletion streams CreateCompletionResponse chunks",
        _add_stream({"createCompletion"}, _json_schema),
    ),
    Erratum(
        "openai-done-sentinel", "chat and completion streams end with data: [DONE]", _done_sentinel
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
