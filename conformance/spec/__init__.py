"""Load a spec (path or URL, YAML or JSON), resolve ``$ref`` and index its operations.

>>> from conformance.spec import load_spec
>>> spec = load_spec("../shared/specs/openai-2.3.0.yaml")  # doctest: +SKIP
"""

from .errata import ERRATA, AppliedErratum, Erratum
from .loader import Spec, load_spec
from .model import MediaType, Operation, Parameter, RequestBody, Response, Stream
from .refs import Documents

__all__ = [
    "ERRATA",
    "AppliedErratum",
    "Documents",
    "Erratum",
    "MediaType",
    "Operation",
    "Parameter",
    "RequestBody",
    "Response",
    "Spec",
    "Stream",
    "load_spec",
]
