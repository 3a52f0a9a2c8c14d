"""schemathesis, positive and negative, over every operation of OpenAI's 2.3.0 spec against the
mock's HTTP server (under its default ServerLimits): never a 5xx. Bounded: a few examples per
operation and mode, and a time budget. The other checks (and the known disagreements about how
to read the spec) are tests/mock/test_schemathesis.py's; this one asks only that the server
never fails, whatever it is sent.

``createEmbedding`` is included: a ``dimensions`` past the largest model's (3,072; the spec
sets no maximum and schemathesis asks for huge ones) is the API's 400
(``rule.request.dimensions``), so the mock never builds such vectors.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import SPECS, schemathesis

from conformance import load_spec
from conformance.mock import Mock
from conformance.mock.server import MockServer

V230 = SPECS / "openai-2.3.0.yaml"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not V230.exists(), reason=f"specs not found at {SPECS}"),
]


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_no_5xx_over_every_operation(mode: str, tmp_path: Path) -> None:
    spec = load_spec(V230)
    with MockServer(Mock(spec, seed=1)) as server:
        run = schemathesis(
            spec,
            server.base_url,
            tmp_path,
            "--max-time",
            "300",
            "--continue-on-failure",
            "--checks",
            "not_a_server_error",
            "--request-timeout",
            "30",
            mode=mode,
            seed=2,
            timeout=900,
        )
    output = run.stdout + run.stderr
    assert "Server error" not in output and "not_a_server_error" not in output, output[-4000:]
    assert run.returncode == 0, output[-4000:]
    operations = re.search(r"Selected: (\d+)/(\d+)", output)
    assert operations is not None, output[-2000:]
    assert int(operations[1]) == int(operations[2]), output[-2000:]  # every operation
    cases = re.search(r"Test cases:\s+(\d+) generated", output)
    assert cases is not None and int(cases[1]) > 0, output[-2000:]
    print(f"schemathesis {mode}: {cases[1]} cases over {operations[1]} operations, 0 × 5xx")
