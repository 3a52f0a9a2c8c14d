"""``conformance spec diff OLD NEW``: what changed between two spec versions, per direction.

Exit codes: 0 no finding at ``--fail-on``'s level (default: breaking) that breaks ``--side``
(default: either), 1 some, 2 bad input (one line on stderr).

Usage: ``conformance spec diff openai-2.3.0.yaml openai-2026-08.yaml --format markdown``
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser", "execute"]

_FORMATS = ("text", "json", "markdown")


def add_parser(spec_subparsers: Any) -> argparse.ArgumentParser:
    """Add ``diff`` to the ``spec`` command group (an argparse subparsers action)."""
    parser: argparse.ArgumentParser = spec_subparsers.add_parser(
        "diff",
        help="what changed between two spec versions: breaking for clients or servers, or not",
        description="Compare two specs operation by operation, per direction, with the same "
        "errata applied to both; every change is named by a stable check id (as oasdiff's) "
        "with its level (breaking, warning, info) and whom it breaks (clients, servers). "
        "Exits 1 when a finding at --fail-on's level breaks --side, else 0; 2 on bad input.",
    )
    parser.add_argument("old", metavar="OLD", help="path or http(s) URL of the old spec")
    parser.add_argument("new", metavar="NEW", help="path or http(s) URL of the new spec")
    parser.add_argument(
        "--errata",
        default=None,
        metavar="IDS",
        help="comma-separated errata to apply to both (default: all); 'none' for none",
    )
    parser.add_argument("--format", choices=_FORMATS, default="text", help="output (default text)")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    parser.add_argument(
        "--level",
        choices=("breaking", "warning", "info"),
        default="info",
        help="list findings at this level or worse (text, markdown; counts always cover all)",
    )
    parser.add_argument(
        "--fail-on",
        choices=("breaking", "warning", "never"),
        default="breaking",
        help="exit 1 when a finding at this level or worse breaks --side (default breaking)",
    )
    parser.add_argument(
        "--side",
        choices=("clients", "servers", "both"),
        default="both",
        help="whose breakage fails: clients (SDKs, apps), servers (compatible "
        "implementations) or both (default)",
    )
    parser.add_argument(
        "--max-rows", type=int, default=1000, metavar="N", help="markdown: findings shown"
    )
    return parser


def _errata(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    if text.strip() in ("", "none"):
        return ()
    return tuple(e.strip() for e in text.split(",") if e.strip())


def execute(args: argparse.Namespace) -> int:
    """Load both specs with one errata selection, diff them, print the report; the exit code
    is the gate (``SpecDiff.fails``)."""
    from ..reports import diff_specs
    from ..spec import load_spec

    errata = _errata(args.errata)
    diff = diff_specs(load_spec(args.old, errata=errata), load_spec(args.new, errata=errata))
    form = "json" if args.json else args.format
    if form == "json":
        print(diff.to_json())
    elif form == "markdown":
        print(diff.to_markdown(max_rows=max(args.max_rows, 0), level=args.level), end="")
    else:
        print(diff.to_text(level=args.level))
    return 1 if diff.fails(args.fail_on, args.side) else 0
