"""Deviations OpenAI's own API makes: what its recorded answers break of its own spec, learned
from real traffic, so that the suites grade a server doing the same ``warn`` (with a note
saying so), never ``fail``.

A deviation is a fingerprint — operation, where, code and pointer with array indices as ``*``
(``/choices/*/message/refusal``) — with how many recorded answers of that operation showed it.
The fingerprint is kept narrow, so that what OpenAI does excuses nothing else: a missing
required property's pointer names the property (the violation's pointer is its object); an
undocumented status's is the status (``/404``); a type mismatch that is a null is told apart
from any other (``found="null"``: OpenAI's nulls excuse no float timestamp). The learned deviations of the OpenAI specs ship as ``openai_deviations.json``
beside this module (written by ``scripts/learn_deviations.py``).

>>> from conformance.suites.deviations import known
>>> known(spec).note("createChatCompletion", violation)  # doctest: +SKIP
"OpenAI's API does this too: 167 of 1,277 recorded createChatCompletion answers (…)"
"""

from __future__ import annotations

import base64
import calendar
import json
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .. import sse
from ..errors import InputError
from ..spec import Operation, Spec
from ..spec.refs import escape
from ..validate import Validator, Violation
from ..validate.semantics import Exchange, check

__all__ = ["Deviation", "Deviations", "fingerprint", "known", "learn", "normalize", "spec_key"]

DATA = "openai_deviations.json"
FORMAT = "openai-conformance/deviations"
VERSION = 1

# the answers a deviation is counted among, by its ``where``
STREAMS = "streams"  # stream, stream.event
ANSWERS = "answers"  # response.*: every answer not read as a stream
EXCHANGES = "exchanges"  # request.*: a request-side rule's, among every answer

_INDEX = re.compile(r"(?<=/)\d+(?=/|$)")
_EXAMPLE = 160  # characters of an example message kept

Key = tuple[str, str, str, str, str]


def normalize(pointer: str) -> str:
    """A JSON pointer with its array indices (all-digit tokens) as ``*``.

    >>> normalize("/choices/0/message/tool_calls/12/id")
    '/choices/*/message/tool_calls/*/id'
    """
    return _INDEX.sub("*", pointer)


def fingerprint(operation: str, violation: Violation) -> Key:
    """(operation, where, code, pointer, found) of a violation, as deviations are matched:
    indices as ``*``; a missing required property's pointer extended by its name; an
    undocumented status's pointer ``/<status>``; ``found`` is ``"null"`` for a type mismatch
    that is a null, else empty.

    >>> v = Violation('"refusal" is a required property', where="response.body",
    ...               pointer="/choices/0/message", keyword="required", expected="refusal")
    >>> fingerprint("createChatCompletion", v)
    ('createChatCompletion', 'response.body', 'schema.required', '/choices/*/message/refusal', '')
    """
    pointer = normalize(violation.pointer)
    found = ""
    if violation.code == "schema.required" and isinstance(violation.expected, str):
        pointer += "/" + escape(violation.expected)
    elif violation.code == "response.status" and isinstance(violation.actual, int):
        pointer = f"/{violation.actual}"
    elif violation.code == "schema.type" and _is_null(violation):
        found = "null"
    return (operation, violation.where, violation.code, pointer, found)


def _is_null(violation: Violation) -> bool:
    """True when a type mismatch is a null. Schema violations carry no ``actual``, so this reads
    the engine's message (``null is not of type "string"``); learning and matching read it the
    same way, and the test that the shipped file is what ``learn`` gives now sees any rewording."""
    if violation.actual is not None:
        return False
    return violation.message.split(" ", 1)[0] in ("null", "None")


def _form(where: str) -> str:
    if where.startswith("stream"):
        return STREAMS
    return EXCHANGES if where.startswith("request") else ANSWERS


