"""Live conformance suites: run an "OpenAI-compatible" server against the spec and grade what it
answers, per operation and check, on three axes (schema, semantics, capability).

>>> from conformance.suites import Target, run_suite
>>> doc = run_suite(spec, Target("http://127.0.0.1:8000/v1"))  # doctest: +SKIP
>>> [v for v in doc.verdicts if v.grade == "fail"]  # doctest: +SKIP
"""

__all__: list[str] = []
