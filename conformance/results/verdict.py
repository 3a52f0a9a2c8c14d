"""``Verdict``: the graded judgement of one operation on one check, over the exchanges that
showed it — what a suite run concludes and a report shows as one row (one JUnit testcase).

Grades, worst first (``GRADES``): ``fail`` (the server breaks the spec or OpenAI's behaviour),
``inconclusive`` (a budget, a timeout or a bound cut it short, or nothing could be judged),
``ignored`` (a parameter accepted without effect), ``warn`` (undeclared fields, weak semantics,
deviations OpenAI's own API makes too), ``unsupported`` (the server does not serve it, and says
so properly), ``pass``. Axes of a server (``AXES``): ``schema`` conformance, OpenAI
``semantics``, ``capability``; and ``client`` (``ALL_AXES``): how a client took the answers it
was served (``fuzz.*``, client fuzzing).

>>> v = Verdict("createChatCompletion", "rule.chat.n-choices", "capability", "ignored", results=(3,))
>>> Verdict.from_dict(v.to_dict()) == v, worst(["pass", "warn", "ignored"])
(True, 'ignored')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ALL_AXES", "AXES", "GRADES", "Verdict", "axis_of", "worst"]

GRADES: tuple[str, ...] = ("fail", "inconclusive", "ignored", "warn", "unsupported", "pass")
AXES: tuple[str, ...] = ("schema", "semantics", "capability")  # a server's
ALL_AXES: tuple[str, ...] = (*AXES, "client")
_RANK = {g: i for i, g in enumerate(GRADES)}


def axis_of(code: str) -> str:
    """The axis a verdict code belongs to: ``rule.*``, ``server.*`` and ``error.*`` are OpenAI
    semantics, ``capability.*`` capability, ``fuzz.*`` the client's, the rest (``schema.*``,
    ``response.*``, ``stream.*``, ``undeclared.*``, ``transport.*``) schema.

    >>> axis_of("schema.required"), axis_of("error.envelope"), axis_of("fuzz.hang")
    ('schema', 'semantics', 'client')
    """
    head = code.split(".", 1)[0]
    if head == "fuzz":
        return "client"
    if head in ("rule", "server", "error"):
        return "semantics"
    if head == "capability":
        return "capability"
    return "schema"


def worst(grades: Iterable[str], default: str = "pass") -> str:
    """The worst of some grades (``default`` when there are none).

    >>> worst([], default="inconclusive")
    'inconclusive'
    """
    return min(grades, key=_RANK.__getitem__, default=default)


@dataclass(frozen=True)
class Verdict:
    """One operation on one check: its ``axis``, ``grade``, the ``codes`` behind it, ``notes``
    (why a deviation is only a warning, what a capability probe found), ``message`` (the first
    violation's text) and ``results``: the indexes, in the run's results, of the exchanges that
    show it (the first is the example a report prints).

    ``check`` is a verdict code (``rule.chat.n-choices``, ``error.envelope``…) or a group of
    them (``schema``, ``stream``, ``undeclared``) when the check passed.
    """

    operation: str
    check: str
    axis: str
    grade: str
    codes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    message: str = ""
    results: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.grade not in _RANK:
            raise ValueError(f"grade {self.grade!r} is not one of {', '.join(GRADES)}")
        if self.axis not in ALL_AXES:
            raise ValueError(f"axis {self.axis!r} is not one of {', '.join(ALL_AXES)}")

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies the verdict within a run: operation, check, axis."""
        return (self.operation, self.check, self.axis)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "operation": self.operation,
            "check": self.check,
            "axis": self.axis,
            "grade": self.grade,
            "codes": list(self.codes),
            "notes": list(self.notes),
            "message": self.message,
            "results": list(self.results),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        """The verdict a :meth:`to_dict` form describes."""
        return cls(
            data["operation"],
            data["check"],
            data["axis"],
            data["grade"],
            tuple(data.get("codes") or ()),
            tuple(data.get("notes") or ()),
            data.get("message") or "",
            tuple(data.get("results") or ()),
        )
