"""The fuzz harness on a client of our own with planted bugs (tests/fuzz/clients/planted.py):
it finds and classifies them, replays a case byte for byte, and keeps sessions independent."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import SPECS

from conformance.cli.main import main
from conformance.fuzz import Case, Client, Harness, Run, classify, plan
from conformance.fuzz.classify import compare, exception_of
from conformance.fuzz.replay import load_case, replay
from conformance.results import Request, Response, Result
from conformance.spec import Spec
from conformance.validate import Validator

SPEC = SPECS / "openai-2.3.0.yaml"
PLANTED = str(Path(__file__).parent / "clients" / "planted.py")


def planted(mode: str, timeout: float = 10.0) -> Client:
    return Client([sys.executable, PLANTED, mode], timeout=timeout)


@pytest.fixture(scope="module")
def echo(spec: Spec) -> Iterator[Harness]:
    with Harness(spec, planted("echo"), seed="5") as harness:
        yield harness


def test_planted_bug_is_a_client_finding_and_replays_byte_for_byte(
    spec: Spec, tmp_path: Path
) -> None:
    results = tmp_path / "fuzz.jsonl"
    cases = [Case("0", "", "typical"), Case("1", "", "edge")]
    with Harness(spec, planted("nonascii"), seed="7", results=results) as harness:
        done = list(harness.run(cases))
    # typical answers are ASCII: the client copes; edge ones carry non-ASCII: it crashes
    assert [d.outcome.kind for d in done] == ["ok", "client"]
    finding = done[1].outcome
    assert finding.symptom == "untyped-exception"
    assert finding.detail.startswith("UnicodeEncodeError")
    recorded = load_case(results, "1")
    assert recorded.case == cases[1] and len(recorded.exchanges) == 1
    assert recorded.code == "fuzz.untyped-exception"
    again, same = replay(recorded, spec=spec)
    assert same
    assert (again.outcome.kind, again.outcome.symptom) == ("client", "untyped-exception")
    assert again.records[0].response == recorded.exchanges[0].response  # the same bytes


def test_hanging_client_is_a_hang(spec: Spec) -> None:
    with Harness(spec, planted("hang", timeout=1.0), seed="1") as harness:
        done = harness.run_case(Case("0", "", "typical"))
    assert done.run.timed_out
    assert (done.outcome.kind, done.outcome.symptom) == ("client", "hang")


def test_client_resending_in_a_loop_is_a_loop(spec: Spec) -> None:
    with Harness(spec, planted("loop"), seed="1") as harness:
        done = harness.run_case(Case("0", "", "typical"))
    assert done.run.exit == 0
    assert (done.outcome.kind, done.outcome.symptom) == ("client", "loop")
    assert done.outcome.detail == "12 requests to POST /v1/chat/completions"


def test_sessions_are_independent_and_deterministic(echo: Harness) -> None:
    def served(case: str) -> bytes | None:
        done = echo.run_case(Case(case, "", "typical"))
        assert done.outcome.kind == "ok", done.outcome
        response = done.records[0].response
        assert response is not None
        return response.body

    first = served("3")
    assert served("4") != first  # another case, other answers
    assert served("3") == first  # the same case, the same bytes
    # run side by side with other sessions, a case is still served the same bytes
    with_others = {d.case.id: d for d in echo.run(plan("5", 4, profile="typical", faults=""))}
    assert {d.case.id for d in with_others.values()} == {"0", "1", "2", "3"}
    assert all(d.outcome.kind == "ok" for d in with_others.values())
    record = with_others["3"].records[0].response
    assert record is not None and record.body == first


def test_concurrent_sessions_match_sequential_ones(spec: Spec) -> None:
    cases = plan("9", 4, profile="edge", faults="")
    with Harness(spec, planted("echo"), seed="9") as one:
        alone = [d.records[0].response for d in one.run(cases)]
    with Harness(spec, planted("echo"), seed="9", jobs=2) as two:
        together = [d.records[0].response for d in two.run(cases)]
    assert alone == together


def test_faults_are_per_case_and_failures_on_them_expected(spec: Spec) -> None:
    with Harness(spec, planted("nonascii"), seed="1") as harness:
        done = harness.run_case(Case("0", "", "typical", "truncate"))
    assert done.records[0].faults == ("truncate",)
    # the client dies of a JSONDecodeError on the cut body: untyped, so still a finding
    assert done.outcome.symptom == "untyped-exception"
    assert "JSONDecodeError" in done.outcome.detail


# -- classification without processes -----------------------------------------------------------


def _record(body: bytes, faults: tuple[str, ...] = (), status: int = 200) -> Result:
    from conformance.results import Replay

    return Result(
        "listModels",
        Request("GET", "/v1/models"),
        Response(status, {"content-type": "application/json"}, (body,)),
        replay=Replay("1", faults=faults),
    )


def test_an_answer_the_validator_rejects_is_a_mock_bug(spec: Spec) -> None:
    validator = Validator(spec)
    bad = _record(b'{"object": "list", "data": 3}')
    ok = Run(0, False, "", "", 0.1)
    assert classify(ok, [bad], validator).kind == "mock"
    good = _record(b'{"object": "list", "data": []}')
    assert classify(ok, [good], validator).kind == "ok"
    failed = Run(1, False, "", "Traceback (most recent call last):\n  x\nKeyError: 'data'\n", 0.1)
    assert classify(failed, [good], validator).symptom == "untyped-exception"
    typed = Run(1, False, "", "Traceback (most recent call last):\nopenai.APIError: x\n", 0.1)
    assert classify(typed, [good], validator).symptom == "error-on-valid"
    assert classify(typed, [_record(b"{", ("truncate",))], validator).kind == "expected"
    assert classify(ok, [_record(b"{", ("truncate",))], validator).symptom == "truncation-accepted"


def test_oracle_compares_what_the_client_parsed(spec: Spec) -> None:
    good = _record(b'{"object": "list", "data": [{"id": "m", "created": 1}]}')
    same = Run(0, False, '{"object": "list", "data": [{"id": "m", "created": 1.0}]}\n', "", 0.1)
    clamped = Run(0, False, '{"object": "list", "data": [{"id": "m", "created": 0}]}\n', "", 0.1)
    assert classify(same, [good], None, oracle=True).kind == "ok"
    lenient = classify(clamped, [good], None, oracle=True)
    assert (lenient.kind, lenient.symptom) == ("client", "oracle-mismatch")
    assert lenient.detail == "/data/0/created: served 1, parsed 0"
    assert compare([True], [1]) == ["/0: served True, parsed 1"]
    # numbers as doubles (RFC 8259 §6): a JavaScript client's 2**64 is the served number...
    assert compare({"n": 2**64}, {"n": 18446744073709552000}) == []
    # ...but not a different one, and numbers past any double only equal themselves
    assert compare({"n": 3}, {"n": 3.5}) == ["/n: served 3, parsed 3.5"]
    assert compare({"n": 10**400}, {"n": 10**401}) != []
    # what the SDK computes itself is not compared (Responses' output_text)
    assert compare({"output_text": None}, {"output_text": "hi"}) == []


def test_exception_names() -> None:
    assert (
        exception_of("exception: openai.APIConnectionError: boom\n") == "openai.APIConnectionError"
    )
    chained = (
        "Traceback (most recent call last):\nKeyError: 1\n\nDuring handling...\n\n"
        "Traceback (most recent call last):\n  File x\n    y\nopenai.APIError: z\n"
    )
    assert exception_of(chained) == "openai.APIError"
    assert exception_of("Killed\n") is None


# -- the CLI --------------------------------------------------------------------------------------


def test_cli_runs_cases_and_replays_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not SPEC.is_file():
        pytest.skip("shared spec missing")
    results = tmp_path / "f.jsonl"
    argv = ["fuzz", str(SPEC), "--seed", "7", "--cases", "2", "--profile", "edge"]
    code = main(
        [
            *argv,
            "--faults",
            "",
            "--results",
            str(results),
            "--",
            sys.executable,
            PLANTED,
            "nonascii",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "case 0 [- edge no faults]: fuzz.untyped-exception: UnicodeEncodeError" in out
    assert "2 cases in" in out
    assert main(["fuzz", "replay", "1", "--results", str(results)]) == 1
    replayed = capsys.readouterr().out
    assert "recorded fuzz.untyped-exception; replayed fuzz.untyped-exception" in replayed
    assert "(same bytes served)" in replayed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fuzz", "spec.yaml"], "give the client command after --"),
        (["fuzz", "spec.yaml", "--faults", "nope", "--", "x"], "unknown fault 'nope'"),
        (["fuzz", "replay", "3"], "give the results file"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_finding_is_shrunk_to_a_minimal_valid_answer(spec: Spec) -> None:
    from conformance.fuzz.shrink import shrink

    with Harness(spec, planted("nonascii"), seed="7") as harness:
        done = harness.run_case(Case("1", "", "edge"))
        found = shrink(harness, done, budget=60)
    assert found is not None and found.exercises.startswith("/choices/0/")
    text = json.dumps(found.answer, ensure_ascii=False)
    assert not text.isascii() and len(text) < 400
    assert Validator(spec).response("createChatCompletion", body=found.answer) == []
