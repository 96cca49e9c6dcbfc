"""What the daily check found: one finding per thing it looked at, each with a status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OK, IDLE, WARN, RED, DOWN = "ok", "idle", "warn", "red", "down"
# A region's status is its worst finding's; `idle` (0 pods by design) only when nothing else
# was found, so a region with one idle release among healthy findings is `ok`.
SEVERITY = {DOWN: 4, RED: 3, WARN: 2, OK: 1, IDLE: 0}
FAILING = frozenset({RED, DOWN})


@dataclass(frozen=True)
class Finding:
    region: str
    """The region the finding is about (not necessarily where it was read)."""
    check: str
    """health, route53, replication, backup, replicated-objects, certificate, alarms, pods,
    region."""
    subject: str
    status: str
    detail: str
    value: float | None = None
    """The measured figure (seconds of lag, hours of age, days to expiry, ...), if any."""

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "check": self.check,
            "subject": self.subject,
            "status": self.status,
            "detail": self.detail,
        }
        if self.value is not None:
            found["value"] = self.value
        return found


@dataclass
class Report:
    checked_at: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.status in FAILING]

    def region_status(self, region: str) -> str:
        statuses = [f.status for f in self.findings if f.region == region] or [OK]
        return max(statuses, key=SEVERITY.__getitem__)

    @property
    def regions(self) -> list[str]:
        return sorted({f.region for f in self.findings})

    def as_dict(self) -> dict[str, Any]:
        return {
            "checkedAt": self.checked_at,
            "red": bool(self.failing),
            "regions": {
                region: {
                    "status": self.region_status(region),
                    "findings": [f.as_dict() for f in self.findings if f.region == region],
                }
                for region in self.regions
            },
        }
