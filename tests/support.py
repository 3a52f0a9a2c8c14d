"""Shared test helpers: where the specs are, and the values a strategy draws."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hypothesis.strategies as st
from hypothesis import given, settings

from conformance.validate.semantics import Exchange, check, comply

if TYPE_CHECKING:
    from conformance import Spec

SPECS = Path(__file__).resolve().parents[1].parent / "shared" / "specs"

# jsonschema-rs before 0.61.2 judges an integral float beyond 2**53 lying exactly on an integer
# bound to be outside it (-2**63 as -9.22e18 against int64's minimum). schemathesis 4.32 pins
# jsonschema-rs < 0.61, so that is the version installed beside it.
FLOAT_BOUND_BUG = tuple(int(p) for p in version("jsonschema-rs").split(".")[:3]) < (0, 61, 2)


def draw(strategy: st.SearchStrategy[Any], n: int, config: settings) -> list[Any]:
    """The values Hypothesis draws from ``strategy`` in a run of ``n`` examples under ``config``."""
    out: list[Any] = []

    @settings(config, max_examples=n)
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect()
    return out


def schemathesis(
    spec: Spec,
    base_url: str,
    folder: Path,
    *args: str,
    mode: str = "positive",
    seed: int = 1,
    examples: int = 5,
    timeout: float = 1200,
) -> subprocess.CompletedProcess[str]:
    """schemathesis' CLI run on ``spec`` as conformance reads it (the errata applied: the
    document is written to ``folder``) against ``base_url``, with a key, ``args`` added and the
    hooks of ``schemathesis_hooks``; ``examples`` per operation, ``mode`` and ``seed``; its
    output captured.

    >>> schemathesis(spec, server.base_url, tmp_path, mode="negative")  # doctest: +SKIP
    """
    document = folder / "spec-with-errata.json"
    document.write_text(json.dumps(spec.document))
    here = str(Path(__file__).resolve().parent)
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(
        [
            *(sys.executable, "-m", "schemathesis.cli", "run", str(document), "--url", base_url),
            *("--header", "Authorization: Bearer sk-test", "--mode", mode, "--seed", str(seed)),
            *("--max-examples", str(examples), *args),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": path, "SCHEMATHESIS_HOOKS": "schemathesis_hooks"},
    )


def finds_then_fixes(x: Exchange, code: str, pointer: str, expected: Any, actual: Any) -> None:
    """The rule ``code`` finds exactly one violation in the answer of ``x``, at ``pointer`` with
    ``expected`` and ``actual``; then the fixers make ``x`` hold every rule of the code's
    family (``rule.embeddings.*`` for ``rule.embeddings.count``).

    >>> finds_then_fixes(x, "rule.embeddings.count", "/data", 3, 1)  # doctest: +SKIP
    """
    (found,) = [v for v in check(x) if v.code == code]
    assert (found.pointer, found.expected, found.actual) == (pointer, expected, actual)
    assert found.where == "response.body" and found.operation == x.operation
    comply(x)
    family = code.rsplit(".", 1)[0] + "."
    assert [v.code for v in check(x) if v.code.startswith(family)] == []
