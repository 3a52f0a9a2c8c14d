"""The request log: each exchange the mock had — the request, the answer it sent, the replay key
and what was wrong with the request — as ``conformance.results.Result`` s.

Secrets are always redacted before a result is kept (credential headers, key-like query
parameters, ``sk-…``/``sess-…`` tokens anywhere, values the user names). Bodies are kept
unless ``bodies=False`` (then only their sizes), in memory and in the file alike. The file is
JSON lines: a head line (format, version, tool, spec, the mock's settings) each time the log
opens it, then one result per line, flushed as it is written.

>>> log = RequestLog(); log.records, log.count
([], 0)
"""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path
from typing import IO

from ..results import Document, Redactor, Result
from ..results.document import result_line

__all__ = ["RequestLog"]


class RequestLog:
    """Results in memory (the latest ``keep``, with at most ``keep_bytes`` bytes of bodies, so a
    long-running server stays small; the newest is kept however big), and every one as JSON
    lines in a file when a path is given.

    ``bodies`` keeps request and response bodies (else only their sizes); ``redactor`` replaces
    secrets (a default one when not given); ``head`` is the document whose head line starts
    the file (its results are ignored).

    >>> log = RequestLog("requests.jsonl", bodies=False, redactor=Redactor(values=["s3cret"]))  # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | Path | None = None,
        keep: int = 10_000,
        *,
        keep_bytes: int = 64 * 1024 * 1024,
        bodies: bool = True,
        redactor: Redactor | None = None,
        head: Document | None = None,
    ) -> None:
        self._records: deque[Result] = deque(maxlen=keep)
        self._sizes: deque[int] = deque()  # body bytes of each record kept, in the same order
        self.keep_bytes = keep_bytes
        self._bytes = 0
        self.count = 0  # records added since the last clear, including those no longer kept
        self.path = Path(path) if path is not None else None
        self.bodies = bodies
        self.redactor = redactor if redactor is not None else Redactor()
        self.head = head if head is not None else Document()
        self._file: IO[str] | None = None
        self._lock = threading.Lock()

    @property
    def records(self) -> list[Result]:
        """The latest records kept in memory, oldest first."""
        return list(self._records)

    def add(self, record: Result) -> Result:
        """Redact a record (and drop its bodies unless kept), keep it, and append it to the file
        at once (nothing is lost on a crash); the record as kept is returned."""
        record = record.redacted(self.redactor)
        if not self.bodies:
            record = record.without_bodies()
        line = result_line(record) if self.path is not None else ""
        size = _body_bytes(record)
        with self._lock:
            if len(self._records) == self._records.maxlen:
                self._bytes -= self._sizes.popleft()
            self._records.append(record)
            self._sizes.append(size)
            self._bytes += size
            while self._bytes > self.keep_bytes and len(self._records) > 1:
                self._records.popleft()
                self._bytes -= self._sizes.popleft()
            self.count += 1
            if self.path is not None:
                if self._file is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self._file = self.path.open("a", encoding="utf-8")
                    self._file.write(Document(spec=self.head.spec, run=self.head.run).to_jsonl())
                self._file.write(line + "\n")
                self._file.flush()
        return record

    def invalid(self) -> list[Result]:
        """The records of requests that broke the spec."""
        return [r for r in self._records if not r.valid]

    def document(self) -> Document:
        """The records kept in memory as a results document (with the log's head).

        >>> RequestLog().document().results
        []
        """
        return Document(self.records, spec=self.head.spec, run=self.head.run)

    def clear(self) -> None:
        """Forget the in-memory records (the file keeps its lines)."""
        with self._lock:
            self._records.clear()
            self._sizes.clear()
            self._bytes = 0
            self.count = 0

    @property
    def size(self) -> int:
        """Body bytes of the records kept in memory (at most ``keep_bytes``, or the newest's)."""
        return self._bytes

    def close(self) -> None:
        """Close the file, if any (a later record opens it again, after a new head line)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _body_bytes(record: Result) -> int:
    """The bytes of a record's request body and response chunks."""
    request, response = record.request, record.response
    size = len(request.body or b"") if request is not None else 0
    if response is not None and response.chunks is not None:
        size += sum(len(c) for c in response.chunks)
    return size
