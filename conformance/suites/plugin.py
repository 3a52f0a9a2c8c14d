"""The suite under pytest: ``pytest --conformance-spec SPEC --conformance-base-url URL`` adds one
test per operation and axis (``schema``, ``semantics``, ``capability``) — ``fail`` fails it,
``unsupported`` and ``inconclusive`` skip it, ``warn`` and ``ignored`` pass with a warning.

Each operation is run once per process (its three tests share the run); under pytest-xdist the
tests of one operation stay on one worker (``xdist_group``: use ``--dist loadgroup``).
``--shard i/N`` (or ``--conformance-shard``) keeps the operations whose place in the spec is
``i`` modulo ``N``: a CI matrix of N jobs covers the spec once, deterministically.

Loaded by ``conformance.pytest_plugin`` only when ``--conformance-base-url`` is given.

>>> # pytest --conformance-spec openai.yaml --conformance-base-url http://127.0.0.1:8080/v1 --shard 0/4
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from ..errors import ConformanceError, InputError
from ..results import AXES, Document, Verdict
from ..spec import Spec, load_spec
from .runner import run_suite, select
from .target import Target

__all__ = ["ConformanceWarning", "SuiteItem", "parse_shard", "suite_items"]


class ConformanceWarning(UserWarning):
    """A verdict graded ``warn`` or ``ignored``: the test passes, the warning says why."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/N"`` → ``(i, N)`` with ``0 <= i < N``.

    >>> parse_shard("1/4")
    (1, 4)
    """
    index, sep, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        raise InputError(f"--shard {text!r}: expected i/N, e.g. 0/4") from None
    if not sep or n < 1 or not 0 <= i < n:
        raise InputError(f"--shard {text!r}: expected i/N with 0 <= i < N")
    return i, n


class _Runs:
    """One suite run per operation per process, shared by that operation's tests."""

    def __init__(self, spec: Spec, target: Target, seed: int) -> None:
        self.spec, self.target, self.seed = spec, target, seed
        self.done: dict[str, Document] = {}

    def verdicts(self, operation: str, axis: str) -> list[Verdict]:
        if operation not in self.done:
            self.done[operation] = run_suite(
                self.spec, self.target, operations=[operation], seed=self.seed
            )
        return [v for v in self.done[operation].verdicts if v.axis == axis]


class SuiteItem(pytest.Item):
    """One operation on one axis."""

    def __init__(self, *, runs: _Runs, operation: str, axis: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runs, self.operation, self.axis = runs, operation, axis
        self.add_marker(pytest.mark.xdist_group(operation))

    def runtest(self) -> None:
        verdicts = self.runs.verdicts(self.operation, self.axis)
        failed = [v for v in verdicts if v.grade == "fail"]
        if failed:
            raise _Failed(failed)
        if verdicts and all(v.grade in ("unsupported", "inconclusive") for v in verdicts):
            why = "; ".join(
                sorted(
                    {
                        f"{v.grade}: {n}"
                        for v in verdicts
                        for n in v.notes or (v.message or v.check,)
                    }
                )
            )
            pytest.skip(why[:500])
        for v in verdicts:
            if v.grade in ("warn", "ignored"):
                note = f" ({'; '.join(v.notes)})" if v.notes else ""
                warnings.warn(
                    ConformanceWarning(f"{v.grade} {v.check}: {v.message}{note}"), stacklevel=1
                )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, _Failed):
            return "\n".join(
                f"{v.operation} [{v.axis}] {v.check}: {v.message}" for v in excinfo.value.verdicts
            )
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return self.runs.target.base_url, None, f"{self.operation} [{self.axis}]"


class _Failed(Exception):
    def __init__(self, verdicts: list[Verdict]) -> None:
        super().__init__(verdicts[0].message)
        self.verdicts = verdicts


class _Suite(pytest.Collector):
    """The suite's tests, under the session."""

    def collect(self) -> list[pytest.Item]:  # pragma: no cover - items are built directly
        return []


def suite_items(
    session: pytest.Session, config: pytest.Config, spec_source: str | None
) -> list[pytest.Item]:
    """The suite's tests for the configured target (``--conformance-base-url``,
    ``--conformance-model``, ``--conformance-api-key-env``, ``--conformance-operations``,
    ``--shard``)."""
    if spec_source is None:
        raise pytest.UsageError(
            "--conformance-base-url needs --conformance-spec (or conformance_spec in the ini file)"
        )
    try:
        spec = load_spec(spec_source)
        target = Target(
            config.getoption("conformance_base_url"),
            api_key_env=config.getoption("conformance_api_key_env") or "OPENAI_API_KEY",
        ).with_models(config.getoption("conformance_model") or (), "--conformance-model")
        names = [n for n in (config.getoption("conformance_operations") or "").split(",") if n]
        operations = [op.operation_id for op in select(spec, target, names)]
        shard = config.getoption("conformance_shard")
        if shard:
            i, n = parse_shard(shard)
            operations = [op for k, op in enumerate(operations) if k % n == i]
    except ConformanceError as exc:
        raise pytest.UsageError(str(exc)) from None
    given = config.getoption("conformance_seed") or config.getini("conformance_seed") or "0"
    try:
        seed = int(str(given))
    except ValueError:
        raise pytest.UsageError(
            f"--conformance-seed {given!r}: the suite needs an integer"
        ) from None
    runs = _Runs(spec, target, seed)
    parent = _Suite.from_parent(session, name=f"conformance[{target.base_url}]")
    return [
        SuiteItem.from_parent(parent, name=f"{op}[{axis}]", runs=runs, operation=op, axis=axis)
        for op in operations
        for axis in AXES
    ]
