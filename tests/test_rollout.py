"""Rollouts by config (regions/rollout.py, `erlmcp-infra:rollout`): the model, and the offline
plan of prod's 3.0.0 -> 3.1.0 rollout wave by wave: only the wave's StatefulSets change (its
primaries' and the standby releases that follow them), nothing stateful, no standby drifts from
its primary, and a canary is the highest ordinals of a partitioned StatefulSet."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from offline.stacks import project_values, stack_file_config
from planning.diff import diff_plans
from planning.plan import plan_resources
from regions.config import ConfigError, parse_stack_config
from regions.rollout import region_version, release_pods, settled_version
from tests.conftest import STATEFUL_TYPES
from tests.recordings import recorded_stack

NEW = "3.1.0"
WAVES = [["eu-west-1"], ["ap-southeast-1", "ap-northeast-1"], ["us-east-1"]]
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
VERSION_LABEL = "app.kubernetes.io/version"


def rollout_config(wave: int | None, canary_pods: int = 0, **rollout: Any) -> dict[str, Any]:
    """Prod's stack file with 3.1.0 rolling out, at `wave` (None: finished, the fleet on 3.1.0)."""
    config = copy.deepcopy(stack_file_config())
    release = config["erlmcp-infra:release"]
    release["imageDigests"][NEW] = "sha256:" + "1" * 64
    if wave is None:
        release["version"] = NEW
        return config
    config["erlmcp-infra:rollout"] = {
        "version": NEW,
        "waves": WAVES,
        "wave": wave,
        "canaryPods": canary_pods,
        **rollout,
    }
    return config


def canary_config() -> dict[str, Any]:
    """Wave 1's canary, eu-west-1 (configured with 2 pods) running 6 as its HPA scaled it: the
    canary the rollout and policy tests share one recording of."""
    return rollout_config(1, canary_pods=1, livePods={"eu-west-1": 6})


def values(config: dict[str, Any]) -> dict[str, Any]:
    return project_values(config)


# --- the model ----------------------------------------------------------------------------


def test_a_rollout_gives_each_region_its_version():
    stack = parse_stack_config(values(rollout_config(2, canary_pods=1)))
    assert region_version(stack, "eu-west-1", 2).version == NEW  # wave 1: done
    canary = region_version(stack, "ap-southeast-1", 2)
    assert (canary.version, canary.partition) == (NEW, 1)  # wave 2: ordinal 1 runs 3.1.0
    assert region_version(stack, "us-east-1", 3).version == "3.0.0"  # wave 3: not yet
    # Standby releases run their primary's settled version.
    assert settled_version(stack, "eu-west-1") == NEW
    assert settled_version(stack, "ap-southeast-1") == "3.0.0"


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (lambda r: r.update(waves=[["eu-west-1"], ["us-west-2"]]), "rollout.waves[1]", "standby"),
        (lambda r: r.update(waves=[["eu-west-1", "sa-east-1"]]), "rollout.waves[0]", "not under"),
        (lambda r: r.update(waves=[["eu-west-1"], ["eu-west-1"]]), "rollout.waves[1]", "two waves"),
        (lambda r: r.update(waves=WAVES[:2]), "rollout.waves", "us-east-1 in no wave"),
        (lambda r: r.update(wave=4), "rollout.wave", "there are 3 waves, not 4"),
        (lambda r: r.update(canaryPods=2), "rollout.canaryPods", "more than half a region"),
        (lambda r: r.update(version="3.2.0"), "rollout.version", "no digest for 3.2.0"),
        (lambda r: r.update(version="3.0.0"), "rollout.version", "already runs 3.0.0"),
        (
            lambda r: r.update(canaryPods=0, livePods={"eu-west-1": 5}),
            "rollout.livePods",
            "only a canary takes its partition from the live count",
        ),
        (
            lambda r: r.update(livePods={"us-east-1": 5}),
            "rollout.livePods.us-east-1",
            "us-east-1 is not in wave 1, the canary's",
        ),
        (
            lambda r: r.update(livePods={"eu-west-1": 21}),
            "rollout.livePods.eu-west-1",
            "21 pods lies outside eu-west-1's HPA range 2..20",
        ),
        (
            lambda r: r.update(canaryPods=3, livePods={"eu-west-1": 5}),
            "rollout.canaryPods",
            "3 of eu-west-1's 5 pods is more than half a region",
        ),
    ],
)
def test_a_bad_rollout_is_named_where_it_is_written(change, where, message):
    config = rollout_config(1, canary_pods=1)
    change(config["erlmcp-infra:rollout"])
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(values(config))
    assert f"erlmcp-infra:{where}" in str(caught.value)
    assert message in str(caught.value)


