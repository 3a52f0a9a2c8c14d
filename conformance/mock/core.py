"""``Mock``: a request in, a response out — routed, validated, generated, remembered.

>>> mock = Mock("../shared/specs/openai-2.3.0.yaml")  # doctest: +SKIP
>>> mock.handle(MockRequest("GET", "/v1/models", headers={"authorization": "Bearer sk-x"})).status  # doctest: +SKIP
200
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..results import Document, Redactor, Replay, Request, Response, Result
from ..results.document import spec_info
from ..spec import Operation, Spec, load_spec
from ..strategies.profiles import PROFILES
from ..strategies.responses import responses
from ..validate import Validator, Violation, semantics
from ..validate.body import DecodeError, decode_json, media_kind, parse_multipart
from ..validate.limits import Limits, vouched
from .answer import Call, answer
from .apierror import error_response
from .faults import Fault, apply_faults, parse_faults
from .log import RequestLog
from .lru import Lru
from .message import MockRequest, MockResponse
from .overrides import Handler, Override, check_body, describe, merge
from .pool import Pool
from .rejection import rejection
from .resources import Resources
from .state import MAX_BYTES, MAX_OBJECTS

__all__ = ["KNOBS", "Mock"]

# per-request knobs, as HTTP headers
KNOBS = {
    "x-conformance-status": "answer with this documented (or error) status",
    "x-conformance-profile": "generate with this profile (default, typical, edge)",
    "x-conformance-seed": "generate with this seed",
    "x-conformance-faults": "apply these faults (NAME[=VALUE][:RATE],...)",
}
_MAX_BODY = 64 * 1024 * 1024
# what the mock remembers per request, however long it runs (the least recent goes first): a
# counter per distinct request (a request repeated varies its answer) and the drawn ids handed
# out (a reused one gets a suffix)
REMEMBERED_REQUESTS = 65_536
REMEMBERED_IDS = 65_536
# what the status knob, an override or a handler may answer with: a final HTTP status
_STATUSES = range(200, 600)


class Mock:
    """A mock of the API a spec describes.

    ``profile`` and ``seed`` steer generation (same seed + same requests → same answers);
    ``state`` remembers created objects; ``faults`` (``"rate-limit:0.1,drop:0.05"``) fuzz
    clients; ``strict`` rejects undeclared request fields; ``auth`` requires credentials when
    the spec declares security; ``log`` is a JSONL file for the request log, which keeps
    bodies unless ``log_bodies=False`` and redacts secrets always (``redact`` names more);
    ``limits`` bounds the JSON the mock reads (nesting depth, number size; past them a 400).
    ``clock`` gives "now" (unix seconds) to the answers' timestamps: answers are the same for a
    seed and a request sequence but for the timestamps, which follow it (fix it to freeze them).

    State keeps at most ``max_objects`` objects and ``max_bytes`` bytes (objects' JSON and
    uploads), evicting the oldest first (an evicted object answers 404 as a deleted one).

    >>> mock = Mock(spec, profile="typical", seed=1, faults="rate-limit:0.1")  # doctest: +SKIP
    """

    def __init__(
        self,
        spec: Spec | str | Path,
        *,
        profile: str = "typical",
        seed: int | str = 0,
        state: bool = True,
        faults: str | Any = None,
        strict: bool = False,
        auth: bool = True,
        base_path: str | None = None,
        log: str | Path | None = None,
        max_body: int = _MAX_BODY,
        max_objects: int = MAX_OBJECTS,
        max_bytes: int = MAX_BYTES,
        log_bodies: bool = True,
        redact: Iterable[str] = (),
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spec = spec if isinstance(spec, Spec) else load_spec(spec)
        self.clock = clock
        if profile not in PROFILES:
            raise InputError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
        self.profile = profile
        self.seed = seed
        self.faults: tuple[Fault, ...] = parse_faults(faults)
        self.validator = Validator(self.spec, strict=strict, limits=limits)
        for name, cap in (("max_objects", max_objects), ("max_bytes", max_bytes)):
            if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
                raise InputError(f"{name} must be a positive integer, got {cap!r}")
        self.resources = (
            Resources(self.spec, max_objects=max_objects, max_bytes=max_bytes, clock=clock)
            if state
            else None
        )
        self.auth = auth and bool(self.spec.document.get("security"))
        base = self.spec.base_path if base_path is None else base_path
        if "://" in base or "?" in base:
            raise InputError(f"base_path {base_path!r} must be a path such as /v1, not a URL")
        self.base_path = ("/" + base.strip("/")) if base.strip("/") else ""
        if log is not None and (Path(log).is_dir() or not _writable(Path(log))):
            raise InputError(f"log {str(log)!r}: not a file that can be written")
        self.log = RequestLog(
            log,
            bodies=log_bodies,
            redactor=Redactor(redact),
            head=Document(spec=spec_info(self.spec), run=self._settings(strict, state)),
        )
        self.max_body = max_body
        self.overrides: dict[str, Override] = {}
        self._seen: Lru[str, int] = Lru(REMEMBERED_REQUESTS)  # request fingerprint → times seen
        self._lock = threading.RLock()
        self._rng = random.Random(f"faults:{seed}")
        self.pool = Pool()
        self.issued: Lru[str, int] = Lru(REMEMBERED_IDS)  # drawn ids handed out → reuse counter
        self.issued_top = 1  # the highest reuse counter given so far (see answer._fresh_id)

    # -- control -------------------------------------------------------------------------------

    def override(
        self,
        operation: str,
        *,
        body: Any = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        latency: float = 0.0,
        handler: Handler | None = None,
    ) -> Override:
        """Answer ``operation`` (operationId or ``"METHOD /path"``) as told from now on.

        ``headers``/``latency``/``status`` alone change the generated answer; a complete
        ``body`` is served as given; a partial one is merged into the generated answer (lists
        item by item). A body that cannot be the answer (an undeclared key, a wrong type)
        raises :class:`~conformance.mock.overrides.OverrideError` now; ``handler`` is the escape
        hatch (see :mod:`conformance.mock.overrides`).

        >>> mock.override("listModels", body={"object": "list", "data": []})  # doctest: +SKIP
        >>> mock.override("createChatCompletion", body={"choices": [{"message": {"content": "hi"}}]})  # doctest: +SKIP
        """
        op = self.spec.operation(operation)
        if status is not None and status not in _STATUSES:
            raise InputError(f"override of {op.operation_id}: status {status} is not 200-599")
        complete = True
        if body is not None and handler is None:
            complete = check_body(self.validator, op, body, status)
        rule = Override(op.operation_id, body, status, headers, latency, handler, complete)
        self.overrides[op.operation_id] = rule
        return rule

    def reset(self) -> None:
        """Forget overrides, state and the in-memory request log."""
        with self._lock:
            self.overrides.clear()
            self.log.clear()
            self._seen.clear()
            self.pool.clear()
            self.issued.clear()
            self.issued_top = 1
            if self.resources is not None:
                self.resources.store.clear()

    @property
    def records(self) -> list[Result]:
        """The request log (the latest 10,000 exchanges; the JSONL file keeps them all):
        ``records[-1].request`` has ``method``, ``url``, ``headers``, ``body`` and ``json()``."""
        return self.log.records

    def _settings(self, strict: bool, state: bool) -> dict[str, Any]:
        """The mock's settings, for the request log's head line."""
        return {
            "producer": "mock",
            "seed": str(self.seed),
            "profile": self.profile,
            "faults": [str(f) for f in self.faults],
            "strict": strict,
            "state": state,
            "auth": self.auth,
            "base_path": self.base_path,
        }

    # -- answering -----------------------------------------------------------------------------

    def handle(self, request: MockRequest) -> MockResponse:
        """Answer one request: route, validate, generate (or fetch from state), apply faults.

        >>> mock.handle(MockRequest("POST", "/v1/chat/completions", body=b"{}")).status  # doctest: +SKIP
        400
        """
        started, wall = time.perf_counter(), time.time()
        with self._lock:
            notes: list[str] = []
            try:
                response = self._answer_faulted(request, notes)
            except Exception as exc:  # a crash is answered, and recorded, as a 500
                notes.append(f"the mock failed: {type(exc).__name__}: {exc}")
                response = error_response(
                    500,
                    f"The mock failed while answering {request.method} {request.path}: "
                    f"{type(exc).__name__}",
                    type="server_error",
                )
            response = response.with_(
                headers={
                    "x-request-id": self._request_id(request),
                    "openai-processing-ms": str(round((time.perf_counter() - started) * 1000)),
                    **response.headers,
                }
            )
            record = self._result(request, response, notes, wall, started)
            try:
                self.log.add(record)
            except Exception as exc:  # the exchange is still recorded, without its bodies
                note = f"recorded without bodies: {type(exc).__name__}: {exc}"
                self.log.add(replace(record.without_bodies(), notes=(*record.notes, note)))
        return response

    def _answer_faulted(self, request: MockRequest, notes: list[str]) -> MockResponse:
        """The answer with the knobs' and the mock's faults applied; a bad knob is a 400."""
        faults = self.faults
        bad = _bad_knob(request)
        if bad is not None:
            return bad
        knob = request.headers.get("x-conformance-faults")
        if knob:
            try:
                faults = (*faults, *parse_faults(knob))
            except InputError as exc:
                return error_response(400, str(exc), param="x-conformance-faults")
        response, found = self._answer(request)
        notes += found
        if response.status not in _STATUSES:  # a handler's own MockResponse
            raise ValueError(f"answered with status {response.status}, not 200-599")
        if response.status >= 400 and response.operation is not None:
            response = self._as_documented(response)
        if faults and response.operation is not None:
            response = apply_faults(response, faults, self._rng)
        return response

    def _result(
        self,
        request: MockRequest,
        response: MockResponse,
        notes: list[str],
        wall: float,
        started: float,
    ) -> Result:
        """The request log's record of an exchange, with the key to serve its answer again."""
        call = response.meta.get("call")
        knob = request.headers.get("x-conformance-status", "")
        return Result(
            response.operation,
            Request(request.method, request.path, request.query, request.headers, request.body),
            Response(
                response.status,
                response.headers,
                response.chunks,
                response.stream,
                delay=response.delay,
                interval=response.interval,
                drop=response.drop,
                pauses=response.pauses,
            ),
            round(wall, 6),
            round((time.perf_counter() - started) * 1000, 3),
            response.headers.get("x-request-id"),
            Replay(
                call.base_seed
                if isinstance(call, Call)
                else request.headers.get("x-conformance-seed") or str(self.seed),
                call.seed if isinstance(call, Call) else None,
                call.profile if isinstance(call, Call) else None,
                int(knob)
                if _STATUS_KNOB.fullmatch(knob.strip()) and int(knob) in _STATUSES
                else None,
                response.faults,
            ),
            tuple(notes),
            response.violations,
        )

    def _request_id(self, request: MockRequest) -> str:
        return (
            "req_"
            + hashlib.sha1(
                f"{self.seed}:{self.log.count}:{request.method}:{request.path}".encode()
            ).hexdigest()[:24]
        )

    def _answer(self, request: MockRequest) -> tuple[MockResponse, list[str]]:
        notes: list[str] = []
        path = request.path
        if self.base_path and not (path == self.base_path or path.startswith(self.base_path + "/")):
            return self._unknown(request, None), notes
        routed = self.spec.match(request.method, path, base_path=self.base_path)
        if routed is None:
            return self._unknown(request, path), notes
        op, params = routed
        if len(request.body) > self.max_body:
            return error_response(
                413,
                f"Request body too large: {len(request.body)} bytes (limit {self.max_body}).",
                operation=op.operation_id,
            ), notes
        if self.auth and not (
            request.headers.get("authorization") or request.headers.get("api-key")
        ):
            return error_response(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                operation=op.operation_id,
            ), notes
        kind = media_kind(request.content_type.split(";")[0].strip()) if request.body else ""
        parsed = _parsed(request, kind, self.validator.limits)
        with vouched(parsed):  # decoded within the validator's limits: not walked again
            violations = tuple(
                self.validator.request(
                    op,
                    path_params=params,
                    query=request.query,
                    headers=request.headers,
                    # JSON objects/arrays and multipart parts are parsed once, here; anything
                    # else (a JSON scalar, a body that does not parse) the validator decodes
                    body=parsed if isinstance(parsed, (dict, list)) else request.body,
                )
            )
        decoded = _decoded(parsed, kind)
        errors = [v for v in violations if v.is_error]
        if errors:
            return self._rejected(op, errors, request).with_(violations=violations), notes
        if isinstance(decoded, dict):  # what the API rejects though the schema allows it
            sent = {k: v for k, v in decoded.items() if k != "__files__"}
            refused = semantics.check(semantics.Exchange(op.operation_id, sent), semantics.REQUEST)
            violations += tuple(refused)
            if any(v.is_error for v in refused):
                first = next(v for v in refused if v.is_error)
                return error_response(
                    400,
                    first.message,
                    param=first.param,
                    code=semantics.api_code(first.code),
                    operation=op.operation_id,
                ).with_(violations=violations), notes
        call = self._call(request, op, params, decoded)
        rule = self.overrides.get(op.operation_id)
        answer = self._overridden(rule, call) if rule is not None else self._generated(call, notes)
        return answer.with_(operation=op.operation_id, violations=violations), notes

    def _unknown(self, request: MockRequest, path: str | None) -> MockResponse:
        matching = [
            op
            for op in self.spec.operations
            if path is not None
            and self.spec.path_params(op, path, base_path=self.base_path) is not None
        ]
        fewest = min((op.path.count("{") for op in matching), default=0)  # literal paths win
        allowed = sorted({op.method for op in matching if op.path.count("{") == fewest})
        if allowed:
            return error_response(
                405,
                f"Method {request.method} not allowed for {request.path} (allowed: {', '.join(allowed)})",
                headers={"allow": ", ".join(allowed)},
            )
        return error_response(404, f"Invalid URL ({request.method} {request.path})")

    def _as_documented(self, response: MockResponse) -> MockResponse:
        """An error answer in the shape the operation documents for its status, if it does.

        OpenAI's errors are ``{"error": {...}}``; some operations document the inner object
        instead. The OpenAI shape is kept when it fits, then the inner object, then a generated
        body of the documented schema.
        """
        op = self.spec.operation(response.operation) if response.operation else None
        documented = op.response_for(response.status) if op else None
        media = next(
            (m for m in (documented.content.values() if documented else ()) if m.schema), None
        )
        if op is None or media is None or media.schema is None:
            return response
        check = self.validator.responses.validator(media.schema, False)
        body = json.loads(response.body)
        for candidate in (body, body.get("error")):
            if check.is_valid(candidate):
                return response.with_(chunks=(json.dumps(candidate).encode(),))
        generated: Any = self.pool.take(
            ("error", op.operation_id, response.status),
            lambda: responses(
                self.spec,
                op,
                status=response.status,
                media_type=media.media_type,
                profile=self.profile,
            ),
            str(self.seed),
            response.body.decode("utf-8", "replace"),
        )
        return response.with_(
            headers={**response.headers, "content-type": media.media_type},
            chunks=(json.dumps(generated.body).encode(),),
        )

    def _rejected(
        self, op: Operation, errors: list[Violation], request: MockRequest
    ) -> MockResponse:
        """The 400 for an invalid request, in OpenAI's words (see :mod:`.rejection`)."""
        return rejection(self.spec, op, errors, request)

    def _call(self, request: MockRequest, op: Operation, params: dict[str, str], body: Any) -> Call:
        profile = request.headers.get("x-conformance-profile") or self.profile
        seed = request.headers.get("x-conformance-seed") or str(self.seed)
        digest = hashlib.sha256(  # the body hashed in place, not copied into a joined key
            b"\0".join(
                [request.method.encode(), request.path.encode(), request.query.encode(), b""]
            )
        )
        digest.update(request.body)
        fingerprint = digest.hexdigest()
        seen = self._seen[fingerprint] = self._seen.get(fingerprint, 0) + 1
        return Call(
            request,
            op,
            params,
            body,
            f"{seed}:{fingerprint}:{seen}",
            profile,
            seed,
            self.clock(),
        )

    def _overridden(self, rule: Override, call: Call) -> MockResponse:
        body = rule.body
        if rule.handler is not None:
            result = rule.handler(call.request)
            if isinstance(result, MockResponse):
                return result.with_(delay=result.delay + rule.latency)
            body = result
        extra = dict(rule.headers or {})
        if body is None or (rule.handler is None and not rule.complete):
            answer = self._generated(call, [], status=rule.status)
            if body is not None and answer.status < 300:
                answer = self._merged(rule, call.op, answer)
            return answer.with_(
                headers={**answer.headers, **extra}, delay=answer.delay + rule.latency
            )
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        ctype = "application/octet-stream" if isinstance(body, bytes) else "application/json"
        return MockResponse(
            rule.status or 200, {"content-type": ctype, **extra}, (content,), delay=rule.latency
        )

    def _merged(self, rule: Override, op: Operation, answer: MockResponse) -> MockResponse:
        """A partial override body laid over a generated JSON answer, the merge checked."""
        if answer.stream or media_kind(answer.content_type.split(";")[0].strip()) != "json":
            problem = "a partial body cannot be merged into a streamed or non-JSON answer"
            return error_response(
                500, f"override of {op.operation_id}: {problem}; give a complete body or a handler"
            )
        merged = merge(json.loads(answer.body), rule.body)
        wrong = [
            v for v in self.validator.response(op, status=answer.status, body=merged) if v.is_error
        ]
        if wrong:
            return error_response(500, describe(op, wrong, "merged body"))
        return answer.with_(chunks=(json.dumps(merged).encode(),))

    def _generated(self, call: Call, notes: list[str], status: int | None = None) -> MockResponse:
        knob = call.request.headers.get("x-conformance-status")
        if status is None and knob:
            status = int(knob)  # checked by _bad_knob
        drawn = answer(self, call, status, notes)
        return drawn.with_(meta={**drawn.meta, "call": call})  # the replay key, for the log


