"""The examples a spec carries, checked against their own schemas.

Two sources: ``x-oaiMeta.examples[].response`` of each operation (JSON text, an SSE stream, or
one JSON chunk per line for chat streaming) and schema-level ``example`` / ``examples`` /
``x-oaiMeta.example`` of ``components.schemas``. The spec's examples are a corpus, not ground
truth: many do not validate as written (trailing commas, ellipses, stale fields).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .. import sse
from ..spec import Operation
from ..spec.refs import escape
from .body import media_kind
from .validator import Validator
from .violation import Violation

__all__ = ["ExampleResult", "check_examples"]

VALID, INVALID, UNPARSEABLE, SKIPPED = "valid", "invalid", "unparseable", "skipped"


@dataclass(frozen=True)
class ExampleResult:
    """The verdict on one example."""

    pointer: str  # where the example is, e.g. #/paths/~1models/get/x-oaiMeta/examples/0/response
    subject: str  # operationId, or the component schema name
    title: str
    status: str  # valid | invalid | unparseable | skipped
    reason: str = ""
    violations: tuple[Violation, ...] = field(default=(), compare=False)


def _examples(op: Operation) -> list[tuple[int, dict[str, Any]]]:
    raw = (op.node.get("x-oaiMeta") or {}).get("examples")
    items = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    return [(i, e) for i, e in enumerate(items) if isinstance(e, dict) and "response" in e]


def _verdict(pointer: str, subject: str, title: str, violations: list[Violation]) -> ExampleResult:
    errors = tuple(v for v in violations if v.is_error)
    if not errors:
        return ExampleResult(pointer, subject, title, VALID)
    first = errors[0]
    where = f"{first.where}[{first.event}]" if first.event is not None else first.where
    reason = f"{where} {first.pointer or '/'}: {first.message}"
    return ExampleResult(pointer, subject, title, INVALID, reason, errors)


def _operation_example(
    v: Validator, op: Operation, index: int, example: dict[str, Any]
) -> ExampleResult:
    listed = isinstance(op.node["x-oaiMeta"]["examples"], list)
    pointer = f"{op.pointer}/x-oaiMeta/examples" + (f"/{index}" if listed else "") + "/response"
    title = str(example.get("title") or "Default")
    text = example["response"]
    made = (pointer, op.operation_id, title)
    ok = op.response_for(200)
    if ok is None:
        return ExampleResult(*made, SKIPPED, "no 200 response documented")
    if not isinstance(text, str):
        return _verdict(*made, v.response(op, status=200, body=text))
    stripped = text.lstrip()
    stream = op.stream_for(200)
    if stripped.startswith(("data:", "event:")):
        if stream is None:
            return ExampleResult(
                *made, SKIPPED, "stream example for an operation that does not stream"
            )
        return _verdict(*made, v.stream(op, text))
    json_media = [m for m in ok.content if media_kind(m) == "json"]
    if not json_media:
        return ExampleResult(*made, SKIPPED, f"{', '.join(ok.content) or 'no'} content: not JSON")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and stream is not None:
            events = [sse.Event(data=line) for line in text.splitlines() if line.strip()]
            if stream.done and events[-1].data != stream.done:
                events.append(sse.Event(data=stream.done))
            return _verdict(*made, v.stream(op, events))
        return ExampleResult(
            *made, UNPARSEABLE, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        )
    return _verdict(*made, v.response(op, status=200, body=body, content_type=json_media[0]))


def _schema_examples(v: Validator) -> list[ExampleResult]:
    out: list[ExampleResult] = []
    schemas = (v.spec.document.get("components") or {}).get("schemas") or {}
    for name, node in schemas.items():
        if not isinstance(node, dict):
            continue
        location = f"{v.spec.uri}#/components/schemas/{escape(name)}"
        pointer = f"#/components/schemas/{escape(name)}"
        found: list[tuple[str, Any, bool]] = []
        if "example" in node:
            found.append((f"{pointer}/example", node["example"], False))
        for i, item in enumerate(
            node.get("examples") or [] if isinstance(node.get("examples"), list) else []
        ):
            found.append((f"{pointer}/examples/{i}", item, False))
        meta = (node.get("x-oaiMeta") or {}).get("example")
        if isinstance(meta, str):
            found.append((f"{pointer}/x-oaiMeta/example", meta, True))
        for where, value, is_text in found:
            if is_text:
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as exc:
                    out.append(
                        ExampleResult(
                            where,
                            name,
                            "schema example",
                            UNPARSEABLE,
                            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                        )
                    )
                    continue
            found_violations = v.responses.check(location, value, where="example", strict=v.strict)
            out.append(_verdict(where, name, "schema example", found_violations))
    return out


def check_examples(v: Validator, *, schemas: bool = True) -> list[ExampleResult]:
    """Check every operation example response (and, with ``schemas``, every schema example).

    >>> results = check_examples(Validator(spec))  # doctest: +SKIP
    >>> sum(r.status == "valid" for r in results)  # doctest: +SKIP
    """
    out = [_operation_example(v, op, i, e) for op in v.spec.operations for i, e in _examples(op)]
    if schemas:
        out += _schema_examples(v)
    return out
