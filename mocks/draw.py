"""Fast deterministic draws: `random.Random.choice`/`randint` cost too much for 20,000 people."""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    """Items with relative weights, ready for `Draw.weighted`."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cumulative = list(accumulate(weight for _, weight in pairs))


class Draw:
    """One seeded random stream with the few draws the seed needs, all from `random()`."""

    def __init__(self, seed: int | str) -> None:
        self._random = random.Random(seed).random

    def chance(self, probability: float) -> bool:
        """True with the given probability."""
        return self._random() < probability

    def between(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        return low + int(self._random() * (high - low + 1))

    def uniform(self, low: float, high: float) -> float:
        """A float in [low, high)."""
        return low + self._random() * (high - low)

    def pick(self, items: Sequence[T]) -> T:
        """One of `items`, uniformly."""
        return items[int(self._random() * len(items))]

    def weighted(self, table: Weighted[T]) -> T:
        """One item of `table`, by weight."""
        return table.items[bisect(table.cumulative, self._random() * table.cumulative[-1])]

    def digits(self, count: int) -> str:
        """`count` random decimal digits."""
        return f"{int(self._random() * 10**count):0{count}d}"
