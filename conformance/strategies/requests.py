"""Strategies for valid requests of an operation."""

from __future__ import annotations

from typing import Any

import httpx
import hypothesis.strategies as st

from ..errors import InputError
from ..spec import Operation, Spec
from ..validate import Violation
from ..validate.body import media_kind
from ..validate.semantics import REQUEST, Exchange, comply
from ..validate.shape import Shape
from .cases import RequestCase, _scalar, quote_segment
from .context import Context, context
from .profiles import Profile

__all__ = ["body_media", "request_errors", "requests"]

_PRINTABLE = {chr(c) for c in range(32, 127)}


def _path_value(value: Any) -> bool:
    text = _scalar(value)
    return text not in ("", ".", "..")


def _header_value(value: Any) -> bool:
    text = _scalar(value)
    return set(text) <= _PRINTABLE and text == text.strip()


def _params(ctx: Context, op: Operation, location: str) -> st.SearchStrategy[dict[str, Any]]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for param in op.params(location):
        strategy = ctx.request_schema(param.schema, name=param.name, parameter=True)
        if location == "path":
            strategy = strategy.filter(_path_value)
        elif location == "header":
            strategy = strategy.filter(_header_value)
        (required if param.required else optional)[param.name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def body_media(op: Operation, media_type: str | None) -> str | None:
    if op.request_body is None:
        return None
    declared = list(op.request_body.content)
    if media_type is not None:
        if media_type not in declared:
            raise InputError(f"{op.operation_id} accepts {', '.join(declared)}, not {media_type}")
        return media_type
    for kind in ("json", "multipart", "form"):
        for media in declared:
            if media_kind(media) == kind:
                return media
    return declared[0] if declared else None


def _body(ctx: Context, op: Operation, media: str | None) -> st.SearchStrategy[Any]:
    if media is None or op.request_body is None:
        return st.none()
    location = op.request_body.content[media].schema
    strategy = ctx.request_schema(location)
    if media_kind(media) in ("multipart", "form"):
        binary = _binary_fields(ctx, location)
        strategy = strategy.map(lambda body: _files(body, binary))
    elif media_kind(media) == "json":
        strategy = strategy.map(lambda body: _accepted(op.operation_id, body))
    return strategy


def _accepted(operation: str, body: Any) -> Any:
    """A JSON body fixed to pass the request rules: valid requests are ones the API accepts
    (``tool_choice`` naming a tool sent, ``stream_options`` only when streaming…), in every
    profile. The schema filter runs after, so a fix that broke the schema drops the case."""
    if isinstance(body, dict):
        comply(Exchange(operation, body), side=REQUEST)
    return body


def _as_bytes(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("latin-1", "replace")
    if isinstance(value, list):
        return [_as_bytes(v) for v in value]
    return value


def _files(body: Any, binary: set[str]) -> Any:
    """Binary form fields (and arrays of them) as bytes: they go out as file parts."""
    if not isinstance(body, dict):
        return body
    return {k: _as_bytes(v) if k in binary else v for k, v in body.items()}


def _binary_fields(ctx: Context, location: str | None) -> set[str]:
    if location is None:
        return set()
    schemas = ctx.requests.schemas
    shape = Shape(schemas, schemas.resolve(schemas.ref(location)))
    found = set()
    for name, sub in shape.properties().items():
        prop = Shape(schemas, sub)
        if prop.is_binary() or ("array" in prop.types and Shape(schemas, prop.items()).is_binary()):
            found.add(name)
    return found


def request_errors(ctx: Context, case: RequestCase) -> list[Any]:
    """Error-severity violations of a case, validated as it goes on the wire."""
    try:
        request = case.to_httpx("http://conformance.invalid" + ctx.spec.base_path)
    except httpx.InvalidURL as exc:  # e.g. longer than clients send: not a usable case
        return [Violation(str(exc), where="request.path", code="request.route")]
    content = request.read()
    headers = dict(request.headers)
    if case.media_type is None:
        headers.pop("content-type", None)
    found = ctx.validator.request(
        case.operation,
        path=request.url.raw_path.decode("ascii"),
        headers=headers,
        body=content if case.media_type is not None else None,
        content_type=headers.get("content-type"),
    )
    return [v for v in found if v.is_error]


def requests(
    spec: Spec,
    operation: str | Operation,
    *,
    profile: str | Profile = "default",
    media_type: str | None = None,
) -> st.SearchStrategy[RequestCase]:
    """Valid requests for an operation: path, query, headers and body, ready for httpx.

    Every case is checked by the strict validator as it would go on the wire: no undeclared keys.

    >>> @given(requests(spec, "createChatCompletion", profile="typical"))  # doctest: +SKIP
    ... def test_client_accepts(case): httpx.Client().send(case.to_httpx(base_url))
    """
    ctx = context(spec, profile)
    op = ctx.operation(operation)
    media = body_media(op, media_type)

    def build() -> st.SearchStrategy[RequestCase]:
        def make(
            path: dict[str, Any], query: dict[str, Any], headers: dict[str, Any], body: Any
        ) -> RequestCase:
            concrete = op.path.split("?", 1)[0]
            for name, value in path.items():
                concrete = concrete.replace("{" + name + "}", quote_segment(value))
            fixed_query = dict(query)
            if "?" in op.path:  # a path key like `/responses?beta=true`
                for pair in op.path.split("?", 1)[1].split("&"):
                    key, _, value = pair.partition("=")
                    fixed_query.setdefault(key, value)
            return RequestCase(
                operation=op.operation_id,
                method=op.method,
                path=concrete,
                path_params=path,
                query=fixed_query,
                headers={k: _scalar(v) for k, v in headers.items()},
                media_type=media,
                body=body,
            )

        strategy = st.builds(
            make,
            _params(ctx, op, "path"),
            _params(ctx, op, "query"),
            _params(ctx, op, "header"),
            _body(ctx, op, media),
        )
        return strategy.filter(lambda case: not request_errors(ctx, case))

    return ctx.cached(("request", op.operation_id, media), build)
