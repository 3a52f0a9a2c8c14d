"""Rule: the request fields a Response repeats only when they were sent — ``user``,
``safety_identifier``, ``prompt_cache_key``, ``max_tool_calls`` (``responses.py``'s
``rule.responses.echo`` holds the fields that are always repeated, with their defaults).

On ../shared/real-traffic every real Response object (993, JSON and streamed) says ``user:
null`` — no request sent one — and ``safety_identifier``, ``prompt_cache_key`` and
``max_tool_calls`` null, or leaves them out (17, from before they existed). 2.3.0 declares
``user`` a string (not nullable), so the fixer leaves an unsent field out.

>>> x = Exchange("createResponse", {"model": "gpt-4o-mini", "input": "Tell me a joke"},
...              body={"object": "response", "user": "C2>hZH"})
>>> [v.code for v in check(x)]  # doctest: +SKIP
['rule.responses.echo-unsent']
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .exchange import Exchange
from .registry import Finding, rule
from .responses import CREATE_OPS, responses_in

__all__ = ["ECHOED_IF_SENT"]

Obj = dict[str, Any]
ECHOED_IF_SENT = ("user", "safety_identifier", "prompt_cache_key", "max_tool_calls")


def _wrong(x: Exchange, response: Obj) -> Iterator[tuple[str, Any, Any]]:
    """(field, what the request sent or None, what the Response says) of each wrong echo."""
    for name in ECHOED_IF_SENT:
        if name not in response:
            continue
        sent = x.asked(name)
        echoed = response[name]
        if sent is None and echoed is not None:
            yield name, None, echoed
        elif sent is not None and echoed is not None and echoed != sent:
            yield name, sent, echoed


@rule("rule.responses.echo-unsent", operations=CREATE_OPS, request=True)
def echo_unsent(x: Exchange) -> Iterator[Finding]:
    """user, safety_identifier, prompt_cache_key, max_tool_calls: as sent, else null/absent."""
    for event, pointer, response in responses_in(x):
        for name, sent, echoed in _wrong(x, response):
            yield Finding(
                f"{name} is {echoed!r}, the request sent {'none' if sent is None else repr(sent)}",
                f"{pointer}/{name}",
                event,
                expected=sent,
                actual=echoed,
                param=name,
            )


@echo_unsent.fixer
def _fix_echo_unsent(x: Exchange) -> None:
    for _, _, response in responses_in(x):
        for name, sent, _ in list(_wrong(x, response)):
            if sent is None:
                del response[name]
            else:
                response[name] = sent
