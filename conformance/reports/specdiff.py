"""``SpecDiff``: the findings of a diff between two specs, as JSON, text and Markdown.

The JSON document::

    {"format": "openai-conformance/spec-diff", "version": 1,
     "tool": {"name": "openai-conformance", "version": ...},
     "old": {"source", "title", "version", "openapi", "sha256", "operations", "errata"},
     "new": {...same...},
     "counts": {"findings", "breaking", "warning", "info", "clients", "servers", "checks": {id: n}},
     "findings": [{"id", "level", "breaks", "operation", "method", "path", "direction",
                   "where", "pointer", "name", "text", "also"}, ...]}

``counts`` is derived (a reader recomputes it); ``clients``/``servers`` count the breaking and
warning findings that break each side. Findings come in operation order (old spec's, then
added operations), then as the walk met them. ``also`` lists the other pointers, in the same
``where``, at which the same change shows (one component reached by several paths: the
Responses API's ``Response`` in each stream event that embeds it); a finding counts once however
many places it has (a document without ``also`` reads as having none).

>>> diff = SpecDiff({"source": "a.yaml"}, {"source": "b.yaml"}, [])
>>> SpecDiff.from_json(diff.to_json()) == diff
True
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from .specchecks import BREAKING, INFO, LEVELS, SIDES, SPEC_CHECKS, WARNING

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAIL_ON", "FORMAT", "VERSION", "Finding", "SpecDiff", "spec_summary"]

FORMAT = "openai-conformance/spec-diff"
VERSION = 1
FAIL_ON = ("breaking", "warning", "never")
"""What ``SpecDiff.fails`` may be asked to fail on."""


@dataclass(frozen=True)
class Finding:
    """One change: its check id, level and whom it breaks; the operation, direction, where in
    it (``response 200 application/json``, ``query parameter limit``) and the pointer within
    that schema; ``name`` is the value, branch, property, status or media type concerned;
    ``also``, the other pointers where the same change shows."""

    id: str
    level: str
    breaks: tuple[str, ...]
    operation: str
    method: str
    path: str
    direction: str
    where: str
    pointer: str
    text: str
    name: str = ""
    also: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON (``breaks`` and ``also`` lists)."""
        out = asdict(self)
        out["breaks"] = list(self.breaks)
        out["also"] = list(self.also)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """A finding from :meth:`to_dict`'s JSON."""
        return cls(
            **{
                **data,
                "breaks": tuple(data.get("breaks") or ()),
                "also": tuple(data.get("also") or ()),
            }
        )

    def places(self, most: int = 3) -> str:
        """The other places, each cut where it joins the pointer's own tail (``/…``), or ``""``.

        >>> Finding("x", "info", (), "op", "GET", "/", "response", "", "/anyOf[a]/response/status",
        ...         "t", also=("/anyOf[b]/response/status", "/anyOf[c]/response/status")).places()
        'also at 2 more: /anyOf[b]/…, /anyOf[c]/…'
        """
        if not self.also:
            return ""
        split = [p.split("/") for p in (self.pointer, *self.also)]
        common = 0
        while (
            common < min(map(len, split)) - 1 and len({tuple(p[-common - 1 :]) for p in split}) == 1
        ):
            common += 1
        tail = "/…" if common else ""
        heads = ["/".join(p[: len(p) - common]) + tail for p in split[1:]]
        shown = ", ".join(heads[:most]) + (", …" if len(heads) > most else "")
        return f"also at {len(heads)} more: {shown}"


def spec_summary(spec: Spec) -> dict[str, Any]:
    """What a report says about one side: source, title, versions, hash, size, errata."""
    return {
        "source": spec.source,
        "title": spec.title,
        "version": spec.api_version,
        "openapi": spec.openapi,
        "sha256": spec.sha256,
        "operations": len(spec.operations),
        "errata": sorted({e.id for e in spec.errata}),
    }


