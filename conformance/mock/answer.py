"""Generate the answer to a valid request: status, media type, body or stream, state applied."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .. import sse
from ..spec import Operation, Response, Spec
from ..strategies.cases import ResponseCase
from ..strategies.profiles import get_profile
from ..strategies.responses import concrete_status, responses
from ..strategies.streams import (
    chat_events,
    chat_stream,
    completion_events,
    response_stream,
    streams,
    typical_response,
)
from ..validate.body import media_kind
from ..validate.semantics import Exchange, complied, comply
from .apierror import error_response
from .draw import draw
from .fit import Check, fit_body, fit_events, replaced, request_fields
from .message import MockRequest, MockResponse

if TYPE_CHECKING:
    from .core import Mock

__all__ = ["Call", "answer"]

_ATTEMPTS = 4  # variants tried for a typical answer that obeys every rule
_SSE_HEADERS = {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
}


@dataclass
class Call:
    """What the mock knows about one valid request while it answers it."""

    request: MockRequest
    op: Operation
    params: dict[str, str]
    body: Any  # decoded JSON, or form fields (files under "__files__"), or None
    seed: str  # this request's seed: picks the variant
    profile: str
    base_seed: str = "0"  # the mock's (or the request's x-conformance-seed) seed
    now: float = 0.0  # the mock's clock when the request came (answers' timestamps)


def _documented(op: Operation, status: int | None) -> tuple[int, Response | None]:
    if status is not None:
        return status, op.response_for(status)
    keys = sorted((k for k in op.responses if k[0] == "2"), key=lambda k: (not k.isdigit(), k))
    key = keys[0] if keys else next(iter(op.responses), None)
    if key is None:
        return 200, None
    return concrete_status(op, key), op.responses[key]


def _wants_stream(op: Operation, body: Any, status: int) -> bool:
    if op.stream_for(status) is None or not isinstance(body, dict):
        return False
    flag = body.get("stream")
    return flag is True or flag == "true"


def answer(mock: Mock, call: Call, status: int | None, notes: list[str]) -> MockResponse:
    """The response to a valid request (what ``Mock.handle`` sends before faults)."""
    op = call.op
    resources = mock.resources
    route = resources.route(op) if resources is not None else None
    if resources is not None and route is not None:
        missing = resources.missing(route, call.params)
        if missing is not None:
            return error_response(404, missing[0], param=missing[1])
    code, documented = _documented(op, status)
    if documented is None:
        if code >= 400:
            return error_response(code, f"{code} for {op.operation_id}, as requested.")
        return error_response(
            400,
            f"status {code} is not documented for {op.operation_id} "
            f"(documented: {', '.join(op.responses) or 'none'})",
            param="x-conformance-status",
        )
    if _wants_stream(op, call.body, code):
        return _stream(mock, call, code, notes)
    media = _media(documented)
    content = _stored_content(mock, call)
    if content is not None and code < 300 and _serves_raw(mock, documented, media):
        # what was uploaded, as it was uploaded (OpenAI serves file content raw under whatever
        # media type its spec declares)
        ctype = media or "application/octet-stream"
        return MockResponse(code, {"content-type": ctype}, (content,))
    if media is None:
        if resources is not None and route is not None and code < 300:
            resources.apply(op, route, call.params, {}, call.body, None, lambda _: True)
        return MockResponse(code, {}, ())
    if media_kind(media) != "json":
        return _binary(mock, call, code, media)
    ok = _check(mock, documented, media)
    kind = route.kind if route is not None else None
    semantic = get_profile(call.profile).semantic
    fitted, headers = _json_answer(mock, call, code, media, ok, notes)
    if resources is not None and route is not None and code < 300:
        query = dict(call.request.query_pairs)
        fitted = resources.apply(op, route, call.params, query, call.body, fitted, ok)
        if semantic and kind not in ("create", "action"):  # what state gave back obeys too
            _, obeyed, valid = obey(call, copy.deepcopy(fitted), code, ok)
            fitted = obeyed if valid else fitted
    elif resources is not None and code < 300:
        resources.observe(fitted, lambda parent, id: _parent(mock, call, parent, id))
    return MockResponse(code, {"content-type": media, **headers}, (json.dumps(fitted).encode(),))


def _json_answer(
    mock: Mock, call: Call, code: int, media: str, ok: Check, notes: list[str]
) -> tuple[Any, dict[str, str]]:
    """A generated JSON answer fitted to the request (ids, echoes), obeying the semantic rules
    under a semantic profile (``typical``), with a fresh id when it creates something."""
    op = call.op
    resources = mock.resources
    route = resources.route(op) if resources is not None else None
    fields = request_fields(call.body)
    item = route.item if route is not None else _last_param(op)

    typical = _TYPICAL.get(op.operation_id) if code == 200 else None
    semantic = get_profile(call.profile).semantic

    def build() -> Any:
        if semantic and typical is not None:  # a realistic body the schema's draws rarely are
            return typical(mock.spec).map(
                lambda body: ResponseCase(op.operation_id, code, media, body=body)
            )
        return responses(mock.spec, op, status=code, media_type=media, profile=call.profile)

    def variant(attempt: int) -> tuple[Any, dict[str, str]]:
        case: Any = mock.pool.take(
            ("response", op.operation_id, code, media, call.profile),
            build,
            call.base_seed,
            call.seed if not attempt else f"{call.seed}~{attempt}",
            accept=_has_choices,
        )
        fitted = fit_body(case.body, fields=fields, path_params=call.params, item=item, ok=ok)
        return fitted, dict(case.headers)

    if semantic:
        fitted, headers = _obeying_kept(mock, call, code, media, ok, variant, notes)
    else:
        fitted, headers = variant(0)
    if op.method == "POST" and (route is None or route.kind in ("create", "action")):
        fitted = _fresh_id(mock, fitted, ok)
    return fitted, headers


# operations whose typical JSON answer comes from a realistic builder, not the schema's draw
_TYPICAL: dict[str, Callable[[Spec], Any]] = {"createResponse": typical_response}


def rule_request(call: Call) -> dict[str, Any]:
    """The request as the semantic rules see it: the JSON (or form) body, ``{}`` without one."""
    if not isinstance(call.body, dict):
        return {}
    return {k: v for k, v in call.body.items() if k != "__files__"}


def obey(call: Call, body: Any, code: int, ok: Check) -> tuple[int, Any, bool]:
    """The answer made to obey the semantic rules for this request (``typical``; changed in
    place), how many rule violations are left, and whether it still validates against the
    schema.
    """
    x = Exchange(
        call.op.operation_id,
        rule_request(call),
        body=body,
        status=code,
        query=dict(call.request.query_pairs),
        path_params=call.params,
        time=call.now,
    )
    left = sum(v.is_error for v in comply(x))
    return left, x.body, ok(x.body)


def _obeying(
    call: Call,
    code: int,
    ok: Check,
    variant: Callable[[int], tuple[Any, dict[str, str]]],
    notes: list[str],
) -> tuple[Any, dict[str, str]]:
    """The first variant that obeys every rule once complied; else the one with the fewest
    violations left (never one the fixes made invalid), with a note saying so.

    When every variant obeys the rules only by leaving the schema (the spec forbids what the
    API sends, e.g. base64 embeddings in 2.3.0 without its errata), the API's behaviour is
    served, with a note naming the deviation.
    """
    best: tuple[int, Any, dict[str, str]] | None = None
    deviating: tuple[Any, dict[str, str]] | None = None
    for attempt in range(_ATTEMPTS):
        drawn, headers = variant(attempt)
        left, obeyed, valid = obey(call, drawn, code, ok)
        if not valid:
            if not left and deviating is None:
                deviating = (obeyed, headers)
            continue
        if best is None or left < best[0]:
            best = (left, obeyed, headers)
            if not left:
                break
    if best is None and deviating is not None:
        notes.append(
            "served as the API answers this request, which the spec (as loaded) does not allow"
        )
        return deviating
    if best is None:
        notes.append(
            f"no typical answer obeys the semantic rules and the schema in {_ATTEMPTS} draws"
        )
        return variant(0)
    if best[0]:
        notes.append(f"typical answer breaks {best[0]} semantic rule(s) after {_ATTEMPTS} draws")
    return best[1], best[2]


def _obeying_kept(
    mock: Mock,
    call: Call,
    code: int,
    media: str,
    ok: Check,
    variant: Callable[[int], tuple[Any, dict[str, str]]],
    notes: list[str],
) -> tuple[Any, dict[str, str]]:
    """:func:`_obeying`, made once per variant, request and second.

    What the first variant becomes once fitted and complied is a function of that variant (the
    pool's key, base seed and the index the request's seed picks), of the request (method,
    path, query, body: the rules and the fitting read nothing else) and of the time in whole
    seconds (the timestamp rules write ``int(now)``). So it is kept in the pool beside the
    variants, for the same request within the same second; only an answer the first variant
    gave cleanly (no other draw, no note), made within one second, is kept.
    """
    request = call.request
    second = int(call.now)
    key = (
        "obeyed",
        second,
        call.op.operation_id,
        code,
        media,
        call.profile,
        call.base_seed,
        mock.pool.index(call.seed),
        request.method,
        request.path,
        request.query,
        hashlib.sha256(request.body).digest(),
    )
    kept = mock.pool.recall(key)
    if kept is not None:
        return kept[0], kept[1]
    attempts: list[int] = []

    def counted(attempt: int) -> tuple[Any, dict[str, str]]:
        attempts.append(attempt)
        return variant(attempt)

    noted = len(notes)
    fitted, headers = _obeying(call, code, ok, counted, notes)
    if attempts == [0] and len(notes) == noted:
        mock.pool.keep(key, (fitted, headers))
    return fitted, headers


def _fresh_id(mock: Mock, body: Any, ok: Check) -> Any:
    """A new object never reuses an id the mock gave out before (variants repeat, ids must not).

    A reused id gets the next suffix of its own counter (``asst_x`` → ``asst_x2``), checked once.
    Only the drawn ids are kept, the latest ``REMEMBERED_IDS`` of them (the least recently
    handed out go first), so the map stays bounded however long the mock runs; a suffix that
    spells another drawn id is skipped. Once one was forgotten, an id not in the map may have
    been handed out before: it gets a suffix past every counter given so far (``issued_top``),
    so ids stay unique.
    """
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        return body
    base = body["id"]
    issued = mock.issued
    known = issued.get(base)
    if known is None and not issued.evicted:
        issued[base] = 1
        return body
    count = (known if known is not None else mock.issued_top) + 1
    while f"{base}{count}" in issued:
        count += 1
    issued[base] = count
    mock.issued_top = max(mock.issued_top, count)
    return replaced(body, {"id": f"{base}{count}"}, ok)


def _has_choices(case: Any) -> bool:
    """Completions with no choice at all are valid but useless to a client asking for some.

    So is an empty ``data`` list (embeddings, images; the SDK raises "No embedding data
    received"); stateful lists page through what was created whatever the variant.
    """
    if not isinstance(case.body, dict):
        return True
    return case.body.get("choices") != [] and case.body.get("data") != []


def _check(mock: Mock, documented: Response, media: str) -> Check:
    """Whether a body is valid, strictly, for the documented response and media type."""
    location = documented.content[media].schema
    validator = mock.validator.responses.validator(location, True) if location else None

    def ok(value: Any) -> bool:
        return validator is None or bool(validator.is_valid(value))

    return ok


def _serves_raw(mock: Mock, documented: Response, media: str | None) -> bool:
    """Stored bytes answer a content download whose schema is a string, not a JSON object
    (``/vector_stores/{id}/files/{id}/content`` is a page of parsed text, not the upload)."""
    if media is None or media_kind(media) != "json":
        return True
    return _check(mock, documented, media)("")


def _last_param(op: Operation) -> str | None:
    names = op.path_names()
    return names[-1] if names and op.path.endswith("}") else None


def _media(response: Response) -> str | None:
    medias = list(response.content)
    if not medias:
        return None
    return next((m for m in medias if media_kind(m) == "json"), medias[0])


def _stored_content(mock: Mock, call: Call) -> bytes | None:
    resources = mock.resources
    route = resources.route(call.op) if resources is not None else None
    if resources is None or route is None or route.kind != "content" or not route.item:
        return None
    return resources.store.contents.get(call.params.get(route.item, ""))


def _binary(mock: Mock, call: Call, code: int, media: str) -> MockResponse:
    case: Any = mock.pool.take(
        ("response", call.op.operation_id, code, media, call.profile),
        lambda: responses(mock.spec, call.op, status=code, media_type=media, profile=call.profile),
        call.base_seed,
        call.seed,
    )
    return MockResponse(code, {"content-type": media, **case.headers}, (case.content(),))


_STREAMERS: dict[str, Callable[[Spec, Any, dict[str, Any]], tuple[sse.Event, ...]]] = {
    "createChatCompletion": lambda spec, body, sent: chat_events(
        body, include_usage=_include_usage(sent)
    ),
    "createCompletion": lambda spec, body, sent: completion_events(
        body, include_usage=_include_usage(sent)
    ),
    "createResponse": lambda spec, body, sent: response_stream(spec, body),
}


def _include_usage(sent: dict[str, Any]) -> bool:
    options = sent.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _typical_stream(
    mock: Mock, call: Call, code: int, notes: list[str]
) -> tuple[tuple[sse.Event, ...], bool] | None:
    """A typical stream cut from the JSON answer the same request would get without ``stream``
    (so one set of rules shapes both), then obeying the stream rules, and whether it settled
    (complying it again would change nothing); None when the operation has no such JSON
    answer or the result does not validate."""
    streamer = _STREAMERS.get(call.op.operation_id)
    documented = call.op.response_for(code)
    media = _media(documented) if documented is not None else None
    if streamer is None or documented is None or media is None or media_kind(media) != "json":
        return None
    sent = rule_request(call)
    plain = replace(
        call, body={k: v for k, v in sent.items() if k not in ("stream", "stream_options")}
    )
    body, _ = _json_answer(mock, plain, code, media, _check(mock, documented, media), notes)
    x = Exchange.streamed(call.op.operation_id, sent, streamer(mock.spec, body, sent), status=code)
    settled = complied(x)[1]
    events = x.sse_events()
    return None if _stream_errors(mock, call.op, events, code) else (events, settled)


def _stream(mock: Mock, call: Call, code: int, notes: list[str]) -> MockResponse:
    op, body = call.op, call.body
    options = body.get("stream_options") if isinstance(body.get("stream_options"), dict) else {}
    # typical: cut from the JSON answer; edge likewise, so the stream carries the edge values
    # a JSON answer does (chat's realistic stream below knows no profile)
    profile = get_profile(call.profile)
    typical = (
        _typical_stream(mock, call, code, notes) if profile.semantic or profile.boundaries else None
    )
    if typical is not None:
        events = typical[0]
    elif op.operation_id == "createChatCompletion":
        n = body.get("n") if isinstance(body.get("n"), int) else 1
        usage = bool(options.get("include_usage"))
        tools = bool(body.get("tools"))
        events = mock.pool.take(
            ("chat-stream", n, usage, tools),
            lambda: chat_stream(n=n, usage=usage, tools=tools),
            call.base_seed,
            call.seed,
        )
    elif op.stream_for(200) is not None:  # what streams() draws
        events = mock.pool.take(
            ("stream", op.operation_id, call.profile),
            lambda: streams(mock.spec, op, profile=call.profile),
            call.base_seed,
            call.seed,
        )
    else:
        media = op.stream_for(code)
        assert media is not None
        case: Any = draw(
            responses(
                mock.spec, op, status=code, media_type=media.media_type, profile=call.profile
            ),
            call.seed,
        )
        events = case.events
    fitted = fit_events(events, path_params=call.params)
    if fitted is not events and not _stream_errors(mock, op, fitted, code):
        events = fitted
    # a typical stream that settled and was not fitted already obeys the same rules for the
    # same request, and validates: complying it again would give it back as it is
    if get_profile(call.profile).semantic and not (
        typical is not None and typical[1] and events is typical[0]
    ):
        x = Exchange.streamed(op.operation_id, rule_request(call), events, status=code)
        comply(x)
        obeyed = x.sse_events()
        if not _stream_errors(mock, op, obeyed, code):
            events = obeyed
    resources = mock.resources
    if resources is not None and resources.stores(op, body):
        for event in events:
            data = _json(event.data)
            if isinstance(data, dict):
                for obj in (data, data.get("response"), data.get("data")):
                    resources.observe(obj, lambda parent, id: _parent(mock, call, parent, id))
    chunks = tuple(sse.encode(e.data, event=e.event).encode() for e in events)
    return MockResponse(code, dict(_SSE_HEADERS), chunks, stream=True)


def _stream_errors(mock: Mock, op: Operation, events: Any, code: int) -> bool:
    return any(v.is_error for v in mock.validator.stream(op, events, status=code))


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _parent(mock: Mock, call: Call, collection: str, id: str) -> Any:
    """A stored parent for an object another operation made (the thread of a run)."""
    creator = next(
        (
            mock.spec.operation(op_id)
            for op_id, route in (mock.resources.routes.items() if mock.resources else ())
            if route.kind == "create" and route.collection == collection
        ),
        None,
    )
    if creator is None:
        return None
    code, documented = _documented(creator, None)
    media = _media(documented) if documented else None
    if media is None or media_kind(media) != "json":
        return None
    case: Any = draw(
        responses(mock.spec, creator, status=code, media_type=media, profile=call.profile),
        f"{call.seed}:parent",
    )
    obj = case.body
    if isinstance(obj, dict) and "id" in obj and documented is not None:
        candidate = {**obj, "id": id}
        if _check(mock, documented, media)(candidate):
            return candidate
    return None
