"""``Violation``: the one type for every verdict the toolkit gives."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ..spec.refs import unescape
from .codes import code_for_keyword

__all__ = ["ERROR", "WARNING", "Violation", "param_path"]

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Violation:
    """One thing wrong (or, with ``severity="warning"``, suspicious) about a message.

    ``code`` is the verdict's stable identity (``schema.required``, ``stream.done-missing``,
    ``rule.chat.n-choices``…; the table is ``conformance.validate.codes.CODES``): match on it,
    never on ``message``, which may be reworded. A schema failure's code is derived from its
    ``keyword`` when not given.

    ``where`` names the part: ``request.path``, ``request.query``, ``request.header``,
    ``request.cookie``, ``request.content-type``, ``request.body``, ``response.status``,
    ``response.content-type``, ``response.header``, ``response.body``, ``stream`` (framing,
    sentinel) or ``stream.event`` (with ``event`` the 0-based event index).
    ``pointer`` is a JSON pointer into the instance (the body, the event's data, or
    ``/<name>`` for a parameter); ``schema_path`` the spec location of the failing keyword;
    ``keyword`` the JSON Schema keyword that failed (empty for verdicts that are not a schema
    keyword's). ``param`` is the OpenAI-style path of the offending field
    (``messages[0].role``), ``expected``/``actual`` the values compared, when there are any.

    >>> v = Violation("'id' is a required property", where="response.body", keyword="required")
    >>> v.code, str(v)
    ('schema.required', "response.body /: 'id' is a required property [schema.required]")
    """

    message: str
    where: str
    pointer: str = ""
    schema_path: str = ""
    keyword: str = ""
    operation: str = ""
    event: int | None = None
    severity: str = ERROR
    code: str = ""
    param: str | None = None
    expected: Any = None
    actual: Any = None

    def __post_init__(self) -> None:
        if not self.code and self.keyword:
            object.__setattr__(self, "code", code_for_keyword(self.keyword))

    @property
    def is_error(self) -> bool:
        """True unless this is a warning (e.g. an undeclared property outside strict mode)."""
        return self.severity == ERROR

    def __str__(self) -> str:
        where = self.where if self.event is None else f"{self.where}[{self.event}]"
        head = f"{self.operation} {where}" if self.operation else where
        tail = f" [{self.code}" + (f" at {self.schema_path}" if self.schema_path else "") + "]"
        prefix = "warning: " if self.severity == WARNING else ""
        return f"{prefix}{head} {self.pointer or '/'}: {self.message}" + (tail if self.code else "")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for reports and ``--json``), every field present.

        >>> Violation("x", where="stream", code="stream.empty").to_dict()["code"]
        'stream.empty'
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Violation:
        """The violation a :meth:`to_dict` dict describes (unknown keys are ignored).

        >>> Violation.from_dict(Violation("x", where="stream", code="stream.empty").to_dict()).code
        'stream.empty'
        """
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def param_path(pointer: str, *more: str) -> str | None:
    """The OpenAI-style ``param`` of a JSON pointer (then ``more`` names): ``messages[0].role``.

    >>> param_path("/messages/0", "role")
    'messages[0].role'
    """
    out = ""
    for token in [unescape(t) for t in pointer.split("/")[1:]] + list(more):
        out += f"[{token}]" if token.isdigit() else (f".{token}" if out else token)
    return out or None
