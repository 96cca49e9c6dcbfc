"""Bigger stacks than prod, generated from it: for the benchmark's growth figures and for the test
that the program and the offline mocks work in every region the config model accepts.

`grown_stack_config(n)` keeps prod's six regions and adds DR pairs in further deployable regions,
alternating eu-west-1's shape (Aurora Global Database pair) and an RDS read-replica pair, each
standby cold like eu-central-1. An odd last region is a primary listed under `noStandby`.
"""

from __future__ import annotations

import copy
from typing import Any

from offline.stacks import PROJECT, stack_file_config
from regions.aws_regions import DEPLOYABLE_REGIONS

_KEY = f"{PROJECT}:"


def _extra_regions(taken: set[str]) -> list[str]:
    return sorted(DEPLOYABLE_REGIONS - taken)


def example_zones(region: str) -> list[str]:
    """Zone names of the a-b-c form; a real stack lists its account's (Tokyo has no 1b)."""
    return [f"{region}{letter}" for letter in "abc"]


def _region(shape: dict[str, Any], region: str, cidr: str) -> dict[str, Any]:
    return {
        **copy.deepcopy(shape),
        "vpcCidr": cidr,
        "availabilityZones": example_zones(region),
    }


def _free_cidr(index: int) -> str:
    # Prod uses 10.10.0.0/16 ... 10.60.0.0/16; generated regions take 10.100.0.0/16 upwards.
    return f"10.{100 + index}.0.0/16"


def grown_stack_config(regions: int, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The prod stack file's config with `regions` regions in all (at least prod's six)."""
    config = copy.deepcopy(base if base is not None else stack_file_config())
    own = config[f"{_KEY}regions"]
    pairs = config[f"{_KEY}drPairs"]
    extra = _extra_regions(set(own))
    wanted = regions - len(own)
    if wanted < 0 or wanted > len(extra):
        raise ValueError(
            f"a grown stack has between {len(own)} and {len(own) + len(extra)} regions, "
            f"not {regions}"
        )
    primary_shape, standby_shape = own["eu-west-1"], own["eu-central-1"]
    names = extra[:wanted]
    for index in range(0, wanted - 1, 2):
        primary, standby = names[index], names[index + 1]
        own[primary] = _region(primary_shape, primary, _free_cidr(index))
        own[standby] = _region(standby_shape, standby, _free_cidr(index + 1))
        pair: dict[str, Any] = {"primary": primary, "standby": standby, "rpoMinutes": 5}
        if (index // 2) % 2 == 0:  # every other pair an Aurora Global Database, like eu-west-1's
            pair.update(rtoMinutes=10, database="aurora-global")
        else:
            pair.update(rtoMinutes=15)
        pairs.append(pair)
    if wanted % 2:
        alone = names[-1]
        own[alone] = _region(primary_shape, alone, _free_cidr(wanted - 1))
        config.setdefault(f"{_KEY}noStandby", {})[alone] = "generated stack: a lone primary"
    return config
