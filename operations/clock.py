"""Time, as the commands that wait see it: the tests give a clock that never sleeps."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Now, timezone-aware (UTC)."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# The default of a command that takes a clock (B008: no call in an argument's default).
SYSTEM_CLOCK = SystemClock()