_STATUS_KNOB = re.compile(r"[0-9]{3}")


def _bad_knob(request: MockRequest) -> MockResponse | None:
    """The 400 for a knob header whose value the mock cannot honour, naming the header."""
    status = request.headers.get("x-conformance-status", "").strip()
    if status and not (_STATUS_KNOB.fullmatch(status) and int(status) in _STATUSES):
        return error_response(
            400,
            f"x-conformance-status must be a status from 200 to 599, got {status[:40]!r}",
            param="x-conformance-status",
        )
    profile = request.headers.get("x-conformance-profile")
    if profile and profile not in PROFILES:
        return error_response(
            400,
            f"x-conformance-profile must be one of {', '.join(PROFILES)}, got {profile[:40]!r}",
            param="x-conformance-profile",
        )
    return None


def _writable(path: Path) -> bool:
    """True when a file can be created or appended to at ``path`` (checked at start, so an
    unusable log is one clear error, not a failure on every request)."""
    if path.exists():
        return os.access(path, os.W_OK)
    parent = next((p for p in path.parents if p.exists()), Path("."))
    return parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)


def _parsed(request: MockRequest, kind: str, limits: Limits) -> Any:
    """The body parsed once: a JSON value, or multipart ``(name, value, filename)`` parts; None
    when there is nothing to parse or it does not parse (the validator then says why)."""
    try:
        if kind == "json":
            return decode_json(request.body, limits)
        if kind == "multipart":
            return parse_multipart(request.body, request.content_type)
    except (DecodeError, ValueError):
        pass
    return None


def _decoded(parsed: Any, kind: str) -> Any:
    """The request body as the mock uses it: parsed JSON, or form fields with files under
    ``"__files__"``."""
    if kind == "multipart" and isinstance(parsed, list):
        body: dict[str, Any] = {n: v.decode("utf-8", "replace") for n, v, f in parsed if f is None}
        body["__files__"] = {n: (f, v) for n, v, f in parsed if f is not None}
        return body
    return parsed if kind == "json" else None
