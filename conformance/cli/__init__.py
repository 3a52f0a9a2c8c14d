"""The ``conformance`` command: a thin face over the library.

>>> main(["spec", "check", "openai-2.3.0.yaml"])  # doctest: +SKIP
0
"""

from .main import main, run

__all__ = ["main", "run"]
