"""Validation throughput: jsonschema-rs validators vs. pure-Python ``jsonschema`` on the same schema.

    python bench/bench_validate.py            # ~30-60 s
    python bench/bench_validate.py --quick    # ~10 s
    python bench/bench_validate.py --against 3bbd709   # the full path and the union error paths,
                                                        # this tree vs git revision 3bbd709 (~1 min)

Every figure is printed beside a baseline measured in the same run (the pure-Python
``jsonschema`` ``Draft202012Validator`` on the *same converted schema*, ``v.responses.reference``),
as a ratio, because the machines are noisy. Candidates are measured round-robin (one repeat of
each, then the next repeat of each…) so a noisy stretch hits all of them alike; each figure is the
median (and best) of the repeats. Nothing is asserted about time: this script reports.

With ``--against REV`` only the focused comparison runs: the full ``v.response`` path on the chat
completion and the error paths inside tagged unions (a chat request message, a Response output
item, a Responses stream event), each in two worker processes — this tree and a temporary git
worktree of REV — asked in turn, repeat after repeat; the violations both report are printed
(message, pointer, schema path), so a speed-up that changed them would show.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.spec import load_spec  # noqa: E402
from conformance.validate import Validator  # noqa: E402

SPEC = ROOT.parent / "shared" / "specs" / "openai-2.3.0.yaml"

TARGET_CHAT = 200_000  # validations/s, (a) on the chat completion
TARGET_RATIO = 30.0  # (a)/(d) on the chat completion
TARGET_1KB = 100_000  # validations/s, (a) on the ~1 KB Run and Response objects


# -- instances ---------------------------------------------------------------------------------

CHAT_COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
    "object": "chat.completion",
    "created": 1741570283,
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "tool_calls": [
                    {
                        "id": "call_Ur5Y0eJwb7MBSDYpkhLgLdJr",
                        "type": "function",
                        "function": {
                            "name": "get_current_weather",
                            "arguments": '{"location": "Boston, MA", "unit": "celsius"}',
                        },
                    }
                ],
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "tool_calls",
        },
        {
            "index": 1,
            "message": {
                "role": "assistant",
                "content": "It is 7 °C and cloudy in Boston right now, with light rain expected after 4 pm.",
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "stop",
        },
    ],
    "usage": {
        "prompt_tokens": 82,
        "completion_tokens": 41,
        "total_tokens": 123,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
    "service_tier": "default",
    "system_fingerprint": "fp_fc9f1d7035",
}

RUN_OBJECT: dict[str, Any] = {
    "id": "run_abc123",
    "object": "thread.run",
    "created_at": 1699063290,
    "assistant_id": "asst_abc123",
    "thread_id": "thread_abc123",
    "status": "completed",
    "started_at": 1699063291,
    "expires_at": None,
    "cancelled_at": None,
    "failed_at": None,
    "completed_at": 1699063296,
    "required_action": None,
    "last_error": None,
    "model": "gpt-4o",
    "instructions": "You are a helpful assistant. Answer weather questions with the tools you have.",
    "incomplete_details": None,
    "tools": [
        {"type": "code_interpreter"},
        {"type": "file_search", "file_search": {"max_num_results": 20}},
        {
            "type": "function",
            "function": {
                "name": "get_current_weather",
                "description": "Get the current weather in a given location",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "location": {"type": "string", "description": "City and state"},
                        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    },
                    "required": ["location"],
                },
                "strict": False,
            },
        },
    ],
    "metadata": {"user": "u_42", "session": "s_20250311"},
    "usage": {"prompt_tokens": 123, "completion_tokens": 456, "total_tokens": 579},
    "temperature": 1.0,
    "top_p": 1.0,
    "max_prompt_tokens": 1000,
    "max_completion_tokens": 1000,
    "truncation_strategy": {"type": "auto", "last_messages": None},
    "response_format": "auto",
    "tool_choice": "auto",
    "parallel_tool_calls": True,
}

RESPONSE_OBJECT: dict[str, Any] = {
    "id": "resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41",
    "object": "response",
    "created_at": 1741476777,
    "status": "completed",
    "error": None,
    "incomplete_details": None,
    "instructions": None,
    "max_output_tokens": None,
    "model": "gpt-4o-2024-08-06",
    "output": [
        {
            "type": "function_call",
            "id": "fc_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d41",
            "call_id": "call_12345xyz",
            "name": "get_weather",
            "arguments": '{"location":"Paris, France"}',
            "status": "completed",
        },
        {
            "type": "message",
            "id": "msg_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d41",
            "status": "completed",
            "role": "assistant",
            "content": [
                {
                    "type": "output_text",
                    "text": "It is 14 °C and sunny in Paris. A light jacket should be enough this evening.",
                    "annotations": [],
                }
            ],
        },
    ],
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "reasoning": {"effort": None, "generate_summary": None},
    "temperature": 1.0,
    "text": {"format": {"type": "text"}},
    "tool_choice": "auto",
    "tools": [],
    "top_p": 1.0,
    "truncation": "disabled",
    "usage": {
        "input_tokens": 328,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 52,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 380,
    },
    "metadata": {},
}


def invalid_chat() -> dict[str, Any]:
    """The chat completion with exactly one error: ``created`` is a string."""
    bad = copy.deepcopy(CHAT_COMPLETION)
    bad["created"] = "1741570283"
    return bad


def invalid_response_branch() -> dict[str, Any]:
    """The Response object with one error inside a discriminated ``anyOf`` branch (output item)."""
    bad = copy.deepcopy(RESPONSE_OBJECT)
    bad["output"][1]["status"] = "done"
    return bad


# -- measuring ---------------------------------------------------------------------------------


def calibrate(fn: Callable[[], Any], budget: float) -> int:
    """Calls per repeat so that one repeat takes about ``budget`` seconds."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= budget / 4 or n >= 1 << 22:
            return max(1, int(n * budget / max(elapsed, 1e-9)))
        n *= 4


