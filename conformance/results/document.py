"""``Document``: results as one versioned JSON document, or as JSON lines written as they come.

The document::

    {"format": "openai-conformance/results", "version": 1,
     "tool": {"name": "openai-conformance", "version": "0.1.0"},
     "spec": {"title": ..., "version": ..., "openapi": ..., "source": ..., "sha256": ...},
     "run": {...producer settings: seed, profile, faults...},
     "results": [Result, ...],
     "verdicts": [Verdict, ...]}

``verdicts`` (a suite run's graded conclusions; ``Verdict.results`` index ``results``) may be
empty. JSON lines: a head line — the document without ``results`` and ``verdicts`` — then one
result per line, and verdicts as ``{"verdict": {...}}`` lines. A file
appended to by several runs holds several heads, each starting its run's results; a reader
keeps what parses, so a run killed mid-write still reads (its torn last line is left out).

>>> doc = Document([Result("listModels")])
>>> Document.from_jsonl(doc.to_jsonl().splitlines()).results == doc.results
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import InputError
from .result import Result
from .verdict import Verdict

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = [
    "FORMAT",
    "VERSION",
    "Document",
    "read_results",
    "result_line",
    "spec_info",
    "tool_info",
    "verdict_line",
]

FORMAT = "openai-conformance/results"
VERSION = 1


def tool_info() -> dict[str, str]:
    """Who wrote the results.

    >>> tool_info()["name"]
    'openai-conformance'
    """
    from .. import __version__

    return {"name": "openai-conformance", "version": __version__}


def spec_info(spec: Spec | None) -> dict[str, Any]:
    """What the results were judged against: the spec's title, versions, source and digest."""
    if spec is None:
        return {}
    return {
        "title": spec.title,
        "version": spec.api_version,
        "openapi": spec.openapi,
        "source": str(spec.source),
        "sha256": spec.sha256,
        "errata": sorted({e.id for e in spec.errata}),
    }


@dataclass
class Document:
    """Results with what made them: ``tool``, ``spec`` (:func:`spec_info`), ``run`` (the
    producer's settings).

    >>> Document([], run={"seed": "1"}).to_dict()["format"]
    'openai-conformance/results'
    """

    results: list[Result] = field(default_factory=list)
    spec: dict[str, Any] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    tool: dict[str, Any] = field(default_factory=tool_info)
    version: int = VERSION
    verdicts: list[Verdict] = field(default_factory=list)

    def head(self) -> dict[str, Any]:
        """The document without its results: the first line of its JSON lines."""
        return {
            "format": FORMAT,
            "version": self.version,
            "tool": dict(self.tool),
            "spec": dict(self.spec),
            "run": dict(self.run),
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON document."""
        return {
            **self.head(),
            "results": [r.to_dict() for r in self.results],
            "verdicts": [v.to_dict() for v in self.verdicts],
        }

    def to_json(self, indent: int | None = None) -> str:
        """The JSON document as text (raw UTF-8, no NaN).

        >>> Document().to_json().startswith('{"format": "openai-conformance/results"')
        True
        """
        return json.dumps(self.to_dict(), ensure_ascii=False, allow_nan=False, indent=indent)

    def to_jsonl(self) -> str:
        """The head line, then one line per result."""
        lines = [json.dumps(self.head(), ensure_ascii=False, allow_nan=False)]
        lines += [result_line(r) for r in self.results]
        lines += [verdict_line(v) for v in self.verdicts]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Document:
        """The document a :meth:`to_dict` form describes; ``InputError`` for another format or
        a newer version."""
        _check_head(data)
        return cls(
            [Result.from_dict(r) for r in data.get("results") or ()],
            dict(data.get("spec") or {}),
            dict(data.get("run") or {}),
            dict(data.get("tool") or {}),
            int(data["version"]),
            [Verdict.from_dict(v) for v in data.get("verdicts") or ()],
        )

    @classmethod
    def from_jsonl(cls, lines: Iterable[str]) -> Document:
        """Results from JSON lines (heads and results; the first head describes the document).

        A line that does not parse is an error, unless it is the last (a torn write).
        """
        items = [line for line in lines if line.strip()]
        doc: Document | None = None
        results: list[Result] = []
        verdicts: list[Verdict] = []
        for number, line in enumerate(items, 1):
            try:
                data = json.loads(line)
            except ValueError:
                if number == len(items):
                    break
                raise InputError(f"results line {number}: not JSON") from None
            if isinstance(data, dict) and "format" in data:
                if doc is None:
                    doc = cls.from_dict(data)
                else:
                    _check_head(data)
            elif isinstance(data, dict):
                try:
                    if "verdict" in data:
                        verdicts.append(Verdict.from_dict(data["verdict"]))
                    else:
                        results.append(Result.from_dict(data))
                except (KeyError, TypeError, ValueError) as exc:
                    raise InputError(f"results line {number}: not a result ({exc!r})") from None
            else:
                raise InputError(f"results line {number}: not a JSON object")
        doc = doc if doc is not None else cls()
        doc.results, doc.verdicts = results, verdicts
        return doc


def _check_head(data: Mapping[str, Any]) -> None:
    if data.get("format") != FORMAT:
        raise InputError(f"not {FORMAT} (format: {data.get('format')!r})")
    version = data.get("version")
    if not isinstance(version, int) or not 1 <= version <= VERSION:
        raise InputError(f"{FORMAT} version {version!r} is not one this tool reads (1..{VERSION})")


def result_line(result: Result) -> str:
    """One result as a JSON line (without the newline).

    >>> result_line(Result(None))[:19]
    '{"operation":null,"'
    """
    data = result.to_dict()
    try:
        return orjson.dumps(data).decode("utf-8")
    except TypeError:  # an integer beyond 64 bits, a non-string key
        return json.dumps(data, ensure_ascii=False, allow_nan=False)


def verdict_line(verdict: Verdict) -> str:
    """One verdict as a JSON line (without the newline).

    >>> verdict_line(Verdict("listModels", "schema", "schema", "pass"))[:35]
    '{"verdict": {"operation": "listMode'
    """
    return json.dumps({"verdict": verdict.to_dict()}, ensure_ascii=False)


def read_results(path: str | Path) -> Document:
    """A results file: a JSON document, or JSON lines (the mock's log).

    >>> read_results("results.jsonl").results[0].valid  # doctest: +SKIP
    True
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read results: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and "results" in data:
        try:
            return Document.from_dict(data)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None
    try:
        return Document.from_jsonl(text.splitlines())
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
