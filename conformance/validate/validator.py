"""``Validator``: every request, response and SSE stream of a spec, checked against it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from .. import sse
from ..schema import schema_set
from ..spec import MediaType, Operation, Spec
from ..spec.refs import escape
from .body import (
    DecodeError,
    decode_form,
    decode_json,
    form_fields,
    match_media_type,
    media_kind,
    parse_multipart,
)
from .engine import Engine, engine_for
from .exchange import check_exchange
from .limits import Limits, refused
from .params import MISSING, claims, deserialize
from .shape import Shape
from .stream import check_stream
from .violation import ERROR, WARNING, Violation

__all__ = ["NOBODY", "Validator"]

NOBODY: Any = MISSING
Query = str | Mapping[str, Any] | Sequence[tuple[str, Any]]


def _pairs(query: Query) -> list[tuple[str, str]]:
    if isinstance(query, str):
        return parse_qsl(query.lstrip("?"), keep_blank_values=True)
    items = query.items() if isinstance(query, Mapping) else query
    out: list[tuple[str, str]] = []
    for key, value in items:
        for v in value if isinstance(value, (list, tuple)) else [value]:
            out.append((str(key), "true" if v is True else "false" if v is False else str(v)))
    return out


class Validator:
    """Compiled validators for every request, response and stream of a spec.

    >>> v = Validator(load_spec("openai-2.3.0.yaml"))  # doctest: +SKIP
    >>> v.response("createChatCompletion", status=200, body={"id": "x"})  # doctest: +SKIP
    [Violation(message="'choices' is a required property", where='response.body', ...)]

    ``strict=True`` turns undeclared properties from warnings into errors. ``limits`` bounds
    what is read as JSON (nesting depth, number size; see :mod:`.limits`): past them, or on
    NaN/Infinity, a value gets a ``request.decode``/``response.decode``/``stream.json`` verdict
    naming its pointer, never an exception.
    """

    def __init__(self, spec: Spec, *, strict: bool = False, limits: Limits | None = None) -> None:
        self.spec = spec
        self.strict = strict
        self.limits = limits if limits is not None else Limits()
        self.requests = engine_for(schema_set(spec, "request"))
        self.responses = engine_for(schema_set(spec, "response"))
        self._shapes: dict[tuple[int, str | None], Shape] = {}

    # -- bookkeeping ---------------------------------------------------------------------------

    def operation(self, operation: str | Operation) -> Operation:
        """Look an operation up by operationId or ``METHOD /path`` (or pass one through)."""
        return operation if isinstance(operation, Operation) else self.spec.operation(operation)

    def compile_all(self) -> int:
        """Compile every validator of every operation (lenient and strict); returns how many."""
        count = 0
        for op in self.spec.operations:
            locations = [(self.requests, p.schema) for p in op.parameters if p.schema]
            if op.request_body:
                locations += [
                    (self.requests, m.schema) for m in op.request_body.content.values() if m.schema
                ]
            for response in op.responses.values():
                locations += [
                    (self.responses, m.schema) for m in response.content.values() if m.schema
                ]
                locations += [
                    (self.responses, h.schema) for h in response.headers.values() if h.schema
                ]
            for engine, location in locations:
                assert location is not None
                engine.validator(location, False)
                engine.validator(location, True)
                count += 2
        return count

    # -- requests ------------------------------------------------------------------------------

    def request(
        self,
        operation: str | Operation | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        path_params: Mapping[str, str] | None = None,
        query: Query = (),
        headers: Mapping[str, str] | None = None,
        body: Any = NOBODY,
        content_type: str | None = None,
    ) -> list[Violation]:
        """Violations of one request. Give the operation, or ``method`` + concrete ``path`` to route.

        ``body`` is raw ``bytes``/``str`` (decoded by its Content-Type), an already parsed JSON
        value, or a form's already parsed ``[(name, value, filename), ...]`` fields (what
        :func:`~conformance.validate.body.parse_multipart` returns). Path parameters come from
        ``path`` (routed against the template) or ``path_params``.

        >>> v.request("createChatCompletion", body={"model": "gpt-4o", "messages": []})  # doctest: +SKIP
        """
        headers = {k.lower(): str(val) for k, val in (headers or {}).items()}
        if operation is None:
            if method is None or path is None:
                raise ValueError("give an operation, or a method and a path")
            routed = self.spec.match(method, path.split("?", 1)[0])
            if routed is None:
                return [
                    Violation(
                        f"no operation matches {method.upper()} {path}",
                        where="request.path",
                        code="request.route",
                    )
                ]
            op, found = routed
        else:
            op = self.operation(operation)
            found = {}
            if path is not None:
                matched = self.spec.path_params(op, path.split("?", 1)[0])
                if matched is None:
                    return [
                        Violation(
                            f"path {path!r} does not match {op.path}",
                            where="request.path",
                            code="request.route",
                            operation=op.operation_id,
                        )
                    ]
                found = matched
        if path is not None and "?" in path and not query:
            query = path.split("?", 1)[1]
        found.update(path_params or {})
        out: list[Violation] = []
        pairs = _pairs(query)
        cookies = {k: m.value for k, m in SimpleCookie(headers.get("cookie", "")).items()}
        sources: dict[str, Any] = {"query": pairs, "header": headers, "cookie": cookies}
        for param in op.parameters:
            source = (
                found.get(param.name, MISSING)
                if param.location == "path"
                else sources[param.location]
            )
            shape = self._shape(self.requests, param.schema)
            where = f"request.{param.location}"
            try:
                value = (
                    deserialize(param, shape, source, self.limits)
                    if source is not MISSING
                    else MISSING
                )
                if value is not MISSING:
                    _check_parsed(value, self.limits)
            except DecodeError as exc:
                out.append(
                    Violation(
                        f"{param.location} parameter {param.name!r}: {exc}",
                        where=where,
                        pointer=f"/{param.name}",
                        code="request.decode",
                        param=param.name,
                        schema_path=param.pointer,
                        operation=op.operation_id,
                    )
                )
                continue
            if value is MISSING:
                if param.required:
                    out.append(
                        Violation(
                            f"required {param.location} parameter {param.name!r} is missing",
                            where=where,
                            pointer=f"/{param.name}",
                            code="request.parameter-missing",
                            param=param.name,
                            schema_path=param.pointer,
                            operation=op.operation_id,
                        )
                    )
                continue
            if param.schema:
                out += self.requests.check(
                    param.schema,
                    value,
                    where=where,
                    operation=op.operation_id,
                    strict=self.strict,
                    prefix=f"/{param.name}",
                )
        out += self._undeclared_query(op, pairs)
        out += self._request_body(op, headers, body, content_type)
        return out

    def _undeclared_query(self, op: Operation, pairs: list[tuple[str, str]]) -> list[Violation]:
        """Query names no parameter of the operation reads: warnings (errors in strict mode).

        A query written into the path template (2026-08: ``/responses?beta=true``) is declared.
        """
        if not pairs:
            return []
        params = [
            (p, self._shape(self.requests, p.schema))
            for p in op.parameters
            if p.location == "query"
        ]
        fixed = {k for k, _ in _pairs(op.path.partition("?")[2])}
        return [
            Violation(
                f"query parameter {name!r} is not declared by the operation",
                where="request.query",
                pointer="/" + escape(name),
                code="undeclared.query",
                param=name,
                operation=op.operation_id,
                severity=ERROR if self.strict else WARNING,
            )
            for name in dict.fromkeys(k for k, _ in pairs)
            if name not in fixed and not any(claims(p, shape, name) for p, shape in params)
        ]

    def _shape(self, engine: Engine, location: str | None) -> Shape:
        """What the schema at a location expects (types, items, properties), built once."""
        key = (id(engine), location)
        shape = self._shapes.get(key)
        if shape is None:
            schemas = engine.schemas
            shape = Shape(schemas, schemas.resolve(schemas.ref(location)) if location else {})
            self._shapes[key] = shape
        return shape

    def _request_body(
        self, op: Operation, headers: dict[str, str], body: Any, content_type: str | None
    ) -> list[Violation]:
        fail = partial(Violation, operation=op.operation_id)
        spec_body = op.request_body
        empty = body is NOBODY or body is None or body == b"" or body == ""
        if spec_body is None:
            return []
        if empty:
            if spec_body.required:
                return [
                    fail(
                        "request body is required",
                        where="request.body",
                        code="request.body-missing",
                        schema_path=spec_body.pointer,
                    )
                ]
            return []
        declared = list(spec_body.content)
        ctype = content_type or headers.get("content-type")
        if ctype is None:
            if isinstance(body, (bytes, str)):
                return [
                    fail(
                        f"Content-Type is missing (expected {' or '.join(declared)})",
                        where="request.content-type",
                        code="request.content-type",
                    )
                ]
            ctype = next(
                (d for d in declared if media_kind(d) == "json"), declared[0] if declared else ""
            )
        media_key = match_media_type(ctype, declared)
        if media_key is None:
            return [
                fail(
                    f"Content-Type {ctype!r} is not accepted (expected {' or '.join(declared)})",
                    where="request.content-type",
                    code="request.content-type",
                    schema_path=spec_body.pointer,
                )
            ]
        return self._body(
            self.requests, spec_body.content[media_key], ctype, body, "request.body", op
        )

    def _body(
        self, engine: Engine, media: MediaType, ctype: str, body: Any, where: str, op: Operation
    ) -> list[Violation]:
        fail = partial(Violation, operation=op.operation_id, where=where)
        kind = media_kind(media.media_type)
        try:
            if kind == "json":
                if isinstance(body, (bytes, bytearray, str)):
                    instance = decode_json(
                        bytes(body) if isinstance(body, bytearray) else body, self.limits
                    )
                else:
                    instance = body
                    _check_parsed(body, self.limits)
            elif kind in ("multipart", "form"):
                shape = self._shape(engine, media.schema)
                fields: list[tuple[str, bytes | str, str | None]]
                if isinstance(body, list):  # parsed by the caller
                    fields = body
                elif isinstance(body, Mapping):
                    _check_parsed(body, self.limits)
                    fields = [
                        (k, v if isinstance(v, (bytes, str)) else json.dumps(v), None)
                        for k, v in body.items()
                    ]
                elif kind == "multipart":
                    raw = body.encode() if isinstance(body, str) else bytes(body)
                    fields = [(n, val, f) for n, val, f in parse_multipart(raw, ctype)]
                else:
                    fields = form_fields(body)
                instance = decode_form(fields, shape, self.limits)
                _check_parsed(instance, self.limits)
            else:
                return []  # binary, text: nothing a JSON Schema can say beyond presence
        except DecodeError as exc:
            code = "request.decode" if where.startswith("request") else "response.decode"
            return [fail(str(exc), code=code, pointer=exc.pointer)]
        if media.schema is None:
            return []
        return engine.check(
            media.schema, instance, where=where, operation=op.operation_id, strict=self.strict
        )

    # -- responses -----------------------------------------------------------------------------

    def response(
        self,
        operation: str | Operation,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        body: Any = NOBODY,
        content_type: str | None = None,
    ) -> list[Violation]:
        """Violations of one response: status documented, Content-Type declared, headers, body.

        A ``text/event-stream`` body is checked as a stream (see :meth:`stream`).

        >>> v.response("listModels", status=200, body={"object": "list", "data": []})  # doctest: +SKIP
        []
        """
        op = self.operation(operation)
        fail = partial(Violation, operation=op.operation_id)
        documented = op.response_for(status)
        if documented is None:
            listed = ", ".join(op.responses) or "none"
            return [
                fail(
                    f"status {status} is not documented (documented: {listed})",
                    where="response.status",
                    code="response.status",
                    actual=status,
                    schema_path=op.pointer + "/responses",
                )
            ]
        headers = {k.lower(): str(val) for k, val in (headers or {}).items()}
        out: list[Violation] = []
        for name, header in documented.headers.items():
            value = headers.get(name.lower())
            if value is None:
                if header.required:
                    out.append(
                        fail(
                            f"required header {name!r} is missing",
                            where="response.header",
                            pointer=f"/{name}",
                            code="response.header-missing",
                            schema_path=header.pointer,
                        )
                    )
                continue
            if header.schema:
                shape = self._shape(self.responses, header.schema)
                try:
                    parsed = deserialize(header, shape, headers, self.limits)
                    _check_parsed(parsed, self.limits)
                except DecodeError as exc:
                    out.append(
                        fail(
                            f"header {name!r}: {exc}",
                            where="response.header",
                            pointer=f"/{name}",
                            code="response.decode",
                            schema_path=header.pointer,
                        )
                    )
                    continue
                out += self.responses.check(
                    header.schema,
                    parsed,
                    where="response.header",
                    operation=op.operation_id,
                    strict=self.strict,
                    prefix=f"/{name}",
                )
        empty = body is NOBODY or body is None or body == b"" or body == ""
        declared = list(documented.content)
        if not declared:
            if not empty:
                out.append(
                    fail(
                        f"status {status} declares no body but one was sent",
                        where="response.body",
                        code="response.body-unexpected",
                        schema_path=documented.pointer,
                    )
                )
            return out
        ctype = content_type or headers.get("content-type")
        if ctype is None:
            if isinstance(body, (bytes, str)) and not empty:
                out.append(
                    fail(
                        f"Content-Type is missing (declared: {', '.join(declared)})",
                        where="response.content-type",
                        code="response.content-type",
                    )
                )
                return out
            ctype = next((d for d in declared if media_kind(d) == "json"), declared[0])
        media_key = match_media_type(ctype, declared)
        if media_key is None:
            out.append(
                fail(
                    f"Content-Type {ctype!r} is not declared (declared: {', '.join(declared)})",
                    where="response.content-type",
                    code="response.content-type",
                    schema_path=documented.pointer + "/content",
                )
            )
            return out
        if empty and media_kind(media_key) != "binary":  # binary: zero bytes are an empty file
            out.append(
                fail(
                    f"{media_key} body is missing",
                    where="response.body",
                    code="response.body-missing",
                    schema_path=documented.pointer,
                )
            )
            return out
        media = documented.content[media_key]
        if media_kind(media_key) == "sse":
            stream = next(
                (
                    s
                    for s in op.streams
                    if s.status == documented.status and s.media_type == media_key
                ),
                None,
            )
            if stream is not None:
                return out + check_stream(
                    self.responses, op, stream, body, strict=self.strict, limits=self.limits
                )
            return out
        return out + self._body(self.responses, media, ctype, body, "response.body", op)

    # -- exchanges -----------------------------------------------------------------------------

    def exchange(
        self,
        operation: str | Operation | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        query: Query = (),
        headers: Mapping[str, str] | None = None,
        body: Any = NOBODY,
        status: int = 200,
        response_headers: Mapping[str, str] | None = None,
        response: Any = NOBODY,
    ) -> list[Violation]:
        """Violations of a request and its answer together: the request and the response (or
        stream: a ``text/event-stream`` Content-Type, or ``sse.Event`` s) against the spec, then
        the OpenAI semantic rules over the pair (``conformance.validate.semantics``).

        >>> v.exchange("createChatCompletion", body={"model": "gpt-4o", "messages": [...], "n": 2},
        ...            response=completion_with_one_choice)  # doctest: +SKIP
        [Violation(..., code='rule.chat.n-choices', ...)]
        """
        return check_exchange(
            self,
            operation,
            method=method,
            path=path,
            query=query,
            headers=headers,
            body=body,
            status=status,
            response_headers=response_headers,
            response=response,
        )

    # -- streams -------------------------------------------------------------------------------

    def stream(
        self,
        operation: str | Operation,
        events: bytes | str | Iterable[sse.Event],
        *,
        status: int = 200,
    ) -> list[Violation]:
        """Violations of a server-sent-event stream: framing, each event's data, the ``[DONE]`` end.

        ``events`` is the raw stream (``bytes``/``str``) or already parsed ``sse.Event`` s.

        >>> v.stream("createChatCompletion", 'data: {"id": "c", ...}\\n\\ndata: [DONE]\\n\\n')  # doctest: +SKIP
        """
        op = self.operation(operation)
        stream = op.stream_for(status)
        if stream is None:
            return [
                Violation(
                    f"{op.operation_id} does not stream (status {status})",
                    where="stream",
                    code="stream.unsupported",
                    operation=op.operation_id,
                )
            ]
        return check_stream(
            self.responses, op, stream, events, strict=self.strict, limits=self.limits
        )


def _check_parsed(value: Any, limits: Limits) -> None:
    """``DecodeError`` naming the pointer when an already parsed value is not JSON within
    ``limits`` (too deep, NaN, a number too long, a lone surrogate, bytes)."""
    error = refused(value, limits)
    if error is not None:
        raise error
