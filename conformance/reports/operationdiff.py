"""``diff_specs``: what changed between two loaded specs, operation by operation, per direction.

Operations are matched by operationId, else by method and path (path parameters' names aside);
parameters by location and name (path parameters by position); request and response media
types by type (parameters aside); responses by status key; response headers by name, case
aside. Each matched schema pair is compared by :class:`~conformance.reports.schemadiff.SchemaDiffer`
over the converted schemas of its direction, so both specs are read the same way — load them
with the same errata selection (``conformance spec diff`` does). A change inside a component
that several paths of one body reach (the Responses API's ``Response`` in each of its stream
events) is one finding at the first path, the others listed in its ``also``.

>>> report = diff_specs(load_spec("old.yaml"), load_spec("new.yaml"))  # doctest: +SKIP
>>> report.counts()["breaking"]  # doctest: +SKIP
3
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..schema import schema_set
from ..spec import Operation, Parameter, RequestBody, Response, Spec
from .schemadiff import SchemaDiffer
from .specchecks import SPEC_CHECKS, check_id
from .specdiff import Finding, SpecDiff, spec_summary

__all__ = ["diff_specs"]

_SSE = "text/event-stream"
_PARAM = re.compile(r"\{[^}/]*\}")


def _route(op: Operation) -> str:
    """``METHOD /path`` with path parameters unnamed: ``GET /models/{}``."""
    return f"{op.method} {_PARAM.sub('{}', op.path.rstrip('/') or '/')}"


def _media(name: str) -> str:
    return name.split(";", 1)[0].strip().lower()


def _explicit_id(op: Operation) -> bool:
    return isinstance(op.node.get("operationId"), str)


class _Walk:
    def __init__(self, old: Spec, new: Spec) -> None:
        self.old, self.new = old, new
        self.differs = {
            d: SchemaDiffer(schema_set(old, d), schema_set(new, d)) for d in ("request", "response")
        }
        self.findings: list[Finding] = []
        self.op: Operation = new.operations[0] if new.operations else old.operations[0]

    def add(
        self, id: str, direction: str, where: str, text: str, pointer: str = "", name: str = ""
    ) -> None:
        check = SPEC_CHECKS[id]
        self.findings.append(
            Finding(
                id=id,
                level=check.level,
                breaks=check.breaks,
                operation=self.op.operation_id,
                method=self.op.method,
                path=self.op.path,
                direction=direction,
                where=where,
                pointer=pointer,
                text=text,
                name=name,
            )
        )

    def run(self) -> list[Finding]:
        by_id = {op.operation_id: op for op in self.new.operations if _explicit_id(op)}
        by_route = {_route(op): op for op in self.new.operations}
        matched: set[str] = set()
        for old_op in self.old.operations:
            new_op = by_id.get(old_op.operation_id) if _explicit_id(old_op) else None
            if new_op is None or new_op.operation_id in matched:
                new_op = by_route.get(_route(old_op))
            if new_op is None or new_op.operation_id in matched:
                self.op = old_op
                deprecated = old_op.node.get("deprecated") is True
                id = (
                    "api-removed-with-deprecation"
                    if deprecated
                    else "api-removed-without-deprecation"
                )
                self.add(id, "operation", "", f"{old_op.key} removed")
                continue
            matched.add(new_op.operation_id)
            self.operation(old_op, new_op)
        for new_op in self.new.operations:
            if new_op.operation_id not in matched:
                self.op = new_op
                self.add("endpoint-added", "operation", "", f"{new_op.key} added")
        return self.findings

    def operation(self, old: Operation, new: Operation) -> None:
        self.op = new
        if _route(old) != _route(new):
            self.add("api-path-changed", "operation", "", f"{old.key} → {new.key}")
        if old.operation_id != new.operation_id:
            text = f"operationId {old.operation_id} → {new.operation_id}"
            self.add("api-operation-id-removed", "operation", "", text, name=old.operation_id)
        was, now = old.node.get("deprecated") is True, new.node.get("deprecated") is True
        if now != was:
            id = "endpoint-deprecated" if now else "endpoint-reactivated"
            self.add(id, "operation", "", "deprecated" if now else "no longer deprecated")
        self.parameters(old, new)
        self.body(old.request_body, new.request_body)
        self.responses(old.responses, new.responses)

    # -- request --------------------------------------------------------------------------------

    def parameters(self, old: Operation, new: Operation) -> None:
        def keyed(op: Operation) -> dict[tuple[str, str], Parameter]:
            names = op.path_names()
            out = {}
            for p in op.parameters:
                if p.location == "path" and p.name in names:
                    key = ("path", str(names.index(p.name)))
                else:
                    key = (p.location, p.name.lower() if p.location == "header" else p.name)
                out[key] = p
            return out

        before, after = keyed(old), keyed(new)
        for key, p in before.items():
            q = after.get(key)
            where = f"{p.location} parameter {p.name}"
            if q is None:
                self.add(
                    "request-parameter-removed", "request", where, f"{where} removed", name=p.name
                )
                continue
            where = f"{q.location} parameter {q.name}"
            if p.required != q.required:
                now = "required" if q.required else "optional"
                self.add(
                    f"request-parameter-became-{now}",
                    "request",
                    where,
                    f"{where} now {now}",
                    name=q.name,
                )
            if p.schema and q.schema:
                self.schemas("request", "parameter", where, p.schema, q.schema)
        for key, q in after.items():
            if key not in before:
                where = f"{q.location} parameter {q.name}"
                now = "required" if q.required else "optional"
                self.add(
                    f"new-{now}-request-parameter",
                    "request",
                    where,
                    f"{now} {where} added",
                    name=q.name,
                )

    def body(self, old: RequestBody | None, new: RequestBody | None) -> None:
        where = "request body"
        if old is None and new is None:
            return
        if new is None:
            self.add("request-body-removed", "request", where, "request body removed")
            return
        if old is None:
            now = "required" if new.required else "optional"
            self.add(f"request-body-added-{now}", "request", where, f"{now} request body added")
            return
        if old.required != new.required:
            now = "required" if new.required else "optional"
            self.add(f"request-body-became-{now}", "request", where, f"request body now {now}")
        before = {_media(m): t for m, t in old.content.items()}
        after = {_media(m): t for m, t in new.content.items()}
        for media, mt in before.items():
            if media not in after:
                self.add(
                    "request-body-media-type-removed",
                    "request",
                    where,
                    f"{media} removed",
                    name=media,
                )
            elif mt.schema and after[media].schema:
                self.schemas(
                    "request", "body", f"{where} {media}", mt.schema, str(after[media].schema)
                )
        for media in after:
            if media not in before:
                self.add(
                    "request-body-media-type-added", "request", where, f"{media} added", name=media
                )

    # -- response -------------------------------------------------------------------------------

    def responses(self, old: dict[str, Response], new: dict[str, Response]) -> None:
        for status, r in old.items():
            kind = "success" if status.startswith("2") else "non-success"
            if status not in new:
                self.add(
                    f"response-{kind}-status-removed",
                    "response",
                    f"response {status}",
                    f"{status} removed",
                    name=status,
                )
                continue
            self.response(r, new[status])
        for status in new:
            if status not in old:
                kind = "success" if status.startswith("2") else "non-success"
                self.add(
                    f"response-{kind}-status-added",
                    "response",
                    f"response {status}",
                    f"{status} added",
                    name=status,
                )

    def response(self, old: Response, new: Response) -> None:
        status = new.status
        before = {_media(m): t for m, t in old.content.items()}
        after = {_media(m): t for m, t in new.content.items()}
        for media, mt in before.items():
            where = f"response {status} {media}"
            if media not in after:
                self.add(
                    "response-media-type-removed", "response", where, f"{media} removed", name=media
                )
            elif mt.schema and after[media].schema:
                subject = "stream" if media == _SSE else "body"
                self.schemas("response", subject, where, mt.schema, str(after[media].schema))
        for media in after:
            if media not in before:
                where = f"response {status} {media}"
                self.add(
                    "response-media-type-added", "response", where, f"{media} added", name=media
                )
        old_headers = {n.lower(): h for n, h in old.headers.items()}
        new_headers = {n.lower(): h for n, h in new.headers.items()}
        for name, h in old_headers.items():
            where = f"response {status} header {h.name}"
            g = new_headers.get(name)
            if g is None:
                id = (
                    "required-response-header-removed"
                    if h.required
                    else "optional-response-header-removed"
                )
                self.add(id, "response", where, f"header {h.name} removed", name=h.name)
                continue
            if g.required != h.required:
                now = "required" if g.required else "optional"
                self.add(
                    f"response-header-became-{now}",
                    "response",
                    where,
                    f"header {h.name} now {now}",
                    name=h.name,
                )
            if h.schema and g.schema:
                self.schemas("response", "header", where, h.schema, g.schema)
        for name, g in new_headers.items():
            if name not in old_headers:
                where = f"response {status} header {g.name}"
                self.add(
                    "response-header-added",
                    "response",
                    where,
                    f"header {g.name} added",
                    name=g.name,
                )

    def schemas(self, direction: str, subject: str, where: str, old: str, new: str) -> None:
        """The findings of one schema pair; a change met by several paths (the same pair of
        refs and pointer within it: one component in many stream events) is one finding, its
        other pointers in ``also``."""
        stream = subject == "stream"
        subject = "body" if stream else subject
        seen: dict[tuple[object, ...], int] = {}
        for change in self.differs[direction].compare(old, new):
            root = change.pointer == ""
            id = check_id(direction, subject, change.kind, root=root, stream=stream)
            if change.origin is not None:
                key = (id, change.origin, change.at, change.name, change.detail)
                first = seen.get(key)
                if first is not None:
                    found = self.findings[first]
                    self.findings[first] = replace(found, also=(*found.also, change.pointer))
                    continue
                seen[key] = len(self.findings)
            text = change.detail
            if id.startswith("response-stream-event-type-"):
                text = f"event {change.name} {id.rsplit('-', 1)[1]}"
            self.add(id, direction, where, text, pointer=change.pointer, name=change.name)


def diff_specs(old: Spec, new: Spec) -> SpecDiff:
    """Every change from ``old`` to ``new``, each named by a stable check id.

    >>> diff_specs(load_spec("openai-2.3.0.yaml"), load_spec("openai-2026-08.yaml")).fails()  # doctest: +SKIP
    True
    """
    findings = _Walk(old, new).run() if old.operations or new.operations else []
    return SpecDiff(spec_summary(old), spec_summary(new), findings)
