"""openai-conformance: make an OpenAPI spec - first of all OpenAI's - executable.

>>> import conformance
>>> spec = conformance.load_spec("../shared/specs/openai-2.3.0.yaml")  # doctest: +SKIP
>>> validator = conformance.Validator(spec)  # doctest: +SKIP
>>> validator.response("listModels", status=200, body={"object": "list", "data": []})  # doctest: +SKIP
[]
"""

from .errors import (
    ConformanceError,
    InputError,
    RefError,
    SpecError,
    SpecLoadError,
    UnknownOperationError,
)
from .spec import AppliedErratum, Operation, Spec, load_spec
from .validate import Validator, Violation
from .validate.examples import ExampleResult, check_examples

__version__ = "0.1.0"

__all__ = [
    "AppliedErratum",
    "ConformanceError",
    "ExampleResult",
    "InputError",
    "Operation",
    "RefError",
    "Spec",
    "SpecError",
    "SpecLoadError",
    "UnknownOperationError",
    "Validator",
    "Violation",
    "__version__",
    "check_examples",
    "load_spec",
]
