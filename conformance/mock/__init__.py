"""A mock of the API a spec describes: validates what clients send, answers what the spec allows.

>>> from conformance.mock import Mock, MockRequest
>>> mock = Mock("../shared/specs/openai-2.3.0.yaml", profile="typical", seed=1)  # doctest: +SKIP
>>> mock.handle(MockRequest("GET", "/v1/models", headers={"authorization": "Bearer sk-x"})).status  # doctest: +SKIP
200
"""

from .apierror import error_response
from .core import KNOBS, Mock, Override
from .faults import FAULTS, Fault, apply_faults, parse_faults
from .log import Record, RequestLog
from .message import MockRequest, MockResponse
from .transport import mock_router

__all__ = [
    "FAULTS",
    "KNOBS",
    "Fault",
    "Mock",
    "MockRequest",
    "MockResponse",
    "Override",
    "Record",
    "RequestLog",
    "apply_faults",
    "error_response",
    "mock_router",
    "parse_faults",
]
