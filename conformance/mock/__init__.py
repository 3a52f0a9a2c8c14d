"""A mock of the API a spec describes: validates what clients send, answers what the spec allows.

>>> from conformance.mock import Mock, MockRequest
>>> mock = Mock("../shared/specs/openai-2.3.0.yaml", profile="typical", seed=1)  # doctest: +SKIP
>>> mock.handle(MockRequest("GET", "/v1/models", headers={"authorization": "Bearer sk-x"})).status  # doctest: +SKIP
200
"""

from .core import Mock
from .faults import FAULTS, Fault
from .log import RequestLog
from .message import MockRequest, MockResponse
from .overrides import Override, OverrideError
from .transport import mock_router

__all__ = [
    "FAULTS",
    "Fault",
    "Mock",
    "MockRequest",
    "MockResponse",
    "Override",
    "OverrideError",
    "RequestLog",
    "mock_router",
]
