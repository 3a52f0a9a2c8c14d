"""Shared fixtures: the OpenAI specs (read from ../shared/specs, never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.spec import load_spec
from conformance.validate import Validator

SHARED_SPECS = (Path(__file__).parents[1] / ".." / "shared" / "specs").resolve()
OPENAI_SPECS = ("openai-2.3.0.yaml", "openai-2026-08.yaml")


@pytest.fixture(scope="session", params=OPENAI_SPECS)
def openai_validator(request: pytest.FixtureRequest) -> Validator:
    """A Validator for each OpenAI spec (3.0 and 3.1), loaded and compiled once per session."""
    path = SHARED_SPECS / request.param
    if not path.is_file():
        pytest.skip(f"shared spec {path} is missing (expected next to the repo in ../shared/specs)")
    return Validator(load_spec(path))
