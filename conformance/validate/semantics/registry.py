"""The rule registry: a rule is a plain function over an :class:`Exchange`, registered once.

A rule's check yields :class:`Finding` s (what is wrong, where); its fixer, when it has one,
changes the answer so the check passes — the mock's ``typical`` answers are made by the same
rules the checks enforce.

>>> @rule("rule.usage.total", operations=("createChatCompletion",))  # doctest: +SKIP
... def usage_total(x):
...     ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..codes import CODES
from ..violation import ERROR, Violation
from .exchange import Exchange

__all__ = ["ANSWER", "REQUEST", "RULES", "Finding", "Rule", "api_code", "rule", "rules_for"]


@dataclass(frozen=True)
class Finding:
    """What a check found: a message, where (a JSON pointer into the body or the event's data;
    ``event`` the stream event's index), and the values compared.

    ``where`` is set only for findings about something else than the answer (``request.body``:
    the request contradicts itself; ``response.content-type``: JSON where a stream was asked).
    """

    message: str
    pointer: str = ""
    event: int | None = None
    expected: Any = None
    actual: Any = None
    param: str | None = None
    where: str | None = None


REQUEST = "request"
ANSWER = "answer"

Check = Callable[[Exchange], Iterable[Finding]]
Fix = Callable[[Exchange], None]


@dataclass
class Rule:
    """One semantic rule: a check over exchanges, optionally a fixer.

    ``operations`` limits it to those operationIds (empty: any operation whose answer has the
    shape it looks for); ``request`` means it needs the request (silent when unknown);
    ``stream`` limits it to streams (True) or JSON answers (False). ``side`` is ``"answer"``
    (judges the answer for the request) or ``"request"`` (judges what the client sent, as the
    API would: such a request gets a 400 with ``api_code``, OpenAI's ``error.code``).
    ``reshapes=False`` promises that the fixer only rewrites scalar values where scalars were
    (no object or list added, removed or moved): on a JSON answer, the shared walk of its
    objects (``common.located``) then outlives the fix.
    """

    code: str
    check: Check
    operations: frozenset[str] = frozenset()
    request: bool = False
    stream: bool | None = None
    severity: str = ERROR
    side: str = ANSWER
    api_code: str | None = None
    fix: Fix | None = field(default=None)
    reshapes: bool = True

    @property
    def description(self) -> str:
        """What the rule says (its line in the codes table)."""
        return CODES[self.code]

    def applies(self, x: Exchange) -> bool:
        """True when the rule has something to say about this exchange."""
        if self.operations and x.operation not in self.operations:
            return False
        if (self.request or self.side == REQUEST) and x.request is None:
            return False
        if self.side == REQUEST:
            return True
        return self.stream is None or self.stream == x.is_stream

    def fixer(self, fn: Fix) -> Fix:
        """Register the function that makes an answer comply (decorator)."""
        self.fix = fn
        return fn

    def violations(self, x: Exchange) -> list[Violation]:
        """The check's findings as violations of this rule's code."""
        out = []
        for f in self.check(x):
            where = f.where or (
                "request.body"
                if self.side == REQUEST
                else "stream.event"
                if f.event is not None
                else "stream"
                if x.is_stream
                else "response.body"
            )
            out.append(
                Violation(
                    f.message,
                    where=where,
                    pointer=f.pointer,
                    operation=x.operation,
                    event=f.event,
                    severity=self.severity,
                    code=self.code,
                    param=f.param,
                    expected=f.expected,
                    actual=f.actual,
                )
            )
        return out


RULES: list[Rule] = []
_BY_OPERATION: dict[str, list[Rule]] = {}


def rule(
    code: str,
    *,
    operations: Iterable[str] = (),
    request: bool = False,
    stream: bool | None = None,
    severity: str = ERROR,
    side: str = ANSWER,
    api_code: str | None = None,
    reshapes: bool = True,
) -> Callable[[Check], Rule]:
    """Register a check under a code of the codes table (decorator); returns the :class:`Rule`.

    >>> @rule("rule.usage.total")  # doctest: +SKIP
    ... def usage_total(x: Exchange) -> Iterator[Finding]: ...
    """
    if code not in CODES:
        raise KeyError(f"rule code {code!r} is not in conformance.validate.codes.CODES")

    def register(check: Check) -> Rule:
        made = Rule(
            code,
            check,
            frozenset(operations),
            request,
            stream,
            severity,
            side,
            api_code,
            reshapes=reshapes,
        )
        if any(r.code == code for r in RULES):
            raise ValueError(f"rule code {code!r} registered twice")
        RULES.append(made)
        _BY_OPERATION.clear()
        return made

    return register


def api_code(code: str) -> str | None:
    """OpenAI's ``error.code`` for a request rule's violation (None for other codes).

    >>> api_code("rule.request.stream-options")
    'invalid_value'
    """
    return next((r.api_code for r in RULES if r.code == code), None)


def rules_for(operation: str) -> list[Rule]:
    """The rules that may apply to an operation, in registration order (memoised)."""
    found = _BY_OPERATION.get(operation)
    if found is None:
        found = [r for r in RULES if not r.operations or operation in r.operations]
        _BY_OPERATION[operation] = found
    return found
