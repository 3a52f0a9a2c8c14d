"""``Result``: one exchange — the request, the answer, when and how long, how to serve it again —
and its verdicts.

The mock's request log, ``conformance spec examples``, and the suites, reports and fuzz harness
all speak it; ``to_dict``/``from_dict`` round-trip exactly, and the published JSON Schema
(``conformance/results/schema.json``) describes the form.

>>> r = Result("listModels", Request("GET", "/v1/models"), Response(200, chunks=(b"{}",)))
>>> r.valid, r.status, Result.from_dict(r.to_dict()) == r
(True, 200, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl

from ..validate import Violation
from ..validate.examples import INVALID, SKIPPED, UNPARSEABLE, VALID, ExampleResult
from ..validate.limits import DecodeError, loads
from ..validate.semantics import Exchange
from .message import Request, Response
from .redact import Redactor

__all__ = ["Replay", "Result"]


@dataclass(frozen=True)
class Replay:
    """What it takes to serve an answer again: the mock's base ``seed``, the ``variant`` key it
    drew with (``SEED:FINGERPRINT:N``), the ``profile``, the ``status`` asked for with the
    ``x-conformance-status`` knob, and the ``faults`` applied, in order. The recorded chunks
    give the faulted bytes exactly.

    >>> Replay("7", "7:ab12:1", "typical", faults=("split",)).to_dict()["faults"]
    ['split']
    """

    seed: str
    variant: str | None = None
    profile: str | None = None
    status: int | None = None
    faults: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "seed": self.seed,
            "variant": self.variant,
            "profile": self.profile,
            "status": self.status,
            "faults": list(self.faults),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Replay:
        """The key a :meth:`to_dict` form describes."""
        return cls(
            data["seed"],
            data.get("variant"),
            data.get("profile"),
            data.get("status"),
            tuple(data.get("faults") or ()),
        )


def _parsed(raw: bytes | None) -> Any:
    try:
        return loads(raw) if raw else None
    except DecodeError:
        return None


@dataclass(frozen=True)
class Result:
    """One exchange and its verdicts.

    ``operation`` is the operationId (``None``: no operation matched); ``name`` says what the
    result is about within its run when the operation alone does not (an example's pointer, a
    suite's check); ``started`` is unix seconds, ``duration_ms`` how long the answer took;
    ``request_id`` the ``x-request-id`` sent; ``replay`` the key to serve the answer again;
    ``notes`` free remarks (deviations the producer knows of); ``skipped`` why nothing was
    judged; ``violations`` the verdicts, errors and warnings.

    >>> bad = Result("createEmbedding", violations=(Violation("x", where="request.body", code="schema.type"),))
    >>> bad.valid, [v.code for v in bad.errors], bad.warnings
    (False, ['schema.type'], [])
    """

    operation: str | None
    request: Request | None = None
    response: Response | None = None
    started: float = 0.0
    duration_ms: float = 0.0
    request_id: str | None = None
    replay: Replay | None = None
    notes: tuple[str, ...] = ()
    violations: tuple[Violation, ...] = field(default=())
    name: str = ""
    skipped: str = ""

    # -- verdicts ------------------------------------------------------------------------------

    @property
    def valid(self) -> bool:
        """True when no verdict is an error (warnings allowed)."""
        return not any(v.is_error for v in self.violations)

    @property
    def errors(self) -> list[Violation]:
        """The verdicts that are errors."""
        return [v for v in self.violations if v.is_error]

    @property
    def warnings(self) -> list[Violation]:
        """The verdicts that are warnings."""
        return [v for v in self.violations if not v.is_error]

    # -- shortcuts (what a request log line is read for) ---------------------------------------

    @property
    def method(self) -> str | None:
        """The request's method (``None`` without a request)."""
        return self.request.method if self.request is not None else None

    @property
    def path(self) -> str | None:
        """The request's path, still percent-encoded (``None`` without a request)."""
        return self.request.path if self.request is not None else None

    @property
    def query(self) -> str:
        """The request's raw query string."""
        return self.request.query if self.request is not None else ""

    @property
    def status(self) -> int | None:
        """The answer's status (``None`` without an answer)."""
        return self.response.status if self.response is not None else None

    @property
    def faults(self) -> tuple[str, ...]:
        """The faults applied to the answer, in order."""
        return self.replay.faults if self.replay is not None else ()

    # -- uses ----------------------------------------------------------------------------------

    def exchange(self) -> Exchange:
        """The exchange the semantic rules check (``conformance.validate.semantics.check``):
        the request's JSON body, and the answer's JSON body or stream events.

        >>> x = Result("createChatCompletion", Request("POST", "/v1/chat/completions", body=b'{"n": 2}')).exchange()
        >>> x.asked("n"), x.body
        (2, None)
        """
        request = self.request
        asked = _parsed(request.body) if request is not None else None
        query = dict(parse_qsl(request.query, keep_blank_values=True)) if request else {}
        response = self.response
        status = response.status if response is not None else 200
        when = self.started + self.duration_ms / 1000 if self.started else None
        common: dict[str, Any] = {"status": status, "query": query, "time": when}
        if response is not None and response.stream:
            return Exchange.streamed(self.operation or "", asked, response.events, **common)
        body = _parsed(response.body) if response is not None else None
        return Exchange(self.operation or "", asked, body=body, **common)

    def redacted(self, redactor: Redactor) -> Result:
        """This result with every secret replaced (see ``conformance.results.redact``).

        >>> r = Result("x", Request("GET", "/v1/models", headers={"api-key": "k"}))
        >>> r.redacted(Redactor()).request.headers
        {'api-key': '[redacted:api-key]'}
        """
        request, response = self.request, self.response
        if request is not None:
            request = Request(
                request.method,
                redactor.text(request.path),
                redactor.query(request.query),
                redactor.headers(request.headers),
                None if request.body is None else redactor.body(request.body),
                request.size,
                redactor.url(request.origin),
            )
        if response is not None:
            chunks = response.chunks
            response = Response(
                response.status,
                redactor.headers(response.headers),
                None if chunks is None else redactor.chunks(chunks),
                response.stream,
                response.size,
                response.delay,
                response.interval,
                response.drop,
                response.pauses,
            )
        violations = self.violations
        if violations:
            violations = tuple(Violation.from_dict(redactor.value(v.to_dict())) for v in violations)
        return replace(
            self,
            request=request,
            response=response,
            notes=tuple(redactor.text(n) for n in self.notes),
            violations=violations,
        )

    def without_bodies(self) -> Result:
        """This result with the bodies left out (their sizes kept).

        >>> Result("x", Request("POST", "/v1/x", body=b"{}")).without_bodies().request.size
        2
        """
        request = replace(self.request, body=None) if self.request is not None else None
        response = replace(self.response, chunks=None) if self.response is not None else None
        return replace(self, request=request, response=response)

    @classmethod
    def from_example(cls, example: ExampleResult) -> Result:
        """The result of checking one of the spec's examples (``conformance spec examples``):
        ``name`` is where the example is, ``operation`` its operationId (``None`` for a schema
        example, whose schema is named in the notes); an example that does not parse gets a
        ``response.decode`` violation, a skipped one its reason in ``skipped``.

        >>> Result.from_example(ExampleResult("#/paths/~1x/get/x-oaiMeta/examples/response", "listX", "Default", "skipped", "no 200")).skipped
        'no 200'
        """
        of_operation = example.pointer.startswith("#/paths/")
        violations = example.violations
        if example.status == UNPARSEABLE:
            decode = Violation(example.reason, where="example", code="response.decode")
            violations = (*violations, decode)
        named = () if of_operation else (f"schema {example.subject}",)
        return cls(
            example.subject if of_operation else None,
            notes=(*named, example.title),
            violations=violations,
            name=example.pointer,
            skipped=example.reason if example.status == SKIPPED else "",
        )

    @property
    def outcome(self) -> str:
        """``skipped``, ``valid`` or ``invalid`` (as ``spec examples`` names its verdicts).

        >>> Result(None, skipped="no 200 response").outcome
        'skipped'
        """
        return SKIPPED if self.skipped else VALID if self.valid else INVALID

    # -- JSON ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (one JSONL line); ``valid`` is derived, for readers such as ``jq``."""
        return {
            "operation": self.operation,
            "name": self.name,
            "request": self.request.to_dict() if self.request is not None else None,
            "response": self.response.to_dict() if self.response is not None else None,
            "started": self.started,
            "duration_ms": self.duration_ms,
            "request_id": self.request_id,
            "replay": self.replay.to_dict() if self.replay is not None else None,
            "notes": list(self.notes),
            "skipped": self.skipped,
            "valid": self.valid,
            "violations": [v.to_dict() for v in self.violations],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """The result a :meth:`to_dict` form describes (``valid`` is recomputed)."""
        request, response, replay = data.get("request"), data.get("response"), data.get("replay")
        return cls(
            data.get("operation"),
            Request.from_dict(request) if request is not None else None,
            Response.from_dict(response) if response is not None else None,
            float(data.get("started", 0.0)),
            float(data.get("duration_ms", 0.0)),
            data.get("request_id"),
            Replay.from_dict(replay) if replay is not None else None,
            tuple(data.get("notes") or ()),
            tuple(Violation.from_dict(v) for v in data.get("violations") or ()),
            data.get("name", ""),
            data.get("skipped", ""),
        )
