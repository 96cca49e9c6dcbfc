"""Failover by config: the resource graph before and after `failover: {primary: standby}`.

A failover must promote the standby's database, give the standby release the primary's pods and
HPA, stop the failed primary's release (its database is stale), and change nothing else: no
Route 53 record (record changes need the us-east-1 control plane, which may be the region that
failed), nothing else in the failed region, and no stateful resource removed, renamed or changed
in an input that replaces it. Both database mechanisms are covered:
us-east-1 keeps an Aurora Global Database secondary in us-west-2, ap-southeast-1 an RDS read
replica in ap-northeast-1 (a region that also serves its own users).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from offline.recorder import RecordedResource, RecordedStack
from tests.conftest import PROTECTED_TYPES, STATEFUL_TYPES, dr_stage_config
from tests.recordings import pack_report


@dataclass(frozen=True)
class Failover:
    primary: str
    standby: str
    database: tuple[str, str]  # type and name of the standby's copy
    promoted_keys: frozenset[str]  # the inputs promotion changes, all in place
    pods: int
    hpa: tuple[int, int]

    @property
    def prefix(self) -> str:
        return f"{self.standby}-standby-of-{self.primary}"


AURORA = Failover(
    "us-east-1",
    "us-west-2",
    ("aws:rds/cluster:Cluster", "us-west-2-standby-of-us-east-1-aurora-cluster"),
    # The provider detaches the cluster from its Global Database (RemoveFromGlobalCluster).
    frozenset({"globalClusterIdentifier"}),
    pods=3,
    hpa=(3, 20),
)
RDS = Failover(
    "ap-southeast-1",
    "ap-northeast-1",
    ("aws:rds/instance:Instance", "ap-northeast-1-standby-of-ap-southeast-1-postgres-db"),
    # The provider promotes the replica (PromoteReadReplica); as a primary it keeps a final
    # snapshot, states its engine (already its state) and goes Multi-AZ now (an in-place modify,
    # applied immediately rather than in the next maintenance window).
    frozenset(
        {
            "replicateSourceDb",
            "skipFinalSnapshot",
            "finalSnapshotIdentifier",
            "engine",
            "multiAz",
            "applyImmediately",
        }
    ),
    pods=2,
    hpa=(2, 20),
)


@pytest.fixture(scope="module", params=[AURORA, RDS], ids=["aurora", "rds"])
def case(request, dr_stage_stack) -> tuple[Failover, dict[str, Any], RecordedStack]:
    failover: Failover = request.param
    config = dr_stage_config(failover.primary, "failover")
    assert config["erlmcp-infra:failover"] == {failover.primary: failover.standby}
    return failover, config, dr_stage_stack(failover.primary, "failover")


def changed_inputs(before: RecordedResource, after: RecordedResource) -> set[str]:
    keys = before.inputs.keys() | after.inputs.keys()
    return {k for k in keys if before.inputs.get(k) != after.inputs.get(k)}


def changes(before: RecordedStack, after: RecordedStack) -> dict[str, set[str]]:
    """Changed inputs of the resources on both sides (additions and removals are apart)."""
    old, new = before.by_urn(), after.by_urn()
    return {
        urn: changed_inputs(old[urn], new[urn])
        for urn in old.keys() & new.keys()
        if changed_inputs(old[urn], new[urn])
    }


def test_failover_moves_the_hpa_from_the_primary_to_the_standby_release(prod_stack, case):
    failover, _, failed_over = case
    hpa = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
    added = [failed_over.by_urn()[u] for u in failed_over.urns() - prod_stack.urns()]
    removed = [prod_stack.by_urn()[u] for u in prod_stack.urns() - failed_over.urns()]
    # The promoted copy takes writes, so its region backs it up (tests/test_aws_backup.py):
    # a plan of its own when its region had none towards the primary, all in the standby region.
    backups = [r for r in added if "backup" in r.type.lower()]
    standby_region = failover.prefix.split("-standby-of-")[0]
    assert {r.region for r in backups if r.custom} <= {standby_region}
    added = [r for r in added if r not in backups]
    # A standby that serves its primary's users evaluates the SLO rules (regions/observability.py):
    # its region gains them, unless it served, and had them, already.
    slo_rules = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
    had_rules = {r.region for r in prod_stack.of_type(slo_rules)}
    rules = [r for r in added if r.type == slo_rules]
    gains = [] if failover.standby in had_rules else [f"{failover.standby}-prometheus-rules-slo"]
    assert [r.name for r in rules] == gains
    added = [r for r in added if r not in rules]
    # The promoted copies follow nothing any more: their lag alarms go, in the standby region
    # (regions/alarms.py watches only copies that follow another).
    alarms = [r for r in removed if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm"]
    assert {(r.region, r.name) for r in alarms} == {
        (standby_region, f"{standby_region}-alarms-{what}-lag-of-{failover.primary}")
        for what in ("database", "cache")
    }
    removed = [r for r in removed if r not in alarms]
    # The promoted copy takes writes: its connections alarm comes, in the standby region
    # (regions/database_alarms.py).
    gained = [r for r in added if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm"]
    assert {(r.region, r.name) for r in gained} == {
        (standby_region, f"{standby_region}-alarms-database-connections-of-{failover.primary}")
    }
    added = [r for r in added if r not in gained]
    assert [(r.type, r.name) for r in added] == [(hpa, f"{failover.prefix}-erlmcp-hpa")]
    assert [(r.type, r.name) for r in removed] == [(hpa, f"{failover.primary}-erlmcp-hpa")]


def test_failover_promotes_the_standby_database_in_place(prod_stack, case):
    failover, _, failed_over = case
    before = prod_stack.one(*failover.database)
    after = failed_over.one(*failover.database)
    assert changed_inputs(before, after) == failover.promoted_keys
    assert after.protect and after.inputs["deletionProtection"] is True


def test_failover_gives_the_standby_release_the_primarys_pods_and_hpa(case):
    failover, _, failed_over = case
    statefulset = failed_over.one(
        "kubernetes:apps/v1:StatefulSet", f"{failover.prefix}-erlmcp-statefulset"
    )
    assert statefulset.plain_inputs["spec"]["replicas"] == failover.pods
    hpa = failed_over.one(
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", f"{failover.prefix}-erlmcp-hpa"
    )
    spec = hpa.plain_inputs["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == failover.hpa


def test_failover_changes_the_standby_region_and_stops_the_primarys_release(prod_stack, case):
    # The failed primary's pods would serve from its stale database as soon as its region came
    # back and its health check turned green: its release is scaled to 0 (a fence), and nothing
    # else in that region changes.
    failover, _, failed_over = case
    by_urn = failed_over.by_urn()
    in_primary = {
        by_urn[urn].name
        for urn in changes(prod_stack, failed_over)
        if by_urn[urn].region != failover.standby and not by_urn[urn].is_provider
    }
    assert in_primary == {f"{failover.primary}-erlmcp-statefulset"}
    statefulset = failed_over.one(
        "kubernetes:apps/v1:StatefulSet", f"{failover.primary}-erlmcp-statefulset"
    )
    assert statefulset.plain_inputs["spec"]["replicas"] == 0


def test_failover_stops_the_failed_regions_providers_calling_aws_at_configure(prod_stack, case):
    # The engine configures every provider even under --target; a provider that validated its
    # credentials in the failed region would fail the whole update (regions/providers.py).
    failover, _, failed_over = case
    by_urn = failed_over.by_urn()
    changed = {
        by_urn[urn].name: keys
        for urn, keys in changes(prod_stack, failed_over).items()
        if by_urn[urn].is_provider
    }
    unreachable = {f"aws-{failover.primary}"} | (
        {"aws-global"} if failover.primary == "us-east-1" else set()
    )
    switched = {
        "skipCredentialsValidation",
        "skipRequestingAccountId",
        "allowedAccountIds",
        "stsRegion",
    }
    assert changed == dict.fromkeys(unreachable, switched)
    for name in unreachable:
        inputs = failed_over.one("pulumi:providers:aws", name).plain_inputs
        assert inputs["skipCredentialsValidation"] == "true"
        assert inputs["skipRequestingAccountId"] == "true"
        assert "allowedAccountIds" not in inputs
        assert inputs["stsRegion"] == failover.standby


def test_failover_edits_no_dns_record(prod_stack, case):
    _, _, failed_over = case
    by_urn = failed_over.by_urn()
    touched = [
        u for u in changes(prod_stack, failed_over) if by_urn[u].type.startswith("aws:route53/")
    ]
    assert touched == []


def test_no_stateful_resource_changes_beyond_promotion(prod_stack, case):
    failover, _, failed_over = case
    by_urn = failed_over.by_urn()
    for urn, keys in changes(prod_stack, failed_over).items():
        if by_urn[urn].type in STATEFUL_TYPES:
            assert keys <= failover.promoted_keys, (urn, keys)


def test_the_failed_regions_stateful_resources_stay_protected(case):
    failover, _, failed_over = case
    kept = [
        r
        for r in failed_over.resources
        if r.region == failover.primary and r.type in PROTECTED_TYPES
    ]
    assert kept
    assert all(r.protect for r in kept)


def test_the_policy_pack_does_not_block_a_failover(case):
    _, config, failed_over = case
    report = pack_report(failed_over, stack_config=config)
    assert report.mandatory == [], report.format()


def test_reverting_the_failover_setting_is_not_a_failback(prod_stack, case):
    # Removing `failover:` again scales the standby back down but cannot un-promote its
    # database: the plan would show the promotion reverting, which neither RDS nor Aurora can do
    # in place. That is why failback is its own sequence (tests/test_failback.py), not this.
    failover, _, failed_over = case
    by_urn = prod_stack.by_urn()
    reverted = changes(failed_over, prod_stack)
    stateful = {by_urn[u].name: k for u, k in reverted.items() if by_urn[u].type in STATEFUL_TYPES}
    assert stateful == {failover.database[1]: failover.promoted_keys}
