"""Generated answers, drawn once and reused: a bounded pool of variants per kind of answer.

Drawing a chat completion from its strategy costs milliseconds; serving one must not. For each
kind of answer (operation, status, media type, profile, stream knobs) and each seed, the pool
holds up to ``size`` variants, each drawn on first use from its own seed. A request picks its
variant from its own seed, so answers stay deterministic for a seed and a request sequence and
vary across requests, while a warm mock serves from memory.

Clients choose seeds (``x-conformance-seed``), so the pool holds at most ``variants`` variants
in all (8,192 by default), forgetting the least recently used: a variant is a pure function of
its key, seed and number, so one forgotten and drawn again is the same — eviction costs a draw,
never an answer.
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from collections.abc import Callable, Hashable
from typing import Any

import hypothesis.strategies as st

from ..strategies.cases import ResponseCase
from .draw import draw
from .lru import Lru

__all__ = ["Pool"]


class Pool:
    """Variants of generated values by key; thawed copies are safe to change.

    >>> pool = Pool(size=4)
    >>> pool.take(("n",), lambda: st.integers(0, 9), "seed", "request-1") in range(10)
    True
    """

    def __init__(self, size: int = 128, kept: int = 4096, variants: int = 8192) -> None:
        self.size = size
        self._cache: Lru[tuple[Hashable, ...], tuple[Any, str | None]] = Lru(variants)
        self.kept = kept
        self._made: dict[Hashable, tuple[Any, str | None]] = {}

    def index(self, seed: str) -> int:
        """The variant a seed picks first (what :meth:`take` starts from)."""
        return zlib.crc32(seed.encode()) % self.size

    def take(
        self,
        key: tuple[Hashable, ...],
        build: Callable[[], st.SearchStrategy[Any]],
        base_seed: str,
        seed: str,
        accept: Callable[[Any], bool] | None = None,
    ) -> Any:
        """The variant of ``key`` that ``seed`` picks, drawn from ``build()`` on first use.

        With ``accept``, the first acceptable variant from the picked one on (a few tries; the
        picked one when none is).
        """
        first = self.index(seed)
        picked: tuple[Any, str | None] | None = None
        for step in range(8 if accept else 1):
            variant = (first + step) % self.size
            slot = (key, base_seed, variant)
            frozen = self._cache.touch(slot)
            if frozen is None:
                value = draw(build(), f"{base_seed}:{key}:{variant}")
                frozen = self._cache[slot] = _freeze(value)
            picked = picked or frozen
            if accept is None or accept(frozen[0]):
                return _thaw(frozen)
        assert picked is not None
        return _thaw(picked)

    @property
    def held(self) -> int:
        """Variants held now (at most ``variants``)."""
        return len(self._cache)

    @property
    def evicted(self) -> int:
        """Variants forgotten so far (drawn again when picked again)."""
        return self._cache.evicted

    def recall(self, key: Hashable) -> Any:
        """A thawed copy of what :meth:`keep` kept under ``key`` (None: nothing).

        Values made from variants (a variant fitted to a request and made to obey the rules)
        are kept as the variants are: a pure function of the key is computed once.

        >>> pool = Pool()
        >>> pool.keep("k", {"a": [1]}); pool.recall("k"), pool.recall("other")
        ({'a': [1]}, None)
        """
        frozen = self._made.get(key)
        return None if frozen is None else _thaw(frozen)

    def keep(self, key: Hashable, value: Any) -> None:
        """Keep a copy of ``value`` (JSON data, or a tuple of it) under ``key``; the oldest
        goes when ``kept`` values are held."""
        if len(self._made) >= self.kept:
            del self._made[next(iter(self._made))]
        self._made[key] = (value, json.dumps(value))

    def clear(self) -> None:
        """Drop every variant and every value kept."""
        self._cache.clear()
        self._made.clear()


def _freeze(value: Any) -> tuple[Any, str | None]:
    body = value.body if isinstance(value, ResponseCase) else value
    if isinstance(body, (dict, list)):
        return value, json.dumps(body)
    return value, None


def _thaw(frozen: tuple[Any, str | None]) -> Any:
    value, text = frozen
    if text is None:
        return value
    body = json.loads(text)
    return dataclasses.replace(value, body=body) if isinstance(value, ResponseCase) else body
