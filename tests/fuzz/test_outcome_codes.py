"""A fuzz case's outcome is a verdict code of the one table (``fuzz.*``), carried by its summary
result as a ``Violation``: classification yields the right code, the results file holds it, and
reports show the finding by its code."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conformance.fuzz import Case, Client, Harness, Outcome, Run, classify
from conformance.fuzz.classify import KINDS, code_of
from conformance.fuzz.harness import case_code
from conformance.fuzz.replay import load_case
from conformance.reports import Summary, to_junit, to_markdown
from conformance.results import Replay, Request, Response, Result, read_results
from conformance.spec import Spec
from conformance.validate import Validator
from conformance.validate.codes import CODES

PLANTED = str(Path(__file__).parent / "clients" / "planted.py")
CHAT = "createChatCompletion"


def test_the_outcome_codes_are_the_fuzz_codes_of_the_table() -> None:
    assert set(KINDS) == {c for c in CODES if c.startswith("fuzz.")}
    assert set(KINDS.values()) == {"client", "mock", "expected", "inconclusive"}
    with pytest.raises(ValueError, match="not a fuzz outcome code"):
        Outcome("fuzz.nope")
    with pytest.raises(ValueError, match="not a fuzz outcome code"):
        Outcome("transport.error")  # a code of the table, but not an outcome's


# -- classification without processes: every code, from the run and the records --------------


def _record(
    body: bytes = b'{"object": "list", "data": []}',
    faults: tuple[str, ...] = (),
    status: int = 200,
    delay: float = 0.0,
    request_body: bytes | None = None,
    operation: str | None = "listModels",
) -> Result:
    request = Request("GET", "/v1/models")
    violations = ()
    if request_body is not None:
        from conformance.validate import Violation

        bad = Violation("x", where="request.body", code="schema.required")
        request, violations = Request("POST", "/v1/models", body=request_body), (bad,)
    return Result(
        operation,
        request,
        Response(status, {"content-type": "application/json"}, (body,), delay=delay),
        replay=Replay("1", faults=faults),
        violations=violations,
    )


_OK = Run(0, False, "", "", 0.1)
_UNTYPED = Run(1, False, "", "Traceback (most recent call last):\n  x\nKeyError: 'data'\n", 0.1)
_TYPED = Run(1, False, "", "exception: openai.APIError: x\n", 0.1)
_CUT = (b"{", ("truncate",))
_ERROR = (
    b'{"error": {"message": "no", "type": "invalid_request_error", "param": null, "code": null}}'
)

CLASSIFIED = [
    ("ok", _OK, [_record()], False, ""),
    ("mock bug", _OK, [_record(b'{"object": "list", "data": 3}')], False, "fuzz.mock-bug"),
    # the mock refused it with a 400 listModels does not document: the client's, not a mock bug
    (
        "invalid request",
        _OK,
        [_record(_ERROR, status=400, request_body=b"{}")],
        False,
        "fuzz.invalid-request",
    ),
    ("hang", Run(-9, True, "", "", 2.0), [_record()], False, "fuzz.hang"),
    (
        "mock still writing",
        Run(-9, True, "", "", 2.0),
        [_record(delay=5)],
        False,
        "fuzz.inconclusive",
    ),
    ("loop", _OK, [_record()] * 6, False, "fuzz.loop"),
    ("crash", Run(-11, False, "", "", 0.1), [_record()], False, "fuzz.crash"),
    ("untyped", _UNTYPED, [_record()], False, "fuzz.untyped-exception"),
    ("typed on valid", _TYPED, [_record()], False, "fuzz.error-on-valid"),
    ("typed on a cut answer", _TYPED, [_record(*_CUT)], False, "fuzz.expected"),
    (
        "typed on an error",
        _TYPED,
        [_record(b"{}", status=404, operation=None)],
        False,
        "fuzz.expected",
    ),
    ("success on a cut answer", _OK, [_record(*_CUT)], False, "fuzz.truncation-accepted"),
    (
        "oracle differs",
        Run(0, False, '{"object": "x"}\n', "", 0.1),
        [_record()],
        True,
        "fuzz.oracle-mismatch",
    ),
    (
        "oracle agrees",
        Run(0, False, '{"object": "list", "data": []}\n', "", 0.1),
        [_record()],
        True,
        "",
    ),
]


@pytest.mark.parametrize(
    ("run", "records", "oracle", "code"),
    [pytest.param(*c[1:], id=c[0]) for c in CLASSIFIED],
)
def test_each_classification_yields_its_code(
    spec: Spec, run: Run, records: list[Result], oracle: bool, code: str
) -> None:
    outcome = classify(run, records, Validator(spec), oracle=oracle)
    assert outcome.code == code, outcome
    verdict = outcome.violation("listModels")
    if not code:
        assert (outcome.kind, verdict) == ("ok", None)
        return
    assert verdict is not None
    assert (verdict.code, verdict.operation, verdict.message) == (
        code,
        "listModels",
        outcome.detail,
    )
    # a finding (client or mock) is an error, an expected failure or inconclusive run a warning
    assert verdict.is_error == (KINDS[code] in ("client", "mock")) == outcome.finding


def test_the_classifications_above_cover_every_code() -> None:
    assert {c[-1] for c in CLASSIFIED} == {"", *KINDS}


def test_results_files_written_before_the_codes_read_as_codes() -> None:
    old = Result(CHAT, name="case 3", notes=("outcome: client", "symptom: untyped-exception"))
    assert case_code(old) == "fuzz.untyped-exception"
    assert code_of("mock", "invalid-answer") == "fuzz.mock-bug"
    assert code_of("expected") == "fuzz.expected" and code_of("ok") == ""
    assert code_of("client", "no-such-symptom") == ""


# -- the planted client, end to end: classification, results file, reports --------------------

PLANTED_CASES = [
    # (case id, planted mode, faults, the code the case must get)
    ("0", "echo", "", ""),
    ("1", "nonascii", "", "fuzz.untyped-exception"),
    ("2", "hang", "", "fuzz.hang"),
    ("3", "loop", "", "fuzz.loop"),
    ("4", "crash", "", "fuzz.crash"),
    ("5", "typed", "", "fuzz.error-on-valid"),
    ("6", "typed", "server-error", "fuzz.expected"),
    ("7", "echo", "truncate", "fuzz.truncation-accepted"),
    ("8", "lie", "", "fuzz.oracle-mismatch"),
    ("9", "invalid", "", "fuzz.invalid-request"),
]


def test_planted_bugs_get_their_codes_in_the_results_and_the_reports(
    spec: Spec, tmp_path: Path
) -> None:
    results = tmp_path / "fuzz.jsonl"
    # the mode is the case's call; typical answers are ASCII, so nonascii breaks only on edge
    cases = [
        Case(n, mode, "edge" if mode == "nonascii" else "typical", faults)
        for n, mode, faults, _ in PLANTED_CASES
    ]
    client = Client([sys.executable, PLANTED, "{call}"], timeout=2.0)
    with Harness(spec, client, seed="3", oracle=True, results=results, jobs=4) as harness:
        done = {d.case.id: d for d in harness.run(cases)}
        # a mock bug: the session serves an answer its own validator rejects
        invalid = Result(
            CHAT,
            Request("POST", "/v1/chat/completions"),
            Response(200, {"content-type": "application/json"}, (b'{"object": 1}',)),
        )
        bug = harness.run_case(Case("10", "echo", "typical"), [invalid])
    wanted = {n: code for n, _, _, code in PLANTED_CASES}
    assert {n: d.outcome.code for n, d in done.items()} == wanted
    assert bug.outcome.code == "fuzz.mock-bug"
    assert bug.results()[-1].violations[0].code == "fuzz.mock-bug"

    # the results file: each summary carries its code as its one violation
    doc = read_results(results)
    summaries = {r.name: r for r in doc.results if r.name.startswith("case ") and "#" not in r.name}
    assert {name[5:]: case_code(r) for name, r in summaries.items()} == wanted
    for n, code in wanted.items():
        summary = summaries[f"case {n}"]
        assert [v.code for v in summary.violations] == ([code] if code else [])
        assert load_case(results, n).code == code

    # the reports: a verdict per code, graded by severity; the code in JUnit and Markdown
    verdicts = {(v.check, v.grade) for v in Summary.of(doc).verdicts}
    for code in filter(None, wanted.values()):
        assert (code, "warn" if code == "fuzz.expected" else "fail") in verdicts
    junit, markdown = to_junit(doc), to_markdown(doc)
    assert "fuzz.untyped-exception" in junit and "fuzz.hang" in junit
    assert "fuzz.oracle-mismatch" in markdown and "fuzz.loop" in markdown
    # on the client's axis, not a server's: its own column and JUnit suite
    summary = Summary.of(doc)
    assert {v.axis for v in summary.verdicts if v.check.startswith("fuzz.")} == {"client"}
    assert summary.axes[-1] == "client" and '<testsuite name="client"' in junit
    assert "| operation | schema | semantics | capability | client |" in markdown
