"""Hypothesis strategies derived from the spec: requests, responses, streams, invalid requests.

>>> from conformance.strategies import requests, responses
>>> @given(responses(spec, "createChatCompletion", status=200, profile="typical"))  # doctest: +SKIP
... def test_my_client_parses_every_response(case): ...
"""

from .cases import RequestCase, ResponseCase
from .compiler import Compiler
from .profiles import DEFAULT, EDGE, PROFILES, TYPICAL, Profile, get_profile
from .requests import requests
from .responses import responses

__all__ = [
    "DEFAULT",
    "EDGE",
    "PROFILES",
    "TYPICAL",
    "Compiler",
    "Profile",
    "RequestCase",
    "ResponseCase",
    "get_profile",
    "requests",
    "responses",
]
