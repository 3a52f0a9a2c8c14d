"""Compiled validators: requests, responses and SSE streams, every verdict a ``Violation``.

>>> from conformance.validate import Validator
>>> Validator(spec).response("listModels", status=200, body={"object": "list", "data": []})  # doctest: +SKIP
[]
"""

from .engine import Engine
from .limits import Limits
from .validator import Validator
from .violation import ERROR, WARNING, Violation

__all__ = ["ERROR", "WARNING", "Engine", "Limits", "Validator", "Violation"]
