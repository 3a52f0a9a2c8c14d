"""``Lru``: a dict that keeps at most ``limit`` entries, forgetting the least recently used.

What the mock remembers per request (request counters, ids handed out, answer variants) lives in
one, so a server that runs for days stays the size it had after its first minutes.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

__all__ = ["Lru"]

K = TypeVar("K")
V = TypeVar("V")


class Lru(OrderedDict[K, V]):
    """At most ``limit`` entries; setting one (or :meth:`touch`) makes it the most recent, and
    the least recent goes when there are too many. ``evicted`` counts what went.

    >>> seen = Lru[str, int](2); seen["a"] = 1; seen["b"] = 1; seen["a"] = 2; seen["c"] = 1
    >>> list(seen.items()), seen.evicted
    ([('a', 2), ('c', 1)], 1)
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        if limit < 1:
            raise ValueError(f"an Lru keeps at least one entry, not {limit}")
        self.limit = limit
        self.evicted = 0

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)
            self.evicted += 1

    def touch(self, key: K) -> V | None:
        """The value under ``key`` (None: none), made the most recent."""
        if key not in self:
            return None
        self.move_to_end(key)
        return self[key]

    def clear(self) -> None:
        """Forget every entry (and the count of those evicted)."""
        super().clear()
        self.evicted = 0
