"""Strategies asked for what an operation does not offer raise InputError (a ConformanceError)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import traffic

from conformance.errors import ConformanceError, InputError
from conformance.spec import Operation
from conformance.strategies import invalid_requests, requests, responses, streams
from conformance.validate import Validator


def real_operations(v: Validator) -> list[Operation]:
    """The operations the real traffic calls."""
    routed = (v.spec.match(e["method"], urlsplit(e["url"]).path) for e in traffic.index())
    return sorted({r[0] for r in routed if r}, key=lambda op: op.operation_id)


def test_what_real_operations_do_not_offer_is_an_input_error(openai_validator: Validator) -> None:
    spec = openai_validator.spec
    ops = real_operations(openai_validator)
    assert len(ops) > 20
    for op in ops:
        if op.stream_for(200) is None:
            with pytest.raises(InputError, match=f"{op.operation_id} does not stream"):
                streams(spec, op)
        with pytest.raises(InputError, match=op.operation_id):
            responses(spec, op, status=299)
        if op.request_body is not None:
            with pytest.raises(InputError, match=op.operation_id):
                requests(spec, op, media_type="text/x-nope")
    quiet = [op for op in ops if not op.parameters and op.request_body is None]
    assert quiet  # listModels: nothing to break
    for op in quiet:
        with pytest.raises(InputError, match="no constraint to break"):
            invalid_requests(spec, op)
    with pytest.raises(InputError, match="unknown profile"):
        requests(spec, ops[0], profile="nope")
    assert issubclass(InputError, ConformanceError)
