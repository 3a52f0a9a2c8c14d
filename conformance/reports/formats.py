"""``FORMATS`` and ``write_reports``: every run report by name, and writing several at once
from one summary (the document is redacted once, the verdicts derived once).

>>> sorted(FORMATS)
['html', 'json', 'junit', 'markdown']
>>> write_reports(read_results("run.jsonl"), {"junit": "junit.xml", "html": "report.html"})  # doctest: +SKIP
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from ..errors import InputError
from ..results import Document, Redactor
from .html import to_html
from .json import to_json
from .junit import to_junit
from .markdown import to_markdown
from .summary import Summary

__all__ = ["FORMATS", "write_reports"]

FORMATS: dict[str, Callable[[Summary], str]] = {
    "junit": to_junit,
    "json": to_json,
    "markdown": to_markdown,
    "html": to_html,
}


def write_reports(
    doc: Document | Summary,
    targets: Mapping[str, str | Path],
    redactor: Redactor | None = None,
) -> Summary:
    """Write each format of ``targets`` (format name → path; ``-`` is standard output) and
    return the summary they were made from. An unknown format or a path that cannot be
    written is an ``InputError``."""
    summary = doc if isinstance(doc, Summary) else Summary.of(doc, redactor)
    for name, path in targets.items():
        render = FORMATS.get(name)
        if render is None:
            raise InputError(f"unknown report format {name!r} (known: {', '.join(FORMATS)})")
        text = render(summary)
        if str(path) == "-":
            sys.stdout.write(text)
            continue
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"{path}: cannot write the {name} report: {exc.strerror or exc}"
            ) from None
    return summary
