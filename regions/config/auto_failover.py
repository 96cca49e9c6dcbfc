"""Automatic failover: each DR pair's ARC Region switch plan, its trigger and its interlocks
(docs/failover.md "Automatic failover").

Per pair (`drPairs[].autoFailover`):

* `enabled` (default true): whether the plan's trigger is armed. False keeps the plan (it can
  still be run by hand) and disarms the trigger through its interlock alarm, so the pair fails
  over only by `make failover`. Default true because no pair's RTO leaves room for a person to
  be paged, wake up and decide (regions/dr_budget.py: a human decision is budgeted at 15 min);
  a pair that turns it off must carry an RTO a person can meet, which the budget policy checks.
* `detectionMinutes` (default 2): how many consecutive one-minute probes, from the standby and
  from the witness region each, must find the primary down before the trigger may fire.
* `minDelayMinutes` (default 1440): the plan's `min_delay_minutes_between_executions`.
* `witnessRegion`: the third region whose probe must agree that the primary is down (default:
  another region of the stack, chosen like `regions/auto_failover.py` `witness_region`).

Stack level (`failoverBy`): who promoted a failed-over primary's standby. `config` (the
default) is `make failover`'s promotion by config (an Aurora secondary detached from its Global
Database); `region-switch` is the plan's (Aurora's managed failover: the same Global Database,
roles swapped), which `make failover PRIMARY=<region> AFTER_AUTO=1` writes after reading it
from AWS (operations/auto_failover.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from regions.config.values import AwsRegionName, _KeyedError, _Model

if TYPE_CHECKING:
    from regions.config.region import DrPairConfig, RegionConfig

FailoverBy = Literal["config", "region-switch"]
# ARC's Trigger.minDelayMinutesBetweenExecutions is an Integer with no documented range
# (botocore arc-region-switch service-2.json, Trigger); a week bounds a typo.
MAX_MIN_DELAY_MINUTES = 7 * 24 * 60


class AutoFailoverConfig(_Model):
    """A DR pair's automatic failover (module docstring)."""

    enabled: bool = True
    detection_minutes: int = Field(default=2, ge=1, le=30)
    min_delay_minutes: int = Field(default=24 * 60, ge=1, le=MAX_MIN_DELAY_MINUTES)
    witness_region: AwsRegionName | None = None


def check_auto_failover(regions: Mapping[str, RegionConfig], pairs: list[DrPairConfig]) -> None:
    """A witness must be a third region of the stack. (That an RDS pair's trigger can fire
    before its lag interlock closes is the budget's call: regions/dr_budget.py.)"""
    for index, pair in enumerate(pairs):
        where = ("drPairs", index, "autoFailover")
        auto = pair.auto_failover
        witness = auto.witness_region
        if witness is not None:
            if witness in (pair.primary, pair.standby):
                raise _KeyedError(
                    (*where, "witnessRegion"),
                    f"{witness} is in the pair; the witness is a third region that must also "
                    f"see {pair.primary} down",
                )
            if witness not in regions:
                raise _KeyedError(
                    (*where, "witnessRegion"), f"{witness} is not a region under 'regions'"
                )
        if len(regions) < 3 and auto.enabled:
            raise _KeyedError(
                (*where, "enabled"),
                "the stack has no third region to witness the primary's loss: set it false "
                "(the pair then fails over by `make failover` only)",
            )


def check_failover_by(
    pairs: list[DrPairConfig],
    failover: Mapping[str, str],
    failback: Mapping[str, str],
    failover_by: Mapping[str, FailoverBy],
) -> None:
    """`failoverBy` describes a failover that happened; a managed Aurora failover keeps both
    clusters in one Global Database, so it goes home by a switchover, not by the failback
    stages (which build a new generation from a detached cluster)."""
    by_primary = {p.primary: p for p in pairs}
    for primary, by in sorted(failover_by.items()):
        where = ("failoverBy", primary)
        if primary not in failover:
            raise _KeyedError(where, f"{primary} is not failed over (no 'failover' entry)")
        pair = by_primary[primary]
        if by == "region-switch" and pair.database == "aurora-global" and primary in failback:
            raise _KeyedError(
                where,
                f"{primary}'s Aurora copies are still one Global Database (managed failover): "
                "go home by `aws rds switchover-global-cluster`, then remove the 'failover' and "
                "'failoverBy' entries (docs/failover.md 'Automatic failover'), not by 'failback'",
            )
