"""Failover by config: the resource graph before and after `failover: {primary: standby}`.

A failover must promote the standby's database, give the standby release the primary's pods and
HPA, and change nothing else: no Route 53 record (record changes need the us-east-1 control plane,
which may be the region that failed), nothing in the failed region, and no stateful resource
removed, renamed or changed in an input that replaces it.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from offline.recorder import RecordedResource, RecordedStack
from offline.stacks import run_stack_file, stack_file_config

STATEFUL_TYPES = {
    "aws:rds/instance:Instance",
    "aws:rds/cluster:Cluster",
    "aws:rds/globalCluster:GlobalCluster",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
    "aws:s3/bucket:Bucket",
    "aws:kms/key:Key",
    "aws:route53/zone:Zone",
}
# Inputs a failover may change on a stateful resource: promotion in place (the provider promotes
# a replica when its source goes away) and the final-snapshot setting of the promoted instance.
IN_PLACE_ON_PROMOTION = {"replicateSourceDb", "skipFinalSnapshot", "finalSnapshotIdentifier"}


def with_failover(config: dict[str, Any], failover: dict[str, str]) -> dict[str, Any]:
    config = copy.deepcopy(config)
    config["erlmcp-infra:failover"] = failover
    return config


@pytest.fixture(scope="module")
def failed_over() -> RecordedStack:
    return run_stack_file(with_failover(stack_file_config(), {"us-east-1": "us-west-2"}))


def changed_inputs(before: RecordedResource, after: RecordedResource) -> set[str]:
    keys = before.inputs.keys() | after.inputs.keys()
    return {k for k in keys if before.inputs.get(k) != after.inputs.get(k)}


def changes(before: RecordedStack, after: RecordedStack) -> dict[str, set[str]]:
    old, new = before.by_urn(), after.by_urn()
    # Resources present on both sides; additions and removals are asserted separately.
    return {
        urn: changed_inputs(old[urn], new[urn])
        for urn in old.keys() & new.keys()
        if changed_inputs(old[urn], new[urn])
    }


def test_failover_removes_nothing_and_adds_only_the_standbys_hpa(prod_stack, failed_over):
    assert prod_stack.urns() <= failed_over.urns()
    added = [failed_over.by_urn()[u] for u in failed_over.urns() - prod_stack.urns()]
    assert [(r.type, r.name) for r in added] == [
        (
            "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
            "us-west-2-standby-of-us-east-1-erlmcp-hpa",
        )
    ]


def test_failover_promotes_the_standby_database_in_place(prod_stack, failed_over):
    name = "us-west-2-standby-of-us-east-1-postgres-db"
    before = prod_stack.one("aws:rds/instance:Instance", name)
    after = failed_over.one("aws:rds/instance:Instance", name)
    assert "replicateSourceDb" in before.inputs
    assert "replicateSourceDb" not in after.inputs
    assert after.inputs["identifier"] == before.inputs["identifier"]
    assert after.protect and after.inputs["deletionProtection"] is True


def test_failover_gives_the_standby_release_the_primarys_pods_and_hpa(prod_stack, failed_over):
    statefulset = failed_over.one(
        "kubernetes:apps/v1:StatefulSet", "us-west-2-standby-of-us-east-1-erlmcp-statefulset"
    )
    assert statefulset.plain_inputs["spec"]["replicas"] == 3
    [hpa] = [
        h
        for h in failed_over.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
        if h.region == "us-west-2"
    ]
    assert (hpa.plain_inputs["spec"]["minReplicas"], hpa.plain_inputs["spec"]["maxReplicas"]) == (
        3,
        20,
    )


def test_failover_changes_only_the_standby_region(prod_stack, failed_over):
    by_urn = failed_over.by_urn()
    touched = {by_urn[urn].region for urn in changes(prod_stack, failed_over)}
    assert touched == {"us-west-2"}


def test_failover_edits_no_dns_record(prod_stack, failed_over):
    by_urn = failed_over.by_urn()
    assert not [
        u for u in changes(prod_stack, failed_over) if by_urn[u].type.startswith("aws:route53/")
    ]


def test_no_stateful_resource_changes_beyond_promotion(prod_stack, failed_over):
    by_urn = failed_over.by_urn()
    for urn, keys in changes(prod_stack, failed_over).items():
        if by_urn[urn].type in STATEFUL_TYPES:
            assert keys <= IN_PLACE_ON_PROMOTION, (urn, keys)


def test_the_failed_regions_stateful_resources_stay_protected(failed_over):
    failed_region = [
        r for r in failed_over.resources if r.region == "us-east-1" and r.type in STATEFUL_TYPES
    ]
    assert failed_region
    assert all(r.protect for r in failed_region)


def test_reverting_the_failover_setting_restores_the_graph_except_promotion(
    prod_stack, failed_over
):
    # Removing `failover:` again scales the standby back down but cannot un-promote the database:
    # the plan shows the replica's source coming back, which RDS cannot do in place. That is why
    # failback is a documented sequence, not the removal of this setting (see README).
    reverted = changes(failed_over, prod_stack)
    by_urn = prod_stack.by_urn()
    stateful = {u: k for u, k in reverted.items() if by_urn[u].type in STATEFUL_TYPES}
    assert list(stateful.values()) == [IN_PLACE_ON_PROMOTION]