@dataclass(frozen=True)
class Deviation:
    """One deviation of OpenAI's recorded answers from their spec: ``count`` of the ``seen``
    answers of ``operation`` in the traffic showed ``code`` at ``pointer`` (normalized, see
    :func:`fingerprint`) in ``where``, with ``found`` (``"null"``: a type mismatch that is a
    null); ``example_message`` is one such violation's (the shortest). ``seen`` counts the streams for a ``stream*`` ``where``, the answers not read as
    a stream for ``response.*``, and both for a request-side rule's ``request.*``.

    >>> Deviation("createChatCompletion", "schema.type", "/system_fingerprint",
    ...           "response.body", 167, 1277, 'null is not of type "string"', "null").key
    ('createChatCompletion', 'response.body', 'schema.type', '/system_fingerprint', 'null')
    """

    operation: str
    code: str
    pointer: str
    where: str
    count: int
    seen: int
    example_message: str = ""
    found: str = ""

    @property
    def key(self) -> Key:
        """The fingerprint it matches: (operation, where, code, pointer, found)."""
        return (self.operation, self.where, self.code, self.pointer, self.found)

    @property
    def note(self) -> str:
        """The one-line note a verdict carries.

        >>> Deviation("listModels", "schema.type", "/data/*/created", "response.body", 2, 9).note
        "OpenAI's API does this too: 2 of 9 recorded listModels answers (schema.type at /data/*/created)"
        """
        example = f"; e.g. {self.example_message}" if self.example_message else ""
        return (
            f"OpenAI's API does this too: {self.count:,} of {self.seen:,} recorded "
            f"{self.operation} {_form(self.where)} ({self.code} at {self.pointer or '/'}{example})"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, every field present.

        >>> Deviation("a", "b", "", "stream", 1, 2).to_dict()["seen"]
        2
        """
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Deviation:
        """The deviation a :meth:`to_dict` dict describes.

        >>> Deviation.from_dict(Deviation("a", "b", "", "stream", 1, 2).to_dict()).count
        1
        """
        return cls(
            operation=str(data["operation"]),
            code=str(data["code"]),
            pointer=str(data["pointer"]),
            where=str(data["where"]),
            count=int(data["count"]),
            seen=int(data["seen"]),
            example_message=str(data.get("example_message", "")),
            found=str(data.get("found", "")),
        )


class Deviations:
    """The deviations learned for one spec, sorted by fingerprint; :meth:`note` says whether a
    violation is one of them.

    >>> d = Deviations([Deviation("listModels", "schema.type", "/data/*/created", "response.body", 2, 9)])
    >>> d.note("listModels", Violation("x", where="response.body", pointer="/data/4/created", code="schema.type"))[:27]
    "OpenAI's API does this too:"
    """

    __slots__ = ("_by_key", "deviations")

    def __init__(self, deviations: Iterable[Deviation] = ()) -> None:
        self.deviations: tuple[Deviation, ...] = tuple(sorted(deviations, key=lambda d: d.key))
        self._by_key = {d.key: d for d in self.deviations}

    def __iter__(self) -> Iterator[Deviation]:
        return iter(self.deviations)

    def __len__(self) -> int:
        return len(self.deviations)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Deviations) and self.deviations == other.deviations

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Deviations(<{len(self.deviations)} deviations>)"

    def get(self, operation: str, violation: Violation) -> Deviation | None:
        """The learned deviation a violation of ``operation`` matches, if any."""
        return self._by_key.get(fingerprint(operation, violation))

    def note(self, operation: str, violation: Violation) -> str | None:
        """ "OpenAI's API does this too: …" when the violation matches a learned deviation, else
        None (the grader's ``known`` callback)."""
        found = self.get(operation, violation)
        return found.note if found is not None else None

    def to_dict(self) -> dict[str, Any]:
        """``{"deviations": [...]}``, sorted (deterministic JSON).

        >>> Deviations().to_dict()
        {'deviations': []}
        """
        return {"deviations": [d.to_dict() for d in self.deviations]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Deviations:
        """The deviations a :meth:`to_dict` dict describes.

        >>> len(Deviations.from_dict({"deviations": []}))
        0
        """
        return cls(Deviation.from_dict(d) for d in data.get("deviations", ()))


# -- learning ---------------------------------------------------------------------------------


def learn(spec: Spec, traffic_dir: Path) -> Deviations:
    """Every deviation of the recorded answers in ``traffic_dir`` (``index.json`` and one JSON
    file per interaction, as ``../shared/real-traffic`` holds them) from ``spec``: each answer
    routed to its operation and validated (JSON body or SSE stream; errors and warnings), and
    the semantic rules run over each exchange the API answered with a 2xx (over an error answer
    they have nothing to judge; a request-side rule's finding on a request the API refused is
    the API agreeing).

    >>> learn(spec, Path("../shared/real-traffic"))  # doctest: +SKIP
    """
    validator = Validator(spec)
    seen: Counter[tuple[str, str]] = Counter()  # (operation, STREAMS or ANSWERS)
    count: Counter[Key] = Counter()
    example: dict[Key, str] = {}
    for op, params, interaction in _routed(spec, Path(traffic_dir)):
        form, found = _judged(validator, op, params, interaction)
        seen[(op.operation_id, form)] += 1
        keys: set[Key] = set()
        for v in found:
            key = fingerprint(op.operation_id, v)
            keys.add(key)
            message = " ".join(v.message.split())[:_EXAMPLE]
            kept = example.get(key)
            if kept is None or (len(message), message) < (len(kept), kept):
                example[key] = message  # the shortest, whatever the order read
        count.update(keys)
    return Deviations(
        Deviation(
            operation=key[0],
            code=key[2],
            pointer=key[3],
            where=key[1],
            count=n,
            seen=_seen(seen, key),
            example_message=example[key],
            found=key[4],
        )
        for key, n in count.items()
    )


def _seen(seen: Counter[tuple[str, str]], key: Key) -> int:
    form = _form(key[1])
    if form == EXCHANGES:
        return seen[(key[0], STREAMS)] + seen[(key[0], ANSWERS)]
    return seen[(key[0], form)]


def _routed(
    spec: Spec, traffic_dir: Path
) -> Iterator[tuple[Operation, dict[str, str], dict[str, Any]]]:
    """Each recorded interaction the spec routes, with its operation and path parameters."""
    index_file = traffic_dir / "index.json"
    try:
        index = json.loads(index_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{index_file}: cannot read the traffic index ({exc})") from exc
    for entry in index:
        interaction = json.loads((traffic_dir / entry["file"]).read_text(encoding="utf-8"))
        routed = spec.match(interaction["method"], urlsplit(interaction["url"]).path)
        if routed is not None:
            yield routed[0], routed[1], interaction


def _judged(
    validator: Validator, op: Operation, params: dict[str, str], interaction: dict[str, Any]
) -> tuple[str, list[Violation]]:
    """The form of a recorded answer (streams or answers) and every violation of it."""
    request = interaction["request"]
    response = interaction["response"]
    status = int(response["status"])
    kind = response["body_kind"]
    headers = {str(k).lower(): str(v) for k, v in (response.get("headers") or {}).items()}
    common: dict[str, Any] = {
        "status": status,
        "query": dict(parse_qsl(urlsplit(interaction["url"]).query, keep_blank_values=True)),
        "path_params": params,
        "time": _recorded(interaction.get("recorded")),
    }
    asked = request.get("body") if request.get("body_kind") == "json" else None
    if kind == "sse" and op.stream_for(status) is not None:
        found = validator.stream(op, response["body"], status=status)
        x = Exchange.streamed(op.operation_id, asked, sse.parse(response["body"]).events, **common)
        form = STREAMS
    else:
        body: Any = response["body"]
        ctype = headers.get("content-type")
        if kind == "json":
            ctype = "application/json"  # the body is recorded parsed; its charset is no matter
        elif kind == "base64":
            body = base64.b64decode(body)
        elif kind == "empty":
            body = None
        found = validator.response(op, status=status, body=body, content_type=ctype)
        x = Exchange(op.operation_id, asked, body=body if kind == "json" else None, **common)
        if kind == "sse":  # a stream where none is documented: the rules see no body
            x.events = []
        form = ANSWERS
    # the rules judge the answer to a request (and a request the API accepted): an error
    # answer is the error envelope's to judge, and a request it refused agrees with them
    return form, found + (check(x) if 200 <= status < 300 else [])


def _recorded(recorded: Any) -> float | None:
    """When an interaction was recorded (unix seconds, midnight UTC), for the timestamp rules."""
    if isinstance(recorded, dict):  # {"date": "2024-04-27", "raw": ..., "source": ...}
        recorded = recorded.get("date")
    if not isinstance(recorded, str) or len(recorded) < 10:
        return None
    try:
        return float(calendar.timegm(time.strptime(recorded[:10], "%Y-%m-%d")))
    except ValueError:
        return None


# -- the shipped deviations -------------------------------------------------------------------


def spec_key(spec: Spec) -> str:
    """What the shipped deviations are keyed by: the spec's title, ``info.version`` and OpenAPI
    version (both OpenAI snapshots say ``OpenAI API`` 2.3.0; 3.0 and 3.1 tell them apart).

    >>> spec_key(spec)  # doctest: +SKIP
    'OpenAI API 2.3.0 (OpenAPI 3.0.0)'
    """
    return f"{spec.title} {spec.api_version} (OpenAPI {spec.openapi})"


def known(spec: Spec) -> Deviations:
    """The learned deviations shipped for this spec (matched by :func:`spec_key`); none for a
    spec they were not learned on.

    >>> len(known(spec)) > 100  # doctest: +SKIP
    True
    """
    return _shipped().get(spec_key(spec), Deviations())


@cache
def _shipped() -> dict[str, Deviations]:
    data = json.loads(files("conformance.suites").joinpath(DATA).read_text(encoding="utf-8"))
    return {key: Deviations.from_dict(entry) for key, entry in data.get("specs", {}).items()}
