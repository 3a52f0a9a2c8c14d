"""Hypothesis strategies derived from the spec: requests, responses, streams, invalid requests.

>>> from conformance.strategies import requests, responses, streams, invalid_requests
>>> @given(responses(spec, "createChatCompletion", status=200, profile="typical"))  # doctest: +SKIP
... def test_my_client_parses_every_response(case): ...
"""

from .cases import RequestCase, ResponseCase
from .invalid import InvalidRequest, breaks_of, invalid_requests
from .profiles import PROFILES, Profile
from .requests import requests
from .responses import responses
from .streams import streams

__all__ = [
    "PROFILES",
    "InvalidRequest",
    "Profile",
    "RequestCase",
    "ResponseCase",
    "breaks_of",
    "invalid_requests",
    "requests",
    "responses",
    "streams",
]