def run_round_robin(
    cases: dict[str, Callable[[], Any]], repeats: int, budget: float
) -> dict[str, list[float]]:
    """Calls/s of each case, ``repeats`` times, one repeat of each case in turn."""
    counts = {name: calibrate(fn, budget) for name, fn in cases.items()}
    rates: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            n = counts[name]
            gc_was = gc.isenabled()
            gc.disable()  # as timeit does
            try:
                t0 = time.perf_counter()
                for _ in range(n):
                    fn()
                elapsed = time.perf_counter() - t0
            finally:
                if gc_was:
                    gc.enable()
            rates[name].append(n / elapsed)
    return rates


def fmt_rate(r: float) -> str:
    return f"{r:>12,.0f}"


def fmt_us(r: float) -> str:
    return f"{1e6 / r:>9.2f}"


def table(title: str, rates: dict[str, list[float]], baseline: str, notes: dict[str, str]) -> None:
    base = statistics.median(rates[baseline])
    print(f"\n{title}")
    print(f"  baseline (×1.0): {baseline}")
    print(f"  {'case':<52} {'median/s':>12} {'best/s':>12} {'µs/call':>9} {'× base':>8}  note")
    print("  " + "-" * 112)
    for name, values in rates.items():
        med, best = statistics.median(values), max(values)
        ratio = med / base
        print(
            f"  {name:<52} {fmt_rate(med)} {fmt_rate(best)} {fmt_us(med)} {ratio:>7.1f}×  {notes.get(name, '')}"
        )


def met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def expect_valid(v: Validator, op_id: str, obj: Any, name: str) -> None:
    problems = v.response(op_id, status=200, body=obj)
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise SystemExit(f"benchmark instance {name} is not valid for {op_id} 200:\n{lines}")


# -- --against: this tree vs another revision, in two worker processes -------------------------

