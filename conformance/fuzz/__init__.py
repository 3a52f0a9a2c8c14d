"""Fuzzing clients: run a client command against the mock, one isolated session per case;
classify what breaks it; replay a case's exact bytes; minimize what a client fails on.

>>> from conformance.fuzz import Client, Harness, plan
>>> with Harness(spec, Client(["python", "client.py", "{call}"]), seed="1") as harness:  # doctest: +SKIP
...     findings = [r for r in harness.run(plan("1", 50, calls=("chat",))) if r.outcome.finding]
"""

from .case import Case, plan
from .classify import Outcome, Run, classify
from .harness import CaseResult, Client, Harness
from .minimize import Minimized, Step, minimize
from .recipe import Framing, framings, serve, served, wire
from .replay import load_case, replay
from .session import Session, Sessions

__all__ = [
    "Case",
    "CaseResult",
    "Client",
    "Framing",
    "Harness",
    "Minimized",
    "Outcome",
    "Run",
    "Session",
    "Sessions",
    "Step",
    "classify",
    "framings",
    "load_case",
    "minimize",
    "plan",
    "replay",
    "serve",
    "served",
    "wire",
]
