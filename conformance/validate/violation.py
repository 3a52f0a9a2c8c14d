"""``Violation``: the one type for every verdict the toolkit gives."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["ERROR", "WARNING", "Violation"]

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Violation:
    """One thing wrong (or, with ``severity="warning"``, suspicious) about a message.

    ``where`` names the part: ``request.path``, ``request.query``, ``request.header``,
    ``request.cookie``, ``request.content-type``, ``request.body``, ``response.status``,
    ``response.content-type``, ``response.header``, ``response.body``, ``stream`` (framing,
    sentinel) or ``stream.event`` (with ``event`` the 0-based event index).
    ``pointer`` is a JSON pointer into the instance (the body, the event's data, or
    ``/<name>`` for a parameter); ``schema_path`` the spec location of the failing keyword;
    ``keyword`` the JSON Schema keyword (or ``status``, ``content-type``, ``framing``,
    ``done``, ``undeclared``…).

    >>> v = Violation("'id' is a required property", where="response.body", keyword="required")
    >>> str(v)
    "response.body /: 'id' is a required property [required]"
    """

    message: str
    where: str
    pointer: str = ""
    schema_path: str = ""
    keyword: str = ""
    operation: str = ""
    event: int | None = None
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        """True unless this is a warning (e.g. an undeclared property outside strict mode)."""
        return self.severity == ERROR

    def __str__(self) -> str:
        where = self.where if self.event is None else f"{self.where}[{self.event}]"
        head = f"{self.operation} {where}" if self.operation else where
        tail = f" [{self.keyword}" + (f" at {self.schema_path}" if self.schema_path else "") + "]"
        prefix = "warning: " if self.severity == WARNING else ""
        return f"{prefix}{head} {self.pointer or '/'}: {self.message}" + (
            tail if self.keyword else ""
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for reports and ``--json``)."""
        return asdict(self)