def test_a_canary_is_sized_on_the_pods_the_hpa_runs():
    """Two canary pods of a region configured with 2 would be all of it; of the 4 its HPA runs,
    half. The live count sizes only the canary's regions, and only while the canary lasts."""
    stack = parse_stack_config(values(rollout_config(1, canary_pods=2, livePods={"eu-west-1": 4})))
    assert release_pods(stack, "eu-west-1") == 4
    assert release_pods(stack, "us-east-1") == 3  # configured: not in the canary
    canary = region_version(stack, "eu-west-1", release_pods(stack, "eu-west-1"))
    assert (canary.version, canary.partition) == (NEW, 2)  # ordinals 2 and 3 run 3.1.0
    full = parse_stack_config(values(rollout_config(1)))
    assert release_pods(full, "eu-west-1") == 2


def test_a_region_without_an_hpa_must_run_its_configured_pods():
    """Without an HPA the count is Pulumi's: another count means something else scaled the
    region, and `pulumi up` would scale it back under the canary."""
    config = rollout_config(1, canary_pods=1, livePods={"eu-west-1": 3})
    del config["erlmcp-infra:regions"]["eu-west-1"]["hpa"]
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(values(config))
    assert "erlmcp-infra:rollout.livePods.eu-west-1" in str(caught.value)
    assert "runs 3 pods but has no HPA and is configured with 2" in str(caught.value)
    config["erlmcp-infra:rollout"]["livePods"] = {"eu-west-1": 2}
    stack = parse_stack_config(values(config))
    assert release_pods(stack, "eu-west-1") == 2


# --- the plan, wave by wave ---------------------------------------------------------------

# Each wave's regions, and the standby releases that follow them (by logical name).
WAVE_STATEFULSETS = {
    1: {"eu-west-1-erlmcp-statefulset", "eu-central-1-standby-of-eu-west-1-erlmcp-statefulset"},
    2: {
        "ap-southeast-1-erlmcp-statefulset",
        "ap-northeast-1-erlmcp-statefulset",
        "ap-northeast-1-standby-of-ap-southeast-1-erlmcp-statefulset",
        "ap-southeast-1-standby-of-ap-northeast-1-erlmcp-statefulset",
    },
    3: {"us-east-1-erlmcp-statefulset", "us-west-2-standby-of-us-east-1-erlmcp-statefulset"},
}


@pytest.fixture(scope="module")
def waves(prod_stack) -> dict[int, Any]:
    """Prod before the rollout (0) and after each wave's full step (1, 2, 3)."""
    return {0: prod_stack, **{wave: recorded_stack(rollout_config(wave)) for wave in (1, 2, 3)}}


def versions(stack) -> dict[str, str]:
    return {
        r.name: r.plain_inputs["spec"]["template"]["metadata"]["labels"][
            "app.kubernetes.io/version"
        ]
        for r in stack.of_type(STATEFULSET)
    }


INTERLOCKS = {
    "us-west-2-autofailover-signals-blocked-for-us-east-1",
    "eu-central-1-autofailover-signals-blocked-for-eu-west-1",
    "ap-northeast-1-autofailover-signals-blocked-for-ap-southeast-1",
    "ap-southeast-1-autofailover-signals-blocked-for-ap-northeast-1",
}


