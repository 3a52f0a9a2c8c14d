"""Redaction everywhere: canary secrets planted in a document — an API key in Authorization,
``api-key`` and a URL query, tokens in paths, bodies, stream chunks (cut in two by a chunk
boundary) and binary bodies, cookies, a URL's password, a value only the user names, a value
of no particular shape under secret body keys (JSON, nested, a stream event's data, form and
multipart fields, a violation's message, the run's settings) — never reach a byte of any
report, of the run diff, or of the terminal; a logprobs ``token`` beside them is kept."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path

import pytest
from runs import CANARY, KEY_ENV, NAMED, QUIET, suite_run

from conformance.cli.main import main
from conformance.reports import FORMATS, Summary, diff_runs
from conformance.reports.redaction import redactor_for
from conformance.results import Document, Replay, Request, Response, Result, Verdict, read_results
from conformance.spec import Spec
from conformance.validate import Violation

PLAIN = "plain-key-value-xyz"  # no token shape: found by where it is (a key's header, api_key=)
KEPT = "kept-logprobs-token"  # model output under ``token`` beside ``logprob``: no secret
NEEDLES = ("CANARY", NAMED, PLAIN, QUIET)


def _planted() -> Document:
    event = {
        "content": CANARY,
        "client_secret": {"value": QUIET, "expires_at": 1},
        "logprobs": {"content": [{"token": KEPT, "logprob": -0.1, "bytes": None}]},
    }
    stream = f"data: {json.dumps(event)}\n\ndata: [DONE]\n\n".encode()
    cut = stream.index(b"CANARY")
    quiet = stream.index(QUIET.encode()) + 3  # a chunk boundary inside the quiet secret too
    request = Request(
        "POST",
        f"/v1/files/{CANARY}/content",
        f"api_key={PLAIN}&key={CANARY}&note={NAMED}&limit=2",
        {
            "authorization": f"Bearer {CANARY}",
            "api-key": PLAIN,
            "cookie": f"session={NAMED}",
            "x-custom": f"{NAMED} {CANARY}",
            "content-type": "application/json",
        },
        json.dumps(
            {
                "user": CANARY,
                "api_key": QUIET,
                "metadata": {"note": NAMED, "Password": QUIET},
                "tools": [{"type": "mcp", "authorization": QUIET}],
            }
        ).encode(),
        origin=f"https://me:{PLAIN}@api.example.com",
    )
    streamed = Result(
        "createChatCompletion",
        request,
        Response(
            200,
            {"set-cookie": f"sid={NAMED}"},
            (stream[:cut], stream[cut:quiet], stream[quiet:]),
            stream=True,
        ),
        request_id=f"req-{NAMED}",
        replay=Replay("1"),
        notes=(f"note {CANARY} {NAMED}",),
        violations=(
            Violation(
                f"'{NAMED}' is not declared",
                where="stream.event",
                pointer=f"/{NAMED}",
                code="undeclared.property",
                event=0,
            ),
            Violation(f"bad {CANARY}", where="response.body", code="schema.type"),
            Violation(
                f"'{QUIET}' is too short",
                where="request.body",
                pointer="/tools/0/authorization",
                code="schema.minLength",
            ),
        ),
    )
    multipart = (
        b'--b\r\nContent-Disposition: form-data; name="client_secret"\r\n\r\n'
        + QUIET.encode()
        + b'\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n\xff\x00'
        + CANARY.encode()
        + NAMED.encode()
        + b"\r\n--b--\r\n"
    )
    binary = Result(
        "createFile",
        Request("POST", "/v1/files", body=multipart),
        Response(400, chunks=(b"\xfe" + CANARY.encode(),)),
        violations=(Violation("x", where="request.body", code="request.decode"),),
        name=f"example {NAMED}",
        skipped="",
    )
    verdicts = [
        Verdict(
            "createChatCompletion",
            "schema.type",
            "schema",
            "fail",
            ("schema.type",),
            (f"n {NAMED}",),
            f"m {CANARY}",
            (0,),
        ),
        Verdict(
            "createChatCompletion",
            "undeclared.property",
            "schema",
            "warn",
            ("undeclared.property",),
            (),
            NAMED,
            (0,),
        ),
        Verdict(
            "createFile", "request.decode", "schema", "fail", ("request.decode",), (), "", (1,)
        ),
        Verdict(
            "createFile",
            "capability.x",
            "capability",
            "unsupported",
            (),
            (f"says {CANARY}",),
            "",
            (1,),
        ),
    ]
    form = Result(
        "createFile",
        Request(
            "POST",
            "/v1/files",
            headers={"content-type": "application/x-www-form-urlencoded"},
            body=f"purpose=x&access_token={QUIET}&max_tokens=3".encode(),
        ),
        Response(
            400, {"content-type": "application/json"}, (b'{"secret": "' + QUIET.encode() + b'"}',)
        ),
    )
    return Document(
        [streamed, binary, form],
        {"title": "t", "source": f"https://u:{PLAIN}@example.com/spec.yaml"},
        {
            "seed": 1,
            "base_url": f"https://api.example.com/v1?api_key={PLAIN}",
            "key": CANARY,
            "target": {"password": QUIET},
        },
        verdicts=verdicts,
    )


def _clean(blob: bytes | str, what: str) -> None:
    data = blob.encode() if isinstance(blob, str) else blob
    for needle in NEEDLES:
        assert needle.encode() not in data, f"{needle} in {what}"


def test_the_plant_is_there() -> None:
    raw = _planted().to_json()
    assert all(n in raw for n in NEEDLES)


def test_no_writer_lets_a_secret_through() -> None:
    summary = Summary.of(_planted(), redactor_for([NAMED]))
    for name, render in FORMATS.items():
        _clean(render(summary), name)
    assert KEPT in FORMATS["json"](summary)  # model output is no secret
    # the JSON report's base64 bodies too
    doc = Document.from_dict(json.loads(FORMATS["json"](summary)))
    for result in doc.results:
        for part in (result.request, result.response):
            if part is not None:
                _clean(part.body or b"", "a body of the JSON report")
    encoded = [v for v in json.dumps(doc.to_dict()).split('"') if len(v) > 12]
    for text in encoded:
        with contextlib.suppress(ValueError):
            _clean(base64.b64decode(text, validate=True), "base64")


def test_the_run_diff_lets_no_secret_through() -> None:
    old = _planted()
    new = Document(
        old.results,
        old.spec,
        {"seed": 2},
        verdicts=[Verdict("createFile", "schema", "schema", "pass")],
    )
    diff = diff_runs(old, new, redactor_for([NAMED]))
    assert diff.fixes
    for text in (diff.text(), diff.to_json(), diff.markdown()):
        _clean(text, "diff")


def test_the_cli_over_every_format_and_the_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run.json"
    run.write_text(_planted().to_json())
    args = ["report", str(run), "--redact", NAMED]
    for name in FORMATS:
        args += [f"--{name}", str(tmp_path / f"out.{name}")]
    assert main(args) == 0
    for name in FORMATS:
        _clean((tmp_path / f"out.{name}").read_bytes(), name)
    for fmt in ("text", "json", "markdown"):
        main(["report", "diff", str(run), str(tmp_path / "out.json"), "--redact", NAMED, "-f", fmt])
    for name in FORMATS:
        main(["report", str(run), "--redact", NAMED, "--format", name])
    captured = capsys.readouterr()
    _clean(captured.out + captured.err, "the terminal")


def test_the_mock_s_log(tmp_path: Path, mock_log: Path) -> None:
    """The mock redacts the token and the values under secret body keys itself; the value only
    the report's user knows reaches the log in clear, and ``--redact`` keeps it out of every
    report."""
    text = mock_log.read_text()
    assert "CANARY" not in text and QUIET not in text and NAMED in text
    assert text.count('"api_key":"[redacted:api_key]"') == 2
    assert text.count("[redacted:password]") == 2
    args = ["report", str(mock_log), "--redact", NAMED]
    for name in FORMATS:
        args += [f"--{name}", str(tmp_path / f"log.{name}")]
    assert main(args) == 0
    for name in FORMATS:
        _clean((tmp_path / f"log.{name}").read_bytes(), f"{name} of the mock's log")
    assert read_results(tmp_path / "log.json").results


def test_a_suite_run_against_the_mock(spec: Spec, monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite sends the canary as its API key and the named value in a target header (the
    suite redacts both in its results already; no writer brings them back)."""
    monkeypatch.setenv(KEY_ENV, CANARY)
    doc = suite_run(spec, "listModels", headers={"x-team": NAMED})
    assert doc.results and all(r.request is not None for r in doc.results)
    summary = Summary.of(doc, redactor_for([NAMED]))
    for name, render in FORMATS.items():
        _clean(render(summary), f"{name} of a suite run")
