"""Seeded public ids and random streams: the same seed gives the same ids and the same data.

An id is the row's index run through a bijection of 2**bits (an odd multiplier and a
seed-dependent offset), so ids look random, never repeat within a kind, and need no
memory to stay unique.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

_MULTIPLIER = 0x9E3779B97F4A7C15  # odd, so multiplication is a bijection mod 2**bits

# Fixed moments, so that the data does not depend on the day it is generated.
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
PAST = datetime(2024, 6, 30, 23, 59, 59, tzinfo=UTC)  # expired validities end before this
FUTURE = datetime(2036, 1, 1, tzinfo=UTC)  # scheduled validities start after this


def stream(seed: int, name: str) -> random.Random:
    """An independent random stream per kind of data, so kinds do not shift each other."""
    return random.Random(f"{seed}:{name}")


class IdMaker:
    def __init__(self, seed: int, kind: str, prefix: str, bits: int, *, upper: bool = False):
        self.prefix = prefix
        self.mask = (1 << bits) - 1
        self.offset = stream(seed, f"ids:{kind}").getrandbits(bits)
        self.width = (bits + 3) // 4
        self.upper = upper

    def __call__(self, index: int) -> str:
        value = ((index + self.offset) * _MULTIPLIER) & self.mask
        digits = f"{value:0{self.width}x}"
        return self.prefix + (digits.upper() if self.upper else digits)


def moment(index: int, spread_days: int = 365) -> datetime:
    """A creation time spread over the year after EPOCH, without randomness."""
    return EPOCH + timedelta(seconds=(index * 7_919) % (spread_days * 86_400))
