"""The request log: each request the mock saw, what it answered and what was wrong with it."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..validate import Violation

__all__ = ["Record", "RequestLog"]


@dataclass(frozen=True)
class Record:
    """One line of the request log."""

    time: float
    method: str
    path: str
    query: str
    operation: str | None
    status: int
    violations: tuple[Violation, ...] = ()
    faults: tuple[str, ...] = ()
    duration_ms: float = 0.0
    notes: tuple[str, ...] = field(default=())

    @property
    def valid(self) -> bool:
        """True when the request broke no rule of the spec."""
        return not any(v.is_error for v in self.violations)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (one JSONL line)."""
        return {
            "time": round(self.time, 6),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "operation": self.operation,
            "status": self.status,
            "valid": self.valid,
            "violations": [v.to_dict() for v in self.violations],
            "faults": list(self.faults),
            "duration_ms": round(self.duration_ms, 3),
            "notes": list(self.notes),
        }


class RequestLog:
    """Records in memory (the latest ``keep``, so a long-running server stays small), and every
    one as JSON lines in a file when a path is given.

    >>> log = RequestLog(); log.records, log.count
    ([], 0)
    """

    def __init__(self, path: str | Path | None = None, keep: int = 10_000) -> None:
        self._records: deque[Record] = deque(maxlen=keep)
        self.count = 0  # records added since the last clear, including those no longer kept
        self.path = Path(path) if path is not None else None
        self._file: IO[str] | None = None
        self._lock = threading.Lock()

    @property
    def records(self) -> list[Record]:
        """The latest records kept in memory, oldest first."""
        return list(self._records)

    def add(self, record: Record) -> None:
        """Keep a record; append it to the file at once (nothing is lost on a crash)."""
        with self._lock:
            self._records.append(record)
            self.count += 1
            if self.path is not None:
                if self._file is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self._file = self.path.open("a", encoding="utf-8")
                self._file.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
                self._file.flush()

    def invalid(self) -> list[Record]:
        """The records of requests that broke the spec."""
        return [r for r in self._records if not r.valid]

    def clear(self) -> None:
        """Forget the in-memory records (the file keeps its lines)."""
        with self._lock:
            self._records.clear()
            self.count = 0

    def close(self) -> None:
        """Close the file, if any."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
