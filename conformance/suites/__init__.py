"""Live conformance suites: run an "OpenAI-compatible" server against the spec and grade what it
answers, per operation and check, on three axes (schema, semantics, capability).

>>> from conformance.suites import Target, run_suite
>>> doc = run_suite(spec, Target("http://127.0.0.1:8000/v1"))  # doctest: +SKIP
>>> [v for v in doc.verdicts if v.grade == "fail"]  # doctest: +SKIP
"""

from .cases import Case, cases_for, probes_for
from .checks import CHECKS, judge
from .engine import conformance_checks
from .grade import grade
from .runner import reachable, run_suite, select
from .target import FAMILIES, Budget, Target, load_target
from .transport import Sender

__all__ = [
    "CHECKS",
    "FAMILIES",
    "Budget",
    "Case",
    "Sender",
    "Target",
    "cases_for",
    "conformance_checks",
    "grade",
    "judge",
    "load_target",
    "probes_for",
    "reachable",
    "run_suite",
    "select",
]