_WORKER = r"""
import gc, json, sys, time
sys.path.insert(0, sys.argv[1])
from conformance.spec import load_spec
from conformance.validate import Validator

spec = load_spec(sys.argv[2], cache=True)
v = Validator(spec)
v.compile_all()
data = json.loads(open(sys.argv[3]).read())


def body_location(engine_side, op_id):
    op = spec.operation(op_id)
    if engine_side == "request":
        return op.request_body.content["application/json"].schema
    return op.responses["200"].content["application/json"].schema


def reference(side, op_id):
    engine = v.requests if side == "request" else v.responses
    return engine.reference(body_location(side, op_id))


cases = {}
for name, (kind, op_id, instance) in data.items():
    if kind == "response":
        cases[name] = lambda op_id=op_id, x=instance: v.response(op_id, status=200, body=x)
    elif kind == "request":
        cases[name] = lambda op_id=op_id, x=instance: v.request(op_id, body=x)
    elif kind == "stream":
        cases[name] = lambda op_id=op_id, x=instance: v.stream(op_id, x)
    else:  # "reference-request" / "reference-response": pure-Python jsonschema, same schema
        ref = reference(kind.split("-")[1], op_id)
        cases[name] = lambda ref=ref, x=instance: list(ref.iter_errors(x))


def shown(result):
    out = []
    for x in result:
        if hasattr(x, "pointer"):
            out.append(f"{x.where} {x.pointer}: {x.message} [{x.keyword} at {x.schema_path}]")
        else:
            out.append(x.message)
    return out


print(json.dumps({name: shown(fn()) for name, fn in cases.items()}), flush=True)
for line in sys.stdin:
    name, budget = json.loads(line)
    fn = cases[name]
    n, calls, elapsed = 1, 0, 0.0
    gc.disable()  # as timeit does
    try:
        while elapsed < budget:
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            elapsed += time.perf_counter() - t0
            calls += n
            n = min(n * 2, 4096)
    finally:
        gc.enable()
    print(calls / elapsed, flush=True)
"""


def against_cases() -> dict[str, tuple[str, str, Any]]:
    """name → (kind, operationId, instance): the focused cases of ``--against``."""
    bad_message = {"model": "gpt-4o", "messages": [{"role": "user", "content": 5}]}
    bad_part = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": 5}]},
        ],
    }
    delta = {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "delta": 5,
    }
    bad_event = f"event: response.output_text.delta\ndata: {json.dumps(delta)}\n\n"
    return {
        "(c) v.response chat completion, valid": (
            "response",
            "createChatCompletion",
            CHAT_COMPLETION,
        ),
        "(g) v.response Response, bad output item (anyOf, discriminator)": (
            "response",
            "createResponse",
            invalid_response_branch(),
        ),
        "(h) baseline: jsonschema iter_errors of (g)": (
            "reference-response",
            "createResponse",
            invalid_response_branch(),
        ),
        "(i) v.request chat, messages[0] user with content 5 (oneOf by role)": (
            "request",
            "createChatCompletion",
            bad_message,
        ),
        "(j) baseline: jsonschema iter_errors of (i)": (
            "reference-request",
            "createChatCompletion",
            bad_message,
        ),
        "(k) v.request chat, messages[1] user, content[0].text 5": (
            "request",
            "createChatCompletion",
            bad_part,
        ),
        "(l) v.stream Responses, delta event with delta 5 (event union)": (
            "stream",
            "createResponse",
            bad_event,
        ),
    }


