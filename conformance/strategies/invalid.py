"""Invalid requests that break exactly one named constraint, each with the violation it should
provoke: a required body property or query parameter removed, a value of the wrong JSON type,
an enum broken, a numeric or length bound crossed, a required body missing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import hypothesis.strategies as st

from ..errors import InputError
from ..spec import Operation, Spec
from ..spec.refs import escape
from ..validate import Violation
from ..validate.body import media_kind
from ..validate.codes import code_for_keyword
from ..validate.shape import json_type
from .cases import RequestCase
from .context import Context, context
from .merge import flatten
from .profiles import Profile
from .requests import body_media, request_errors, requests

__all__ = ["InvalidRequest", "breaks_of", "invalid_requests", "mutations"]

_WRONG = {
    "string": 12345,
    "integer": "not-a-number",
    "number": "not-a-number",
    "boolean": "yes",
    "array": "x",
    "object": "x",
}


@dataclass(frozen=True)
class InvalidRequest:
    """A request that breaks one constraint, and the violation a validator must report."""

    case: RequestCase
    constraint: str  # e.g. "body property 'model' removed (required)"
    expected: Violation


@dataclass(frozen=True)
class Mutation:
    """One way to break a valid request of an operation.

    ``code`` is the verdict the break provokes, as the validator gives it
    (``schema.maximum``, ``request.parameter-missing``, ``request.body-missing``…);
    ``keyword`` the JSON Schema keyword broken, empty when the break is not a schema keyword's.
    """

    constraint: str
    where: str
    pointer: str
    keyword: str
    apply: Callable[[RequestCase], RequestCase]
    code: str = ""

    def __post_init__(self) -> None:
        if not self.code and self.keyword:
            object.__setattr__(self, "code", code_for_keyword(self.keyword))


def _set_body(key: str, value: Any) -> Callable[[RequestCase], RequestCase]:
    return lambda case: dataclasses.replace(case, body={**case.body, key: value})


def _drop_body(key: str) -> Callable[[RequestCase], RequestCase]:
    return lambda case: dataclasses.replace(
        case, body={k: v for k, v in case.body.items() if k != key}
    )


def _set_query(key: str, value: Any) -> Callable[[RequestCase], RequestCase]:
    return lambda case: dataclasses.replace(case, query={**case.query, key: value})


def _drop_query(key: str) -> Callable[[RequestCase], RequestCase]:
    return lambda case: dataclasses.replace(
        case, query={k: v for k, v in case.query.items() if k != key}
    )


def _types(schema: Any) -> list[str] | None:
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return list(kind)
    return None


def _value_mutations(
    ctx: Context,
    schema: Any,
    label: str,
    where: str,
    pointer: str,
    setter: Callable[[Any], Callable[[RequestCase], RequestCase]],
    form: bool,
) -> list[Mutation]:
    """Ways to break one value whose (flattened) schema is simple enough to say what breaks it."""
    flat = flatten(ctx.requests.schemas, schema)
    if not isinstance(flat, dict) or any(
        k in flat for k in ("anyOf", "oneOf", "allOf", "not", "$ref")
    ):
        return []
    found: list[Mutation] = []
    enum = flat.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum if v is not None):
        found.append(
            Mutation(
                f"{label}: not one of its enum values",
                where,
                pointer,
                "enum",
                setter("__not_in_enum__"),
            )
        )
    types = _types(flat)
    if types and not form and enum is None:
        wrong = next(
            (
                v
                for t, v in _WRONG.items()
                if t not in types
                and not (t == "number" and "integer" in types)
                and not (isinstance(v, str) and "string" in types)
            ),
            None,
        )
        if wrong is not None and not any(_fits(wrong, t) for t in types):
            found.append(
                Mutation(
                    f"{label}: wrong JSON type ({', '.join(types)} expected)",
                    where,
                    pointer,
                    "type",
                    setter(wrong),
                )
            )
    if types and ("integer" in types or "number" in types) and not form:
        if isinstance(flat.get("maximum"), (int, float)):
            found.append(
                Mutation(
                    f"{label}: above maximum {flat['maximum']}",
                    where,
                    pointer,
                    "maximum",
                    setter(flat["maximum"] + 1),
                )
            )
        if isinstance(flat.get("minimum"), (int, float)):
            found.append(
                Mutation(
                    f"{label}: below minimum {flat['minimum']}",
                    where,
                    pointer,
                    "minimum",
                    setter(flat["minimum"] - 1),
                )
            )
    if (
        types
        and "string" in types
        and enum is None
        and "pattern" not in flat
        and "format" not in flat
    ):
        if isinstance(flat.get("maxLength"), int) and flat["maxLength"] < 100_000:
            found.append(
                Mutation(
                    f"{label}: longer than maxLength {flat['maxLength']}",
                    where,
                    pointer,
                    "maxLength",
                    setter("x" * (flat["maxLength"] + 1)),
                )
            )
        if isinstance(flat.get("minLength"), int) and flat["minLength"] > 0:
            found.append(
                Mutation(
                    f"{label}: shorter than minLength {flat['minLength']}",
                    where,
                    pointer,
                    "minLength",
                    setter(""),
                )
            )
    return found


def _fits(value: Any, kind: str) -> bool:
    found = json_type(value)
    return found == kind or (kind == "number" and found == "integer")


def mutations(ctx: Context, op: Operation, media: str | None) -> list[Mutation]:
    """Every single-constraint mutation this operation's requests support."""
    found: list[Mutation] = []
    for param in op.params("query"):
        label = f"query parameter {param.name!r}"
        if param.required:
            found.append(
                Mutation(
                    f"{label} removed (required)",
                    "request.query",
                    f"/{param.name}",
                    "",
                    _drop_query(param.name),
                    code="request.parameter-missing",
                )
            )
        if param.schema:
            schema = ctx.requests.schemas.resolve(ctx.requests.schemas.ref(param.schema))
            found += _value_mutations(
                ctx,
                schema,
                label,
                "request.query",
                f"/{param.name}",
                partial(_set_query, param.name),
                form=True,
            )
    body = op.request_body
    if body is None or media is None:
        return found
    if body.required:
        found.append(
            Mutation(
                "request body removed (required)",
                "request.body",
                "",
                "",
                lambda case: dataclasses.replace(case, body=None, media_type=None),
                code="request.body-missing",
            )
        )
    location = body.content[media].schema
    if location is None:
        return found
    root = flatten(
        ctx.requests.schemas, ctx.requests.schemas.resolve(ctx.requests.schemas.ref(location))
    )
    if not isinstance(root, dict) or any(k in root for k in ("anyOf", "oneOf", "allOf")):
        return found
    form = media_kind(media) != "json"
    props = root.get("properties") or {}
    for name in root.get("required") or []:
        if name in props:
            found.append(
                Mutation(
                    f"body property {name!r} removed (required)",
                    "request.body",
                    "",
                    "required",
                    _drop_body(name),
                )
            )
    for name, schema in props.items():
        found += _value_mutations(
            ctx,
            schema,
            f"body property {name!r}",
            "request.body",
            f"/{escape(name)}",
            partial(_set_body, name),
            form,
        )
    return found


