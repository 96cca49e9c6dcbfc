"""The prod stack at each stage of a point-in-time restore (docs/restore.md), recorded once per
session and shared through tests/recordings.py.

Both kinds of pair are restored in the same recordings, one stage at a time: us-east-1 (an
Aurora Global Database pair, whose standby us-west-2 keeps 3 warm pods) and ap-southeast-1 (an
RDS pair whose standby, ap-northeast-1, also serves its own users). Their regions are disjoint
and a restore changes nothing global, so each pair's changes are told apart by region: four
whole-stack recordings instead of eight.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from offline.recorder import RecordedStack
from offline.stacks import stack_file_config
from tests.recordings import recorded_stack

RESTORE_STAGES = ("normal", "writes-stopped", "restored", "switched", "dr-rebuilt")
RESTORED = ("us-east-1", "ap-southeast-1")
TO = "2026-05-01T09:30:00Z"


def restore_stage_config(stage: str) -> dict[str, Any]:
    """The prod stack file's config with both pairs' primaries at `stage` of a restore to TO,
    exactly as `make restore` writes it (tests/test_restore_command.py): "dr-rebuilt" is the
    pairs' next generation, and an empty `restore`."""
    config = copy.deepcopy(stack_file_config())
    if stage == "dr-rebuilt":
        config["erlmcp-infra:restore"] = {}
        for pair in config["erlmcp-infra:drPairs"]:
            if pair["primary"] in RESTORED:
                pair.update(generation=2, retiredGenerations=[1], restoredGenerations={"2": TO})
    elif stage != "normal":
        # Writes stop first; the last good time is looked for then (runbook §8.3 steps 1-3).
        entry = {"stage": stage} if stage == "writes-stopped" else {"stage": stage, "to": TO}
        config["erlmcp-infra:restore"] = {primary: dict(entry) for primary in RESTORED}
    return config


@functools.cache
def restore_stage_stack(stage: str) -> RecordedStack:
    """The stack at `stage` other than "normal" (the session's `prod_stack`)."""
    assert stage != "normal", "use the prod_stack fixture"
    return recorded_stack(restore_stage_config(stage))
