"""Realism report: do the mock's answers obey OpenAI's semantics for the request they answer?

    python bench/realism.py                      # typical profile, 8 seeds per request
    python bench/realism.py --profile default    # what the schema-only profile lets through
    python bench/realism.py --seeds 3 --only createChatCompletion,createEmbedding

For every operation of the spec with a JSON or stream answer, the mock (in process, state off so
every operation answers from generation) is sent a *plain* request — a valid request drawn with
the typical profile, then stripped of every optional body field it can lose and stay valid — and
requests that trigger each rule (``n: 3``, forced tool calls, ``json_schema``, ``include_usage``,
``logprobs``, ``dimensions``, base64 embeddings, list limits…), each under several seeds. Every
answer is judged from outside with ``Validator.exchange`` (schema + every semantic rule over the
request and the answer). Rule checks that held are counted per code; schema errors apart.
Nothing is asserted: this script reports (the typical profile should hold 100%).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from conformance import sse
from conformance.mock import Mock, MockRequest
from conformance.spec import Operation, load_spec
from conformance.strategies import requests
from conformance.strategies.cases import RequestCase
from conformance.validate import Validator
from conformance.validate.semantics import ANSWER, RULES, Exchange

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT.parent / "shared" / "specs" / "openai-2.3.0.yaml"

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["answer", "confidence"],
    "additionalProperties": False,
}
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hi"}]}

# request overlays that trigger the rules, per operation (on top of the plain request)
TRIGGERS: dict[str, dict[str, dict[str, Any]]] = {
    "createChatCompletion": {
        "plain": CHAT,
        "n=3": {**CHAT, "n": 3},
        "tools+forced": {
            **CHAT,
            "tools": [WEATHER],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        },
        "tools+auto": {**CHAT, "tools": [WEATHER]},
        "json_object": {
            **CHAT,
            "messages": [{"role": "user", "content": "Reply in JSON"}],
            "response_format": {"type": "json_object"},
        },
        "json_schema": {
            **CHAT,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "answer", "strict": True, "schema": ANSWER_SCHEMA},
            },
        },
        "logprobs": {**CHAT, "logprobs": True, "top_logprobs": 2},
        "max_completion_tokens=5": {**CHAT, "max_completion_tokens": 5},
        "stream": {**CHAT, "stream": True},
        "stream+include_usage": {**CHAT, "stream": True, "stream_options": {"include_usage": True}},
        "stream+n=2+tools": {**CHAT, "stream": True, "n": 2, "tools": [WEATHER]},
    },
    "createCompletion": {
        "plain": {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi"},
        "n=2": {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi", "n": 2},
        "logprobs=2": {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi", "logprobs": 2},
        "max_tokens=5": {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi", "max_tokens": 5},
        "stream+include_usage": {
            "model": "gpt-3.5-turbo-instruct",
            "prompt": "Say hi",
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    },
    "createEmbedding": {
        "plain": {"model": "text-embedding-3-small", "input": "hello"},
        "inputs=3": {"model": "text-embedding-3-small", "input": ["a", "b", "c"]},
        "dimensions=8": {"model": "text-embedding-3-small", "input": "hello", "dimensions": 8},
        "base64": {
            "model": "text-embedding-3-small",
            "input": "hello",
            "encoding_format": "base64",
        },
    },
    "createResponse": {
        "plain": {"model": "gpt-4o", "input": "Say hi"},
        "tools+forced": {
            "model": "gpt-4o",
            "input": "Weather in Paris?",
            "tools": [{"type": "function", **WEATHER["function"]}],  # type: ignore[dict-item]
            "tool_choice": {"type": "function", "name": "get_weather"},
        },
        "json_schema": {
            "model": "gpt-4o",
            "input": "Say hi",
            "text": {
                "format": {
                    "type": "json_schema",
                    "name": "answer",
                    "strict": True,
                    "schema": ANSWER_SCHEMA,
                }
            },
        },
        "max_output_tokens=16": {"model": "gpt-4o", "input": "Say hi", "max_output_tokens": 16},
        "stream": {"model": "gpt-4o", "input": "Say hi", "stream": True},
    },
    "createModeration": {
        "inputs=2": {"input": ["a", "b"]},
    },
}
LIST_QUERIES = {"limit=2": {"limit": "2"}}


def plain(validator: Validator, op: Operation, case: RequestCase) -> RequestCase:
    """The case with every optional body field dropped that it can lose and stay valid."""
    body = case.body
    if not isinstance(body, dict) or case.media_type != "application/json":
        return case
    body = copy.deepcopy(body)
    for key in list(body):
        trial = {k: v for k, v in body.items() if k != key}
        found = validator.request(op, path=case.path, query=case.query, body=trial)
        if not any(v.is_error for v in found):
            body = trial
    return RequestCase(**{**case.__dict__, "body": body})


def drawn(spec: Any, op: Operation, seed: int) -> RequestCase | None:
    from conformance.mock.draw import draw

    try:
        return draw(requests(spec, op, profile="typical"), f"realism:{seed}")  # type: ignore[no-any-return]
    except Exception:  # an operation without a drawable request is reported
        return None


def send(mock: Mock, spec: Any, case: RequestCase, seed: int) -> tuple[MockRequest, Any]:
    headers = {
        "authorization": "Bearer sk-realism",
        "x-conformance-seed": f"realism-{seed}",
        **case.headers,
    }
    body = b""
    if case.body is not None and case.media_type == "application/json":
        headers["content-type"] = "application/json"
        body = json.dumps(case.body).encode()
    elif case.body is not None:
        httpx_request = case.to_httpx("http://mock" + spec.base_path)
        headers["content-type"] = httpx_request.headers["content-type"]
        body = httpx_request.read()
    request = MockRequest(
        case.method,
        spec.base_path + case.path,
        query=case.query_string(),
        headers=headers,
        body=body,
    )
    return request, mock.handle(request)


def _exchange(operation: str, case: RequestCase, response: Any) -> Exchange:
    """The exchange as the rules see it (to count the rules that applied to an answer)."""
    request = case.body if isinstance(case.body, dict) else {}
    if response.content_type.startswith("text/event-stream"):
        return Exchange.streamed(
            operation, request, sse.parse(response.body).events, status=response.status
        )
    try:
        body = json.loads(response.body)
    except ValueError:
        body = None
    return Exchange(operation, request, body=body, status=response.status)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spec", default=str(SPEC))
    parser.add_argument("--profile", default="typical")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--only", default="", help="comma-separated operationIds")
    parser.add_argument("--json", action="store_true", help="print the totals as JSON")
    args = parser.parse_args()
    spec = load_spec(args.spec)
    validator = Validator(spec)
    mock = Mock(spec, profile=args.profile, state=False)
    only = set(filter(None, args.only.split(",")))
    started = time.perf_counter()
    held: Counter[str] = Counter()  # rule code -> exchanges where it applied and held
    broke: Counter[str] = Counter()
    schema_errors: Counter[str] = Counter()
    examples: dict[str, str] = {}
    per_op: dict[str, Counter[str]] = defaultdict(Counter)
    answer_rules = [r for r in RULES if r.side == ANSWER]
    for op in spec.operations:
        if only and op.operation_id not in only:
            continue
        if not any(
            any(m.endswith("json") or m == "text/event-stream" for m in r.content)
            for k, r in op.responses.items()
            if k.startswith("2")
        ):
            continue
        variants: list[tuple[str, RequestCase]] = []
        for seed in range(args.seeds):
            case = drawn(spec, op, seed)
            if case is None:
                continue
            base = plain(validator, op, case)
            variants.append(("plain", base))
            for name, overlay in TRIGGERS.get(op.operation_id, {}).items():
                if name != "plain" and isinstance(base.body, dict):
                    variants.append((name, RequestCase(**{**base.__dict__, "body": overlay})))
                elif name == "plain":
                    variants[-1] = ("plain", RequestCase(**{**base.__dict__, "body": overlay}))
            if op.method == "GET" and any(p.name == "limit" for p in op.parameters):
                for name, query in LIST_QUERIES.items():
                    variants.append((name, RequestCase(**{**base.__dict__, "query": query})))
        if not variants:
            per_op[op.operation_id]["undrawable"] += 1
            continue
        for seed, (name, case) in enumerate(variants):
            request, response = send(mock, spec, case, seed)
            stats = per_op[op.operation_id]
            stats["requests"] += 1
            if response.status >= 300:
                stats[f"status {response.status}"] += 1
                continue
            found = validator.exchange(
                op,
                path=case.path,
                query=request.query,
                headers=request.headers,
                body=request.body,
                status=response.status,
                response_headers=response.headers,
                response=response.body,
            )
            errors = [v for v in found if v.is_error]
            for v in errors:
                if v.code.startswith("rule."):
                    broke[v.code] += 1
                    stats[v.code] += 1
                    examples.setdefault(v.code, f"{op.operation_id} [{name}] {v}")
                elif not v.where.startswith("request"):
                    schema_errors[v.code] += 1
                    stats["schema errors"] += 1
                    examples.setdefault(v.code, f"{op.operation_id} [{name}] {v}")
            failed = {v.code for v in errors}
            x = _exchange(op.operation_id, case, response)
            for r in answer_rules:
                if r.applies(x) and r.code not in failed:
                    held[r.code] += 1
            stats["answers"] += 1
    elapsed = time.perf_counter() - started
    answers = sum(s["answers"] for s in per_op.values())
    checks = sum(held.values()) + sum(broke.values())
    print(f"spec {args.spec}  profile {args.profile}  seeds {args.seeds}  ({elapsed:.0f} s)")
    print(
        f"{len(per_op)} operations, {answers} answers judged; rule checks (a rule that applies to "
        f"an answer) held "
        f"{sum(held.values())}/{checks} ({100 * sum(held.values()) / max(checks, 1):.2f}%); "
        f"schema errors {sum(schema_errors.values())}"
    )
    print("\nrule                                     held   broke")
    for r in answer_rules:
        if held[r.code] or broke[r.code]:
            print(f"  {r.code:<38} {held[r.code]:>6} {broke[r.code]:>6}")
    if schema_errors:
        print("\nschema errors:", dict(schema_errors))
    bad_ops = {
        k: dict(v) for k, v in per_op.items() if any(c.startswith(("rule.", "schema")) for c in v)
    }
    if bad_ops:
        print("\noperations with violations:")
        for name, stats in sorted(bad_ops.items()):
            print(f"  {name}: {stats}")
    if examples:
        print("\nfirst example of each:")
        for _code, text in sorted(examples.items()):
            print(f"  {text[:300]}")
    if args.json:
        print(json.dumps({"held": held, "broke": broke, "schema_errors": schema_errors}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