def _broken(op: Operation, case: RequestCase, mutation: Mutation) -> InvalidRequest:
    expected = Violation(
        mutation.constraint,
        where=mutation.where,
        pointer=mutation.pointer,
        keyword=mutation.keyword,
        code=mutation.code,
        operation=op.operation_id,
    )
    return InvalidRequest(mutation.apply(case), mutation.constraint, expected)


def _announced(ctx: Context, bad: InvalidRequest) -> bool:
    """Whether the request breaks the announced constraint (some other check, e.g. a bound and
    a type, may fire too)."""
    found = request_errors(ctx, bad.case)
    return any(
        (v.where, v.pointer, v.code)
        == (bad.expected.where, bad.expected.pointer, bad.expected.code)
        for v in found
    )


def invalid_requests(
    spec: Spec, operation: str | Operation, *, profile: str | Profile = "default"
) -> st.SearchStrategy[InvalidRequest]:
    """Requests that break exactly one constraint, each announcing the violation it provokes.

    >>> @given(invalid_requests(spec, "createChatCompletion"))  # doctest: +SKIP
    ... def test_server_rejects(bad): assert send(bad.case).status_code == 400
    """
    ctx = context(spec, profile)
    op = ctx.operation(operation)
    valid = requests(spec, op, profile=profile)
    options = mutations(ctx, op, valid_media(op))
    if not options:
        raise InputError(f"{op.operation_id}: no constraint to break in its requests")
    return st.builds(partial(_broken, op), valid, st.sampled_from(options)).filter(
        partial(_announced, ctx)
    )


def breaks_of(
    spec: Spec,
    case: RequestCase,
    *,
    keywords: Sequence[str] = ("enum", "minimum", "maximum"),
    profile: str | Profile = "typical",
) -> list[InvalidRequest]:
    """Every break of one JSON Schema keyword in ``keywords`` this operation's requests allow,
    each applied to the valid ``case`` (the spec's order; those that do not provoke the
    announced violation on it left out): a value just past each bound, an enum's stranger.

    >>> [b.constraint for b in breaks_of(spec, valid_embedding_request)]  # doctest: +SKIP
    ["body property 'encoding_format': not one of its enum values", "body property 'dimensions': below minimum 1"]
    """
    ctx = context(spec, profile)
    op = ctx.operation(case.operation)
    chosen = [m for m in mutations(ctx, op, case.media_type) if m.keyword in keywords]
    return [b for b in (_broken(op, case, m) for m in chosen) if _announced(ctx, b)]


def valid_media(op: Operation) -> str | None:
    """The media type valid requests of the operation use."""
    return body_media(op, None)