def changes(before, after, interlocks: bool = False) -> dict[str, list[str]]:
    """What changed; the automatic failover's interlocks, which a rollout in progress closes
    (regions/auto_failover.py), must change exactly when `interlocks` says, and are left out."""
    diff = diff_plans({"resources": plan_resources(before)}, {"resources": plan_resources(after)})
    assert diff["added"] == [] and diff["removed"] == [] and diff["replaced"] == []
    changed = {c["urn"].rsplit("::", 1)[-1]: c["inputs"] for c in diff["changed"]}
    closed = {name for name in changed if name in INTERLOCKS}
    assert closed == (INTERLOCKS if interlocks else set())
    assert all(changed[name] == ["alarmRule"] for name in closed)
    return {name: inputs for name, inputs in changed.items() if name not in closed}


@pytest.mark.parametrize("wave", [1, 2, 3])
def test_each_wave_changes_only_its_statefulsets(waves, wave):
    # The first wave's step is the rollout's first: it closes every pair's interlock.
    changed = changes(waves[wave - 1], waves[wave], interlocks=wave == 1)
    assert set(changed) == WAVE_STATEFULSETS[wave]
    assert all(inputs == ["metadata", "spec"] for inputs in changed.values())
    by_name = {r.name: r for r in waves[wave].resources}
    assert not [n for n in changed if by_name[n].type in STATEFUL_TYPES]


@pytest.mark.parametrize("wave", [1, 2, 3])
def test_no_standby_drifts_from_its_primary(waves, wave):
    found = versions(waves[wave])
    for name, version in found.items():
        if "-standby-of-" in name:
            primary = name.split("-standby-of-")[1].removesuffix("-erlmcp-statefulset")
            assert version == found[f"{primary}-erlmcp-statefulset"], name


def test_after_the_last_wave_the_fleet_runs_the_new_version(waves):
    assert set(versions(waves[3]).values()) == {NEW}
    # Finishing (release.version: 3.1.0, no rollout) gives every release what wave 3 gave it.
    finished = parse_stack_config(values(rollout_config(None)))
    during = parse_stack_config(values(rollout_config(3)))
    for region, config in finished.regions.items():
        if not config.serving:
            continue  # a standby region has only its primary's standby releases
        assert region_version(finished, region, config.pods) == region_version(
            during, region, config.pods
        )


def test_a_canary_is_the_highest_ordinals_of_a_partitioned_statefulset(waves):
    canary = recorded_stack(canary_config())
    changed = changes(waves[0], canary, interlocks=True)
    # The standby of a primary in its canary step keeps the old version.
    assert set(changed) == {"eu-west-1-erlmcp-statefulset"}
    spec = canary.one(STATEFULSET, "eu-west-1-erlmcp-statefulset").plain_inputs["spec"]
    assert spec["template"]["metadata"]["labels"]["app.kubernetes.io/version"] == NEW
    assert spec["replicas"] == 6  # what Pulumi's state holds after the driver's refresh
    assert spec["updateStrategy"]["rollingUpdate"]["partition"] == 5  # ordinal 5 of 0..5
    assert spec["minReadySeconds"] == 30
    # The update fails when the new pods do not become Ready in time. pulumi-kubernetes' own
    # StatefulSet await would never finish under a partition: the canary waits for its own.
    statefulset = canary.one(STATEFULSET, "eu-west-1-erlmcp-statefulset")
    assert statefulset.custom_timeouts == {"create": "10m", "update": "10m"}
    annotations = statefulset.plain_inputs["metadata"]["annotations"]
    assert json.loads(annotations["pulumi.com/waitFor"]) == [
        "jsonpath={.status.updatedReplicas}=1",
        "jsonpath={.status.availableReplicas}=6",
    ]
    full = waves[1].one(STATEFULSET, "eu-west-1-erlmcp-statefulset").plain_inputs["metadata"]
    assert "pulumi.com/waitFor" not in full.get("annotations", {})
