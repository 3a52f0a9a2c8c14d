"""openai-conformance: make an OpenAPI spec - first of all OpenAI's - executable.

>>> import conformance
>>> spec = conformance.load_spec("../shared/specs/openai-2.3.0.yaml")  # doctest: +SKIP
>>> validator = conformance.Validator(spec)  # doctest: +SKIP
>>> validator.response("listModels", status=200, body={"object": "list", "data": []})  # doctest: +SKIP
[]

The names below load on first use (PEP 562), so ``import conformance.pytest_plugin`` — which
pytest does in every project that installs this package — costs no spec or validator imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import (
        ConformanceError,
        InputError,
        RefError,
        SpecError,
        SpecLoadError,
        UnknownOperationError,
    )
    from .results import Redactor, Result, read_results
    from .spec import AppliedErratum, Operation, Spec, load_spec
    from .validate import Validator, Violation
    from .validate.examples import ExampleResult, check_examples

__version__ = "0.1.0"

_HOMES = {
    ".errors": (
        "ConformanceError",
        "InputError",
        "RefError",
        "SpecError",
        "SpecLoadError",
        "UnknownOperationError",
    ),
    ".results": ("Redactor", "Result", "read_results"),
    ".spec": ("AppliedErratum", "Operation", "Spec", "load_spec"),
    ".validate": ("Validator", "Violation"),
    ".validate.examples": ("ExampleResult", "check_examples"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "AppliedErratum",
    "ConformanceError",
    "ExampleResult",
    "InputError",
    "Operation",
    "Redactor",
    "RefError",
    "Result",
    "Spec",
    "SpecError",
    "SpecLoadError",
    "UnknownOperationError",
    "Validator",
    "Violation",
    "__version__",
    "check_examples",
    "load_spec",
    "read_results",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'conformance' has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
