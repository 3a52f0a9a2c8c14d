"""OpenAI semantics JSON Schema cannot say, written once as rules over the whole exchange.

Each rule (``rule.py``) sees the operation, the request sent and the answer (a JSON body or a
stream's events) and yields what is wrong; most also know how to make a generated answer
comply. The same rules are reported by :func:`check` (``Validator.exchange``, the suites, the
fuzz harness) and obeyed by :func:`comply` (the ``typical`` profile, so the mock).

>>> x = Exchange("createChatCompletion", {"model": "gpt-4o", "messages": [], "n": 2}, body=body)  # doctest: +SKIP
>>> [v.code for v in check(x)]  # doctest: +SKIP
['rule.chat.n-choices']
"""

from __future__ import annotations

from ..violation import Violation

# importing a rule module registers its rules (a module per area: add yours on its own line)
from . import assistants as _assistants  # noqa: F401
from . import chat as _chat  # noqa: F401
from . import chatstream as _chatstream  # noqa: F401
from . import chattools as _chattools  # noqa: F401
from . import common as _common  # noqa: F401
from . import completions as _completions  # noqa: F401
from . import echo as _echo  # noqa: F401
from . import embeddings as _embeddings  # noqa: F401
from . import images as _images  # noqa: F401
from . import lists as _lists  # noqa: F401
from . import logprobs as _logprobs  # noqa: F401
from . import models as _models  # noqa: F401
from . import moderations as _moderations  # noqa: F401
from . import requests as _requests  # noqa: F401
from . import response_echo as _response_echo  # noqa: F401
from . import response_output as _response_output  # noqa: F401
from . import response_stream as _response_stream  # noqa: F401
from . import responses as _responses  # noqa: F401
from . import run_stream as _run_stream  # noqa: F401
from . import timestamps as _timestamps  # noqa: F401
from . import usage as _usage  # noqa: F401
from .exchange import Event, Exchange
from .registry import ANSWER, REQUEST, RULES, Finding, Rule, api_code, rule, rules_for

__all__ = [
    "ANSWER",
    "REQUEST",
    "RULES",
    "Event",
    "Exchange",
    "Finding",
    "Rule",
    "api_code",
    "check",
    "complied",
    "comply",
    "rule",
    "rules_for",
]


def check(x: Exchange, side: str | None = None) -> list[Violation]:
    """Every rule's violations on an exchange (only one ``side``'s rules when given:
    ``"request"`` judges what the client sent, ``"answer"`` the answer to it).

    >>> check(Exchange("listModels", None, body={"object": "list", "data": []}))
    []
    """
    out: list[Violation] = []
    for r in rules_for(x.operation) if side is None else _split(x.operation, side)[2]:
        if r.applies(x):
            out += r.violations(x)
    return out


def comply(x: Exchange, *, side: str = ANSWER, rounds: int = 3) -> list[Violation]:
    """Fix the answer in place until every rule with a fixer holds; what still fails is returned
    (rules without a fixer, or fixes that undo each other within ``rounds``). With
    ``side="request"``, fix the request (a dict) so the API would accept it instead.

    >>> x = Exchange("createEmbedding", None, body={"usage": {"prompt_tokens": 3, "total_tokens": 9}})
    >>> comply(x), x.body["usage"]["total_tokens"]
    ([], 3)
    """
    return complied(x, side=side, rounds=rounds)[0]


def complied(x: Exchange, *, side: str = ANSWER, rounds: int = 3) -> tuple[list[Violation], bool]:
    """:func:`comply`, and whether the answer settled: its last round fixed nothing, so every
    rule with a fixer holds and complying the same exchange again changes nothing.

    >>> complied(Exchange("createEmbedding", None, body={"usage": {"prompt_tokens": 3, "total_tokens": 9}}))
    ([], True)
    """
    fixers, unfixable = _applying(x, side)
    walk_kept = x.events is None  # a scalar fix keeps a JSON answer's walk (streams: memos)
    clean: set[int] = set()  # rules that found nothing since the last fix: skipped until one
    for _ in range(rounds):
        fixed = False
        for r in fixers:
            if id(r) in clean:
                continue
            fix = r.fix
            if fix is not None and next(iter(r.check(x)), None) is not None:
                fix(x)
                if r.reshapes or not walk_kept:
                    x.changed()
                fixed = True
                clean.clear()
            else:
                clean.add(id(r))
        if not fixed:
            # this round changed nothing: every rule with a fixer found nothing on the answer as
            # it stands, so only the rules without one are left to report
            out: list[Violation] = []
            for r in unfixable:
                out += r.violations(x)
            return out, True
    return check(x, side), False


def _applying(x: Exchange, side: str) -> tuple[list[Rule], list[Rule]]:
    """The rules of one side with a fixer and without that apply to this exchange (what
    ``Rule.applies`` reads: the operation, whether the request is known, whether the answer is
    a stream — none of which a fix changes), memoised like :func:`_split`."""
    fixers, unfixable, _ = _split(x.operation, side)
    key = (x.operation, side, x.request is None, x.events is not None)
    hit = _APPLYING.get(key)
    if hit is None or hit[0] is not fixers:
        hit = (
            fixers,
            [r for r in fixers if r.applies(x)],
            [r for r in unfixable if r.applies(x)],
        )
        _APPLYING[key] = hit
    return hit[1], hit[2]


_Split = tuple[list[Rule], list[Rule], list[Rule]]
_SPLIT: dict[tuple[str, str], tuple[list[Rule], _Split]] = {}
_APPLYING: dict[tuple[str, str, bool, bool], tuple[list[Rule], list[Rule], list[Rule]]] = {}


def _split(operation: str, side: str) -> _Split:
    """An operation's rules of one side: those with a fixer, those without, and all of them in
    registration order (memoised as long as :func:`rules_for` keeps its list, i.e. until
    another rule is registered)."""
    rules = rules_for(operation)
    hit = _SPLIT.get((operation, side))
    if hit is None or hit[0] is not rules:
        mine = [r for r in rules if r.side == side]
        fixers = [r for r in mine if r.fix is not None]
        hit = rules, (fixers, [r for r in mine if r.fix is None], mine)
        _SPLIT[(operation, side)] = hit
    return hit[1]
