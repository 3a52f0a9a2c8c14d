"""The suite's checks inside schemathesis: real schemathesis cases sent to our mock over HTTP
pass them; a deviating answer fails them with the verdict code as the failure's title."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup
from support import SPECS

from conformance import load_spec
from conformance.mock import Mock
from conformance.mock.server import MockServer
from conformance.spec import Spec
from conformance.suites.engine import REPLACED, ConformanceFailure, conformance_checks


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(SPECS / "openai-2.3.0.yaml")


@pytest.fixture(scope="module")
def live(spec: Spec) -> Iterator[tuple[Mock, str]]:
    mock = Mock(spec, seed=1, profile="typical")
    with MockServer(mock) as server:
        yield mock, server.base_url


def test_schemathesis_cases_pass_our_checks_against_the_mock(
    spec: Spec, live: tuple[Mock, str]
) -> None:
    _, base_url = live
    schema = schemathesis.openapi.from_dict(spec.document)
    checks = conformance_checks(spec)
    assert [c.__name__ for c in checks][:3] == [
        "conformance_server_error",
        "conformance_error_envelope",
        "conformance_error_disclosure",
    ]
    sent = []
    for op_id in ("listModels", "createEmbedding", "retrieveModel"):
        operation = schema.find_operation_by_id(op_id)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=5,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            response = case.call(base_url=base_url, headers={"Authorization": "Bearer sk-x"})
            case.validate_response(response, checks=checks)
            sent.append(response.status_code)

        run()
    assert sent and set(sent) <= {200, 400, 404}


def test_a_deviation_fails_our_check_with_its_code(spec: Spec, live: tuple[Mock, str]) -> None:
    mock, base_url = live
    page = {
        "object": "list",
        "data": [{"id": "m", "object": "model", "created": 1.5, "owned_by": "x"}],
    }
    mock.override("listModels", handler=lambda request: page)
    try:
        operation = schemathesis.openapi.from_dict(spec.document).find_operation_by_id("listModels")
        case = operation.Case()
        response = case.call(base_url=base_url, headers={"Authorization": "Bearer sk-x"})
        with pytest.raises(FailureGroup) as raised:
            case.validate_response(response, checks=conformance_checks(spec))
        failures = raised.value.exceptions
        assert [type(f) for f in failures] == [ConformanceFailure]
        assert failures[0].title == "schema.type" and "created" in failures[0].message
    finally:
        mock.overrides.clear()
    assert set(REPLACED) == {
        "response_schema_conformance",
        "status_code_conformance",
        "ignored_auth",
    }
