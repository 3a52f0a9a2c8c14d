"""Cases: what one client run is served — its id, the call it makes, the profile, the faults.

A run's cases come from its seed: the calls in turn (so every operation and stream shape the
client offers gets its share), a profile per case (the one asked for, or each of ``typical``,
``edge`` and ``default`` in turn), and faults (the ones asked for, or, by default, none on half
the cases and one of :data:`DEFAULT_FAULTS` on the others, drawn from the seed). A case's mock is
seeded ``SEED:ID``, so the same case is the same answers, whoever else runs.

>>> [c.profile for c in plan("1", 3, calls=("chat",))]
['typical', 'edge', 'default']
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InputError
from ..mock.faults import parse_faults

__all__ = ["BREAKING", "DEFAULT_FAULTS", "ERRORS", "TIMING", "WIRE", "Case", "kind_of", "plan"]

# what a fault does to an answer: an error answer instead; an answer cut or left unfinished;
# the same answer later; the same answer framed or encoded otherwise (still a valid answer)
ERRORS = frozenset({"rate-limit", "server-error", "bad-gateway", "unavailable"})
BREAKING = frozenset({"drop", "truncate", "no-done"})
TIMING = frozenset({"latency", "stall", "stall-mid"})
WIRE = frozenset({"split", "keepalive", "crlf", "sse-fields", "utf8"})

# one of these on half the cases when no faults are asked for (those the mock knows)
DEFAULT_FAULTS: tuple[str, ...] = (
    "rate-limit=0",
    "server-error",
    "drop",
    "truncate",
    "no-done",
    "split",
    "split=97",
    "keepalive",
    "crlf",
    "sse-fields",
    "utf8",
    "stall-mid=0.2",
)
PROFILES = ("typical", "edge", "default")


def kind_of(fault: str) -> str:
    """``error``, ``breaking``, ``timing`` or ``wire`` for a fault as recorded (``split=1`` is
    ``split``); an unknown fault is ``breaking`` (a failure on it is not held against a client).

    >>> kind_of("split=1"), kind_of("rate-limit"), kind_of("no-done")
    ('wire', 'error', 'breaking')
    """
    name = fault.partition("=")[0].partition(":")[0]
    if name in ERRORS:
        return "error"
    if name in TIMING:
        return "timing"
    if name in WIRE:
        return "wire"
    return "breaking"


@dataclass(frozen=True)
class Case:
    """One client run: ``id`` (its mock's seed is ``SEED:ID``), the ``call`` passed to the
    client, the ``profile`` and ``faults`` (``NAME[=VALUE][:RATE],…``; ``""`` for none).

    >>> Case("3", "chat-stream", "edge", "split").seed("7")
    '7:3'
    """

    id: str
    call: str
    profile: str
    faults: str = ""

    def seed(self, run_seed: str) -> str:
        """The seed of this case's mock."""
        return f"{run_seed}:{self.id}"


def _known(fault: str) -> bool:
    """Does the mock know this fault (its name, and its value if it has one)?"""
    try:
        parse_faults(fault)
    except InputError:
        return False
    return True


def plan(
    seed: str,
    count: int,
    *,
    calls: Sequence[str] = ("",),
    profile: str | None = None,
    faults: str | None = None,
    start: int = 0,
) -> list[Case]:
    """The cases ``start`` to ``start + count - 1`` of a run with this seed.

    >>> [(c.call, c.faults) for c in plan("1", 2, calls=("a", "b"), faults="split")]
    [('a', 'split'), ('b', 'split')]
    """
    calls = tuple(calls) or ("",)
    chosen = [f for f in DEFAULT_FAULTS if _known(f)]
    out: list[Case] = []
    for n in range(start, start + count):
        rng = random.Random(f"plan:{seed}:{n}")
        if faults is not None:
            drawn = faults
        else:
            drawn = rng.choice(chosen) if chosen and rng.random() < 0.5 else ""
        out.append(
            Case(
                str(n),
                calls[n % len(calls)],
                profile or PROFILES[(n // len(calls)) % len(PROFILES)],
                drawn,
            )
        )
    return out
