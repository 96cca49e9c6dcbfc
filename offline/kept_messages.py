"""Wire bytes of protobuf messages already built, by the pickled bytes of what they were built
from, for the offline analyzer (offline/analyzer.py).

Equal pickles are the same values of the same types (1 and True, 2 and 2.0 differ), so the same
message: json_format walks every property in Python (~70 ms a prod stack request), while most
resources come again, from the next copy of a stack or the next stage of an operation, and
parsing kept bytes is done in C. The oldest are forgotten first.
"""

from __future__ import annotations

import pickle
from typing import Any


class KeptMessages:
    def __init__(self, kept: int) -> None:
        self._kept = kept
        self._encoded: dict[bytes, bytes] = {}

    def get(self, key: bytes | None) -> bytes | None:
        return None if key is None else self._encoded.get(key)

    def keep(self, key: bytes | None, encoded: bytes) -> None:
        if key is None:
            return
        if len(self._encoded) >= self._kept:
            del self._encoded[next(iter(self._encoded))]
        self._encoded[key] = encoded


def cache_key(value: Any) -> bytes | None:
    """The key of `value`, None when it cannot be pickled (it is then not kept)."""
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
