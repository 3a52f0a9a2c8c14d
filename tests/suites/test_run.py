"""``run_suite`` and ``conformance run`` against our own mock on 127.0.0.1: the self-consistency
check (every operation of 2.3.0 runs, nothing fails), determinism, budgets, capability profiles,
interrupts, and the command's faces and exit codes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import SPECS

from conformance import load_spec
from conformance.errors import InputError
from conformance.mock import Mock
from conformance.mock.server import MockServer
from conformance.results import Result, read_results
from conformance.spec import Spec
from conformance.suites import Budget, Target, load_target, run_suite
from conformance.suites.capabilities import Capabilities, load_capabilities, probe

SPEC = SPECS / "openai-2.3.0.yaml"
FEW = ["createChatCompletion", "createEmbedding", "listModels", "retrieveModel", "createCompletion"]


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(SPEC)


@pytest.fixture
def server(spec: Spec, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key")
    with MockServer(Mock(spec, seed=1, profile="typical")) as live:
        yield live


def keyed(doc: object) -> list[tuple[str, str, str, str]]:
    return [(v.operation, v.check, v.axis, v.grade) for v in doc.verdicts]  # type: ignore[attr-defined]


def test_same_server_same_seed_same_verdicts(spec: Spec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key")
    runs = []
    for _ in range(2):
        with MockServer(Mock(spec, seed=1, profile="typical")) as live:
            runs.append(run_suite(spec, Target(live.base_url), operations=FEW, seed=5))
    assert keyed(runs[0]) == keyed(runs[1])
    assert [r.request.body for r in runs[0].results] == [r.request.body for r in runs[1].results]  # type: ignore[union-attr]


def test_the_mock_passes_and_every_request_is_kept(spec: Spec, server: MockServer) -> None:
    seen: list[Result] = []
    doc = run_suite(spec, Target(server.base_url), operations=FEW, seed=1, on_result=seen.append)
    assert [v for v in doc.verdicts if v.grade == "fail"] == []
    assert {v.operation for v in doc.verdicts} == set(FEW)
    assert seen == doc.results and doc.run["requests"] == len(doc.results)
    kinds = {r.name.split(" ")[0] for r in doc.results}
    assert kinds == {"positive", "negative:", "probe:"}
    # negatives were refused with the envelope, the probes' parameters honoured
    assert all(r.status == 400 for r in doc.results if r.name.startswith("negative"))
    assert {v.grade for v in doc.verdicts if v.axis == "capability"} == {"pass"}
    # the key never reaches a result
    assert "sk-test-key" not in json.dumps(doc.to_dict())


def test_the_request_budget_cuts_the_run_and_says_so(spec: Spec, server: MockServer) -> None:
    doc = run_suite(
        spec, Target(server.base_url), operations=FEW, budget=Budget(requests=7), seed=1
    )
    assert len(doc.results) == 7 == doc.run["requests"]
    assert doc.run["budget_spent"] == "the request budget (7) is spent"
    cut = {
        v.operation
        for v in doc.verdicts
        if v.grade == "inconclusive" and "spent" in " ".join(v.notes)
    }
    assert cut and cut <= set(FEW[1:])


def test_an_interrupt_keeps_what_ran(spec: Spec, server: MockServer) -> None:
    seen: list[Result] = []

    def stop_after_three(result: Result) -> None:
        seen.append(result)
        if len(seen) == 3:
            raise KeyboardInterrupt

    doc = run_suite(
        spec, Target(server.base_url), operations=FEW, seed=1, on_result=stop_after_three
    )
    assert doc.run["interrupted"] is True and len(doc.results) == 3
    assert any("interrupted" in " ".join(v.notes) for v in doc.verdicts)


def test_a_capability_profile_is_written_and_reused(
    spec: Spec, server: MockServer, tmp_path: Path
) -> None:
    # a base URL under which nothing is served: every operation is unsupported
    wrong = Target(server.url + "/nothing-here")
    caps = probe(spec, wrong, Budget(), operations=("listModels", "createEmbedding"))
    assert caps.unsupported() == ["createEmbedding", "listModels"]
    caps.write(tmp_path / "caps.json")
    again = load_capabilities(tmp_path / "caps.json")
    assert again == caps
    served = probe(spec, Target(server.base_url), Budget(), operations=("listModels",))
    assert served.operations == {"listModels": "served"}
    mixed = Capabilities(server.base_url, {**served.operations, "createEmbedding": "unsupported"})
    doc = run_suite(
        spec,
        Target(server.base_url),
        operations=["listModels", "createEmbedding"],
        unsupported=mixed.unsupported(),
    )
    graded = {(v.operation, v.grade) for v in doc.verdicts}
    assert ("createEmbedding", "unsupported") in graded and ("listModels", "pass") in graded
    assert all(r.operation == "listModels" for r in doc.results)  # the unsupported one was not sent


def test_a_target_file(tmp_path: Path) -> None:
    path = tmp_path / "server.toml"
    path.write_text(
        'base_url = "http://127.0.0.1:8080/v1/"\napi_key_env = "MY_KEY"\n'
        'operations = ["listModels"]\n[models]\nchat = "qwen"\n[headers]\nx-tenant = "ci"\n'
    )
    target = load_target(path)
    assert (
        target.base_url == "http://127.0.0.1:8080/v1"
        and target.model_for("createChatCompletion") == "qwen"
    )
    assert target.operations == ("listModels",) and target.headers == {"x-tenant": "ci"}
    path.write_text('base_url = "http://h/v1"\nmodel = "x"\n')
    with pytest.raises(InputError, match=r"server.toml: unknown key 'model'"):
        load_target(path)
    path.write_text('base_url = "ftp://h"\n')
    with pytest.raises(InputError, match=r"server.toml: target base URL 'ftp://h' is not an http"):
        load_target(path)
    path.write_text('base_url = "http://h/v1"\n[models]\nvideo = "x"\n')
    with pytest.raises(InputError, match=r"unknown family 'video'"):
        load_target(path)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", "run", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def test_the_cli_checks_the_embedded_mock_with_nothing_configured(tmp_path: Path) -> None:
    results = tmp_path / "run.jsonl"
    junit = tmp_path / "junit.xml"
    run = _cli(
        str(SPEC),
        "--operations",
        ",".join(FEW),
        "--results",
        str(results),
        "--junit",
        str(junit),
        "--no-flows",
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "5 operations" in run.stdout and "fail" not in run.stdout.split("\n")[-2]
    doc = read_results(results)
    assert doc.results and doc.verdicts and doc.run["kind"] == "suite"
    assert junit.read_text().startswith("<?xml")


def test_the_cli_says_one_line_for_an_unreachable_server() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    run = _cli(str(SPEC), "--base-url", f"http://127.0.0.1:{port}/v1", "--operations", "listModels")
    assert run.returncode == 2
    assert (
        run.stderr.strip()
        == f"conformance: error: cannot reach http://127.0.0.1:{port}/v1: connection refused"
    )


def test_the_cli_exits_one_on_a_failure_and_names_it(spec: Spec, tmp_path: Path) -> None:
    mock = Mock(spec, seed=1, profile="typical")
    page = {
        "object": "list",
        "data": [{"id": "m", "object": "model", "created": 1.5, "owned_by": "x"}],
    }
    mock.override("listModels", handler=lambda request: page)  # a float timestamp
    with MockServer(mock) as live:
        run = _cli(
            str(SPEC),
            "--base-url",
            live.base_url,
            "--operations",
            "listModels",
            env={"OPENAI_API_KEY": "sk-x"},
        )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "fail  listModels [schema] schema.type" in run.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "video=x"], "--model video=x: unknown family 'video'"),
        (["--header", "nocolon"], "--header 'nocolon': expected NAME:VALUE"),
        (["--operations", "nope"], "nope"),
        (["--max-requests", "0"], "budget requests must be at least 1"),
    ],
)
def test_the_cli_refuses_bad_options_in_one_line(args: list[str], message: str) -> None:
    run = _cli(str(SPEC), "--base-url", "http://127.0.0.1:9/v1", *args)
    assert (
        run.returncode == 2 and message in run.stderr and len(run.stderr.strip().splitlines()) == 1
    )


def test_every_operation_of_the_spec_runs_against_the_mock_and_nothing_fails(
    spec: Spec, server: MockServer
) -> None:
    doc = run_suite(spec, Target(server.base_url), seed=1)
    failed = [f"{v.operation} {v.check}: {v.message}" for v in doc.verdicts if v.grade == "fail"]
    assert failed == []
    assert {r.operation for r in doc.results} == {op.operation_id for op in spec.operations}
    warned = [f"{v.operation} {v.check}" for v in doc.verdicts if v.grade in ("warn", "ignored")]
    assert warned == []
