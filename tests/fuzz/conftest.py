"""Shared by the client-fuzzing tests: OpenAI's 2.3.0 spec (the tests skip when ../shared/specs
is missing) and a validator of it."""

from __future__ import annotations

import pytest
from support import SPECS

from conformance.spec import Spec, load_spec
from conformance.validate import Validator


@pytest.fixture(scope="module")
def spec() -> Spec:
    path = SPECS / "openai-2.3.0.yaml"
    if not path.is_file():
        pytest.skip(f"shared spec {path} is missing")
    return load_spec(path)


@pytest.fixture(scope="module")
def validator(spec: Spec) -> Validator:
    return Validator(spec)
