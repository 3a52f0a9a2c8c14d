"""Classification: what one client run against its session shows.

In order: an answer our own validator rejects is a **mock** bug (``fuzz.mock-bug``: the
client is not judged on it); then the client's **findings** — ``fuzz.invalid-request`` (it
sent what the spec forbids), ``fuzz.hang`` (killed at the timeout), ``fuzz.loop`` (more than
``loop`` requests to one path in a run), ``fuzz.crash`` (killed by a signal),
``fuzz.untyped-exception`` (an exception whose type the SDK does not declare: for
openai-python anything but an ``openai.*`` error; see :data:`TYPED`), ``fuzz.error-on-valid``
(it failed though every answer was a spec-valid 2xx, framed however the wire faults framed
it), ``fuzz.truncation-accepted`` (it succeeded on an answer cut short),
``fuzz.oracle-mismatch`` (what it printed as parsed differs from what was served); a failure
on an error answer or a fault that breaks or delays the answer is ``fuzz.expected``; a timeout
while the mock was still writing a paced answer is ``fuzz.inconclusive``; the rest is ok (no
code). The codes are verdict codes (``conformance.validate.codes``): an outcome is one
:class:`~conformance.validate.Violation` of the case (:meth:`Outcome.violation`).

>>> classify(run, records, validator).code  # doctest: +SKIP
'fuzz.untyped-exception'
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import sse
from ..results import Result
from ..validate import Validator, Violation
from ..validate.codes import CODES
from ..validate.violation import ERROR, WARNING
from .case import kind_of

__all__ = [
    "KINDS",
    "TYPED",
    "Outcome",
    "Run",
    "classify",
    "code_of",
    "compare",
    "exception_of",
    "served_value",
]

# exception names (as a traceback's last line or an ``exception: NAME: …`` line gives them) that
# an SDK declares: openai-python's (``openai.APIConnectionError``…), the node client's line
TYPED = r"^openai\."
_TRACEBACK = "Traceback (most recent call last):"
_NAME = re.compile(r"^([A-Za-z_][\w.]*)(?::|$)")
_LINE = re.compile(r"^exception: ([A-Za-z_][\w.]*)", re.MULTILINE)


@dataclass(frozen=True)
class Run:
    """How a client run ended: ``exit`` status (``-N``: killed by signal N), ``timed_out``,
    ``stdout``/``stderr`` (text), ``seconds`` taken.

    >>> Run(0, False, "{}", "", 0.4).failed
    False
    """

    exit: int
    timed_out: bool
    stdout: str
    stderr: str
    seconds: float

    @property
    def failed(self) -> bool:
        """Did the client fail (non-zero exit, signal or timeout)?"""
        return self.timed_out or self.exit != 0


# each outcome's verdict code, and the kind of outcome it is: ``client`` findings and ``mock``
# bugs are errors, ``expected`` failures and ``inconclusive`` runs warnings; ok has no code
KINDS: dict[str, str] = {
    "fuzz.mock-bug": "mock",
    "fuzz.invalid-request": "client",
    "fuzz.hang": "client",
    "fuzz.loop": "client",
    "fuzz.crash": "client",
    "fuzz.untyped-exception": "client",
    "fuzz.error-on-valid": "client",
    "fuzz.truncation-accepted": "client",
    "fuzz.oracle-mismatch": "client",
    "fuzz.expected": "expected",
    "fuzz.inconclusive": "inconclusive",
}


@dataclass(frozen=True)
class Outcome:
    """The verdict on a run: its ``code`` (a ``fuzz.*`` verdict code, see :data:`KINDS`;
    ``""`` when ok), ``detail`` (one line of evidence), ``exchange`` (index in the session's
    records of the answer it is about, or -1). ``kind`` and ``symptom`` are read from the code.

    >>> o = Outcome("fuzz.loop", "9 requests to POST /v1/chat/completions", 8)
    >>> o.kind, o.symptom, o.finding
    ('client', 'loop', True)
    """

    code: str = ""
    detail: str = ""
    exchange: int = -1

    def __post_init__(self) -> None:
        if self.code and (self.code not in KINDS or self.code not in CODES):
            raise ValueError(f"{self.code!r} is not a fuzz outcome code ({', '.join(KINDS)})")

    @property
    def kind(self) -> str:
        """``ok``, ``expected``, ``client``, ``mock`` or ``inconclusive`` (timed out while the
        mock was still writing a slow answer)."""
        return KINDS[self.code] if self.code else "ok"

    @property
    def symptom(self) -> str:
        """What a finding is (``hang``, ``untyped-exception``, ``mock-bug``…: the code without
        ``fuzz.``); ``""`` when the run is not a finding."""
        return self.code.removeprefix("fuzz.") if self.finding else ""

    @property
    def finding(self) -> bool:
        """A client finding or a mock bug (what a fuzz run reports)."""
        return self.kind in ("client", "mock")

    @property
    def severity(self) -> str:
        """``error`` for a finding, ``warning`` for an expected failure or an inconclusive run."""
        return ERROR if self.finding else WARNING

    def violation(self, operation: str = "") -> Violation | None:
        """The outcome as the case's verdict (``None`` when ok): coded, ``where`` the client
        (the mock for a mock bug), the detail as its message.

        >>> Outcome("fuzz.hang", "no exit within 20.0s").violation("listModels").code
        'fuzz.hang'
        """
        if not self.code:
            return None
        return Violation(
            self.detail or CODES[self.code],
            where="mock" if self.kind == "mock" else "client",
            operation=operation,
            severity=self.severity,
            code=self.code,
        )


def code_of(kind: str, symptom: str = "") -> str:
    """The code of an outcome given as kind and symptom (how results files written before the
    codes name it in their notes: ``outcome: client``, ``symptom: hang``); ``""`` for ok.

    >>> code_of("client", "hang"), code_of("mock", "invalid-answer"), code_of("ok")
    ('fuzz.hang', 'fuzz.mock-bug', '')
    """
    if kind == "mock":
        return "fuzz.mock-bug"
    if kind in ("expected", "inconclusive"):
        return f"fuzz.{kind}"
    code = f"fuzz.{symptom}"
    return code if kind == "client" and KINDS.get(code) == "client" else ""


def exception_of(stderr: str) -> str | None:
    """The type of the exception a client died of: the last line of its last traceback
    (``json.decoder.JSONDecodeError``), or an ``exception: NAME: …`` line; ``None``: none.

    >>> exception_of("Traceback (most recent call last):\\n  File x\\nKeyError: 'id'\\n")
    'KeyError'
    """
    found = None
    if _TRACEBACK in stderr:
        tail = stderr[stderr.rindex(_TRACEBACK) + len(_TRACEBACK) :].splitlines()
        for line in tail:
            if line and not line[0].isspace():
                match = _NAME.match(line)
                if match:
                    found = match.group(1)
                    break
    lines = _LINE.findall(stderr)
    return lines[-1] if lines else found


def served_value(record: Result) -> Any:
    """What an answer gave a client to parse: the JSON body, or the JSON data of each stream
    event but ``[DONE]`` (``None`` when it does not parse).

    >>> served_value(Result("x", response=Response(200, chunks=(b'{"a": 1}',))))  # doctest: +SKIP
    {'a': 1}
    """
    response = record.response
    if response is None or response.body is None:
        return None
    if response.stream:
        try:
            events = sse.parse(response.body).events
            return [json.loads(e.data) for e in events if e.data and e.data != "[DONE]"]
        except ValueError:
            return None
    try:
        return json.loads(response.body)
    except ValueError:
        return None


# what an SDK computes itself, whatever the answer says (the spec: "SDK-only convenience
# property"; the API never sends it — 0 of 346 recorded Responses)
SDK_COMPUTED = frozenset({"output_text"})


def compare(expected: Any, got: Any, path: str = "") -> list[str]:
    """Where ``got`` (what a client parsed) differs from ``expected`` (what was served): keys
    missing, values changed, lists of another length. Keys a client adds (defaults) are allowed,
    and ``SDK_COMPUTED`` keys skipped; numbers compare as IEEE doubles, the precision JSON
    promises between implementations (RFC 8259 §6: 2**64 parsed as 18446744073709552000 by a
    JavaScript client is the same number), booleans only with booleans.

    >>> compare({"a": [1, 2], "b": "x", "n": 2**64}, {"a": [1, 2.0], "b": "y", "c": None, "n": 18446744073709552000})
    ["/b: served 'x', parsed 'y'"]
    """
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"{path or '/'}: served an object, parsed {type(got).__name__}"]
        out: list[str] = []
        for key, value in expected.items():
            if key in SDK_COMPUTED:
                continue
            if key not in got:
                if value is not None:
                    out.append(f"{path}/{key}: missing")
                continue
            out += compare(value, got[key], f"{path}/{key}")
        return out
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            size = len(got) if isinstance(got, list) else type(got).__name__
            return [f"{path or '/'}: served {len(expected)} items, parsed {size}"]
        return [
            m
            for i, (e, g) in enumerate(zip(expected, got, strict=True))
            for m in compare(e, g, f"{path}/{i}")
        ]
    if isinstance(expected, bool) or isinstance(got, bool):
        same = isinstance(got, bool) and got is expected
    elif isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        near = _double(expected)
        same = expected == got or (near is not None and near == _double(got))
    else:
        same = expected == got
    return [] if same else [f"{path or '/'}: served {_short(expected)}, parsed {_short(got)}"]


def _double(value: float) -> float | None:
    try:
        return float(value)
    except OverflowError:  # beyond any double: only equal to itself
        return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _invalid(records: Sequence[Result], validator: Validator) -> tuple[int, str] | None:
    """The first answer the mock served that its own validator rejects (faults that break an
    answer, and answers to requests it refused, aside)."""
    for index, record in enumerate(records):
        response = record.response
        if record.operation is None or response is None or response.body is None:
            continue
        if not record.valid:  # a refused request: its error answer is the client's finding
            continue
        if any(kind_of(f) in ("error", "breaking") for f in record.faults):
            continue
        if response.stream:
            found = validator.stream(record.operation, response.body, status=response.status)
        else:
            found = validator.response(
                record.operation,
                status=response.status,
                headers=response.headers,
                body=response.body,
            )
        errors = [v for v in found if v.is_error]
        if errors:
            return index, f"{record.operation} {response.status}: {errors[0]}"
    return None


def classify(
    run: Run,
    records: Sequence[Result],
    validator: Validator | None,
    *,
    oracle: bool = False,
    typed: str = TYPED,
    loop: int = 5,
) -> Outcome:
    """The outcome of one run from how it ended and what its session served (``records``).

    ``validator`` checks the answers (``None``: not checked); ``oracle``: the client printed
    what it parsed as JSON on stdout, compared with the last 2xx answer; ``typed``: a regex the
    name of an exception the SDK declares matches; ``loop``: the most requests to one method
    and path a run may make.
    """
    if validator is not None:
        bad = _invalid(records, validator)
        if bad is not None:
            return Outcome("fuzz.mock-bug", bad[1], bad[0])
    for index, record in enumerate(records):
        if record.request is not None and not record.valid:
            return Outcome("fuzz.invalid-request", str(record.errors[0]), index)
    if run.timed_out:
        slowest = max(records, key=_delivery, default=None)
        if slowest is not None and _delivery(slowest) >= run.seconds / 2:
            pieces = len(slowest.response.chunks or ()) if slowest.response is not None else 0
            why = f"the mock was still writing ({pieces} pieces, about {_delivery(slowest):.0f}s)"
            return Outcome("fuzz.inconclusive", why, records.index(slowest))
        return Outcome("fuzz.hang", f"no exit within {run.seconds:.1f}s", len(records) - 1)
    paths = Counter((r.method, r.path) for r in records)
    if paths:
        (method, path), count = paths.most_common(1)[0]
        if count > loop:
            last = max(i for i, r in enumerate(records) if (r.method, r.path) == (method, path))
            return Outcome("fuzz.loop", f"{count} requests to {method} {path}", last)
    if run.exit < 0:
        return Outcome("fuzz.crash", f"killed by signal {-run.exit}", len(records) - 1)
    last = len(records) - 1
    exception = exception_of(run.stderr)
    if run.exit != 0 and exception is not None and not re.search(typed, exception):
        return Outcome("fuzz.untyped-exception", _tail(run.stderr, exception), last)
    faulted = [i for i, r in enumerate(records) if any(kind_of(f) != "wire" for f in r.faults)]
    errors = [i for i, r in enumerate(records) if (r.status or 0) >= 400]
    if run.exit != 0:
        if faulted or errors or not records:
            why = "a fault" if faulted else "an error answer" if errors else "no request"
            return Outcome("fuzz.expected", f"failed on {why}: {exception or run.exit}", last)
        return Outcome("fuzz.error-on-valid", _tail(run.stderr, exception), last)
    cut = [
        i
        for i, r in enumerate(records)
        if {f.partition("=")[0] for f in r.faults} & {"drop", "truncate"}
        and i == max(j for j, s in enumerate(records) if (s.method, s.path) == (r.method, r.path))
    ]
    if cut:
        record = records[cut[-1]]
        return Outcome(
            "fuzz.truncation-accepted",
            f"exit 0 after {','.join(record.faults)} on {record.method} {record.path}",
            cut[-1],
        )
    if oracle:
        return _oracle(run, records)
    return Outcome(exchange=last)


def _oracle(run: Run, records: Sequence[Result]) -> Outcome:
    answered = [i for i, r in enumerate(records) if 200 <= (r.status or 0) < 300]
    if not answered:
        return Outcome()
    index = answered[-1]
    try:
        got = json.loads(run.stdout.strip().split("\n")[-1]) if run.stdout.strip() else None
    except ValueError:
        return Outcome("fuzz.oracle-mismatch", "stdout is not JSON", index)
    if got is None:
        return Outcome(exchange=index)
    expected = served_value(records[index])
    differences = compare(expected, got)
    if differences:
        more = f" (and {len(differences) - 1} more)" if len(differences) > 1 else ""
        return Outcome("fuzz.oracle-mismatch", differences[0] + more, index)
    return Outcome(exchange=index)


def _delivery(record: Result) -> float:
    """About how long the mock takes to write an answer: its delay, its stalls' pauses, the
    interval and a write each chunk (a millisecond: what a paced write costs on a busy
    machine)."""
    response = record.response
    if response is None:
        return 0.0
    count = len(response.chunks or ())
    stalls = sum(seconds for _, seconds in response.pauses)
    return response.delay + stalls + count * (response.interval + 0.001)


def _tail(stderr: str, exception: str | None) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    last = next((line for line in reversed(lines) if exception and line.startswith(exception)), "")
    text = last or (lines[-1] if lines else "(no output)")
    return text if len(text) <= 200 else text[:197] + "..."
