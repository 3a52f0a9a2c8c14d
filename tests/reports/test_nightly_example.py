"""The nightly recipe (``examples/nightly.yml``): a workflow GitHub can read, whose every
``conformance`` command the CLI of this tree accepts, and which gates on regressions only."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.cli.main import _parser

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "nightly.yml"


def _steps() -> list[dict[str, Any]]:
    flow = yaml.safe_load(WORKFLOW.read_text())
    (job,) = flow["jobs"].values()
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def _commands() -> list[list[str]]:
    out = []
    for step in _steps():
        script = step.get("run", "").replace("\\\n", " ")
        for line in script.splitlines():
            line = line.strip().split(" >> ")[0]
            if line.startswith("conformance "):
                out.append(shlex.split(line)[1:])
    return out


def test_the_steps() -> None:
    steps = _steps()
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert {"actions/upload-artifact", "actions/cache/restore", "actions/cache/save"} <= set(uses)
    scripts = "\n".join(s.get("run", "") for s in steps)
    assert "$GITHUB_STEP_SUMMARY" in scripts
    assert "--fail-on regression" in scripts and "--fail-on never" in scripts


@pytest.mark.parametrize("argv", _commands(), ids=lambda a: " ".join(a[:2]))
def test_every_command_parses(argv: list[str]) -> None:
    args = _parser().parse_args(argv)
    assert args.command in ("run", "report", "spec")


def test_all_four_kinds_of_command_are_there() -> None:
    kinds = {tuple(a[:2]) if a[0] in ("spec",) or a[1] == "diff" else (a[0],) for a in _commands()}
    assert kinds == {("run",), ("report",), ("report", "diff"), ("spec", "diff")}
