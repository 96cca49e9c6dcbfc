"""A point-in-time restore of a primary's database, by config (runbook §8.3; docs/restore.md).

    erlmcp-infra:restore:
      us-east-1: {to: "2026-05-01T09:30:00Z", stage: restored}

`stage` walks `writes-stopped` -> `restored` -> `switched`, one `pulumi up` each; the fourth
stage, DR rebuilt, closes the restore the way a failback closes: the entry goes, and the pair
moves to the next generation, recording where it came from
(`drPairs[].restoredGenerations: {2: "2026-05-01T09:30:00Z"}`) and keeping the damaged
generation under `retiredGenerations` until a later change lets it go. `make restore`
(operations/restore.py) writes each step; it, not this model, checks `to` against the
database's restore window, which moves with the clock.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, PlainSerializer

from regions.config.values import _KeyedError, _Model

if TYPE_CHECKING:
    from regions.config.region import DrPairConfig
    from regions.config.stack import StackConfig

RestoreStage = Literal["writes-stopped", "restored", "switched"]
RESTORE_STAGES: tuple[RestoreStage, ...] = ("writes-stopped", "restored", "switched")
DR_REBUILT = "dr-rebuilt"
"""The fourth stage: not a value of `stage` but the pair's next generation (module docstring)."""

# RFC 3339 section 5.6 (date-time), with the offset required: a time without one means nothing
# to RDS, which restores to an instant.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_rfc3339(value: Any) -> datetime:
    """An RFC 3339 date-time with its offset, as an aware datetime in UTC. A YAML reader may
    already have made an unquoted one a datetime: taken if it carries an offset."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and (found := _RFC3339.match(value)):
        # Python 3.10's fromisoformat takes 3 or 6 fraction digits only; RFC 3339 any number.
        fraction = (found.group(1) or ".")[1:].ljust(6, "0")[:6]
        whole = value[: found.start(1)] if found.group(1) else value[: found.start(2)]
        moment = datetime.fromisoformat(
            f"{whole.upper()}.{fraction}{found.group(2).upper().replace('Z', '+00:00')}"
        )
    else:
        raise ValueError(
            f"{value!r} is not an RFC 3339 time with its offset, like 2026-05-01T09:30:00Z"
        )
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{value!r} has no offset: write it in UTC, like 2026-05-01T09:30:00Z")
    return moment.astimezone(timezone.utc)


def rfc3339_utc(moment: datetime) -> str:
    """`2026-05-01T09:30:00Z`: the form RDS is given (terraform-provider-aws
    internal/verify/validate.go `ValidUTCTimestamp` parses it with Go's time.RFC3339)."""
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


RestoreTime = Annotated[
    datetime, BeforeValidator(parse_rfc3339), PlainSerializer(rfc3339_utc, return_type=str)
]


class RestoreConfig(_Model):
    """One primary's restore in progress: the time its data goes back to, and the stage."""

    to: RestoreTime | None = None
    """None only while writes are stopped and the last good time is still being looked for
    (runbook §8.3 steps 1-3)."""
    stage: RestoreStage

    @property
    def to_text(self) -> str:
        assert self.to is not None
        return rfc3339_utc(self.to)


def check_restored_generations(pair: DrPairConfig) -> None:
    """A restored generation began as a copy of the one before it: 2 at least, and not later
    than the pair's current generation."""
    for generation in pair.restored_generations:
        if not 2 <= generation <= pair.generation:
            raise _KeyedError(
                ("restoredGenerations", generation),
                f"generation {generation} cannot have been restored: the pair is at generation "
                f"{pair.generation}, and generation 1 began empty",
            )


def check_restore(stack: StackConfig) -> None:
    """A restore is of a pair's primary, in its normal stage, with its time once restored."""
    for region, restore in sorted(stack.restore.items()):
        path = ("restore", region)
        pair = stack.pair_of_primary(region)
        if pair is None:
            primaries = ", ".join(p.primary for p in stack.dr_pairs) or "none"
            raise _KeyedError(
                path,
                f"{region} is not the primary of a DR pair: a restore makes the pair's next "
                f"generation (primaries: {primaries})",
            )
        if region in stack.failover:
            raise _KeyedError(
                path,
                f"{region} is failed over to {stack.failover[region]}: finish the failback "
                "first (docs/failover.md); its current writer is not in its own region",
            )
        if restore.to is None and restore.stage != "writes-stopped":
            raise _KeyedError(
                (*path, "to"),
                f"stage {restore.stage} restores to a time: give the last good one "
                "(RFC 3339, like 2026-05-01T09:30:00Z)",
            )


def restore_of(stack: StackConfig, primary: str) -> RestoreConfig | None:
    return stack.restore.get(primary)
