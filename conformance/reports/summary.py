"""``Summary``: what every report shows, computed once from a results document — the verdicts
(given, or derived from the results when the producer graded none), counts per axis and grade,
the operation × axis matrix worst first, a score, and each verdict's example exchange.

A document without verdicts (the mock's request log, ``conformance spec examples``) is read as
results grouped by operation: each violation code of an operation becomes a verdict (``fail``
for errors, ``warn`` for warnings, its axis from the code: ``rule.*`` semantics,
``capability.*`` capability, the rest schema), the exchanges without error one ``pass`` verdict
named ``valid``, and skipped ones an ``inconclusive`` verdict named ``skipped``.

The score is the share of judged verdicts that hold: ``pass``, ``warn`` and ``unsupported``
hold, ``fail`` and ``ignored`` do not, ``inconclusive`` is not judged.

>>> from conformance.results import Document, Result
>>> s = Summary.of(Document([Result("listModels")]))
>>> [(v.operation, v.check, v.grade) for v in s.verdicts], s.score
([('listModels', 'valid', 'pass')], 100.0)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..results import ALL_AXES, AXES, GRADES, Document, Redactor, Result, Verdict, axis_of, worst
from ..validate import Violation
from .redaction import redact_document

__all__ = ["HOLDING", "UNMATCHED", "Summary", "derive_verdicts"]

UNMATCHED = "(no operation)"
HOLDING = frozenset({"pass", "warn", "unsupported"})
_RANK = {g: i for i, g in enumerate(GRADES)}


def derive_verdicts(results: Iterable[Result]) -> list[Verdict]:
    """Verdicts for results that carry none: per operation, one per violation code, one
    ``valid`` (pass) for the exchanges without error, one ``skipped`` (inconclusive).

    >>> from conformance.validate import Violation
    >>> bad = Result("x", violations=(Violation("m", where="request.body", code="schema.type"),))
    >>> [(v.check, v.grade, v.results) for v in derive_verdicts([bad, Result("x")])]
    [('schema.type', 'fail', (0,)), ('valid', 'pass', (1,))]
    """
    found: dict[tuple[str, str], list[int]] = defaultdict(list)
    grades: dict[tuple[str, str], list[str]] = defaultdict(list)
    messages: dict[tuple[str, str], str] = {}
    notes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for index, result in enumerate(results):
        operation = result.operation or UNMATCHED
        if result.skipped:
            key = (operation, "skipped")
            found[key].append(index)
            grades[key].append("inconclusive")
            if result.skipped not in notes[key]:
                notes[key].append(result.skipped)
            continue
        for violation in result.violations:
            key = (operation, violation.code or "unknown")
            if not found[key] or found[key][-1] != index:
                found[key].append(index)
            grades[key].append("fail" if violation.is_error else "warn")
            messages.setdefault(key, violation.message)
        if result.valid:
            found[(operation, "valid")].append(index)
            grades[(operation, "valid")].append("pass")
    out = []
    for key in sorted(found):
        operation, check = key
        special = check in ("valid", "skipped")
        out.append(
            Verdict(
                operation,
                check,
                "schema" if special else axis_of(check),
                worst(grades[key]),
                () if special else (check,),
                tuple(notes[key]),
                messages.get(key, ""),
                tuple(found[key]),
            )
        )
    return out


def _order(verdict: Verdict) -> tuple[int, str, int, str]:
    return (_RANK[verdict.grade], verdict.operation, ALL_AXES.index(verdict.axis), verdict.check)


@dataclass
class Summary:
    """A redacted document and what its reports show (see the module's notes).

    ``derived`` says the verdicts were derived from the results (the document had none).

    >>> Summary.of(Document()).counts()["all"]["pass"]
    0
    """

    document: Document
    verdicts: list[Verdict]
    derived: bool = False
    _matrix: list[tuple[str, dict[str, str]]] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, doc: Document, redactor: Redactor | None = None) -> Summary:
        """The summary of ``doc``, redacted by ``redactor`` (the defaults when ``None``)."""
        doc = redact_document(doc, redactor)
        derived = not doc.verdicts
        verdicts = derive_verdicts(doc.results) if derived else list(doc.verdicts)
        return cls(doc, sorted(verdicts, key=_order), derived)

    # -- counts ---------------------------------------------------------------------------------

    def counts(self) -> dict[str, dict[str, int]]:
        """Verdicts per axis and grade, and ``all`` axes together (every grade present).

        >>> Summary.of(Document()).counts()["schema"]
        {'fail': 0, 'inconclusive': 0, 'ignored': 0, 'warn': 0, 'unsupported': 0, 'pass': 0}
        """
        tally = Counter((v.axis, v.grade) for v in self.verdicts)
        out = {axis: {g: tally[(axis, g)] for g in GRADES} for axis in self.axes}
        out["all"] = {g: sum(out[a][g] for a in self.axes) for g in GRADES}
        return out

    @property
    def axes(self) -> tuple[str, ...]:
        """The axes a report shows: a server's three, and ``client`` when a client was judged
        (client fuzzing).

        >>> Summary.of(Document()).axes
        ('schema', 'semantics', 'capability')
        """
        client = any(v.axis not in AXES for v in self.verdicts)
        return ALL_AXES if client else AXES

    @property
    def score(self) -> float | None:
        """Percent of judged verdicts that hold (``None`` when nothing was judged)."""
        judged = [v for v in self.verdicts if v.grade != "inconclusive"]
        if not judged:
            return None
        return round(100 * sum(v.grade in HOLDING for v in judged) / len(judged), 1)

    @property
    def worst(self) -> str:
        """The worst grade of the run (``pass`` when there is no verdict)."""
        return worst(v.grade for v in self.verdicts)

    def matrix(self) -> list[tuple[str, dict[str, str]]]:
        """Operations worst first, each with its worst grade per axis it was judged on.

        >>> Summary.of(Document([Result("b"), Result(None, skipped="no route")])).matrix()
        [('(no operation)', {'schema': 'inconclusive'}), ('b', {'schema': 'pass'})]
        """
        if self._matrix is None:
            cells: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
            for v in self.verdicts:
                cells[v.operation][v.axis].append(v.grade)
            rows = [(op, {a: worst(g) for a, g in axes.items()}) for op, axes in cells.items()]
            self._matrix = sorted(
                rows, key=lambda row: (sorted(_RANK[g] for g in row[1].values()), row[0])
            )
        return self._matrix

    def operations(self) -> list[str]:
        """Every operation with a verdict, worst first."""
        return [op for op, _ in self.matrix()]

    # -- examples -------------------------------------------------------------------------------

    def example(self, verdict: Verdict) -> Result | None:
        """The exchange a report prints for ``verdict``: its first result."""
        results = self.document.results
        for index in verdict.results:
            if 0 <= index < len(results):
                return results[index]
        return None

    def violations(self, verdict: Verdict) -> list[Violation]:
        """The example's violations behind ``verdict`` (those of its codes; all when it names
        none), errors first."""
        example = self.example(verdict)
        if example is None:
            return []
        codes = set(verdict.codes)
        chosen = [v for v in example.violations if not codes or v.code in codes]
        return sorted(chosen, key=lambda v: not v.is_error)

    def problems(self) -> list[Verdict]:
        """The verdicts that are not ``pass``, worst first."""
        return [v for v in self.verdicts if v.grade != "pass"]

    def title(self) -> str:
        """What the report is about: the spec's title and version, else the tool's."""
        spec = self.document.spec
        name = " ".join(str(spec[k]) for k in ("title", "version") if spec.get(k))
        return f"Conformance: {name}" if name else "Conformance report"
