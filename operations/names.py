"""The names of the erlmcp StatefulSets a rollout moves, written and read in one place.

Release names (regions/region.py): `<region>-erlmcp` for a region's own release,
`<standby>-standby-of-<primary>-erlmcp` for the release a standby region keeps for a primary;
the StatefulSet is `<release>-statefulset` (components/release.py).
"""

from __future__ import annotations

import re

_STANDBY = re.compile(r"^(?P<host>.+)-standby-of-(?P<primary>.+)-erlmcp-statefulset$")
_OWN = re.compile(r"^(?P<region>.+)-erlmcp-statefulset$")


def own_statefulset_name(region: str) -> str:
    """The StatefulSet of a region's own release."""
    return f"{region}-erlmcp-statefulset"


def standby_statefulset_name(standby: str, primary: str) -> str:
    """The StatefulSet of the release `standby` keeps for `primary`."""
    return f"{standby}-standby-of-{primary}-erlmcp-statefulset"


def primary_of_standby(name: str) -> str | None:
    """The primary whose standby release the StatefulSet `name` is, if it is one."""
    match = _STANDBY.match(name)
    return match["primary"] if match else None


def region_of_own(name: str) -> str | None:
    """The region whose own release the StatefulSet `name` is, if it is one (not a standby's)."""
    if _STANDBY.match(name):
        return None
    match = _OWN.match(name)
    return match["region"] if match else None
