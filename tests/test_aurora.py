"""Aurora PostgreSQL Global Database: the writer cluster and a promotable secondary."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from components.aurora import (
    AuroraGlobalPrimary,
    AuroraGlobalPrimaryArgs,
    AuroraGlobalSecondary,
    AuroraGlobalSecondaryArgs,
    AuroraPlacement,
    aurora_family,
)
from offline.recorder import RecordedStack, is_secret
from tests.conftest import assert_parented_under

PRIMARY_KEY = "arn:aws:kms:us-east-1:123456789012:key/primary"
STANDBY_KEY = "arn:aws:kms:us-west-2:123456789012:key/standby"
CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
GLOBAL = "aws:rds/globalCluster:GlobalCluster"
STATEFUL = {CLUSTER, GLOBAL}


def placement(region: str, key: str) -> AuroraPlacement:
    return AuroraPlacement(
        region=region,
        vpc_id=f"vpc-{region}",
        subnet_ids=["subnet-a", "subnet-b", "subnet-c"],
        client_security_group_ids={"eks-cluster": f"sg-{region}"},
        kms_key_arn=key,
        tags={"service": "erlmcp"},
    )


def primary_args(**overrides: Any) -> AuroraGlobalPrimaryArgs:
    args = AuroraGlobalPrimaryArgs(
        placement=placement("us-east-1", PRIMARY_KEY),
        global_cluster_identifier="erlmcp-prod-us-east-1-global",
        cluster_identifier="erlmcp-prod-us-east-1",
        engine_version="16.6",
        instance_class="db.r6g.xlarge",
        database_name="erlmcp",
        username="erlmcp",
        password="s3cret-password-value",
        backup_retention_days=30,
        backup_window="02:00-02:30",
        maintenance_window="sun:04:00-sun:05:00",
    )
    return dataclasses.replace(args, **overrides)


def secondary_args(**overrides: Any) -> AuroraGlobalSecondaryArgs:
    args = AuroraGlobalSecondaryArgs(
        placement=placement("us-west-2", STANDBY_KEY),
        global_cluster_identifier="erlmcp-prod-us-east-1-global",
        cluster_identifier="erlmcp-prod-us-east-1-secondary",
        engine_version="16.6",
        instance_class="db.r6g.xlarge",
        backup_retention_days=30,
    )
    return dataclasses.replace(args, **overrides)


def build_primary(record, **overrides: Any) -> RecordedStack:
    return record(lambda: AuroraGlobalPrimary("us-east-1-aurora", primary_args(**overrides)))


def build_secondary(record, **overrides: Any) -> RecordedStack:
    return record(
        lambda: AuroraGlobalSecondary("us-west-2-standby-aurora", secondary_args(**overrides))
    )


def test_family_follows_the_major_version():
    assert aurora_family("16.6") == "aurora-postgresql16"
    with pytest.raises(ValueError, match="engine_version"):
        aurora_family("14.9")


def test_primary_builds_an_encrypted_protected_global_database(record):
    stack = build_primary(record)
    [global_cluster] = stack.of_type(GLOBAL)
    [cluster] = stack.of_type(CLUSTER)
    g, c = global_cluster.inputs, cluster.inputs
    assert (g["engine"], g["engineVersion"], g["storageEncrypted"], g["deletionProtection"]) == (
        "aurora-postgresql",
        "16.6",
        True,
        True,
    )
    assert c["globalClusterIdentifier"] == global_cluster.id
    assert c["kmsKeyId"] == PRIMARY_KEY and c["storageEncrypted"] is True
    assert c["deletionProtection"] is True and c["skipFinalSnapshot"] is False
    assert c["finalSnapshotIdentifier"] == "erlmcp-prod-us-east-1-final"
    assert (c["backupRetentionPeriod"], c["preferredBackupWindow"]) == (30, "02:00-02:30")
    assert c["iamDatabaseAuthenticationEnabled"] is True
    assert c["copyTagsToSnapshot"] is True
    assert is_secret(c["masterPassword"])


def test_primary_has_a_writer_and_a_reader_that_are_private(record):
    stack = build_primary(record)
    instances = stack.of_type(INSTANCE)
    assert len(instances) == 2
    for instance in instances:
        assert instance.inputs["publiclyAccessible"] is False
        assert instance.inputs["performanceInsightsKmsKeyId"] == PRIMARY_KEY
        assert instance.inputs["instanceClass"] == "db.r6g.xlarge"
    with pytest.raises(ValueError, match="instances 1"):
        primary_args(instances=1)


def test_cluster_parameters_force_tls(record):
    stack = build_primary(record)
    [params] = stack.of_type("aws:rds/clusterParameterGroup:ClusterParameterGroup")
    assert params.inputs["family"] == "aurora-postgresql16"
    assert {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"} in params.inputs[
        "parameters"
    ]


def test_secondary_lives_in_the_standby_region_with_its_key_and_no_credentials(record):
    stack = build_secondary(record)
    [cluster] = stack.of_type(CLUSTER)
    c = cluster.inputs
    assert cluster.region == "us-west-2"
    assert c["kmsKeyId"] == STANDBY_KEY
    assert c["globalClusterIdentifier"] == "erlmcp-prod-us-east-1-global"
    assert not {"masterUsername", "masterPassword", "databaseName"} & c.keys()
    assert "replicationSourceIdentifier" in cluster.ignore_changes
    assert len(stack.of_type(INSTANCE)) == 1


def test_promotion_detaches_the_secondary_in_place(record):
    standing = build_secondary(record)
    promoted = build_secondary(record, promoted=True)
    assert standing.urns() == promoted.urns()
    [before] = standing.of_type(CLUSTER)
    [after] = promoted.of_type(CLUSTER)
    assert before.inputs["clusterIdentifier"] == after.inputs["clusterIdentifier"]
    assert "globalClusterIdentifier" not in after.inputs
    changed = {
        k
        for k in before.inputs.keys() | after.inputs.keys()
        if before.inputs.get(k) != after.inputs.get(k)
    }
    assert changed == {"globalClusterIdentifier"}


@pytest.mark.parametrize("build", [build_primary, build_secondary])
def test_every_resource_is_regional_parented_and_stateful_ones_protected(record, build):
    stack = build(record)
    component = next(r for r in stack.resources if not r.custom)
    assert_parented_under(stack, component.type, component.name)
    for resource in stack.resources:
        if resource.custom:
            assert resource.region in ("us-east-1", "us-west-2"), resource.urn
        if resource.type in STATEFUL:
            assert resource.protect, resource.urn


def test_secondary_port_open_only_to_its_clients(record):
    stack = build_secondary(record)
    [rule] = stack.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["referencedSecurityGroupId"] == "sg-us-west-2"
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (5432, 5432)