def against(rev: str, repeats: int, budget: float) -> None:
    cases = against_cases()
    scratch = Path(tempfile.mkdtemp(prefix="bench-validate-"))
    tree = scratch / "against"
    git = ["git", "-C", str(ROOT), "worktree"]
    data = scratch / "cases.json"
    data.write_text(json.dumps(cases))
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    workers: dict[str, subprocess.Popen[str]] = {}
    try:
        subprocess.run([*git, "add", "--detach", str(tree), rev], check=True, capture_output=True)
        described = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s", rev],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()[:90]
        shown: dict[str, dict[str, list[str]]] = {}
        for label, root in (("this tree", ROOT), (f"@{rev}", tree)):
            workers[label] = subprocess.Popen(
                [sys.executable, "-c", _WORKER, str(root), str(SPEC), str(data)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
                cwd=scratch,
            )
            assert workers[label].stdout is not None
            shown[label] = json.loads(workers[label].stdout.readline())

        print(f"bench_validate --against {rev}: this tree vs {described}")
        print(
            f"  spec {SPEC.name}; python {sys.version.split()[0]}; load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        print(
            f"  two worker processes, asked in turn; {repeats} repeats × ~{budget:.1f} s per "
            "case and tree; median (best) calls/s; gc off while timing"
        )
        print("\nwhat each case reports (this tree; @REV when it differs)")
        for name in cases:
            ours, theirs = shown["this tree"][name], shown[f"@{rev}"][name]
            print(f"  {name}:")
            for line in ours[:3] or ["(nothing)"]:
                print(f"      {line[:150]}")
            if ours != theirs:
                for line in theirs[:3] or ["(nothing)"]:
                    print(f"    @{rev}: {line[:150]}")
            elif ours:
                print(f"    @{rev}: the same")

        rates: dict[tuple[str, str], list[float]] = {}
        for _ in range(repeats):
            for name in cases:
                for label, worker in workers.items():
                    assert worker.stdin is not None and worker.stdout is not None
                    worker.stdin.write(json.dumps([name, budget]) + "\n")
                    worker.stdin.flush()
                    rates.setdefault((name, label), []).append(float(worker.stdout.readline()))
    finally:
        for worker in workers.values():
            if worker.stdin is not None:
                worker.stdin.close()
            worker.wait(timeout=30)
        subprocess.run([*git, "remove", "--force", str(tree)], check=False, capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)

    def med(name: str, label: str) -> float:
        return statistics.median(rates[(name, label)])

    head = f"{'case':<66} {'this tree/s':>12} {'@' + rev + '/s':>14} {'this/REV':>9}"
    print(f"\n{head}\n" + "-" * len(head))
    for name in cases:
        ours, theirs = med(name, "this tree"), med(name, f"@{rev}")
        print(f"{name:<66} {ours:>12,.0f} {theirs:>14,.0f} {ours / theirs:>8.2f}×")
    print(
        "  best of repeats, this tree / REV: "
        + ", ".join(
            f"{name[:3]} {max(rates[(name, 'this tree')]):,.0f} / {max(rates[(name, f'@{rev}')]):,.0f}"
            for name in cases
        )
    )
    names = list(cases)
    g, h, i_, j = names[1], names[2], names[3], names[4]
    print("\nratios to plain jsonschema (same worker)")
    for case, base in ((g, h), (i_, j)):
        print(
            f"  {case[:3]}/{base[:3]}: this tree {med(case, 'this tree') / med(base, 'this tree'):.1f}×, "
            f"@{rev} {med(case, f'@{rev}') / med(base, f'@{rev}'):.1f}×"
        )
    print("\ntargets")
    c = names[0]
    ratio = med(c, "this tree") / med(c, f"@{rev}")
    print(f"  {met(ratio >= 1.0):<8} (c) full v.response path no slower than @{rev}: {ratio:.2f}×")
    for case in (g, i_, names[6]):
        ratio = med(case, "this tree") / med(case, f"@{rev}")
        print(f"  {met(ratio >= 10.0):<8} {case[:3]} union error path ≥ 10× @{rev}: {ratio:.1f}×")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer and shorter repeats (~10 s)")
    parser.add_argument(
        "--repeats", type=int, default=None, help="repeats per case (default 7, quick 3)"
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="only the focused comparison: this tree vs git revision REV (see above)",
    )
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 7)
    budget = 0.1 if args.quick else 0.3  # seconds per repeat per case
    if args.against:
        against(args.against, repeats, budget)
        return

    t0 = time.perf_counter()
    spec = load_spec(SPEC, cache=True)
    v = Validator(spec)
    count = v.compile_all()
    setup = time.perf_counter() - t0

    import jsonschema
    import jsonschema_rs

    print("bench_validate: response-body validation throughput (validations per second)")
    print(f"  spec {SPEC.name} ({spec.api_version}), {count} validators compiled in {setup:.2f} s")
    print(
        f"  python {sys.version.split()[0]}, jsonschema-rs {_version('jsonschema_rs', jsonschema_rs)}, "
        f"jsonschema {_version('jsonschema', jsonschema)}"
    )
    print(
        f"  {repeats} repeats × ~{budget:.1f} s per case, round-robin; median and best of repeats; gc off while timing"
    )

    def loc(op_id: str) -> str:
        schema = spec.operation(op_id).responses["200"].content["application/json"].schema
        assert schema is not None
        return schema

    summary: list[tuple[str, bool]] = []

    # -- 1. chat completion --------------------------------------------------------------------
    chat_loc = loc("createChatCompletion")
    obj = CHAT_COMPLETION
    expect_valid(v, "createChatCompletion", obj, "CHAT_COMPLETION")
    rs, rs_strict, ref = (
        v.responses.validator(chat_loc),
        v.responses.validator(chat_loc, True),
        v.responses.reference(chat_loc),
    )
    assert rs.is_valid(obj) and rs_strict.is_valid(obj) and ref.is_valid(obj), "validators disagree"
    size = len(json.dumps(obj, separators=(",", ":")).encode())
    cases = {
        "(a) validator(loc).is_valid": lambda: rs.is_valid(obj),
        "(b) validator(loc, strict=True).is_valid": lambda: rs_strict.is_valid(obj),
        "(c) v.response('createChatCompletion', 200, body)": lambda: v.response(
            "createChatCompletion", status=200, body=obj
        ),
        "(d) baseline: jsonschema reference(loc).is_valid": lambda: ref.is_valid(obj),
    }
    rates = run_round_robin(cases, repeats, budget)
    a, b, c, d = (statistics.median(r) for r in rates.values())
    table(
        f"1. createChatCompletion 200 (CreateChatCompletionResponse, 2 choices: tool call + text, usage details; {size} B JSON)",
        rates,
        "(d) baseline: jsonschema reference(loc).is_valid",
        {
            "(a) validator(loc).is_valid": f"target ≥ {TARGET_CHAT:,}/s and ≥ {TARGET_RATIO:.0f}× (d)",
            "(c) v.response('createChatCompletion', 200, body)": f"= {c / b:.2f}× (b): full path overhead",
        },
    )
    print(
        f"  ratios: (a)/(d) = {a / d:.1f}×   (b)/(d) = {b / d:.1f}×   (c)/(d) = {c / d:.1f}×   (c)/(a) = {c / a:.2f}"
    )
    summary.append((f"chat completion (a) ≥ {TARGET_CHAT:,}/s: {a:,.0f}/s", a >= TARGET_CHAT))
    summary.append(
        (f"chat completion (a)/(d) ≥ {TARGET_RATIO:.0f}×: {a / d:.1f}×", a / d >= TARGET_RATIO)
    )

    # -- 2. ~1 KB objects ----------------------------------------------------------------------
    for op_id, name, obj1, label in (
        ("getRun", "RUN_OBJECT", RUN_OBJECT, "2a. getRun 200 (RunObject)"),
        ("createResponse", "RESPONSE_OBJECT", RESPONSE_OBJECT, "2b. createResponse 200 (Response)"),
    ):
        where = loc(op_id)
        expect_valid(v, op_id, obj1, name)
        rs1, rs1_strict, ref1 = (
            v.responses.validator(where),
            v.responses.validator(where, True),
            v.responses.reference(where),
        )
        assert rs1.is_valid(obj1) and rs1_strict.is_valid(obj1) and ref1.is_valid(obj1), (
            "validators disagree"
        )
        size = len(json.dumps(obj1, separators=(",", ":")).encode())
        cases = {
            "(a) validator(loc).is_valid": lambda rs1=rs1, obj1=obj1: rs1.is_valid(obj1),
            "(b) validator(loc, strict=True).is_valid": lambda rs1_strict=rs1_strict, obj1=obj1: (
                rs1_strict.is_valid(obj1)
            ),
            f"(c) v.response('{op_id}', 200, body)": lambda op_id=op_id, obj1=obj1: v.response(
                op_id, status=200, body=obj1
            ),
            "(d) baseline: jsonschema reference(loc).is_valid": lambda ref1=ref1, obj1=obj1: (
                ref1.is_valid(obj1)
            ),
        }
        rates = run_round_robin(cases, repeats, budget)
        a, b, c, d = (statistics.median(r) for r in rates.values())
        table(
            f"{label}, {size} B JSON",
            rates,
            "(d) baseline: jsonschema reference(loc).is_valid",
            {"(a) validator(loc).is_valid": f"target ≥ {TARGET_1KB:,}/s"},
        )
        print(
            f"  ratios: (a)/(d) = {a / d:.1f}×   (b)/(d) = {b / d:.1f}×   (c)/(d) = {c / d:.1f}×   (c)/(a) = {c / a:.2f}"
        )
        summary.append((f"{label[4:]} (a) ≥ {TARGET_1KB:,}/s: {a:,.0f}/s", a >= TARGET_1KB))

    # -- 3. error path -------------------------------------------------------------------------
    bad = invalid_chat()
    found = v.response("createChatCompletion", status=200, body=bad)
    if len(found) != 1:
        raise SystemExit(
            f"expected exactly one violation for the invalid chat completion, got {found}"
        )
    bad2 = invalid_response_branch()
    found2 = v.response("createResponse", status=200, body=bad2)
    if len(found2) != 1:
        raise SystemExit(
            f"expected exactly one violation for the invalid Response object, got {found2}"
        )
    resp_loc = loc("createResponse")
    ref_resp = v.responses.reference(resp_loc)
    print("\n3. error path: invalid instance (one error) through the full v.response")
    print(
        "   (strict is_valid fails → lenient iter_errors → oneOf/anyOf refinement → strict iter_errors for undeclared)"
    )
    cases = {
        "(e) v.response(chat, 200, invalid body)": lambda: v.response(
            "createChatCompletion", status=200, body=bad
        ),
        "(c) v.response(chat, 200, valid body), for scale": lambda: v.response(
            "createChatCompletion", status=200, body=obj
        ),
        "(f) baseline: jsonschema list(reference.iter_errors)": lambda: list(ref.iter_errors(bad)),
    }
    rates = run_round_robin(cases, repeats, budget)
    e, e_valid, f = (statistics.median(r) for r in rates.values())
    table(
        f"3a. chat completion, top-level type error → {found[0]}",
        rates,
        "(f) baseline: jsonschema list(reference.iter_errors)",
        {"(e) v.response(chat, 200, invalid body)": f"= {e / e_valid:.2f}× the valid path (c)"},
    )
    print(f"  ratios: (e)/(f) = {e / f:.1f}×   (e)/(c) = {e / e_valid:.2f}")
    cases = {
        "(g) v.response(createResponse, 200, invalid body)": lambda: v.response(
            "createResponse", status=200, body=bad2
        ),
        "(h) baseline: jsonschema list(reference.iter_errors)": lambda: list(
            ref_resp.iter_errors(bad2)
        ),
    }
    rates = run_round_robin(cases, repeats, budget)
    g, h = (statistics.median(r) for r in rates.values())
    table(
        f"3b. Response object, error inside a discriminated anyOf branch (output item) → {found2[0]}",
        rates,
        "(h) baseline: jsonschema list(reference.iter_errors)",
        {},
    )
    print(f"  ratios: (g)/(h) = {g / h:.1f}×")

    print("\ntargets")
    for line, ok in summary:
        print(f"  {met(ok):<8} {line}")


def _version(dist: str, module: Any) -> str:
    try:
        from importlib.metadata import version

        return version(dist.replace("_", "-"))
    except Exception:
        return str(getattr(module, "__version__", "?"))


if __name__ == "__main__":
    main()