@dataclass
class SpecDiff:
    """The findings of ``diff_specs(old, new)`` and what the two specs were.

    >>> diff.fails("breaking", side="servers")  # doctest: +SKIP
    False
    """

    old: dict[str, Any]
    new: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)

    # -- counts and the gate -------------------------------------------------------------------

    def counts(self) -> dict[str, Any]:
        """Findings by level, by side broken (breaking and warning ones) and by check id."""
        levels = Counter(f.level for f in self.findings)
        sides = Counter(s for f in self.findings if f.level != INFO for s in f.breaks)
        checks = Counter(f.id for f in self.findings)
        return {
            "findings": len(self.findings),
            **{level: levels[level] for level in LEVELS},
            **{side: sides[side] for side in SIDES},
            "checks": dict(sorted(checks.items(), key=lambda kv: (-kv[1], kv[0]))),
        }

    def failing(self, fail_on: str = BREAKING, side: str = "both") -> list[Finding]:
        """The findings at ``fail_on``'s level or worse that break ``side`` (``clients``,
        ``servers`` or ``both``: either); none when ``fail_on`` is ``never``."""
        if fail_on not in FAIL_ON:
            raise InputError(f"fail-on {fail_on!r}: expected one of {', '.join(FAIL_ON)}")
        if side not in (*SIDES, "both"):
            raise InputError(f"side {side!r}: expected clients, servers or both")
        if fail_on == "never":
            return []
        levels = (BREAKING,) if fail_on == BREAKING else (BREAKING, WARNING)
        return [
            f
            for f in self.findings
            if f.level in levels and (side in f.breaks or (side == "both" and f.breaks))
        ]

    def fails(self, fail_on: str = BREAKING, side: str = "both") -> bool:
        """Whether the gate fails: some finding at ``fail_on`` or worse breaks ``side``."""
        return bool(self.failing(fail_on, side))

    # -- JSON -----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document (see the module docstring)."""
        from .. import __version__

        return {
            "format": FORMAT,
            "version": VERSION,
            "tool": {"name": "openai-conformance", "version": __version__},
            "old": self.old,
            "new": self.new,
            "counts": self.counts(),
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "spec diff") -> SpecDiff:
        """Read a document :meth:`to_dict` wrote; a foreign or newer one is an InputError."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(f"{source}: not a spec diff document (format {FORMAT!r})")
        if data.get("version") != VERSION:
            raise InputError(f"{source}: spec diff version {data.get('version')!r} (expected 1)")
        try:
            findings = [Finding.from_dict(f) for f in data["findings"]]
            return cls(dict(data["old"]), dict(data["new"]), findings)
        except (KeyError, TypeError) as exc:
            raise InputError(f"{source}: malformed spec diff document: {exc}") from None

    @classmethod
    def from_json(cls, text: str, *, source: str = "spec diff") -> SpecDiff:
        """Read :meth:`to_json`'s text; what is not such a document is an InputError."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InputError(f"{source}: not JSON: {exc}") from None
        return cls.from_dict(data, source=source)

    # -- text and Markdown ----------------------------------------------------------------------

    def _heading(self) -> tuple[str, str, str]:
        def side(info: dict[str, Any]) -> str:
            about = ", ".join(
                part
                for part in (
                    f"{info.get('title', '')} {info.get('version', '')}".strip(),
                    f"OpenAPI {info['openapi']}" if info.get("openapi") else "",
                )
                if part
            )
            return f"{info.get('source', '?')}" + (f" ({about})" if about else "")

        c = self.counts()
        levels = f"{c['breaking']:,} breaking, {c['warning']:,} warning, {c['info']:,} info"
        sides = f"{c['clients']:,} break clients, {c['servers']:,} break servers"
        return f"{side(self.old)} → {side(self.new)}", levels, sides

    def to_text(self, *, level: str = INFO) -> str:
        """Counts first (by level, by side, by check), then the findings at ``level`` or worse,
        grouped by level and operation, one line each.

        >>> print(SpecDiff({"source": "a.yaml"}, {"source": "b.yaml"}).to_text())
        spec diff  a.yaml → b.yaml
        findings   0: 0 breaking, 0 warning, 0 info; 0 break clients, 0 break servers
        """
        title, levels, sides = self._heading()
        c = self.counts()
        lines = [f"spec diff  {title}", f"findings   {c['findings']:,}: {levels}; {sides}"]
        errata = sorted({*self.old.get("errata", ()), *self.new.get("errata", ())})
        if errata:
            lines.append(f"errata     {', '.join(errata)} (one selection, applied to both)")
        if "operations" in self.old and "operations" in self.new:
            lines.append(f"operations {self.old['operations']} → {self.new['operations']}")
        if c["checks"]:
            lines += ["", "checks"]
            for id, n in c["checks"].items():
                check = SPEC_CHECKS.get(id)
                lvl, who = (check.level, "+".join(check.breaks) or "-") if check else ("?", "?")
                lines.append(f"  {n:>6}  {lvl:<8}  {who:<15}  {id}")
        shown = LEVELS[: LEVELS.index(level) + 1]
        for lvl in shown:
            group = [f for f in self.findings if f.level == lvl]
            if not group:
                continue
            lines += ["", f"{lvl} ({len(group):,})"]
            operation = None
            for f in group:
                if f.operation != operation:
                    operation = f.operation
                    lines.append(f"  {f.operation}  {f.method} {f.path}")
                place = " ".join(p for p in (f.where, f.pointer) if p)
                more = f" ({f.places()})" if f.also else ""
                lines.append(f"    {f.id}  {place + ': ' if place else ''}{f.text}{more}")
        return "\n".join(lines)

    def to_markdown(self, *, max_rows: int = 1000, level: str = INFO) -> str:
        """A GitHub-flavoured summary: counts, a table per check, then the findings at ``level``
        or worse (at most ``max_rows`` rows, worst first, with a note of what was cut).

        >>> SpecDiff({"source": "a.yaml"}, {"source": "b.yaml"}).to_markdown().splitlines()[0]
        '## Spec diff: a.yaml → b.yaml'
        """
        title, levels, sides = self._heading()
        c = self.counts()
        out = [
            f"## Spec diff: {_cell(title)}",
            "",
            f"**{c['findings']:,} findings**: {levels}; {sides}.",
        ]
        if c["checks"]:
            out += ["", "| check | level | breaks | count |", "|---|---|---|---:|"]
            for id, n in c["checks"].items():
                check = SPEC_CHECKS.get(id)
                lvl, who = (check.level, ", ".join(check.breaks) or "–") if check else ("?", "?")
                out.append(f"| `{id}` | {lvl} | {who} | {n:,} |")
        chosen = [f for f in self.findings if LEVELS.index(f.level) <= LEVELS.index(level)]
        chosen.sort(key=lambda f: LEVELS.index(f.level))
        if chosen:
            out += ["", "| level | operation | where | pointer | check | change |"]
            out.append("|---|---|---|---|---|---|")
            for f in chosen[:max_rows]:
                out.append(
                    f"| {f.level} | `{_cell(f.operation)}` | {_cell(f.where)} | "
                    f"`{_cell(f.pointer) or '/'}` | `{f.id}` | "
                    f"{_cell(f.text + (f' ({f.places()})' if f.also else ''))} |"
                )
            if len(chosen) > max_rows:
                out += [
                    "",
                    f"_{len(chosen) - max_rows:,} more findings not shown (see the JSON report)._",
                ]
        return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    """Text safe in a Markdown table cell (pipes escaped, one line)."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
