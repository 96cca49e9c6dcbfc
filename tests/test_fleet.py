"""operations/fleet.py derives, from the config alone, the names the program gives: each one is
compared here with the recorded stack (prod, and a pair failed over)."""

from __future__ import annotations

import pytest

from offline.recorder import RecordedStack
from operations.fleet import Fleet
from operations.stack_file import stack_config
from tests.conftest import dr_stage_config

STATEFULSET = "kubernetes:apps/v1:StatefulSet"


def fleet_of(config) -> Fleet:
    return Fleet(stack_config(config))


def recorded_releases(stack: RecordedStack) -> set[tuple[str, str, str, int, str]]:
    found = set()
    for resource in stack.of_type(STATEFULSET):
        inputs = resource.plain_inputs
        metadata, spec = inputs["metadata"], inputs["spec"]
        version = spec["template"]["metadata"]["labels"]["app.kubernetes.io/version"]
        found.add(
            (
                resource.region,
                metadata["namespace"],
                metadata["name"],
                int(spec.get("replicas") or 0),
                version,
            )
        )
    return found


def derived_releases(fleet: Fleet) -> set[tuple[str, str, str, int, str]]:
    return {
        (release.region, release.namespace, release.statefulset, release.pods, version)
        for region in fleet.regions
        for release in fleet.releases(region)
        for version in release.versions
    }


# Recordings the failback tests make anyway (tests/test_failback.py), so none is made for these.
@pytest.mark.parametrize(
    "primary, stage", [("us-east-1", "normal"), ("ap-southeast-1", "failover")]
)
def test_releases_are_the_recorded_statefulsets(dr_stage_stack, primary, stage):
    recorded = dr_stage_stack(primary, stage)
    assert derived_releases(fleet_of(dr_stage_config(primary, stage))) == recorded_releases(
        recorded
    )


def test_a_fenced_primary_runs_no_pods_and_its_standby_serves():
    fleet = fleet_of(dr_stage_config("ap-southeast-1", "failover"))
    own, standby_of_tokyo = fleet.releases("ap-southeast-1")
    assert (own.pods, standby_of_tokyo.pods) == (0, 0)
    assert [e.expected_up for e in fleet.endpoints("ap-southeast-1")] == [False, False]
    _, standby = fleet.releases("ap-northeast-1")
    assert (standby.name, standby.namespace, standby.pods) == (
        "standby-of-ap-southeast-1",
        "erlmcp-prod-ap-southeast-1",
        2,  # the primary's pods
    )


def test_names_are_the_recorded_ones(prod_stack, prod_config):
    fleet = fleet_of(prod_config)

    def inputs(type_: str, key: str) -> dict[str, str]:
        return {r.region: r.plain_inputs[key] for r in prod_stack.of_type(type_)}

    assert inputs("aws:eks/cluster:Cluster", "name") == {
        region: fleet.cluster_name(region) for region in fleet.regions
    }
    assert inputs("aws:backup/vault:Vault", "name") == {
        region: fleet.vault_name(region) for region in fleet.regions
    }
    buckets = {
        r.region: r.outputs["bucket"]
        for r in prod_stack.of_type("aws:s3/bucket:Bucket")
        if r.name.endswith("-backups-bucket")
    }
    assert all(
        name.startswith(fleet.backup_bucket_prefix(region)) for region, name in buckets.items()
    )
    assert {
        r.plain_inputs["fqdn"] for r in prod_stack.of_type("aws:route53/healthCheck:HealthCheck")
    } == {endpoint.fqdn for region in fleet.regions for endpoint in fleet.endpoints(region)}


def test_writing_databases_are_what_aws_backup_selects_and_copies(prod_stack, prod_config):
    fleet = fleet_of(prod_config)
    selected = {
        arn
        for selection in prod_stack.of_type("aws:backup/selection:Selection")
        for arn in selection.plain_inputs["resources"]
    }
    copied_to = {
        plan.region: plan.plain_inputs["rules"][0]["copyActions"][0]["destinationVaultArn"]
        for plan in prod_stack.of_type("aws:backup/plan:Plan")
    }
    writing = fleet.writing_databases()
    assert {fleet.database_arn(w.copy) for w in writing} == selected
    assert {
        w.copy.region: f"arn:aws:backup:{w.partner}:123456789012:backup-vault:"
        f"{fleet.vault_name(w.partner)}"
        for w in writing
        if w.partner
    } == copied_to


def test_replicating_copies_are_the_recorded_standbys(prod_stack, prod_config):
    fleet = fleet_of(prod_config)
    recorded = {
        (r.region, r.plain_inputs["identifier"])
        for r in prod_stack.of_type("aws:rds/instance:Instance")
        if r.plain_inputs.get("replicateSourceDb")
    } | {
        (r.region, r.plain_inputs["clusterIdentifier"])
        for r in prod_stack.of_type("aws:rds/cluster:Cluster")
        if r.plain_inputs["clusterIdentifier"].endswith("-secondary")
    }
    derived = {
        (region, replica.copy.identifier)
        for region in fleet.regions
        for replica in fleet.replicating(region)
    }
    assert derived == recorded
    assert {
        group for region in fleet.regions for group, _ in fleet.standby_cache_groups(region)
    } == {
        r.plain_inputs["replicationGroupId"]
        for r in prod_stack.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
        if r.plain_inputs["replicationGroupId"].endswith("-dr")
    }
