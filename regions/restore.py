"""What each stage of a point-in-time restore does to the pair's releases (docs/restore.md).

The databases of each stage are regions/lineage.py's; this is who runs against them:

| stage          | primary's own release             | standby's release for the primary |
|----------------|-----------------------------------|-----------------------------------|
| writes-stopped | 0 pods, no HPA: no write lands    | 0 pods: its copy holds the damage |
| restored       | still 0 (the new database exists) | still 0                           |
| switched       | its pods again, on the restored   | still 0 (its copy is the damaged  |
|                | writer, the count applied from 0  | writer's)                         |
| (generation    | handed back to its HPA            | warm pods again, on the new copy  |
|  g+1)          |                                   |                                   |

erlmcp has no read-only mode to put the region in instead of 0 pods: its `erlmcp_flags`
maintenance flag (seanchatmangpt/erlmcp 1356e12d, apps/erlmcp_observability/src/
erlmcp_flags.erl lines 100-122) only refuses new connections, is set from inside the node
only (no config, environment variable or endpoint), and nothing in its applications sets it
(only examples/lock_free_metrics_demo.erl).
"""

from __future__ import annotations

from regions.config import StackConfig
from regions.config.restore import restore_of

WRITES_STOPPED_STAGES = ("writes-stopped", "restored")


def writes_stopped(stack: StackConfig, primary: str) -> bool:
    """The primary's own release runs no pods: a restore is about to begin or being made."""
    restore = restore_of(stack, primary)
    return restore is not None and restore.stage in WRITES_STOPPED_STAGES


def switched_to_restored(stack: StackConfig, primary: str) -> bool:
    """The primary's release comes back from 0 on the restored writer."""
    restore = restore_of(stack, primary)
    return restore is not None and restore.stage == "switched"


def standby_stopped(stack: StackConfig, primary: str) -> bool:
    """The standby's release for `primary` runs no pods while a restore is under way: the copy
    it points at follows the damaged writer. Route 53 therefore cannot send the primary's
    users to it; they go to the next-nearest healthy region (docs/restore.md)."""
    return restore_of(stack, primary) is not None
