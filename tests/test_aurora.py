"""Aurora PostgreSQL Global Database: the writer cluster and a promotable secondary."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.aurora import (
    AuroraGlobalPrimary,
    AuroraGlobalPrimaryArgs,
    AuroraGlobalSecondary,
    AuroraGlobalSecondaryArgs,
    AuroraPlacement,
    aurora_family,
)
from components.postgres import PointInTimeRestore
from offline.mocks import RealisticMocks
from offline.recorder import RecordedResource, RecordedStack, RecordingMonitor, is_secret
from tests.conftest import assert_parented_under, is_secret_output

PRIMARY_REGION = "us-east-1"
STANDBY_REGION = "us-west-2"
PRIMARY_KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-4111-8111-111111111111"
STANDBY_KEY = "arn:aws:kms:us-west-2:123456789012:key/22222222-2222-4222-8222-222222222222"
PASSWORD = "correct-horse-battery-staple-0123456789"
GLOBAL_ID = "erlmcp-prod-us-east-1-global"
TAGS = {"project": "erlmcp", "environment": "prod"}

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
GLOBAL = "aws:rds/globalCluster:GlobalCluster"
PARAMS = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
PRIMARY_TYPE = "erlmcp:components:AuroraGlobalPrimary"
SECONDARY_TYPE = "erlmcp:components:AuroraGlobalSecondary"
STATEFUL = {CLUSTER, GLOBAL, INSTANCE}

PRIMARY_NAME = f"{PRIMARY_REGION}-aurora"
SECONDARY_NAME = f"{STANDBY_REGION}-standby-of-{PRIMARY_REGION}-aurora"


def placement(region: str, key: str, **overrides: Any) -> AuroraPlacement:
    base = AuroraPlacement(
        region=region,
        vpc_id=f"vpc-{region}",
        subnet_ids=[f"subnet-{region}-{zone}" for zone in "abc"],
        client_security_group_ids={"eks-cluster": f"sg-eks-{region}"},
        kms_key_arn=key,
        tags=TAGS,
    )
    return dataclasses.replace(base, **overrides)


def primary_args(**overrides: Any) -> AuroraGlobalPrimaryArgs:
    args = AuroraGlobalPrimaryArgs(
        placement=placement(PRIMARY_REGION, PRIMARY_KEY),
        global_cluster_identifier=GLOBAL_ID,
        cluster_identifier="erlmcp-prod-us-east-1",
        engine_version="16.6",
        instance_class="db.r6g.large",
        database_name="erlmcp",
        username="erlmcp",
        password=PASSWORD,
        backup_retention_days=30,
        backup_window="02:00-02:30",
        maintenance_window="sun:04:00-sun:05:00",
    )
    return dataclasses.replace(args, **overrides)


def secondary_args(**overrides: Any) -> AuroraGlobalSecondaryArgs:
    args = AuroraGlobalSecondaryArgs(
        placement=placement(STANDBY_REGION, STANDBY_KEY),
        global_cluster_identifier=GLOBAL_ID,
        cluster_identifier="erlmcp-prod-us-east-1-secondary",
        engine_version="16.6",
        instance_class="db.r6g.large",
        backup_retention_days=30,
    )
    return dataclasses.replace(args, **overrides)


def build_primary(record, **overrides: Any) -> RecordedStack:
    return record(lambda: AuroraGlobalPrimary(PRIMARY_NAME, primary_args(**overrides)))


def build_secondary(record, **overrides: Any) -> RecordedStack:
    return record(lambda: AuroraGlobalSecondary(SECONDARY_NAME, secondary_args(**overrides)))


def only(stack: RecordedStack, type_: str) -> RecordedResource:
    [resource] = stack.of_type(type_)
    return resource


# -- validation ----------------------------------------------------------------------------------


def test_family_follows_the_major_version():
    assert aurora_family("16.6") == "aurora-postgresql16"
    assert aurora_family("15.10") == "aurora-postgresql15"


@pytest.mark.parametrize("make_args", [primary_args, secondary_args])
@pytest.mark.parametrize("version", ["14.9", "13.12", "sixteen"])
def test_postgresql_below_15_is_refused(make_args, version):
    with pytest.raises(ValueError, match="engine_version"):
        make_args(engine_version=version)


@pytest.mark.parametrize(
    ("make_args", "count"),
    [(primary_args, 1), (primary_args, 16), (secondary_args, 0), (secondary_args, 17)],
)
def test_instance_counts_outside_the_bounds_are_refused(make_args, count):
    with pytest.raises(ValueError, match=f"instances {count}"):
        make_args(instances=count)


@pytest.mark.parametrize("make_args", [primary_args, secondary_args])
def test_burstable_classes_are_refused_for_a_global_database(make_args):
    with pytest.raises(ValueError, match="instance_class"):
        make_args(instance_class="db.t4g.medium")
    make_args(instance_class="db.serverless")
    make_args(instance_class="db.x2g.large")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cluster_identifier", "Erlmcp_Prod", "identifier"),
        ("backup_retention_days", 0, "backup_retention_days"),
        ("backup_retention_days", 36, "backup_retention_days"),
    ],
)
@pytest.mark.parametrize("make_args", [primary_args, secondary_args])
def test_bad_identifiers_and_retention_are_refused(make_args, field, value, message):
    with pytest.raises(ValueError, match=message):
        make_args(**{field: value})


def test_global_identifier_is_checked_on_the_primary():
    with pytest.raises(ValueError, match="identifier"):
        primary_args(global_cluster_identifier="global--db")


def test_client_groups_need_stable_labels():
    with pytest.raises(ValueError, match="client_security_group_ids"):
        placement(PRIMARY_REGION, PRIMARY_KEY, client_security_group_ids=["sg-1"])


# -- the primary ---------------------------------------------------------------------------------


def test_global_cluster_is_encrypted_protected_and_managed_from_the_writer_region(record):
    global_cluster = only(build_primary(record), GLOBAL)
    assert global_cluster.plain_inputs == {
        "region": PRIMARY_REGION,
        "globalClusterIdentifier": GLOBAL_ID,
        "engine": "aurora-postgresql",
        "engineVersion": "16.6",
        "databaseName": "erlmcp",
        "storageEncrypted": True,
        "deletionProtection": True,
        "forceDestroy": False,
        "tags": {**TAGS, "Name": GLOBAL_ID},
    }
    assert global_cluster.protect


def test_writer_cluster_joins_the_global_database_with_every_safety_setting(record):
    stack = build_primary(record)
    cluster = only(stack, CLUSTER)
    c = cluster.plain_inputs
    assert c["globalClusterIdentifier"] == only(stack, GLOBAL).id
    assert (c["engine"], c["engineVersion"]) == ("aurora-postgresql", "16.6")
    assert (c["databaseName"], c["masterUsername"]) == ("erlmcp", "erlmcp")
    assert "manageMasterUserPassword" not in c
    assert (c["storageEncrypted"], c["kmsKeyId"]) == (True, PRIMARY_KEY)
    assert c["deletionProtection"] is True
    assert c["skipFinalSnapshot"] is False
    assert c["finalSnapshotIdentifier"] == "erlmcp-prod-us-east-1-final"
    assert c["copyTagsToSnapshot"] is True
    assert c["backupRetentionPeriod"] == 30
    assert c["preferredBackupWindow"] == "02:00-02:30"
    assert c["preferredMaintenanceWindow"] == "sun:04:00-sun:05:00"
    assert c["iamDatabaseAuthenticationEnabled"] is True
    assert c["enabledCloudwatchLogsExports"] == ["postgresql"]
    assert c["applyImmediately"] is False
    assert c["port"] == 5432
    assert c["tags"] == {**TAGS, "Name": "erlmcp-prod-us-east-1"}
    assert cluster.protect
    # Upgrades go through the Global Database, which upgrades its members.
    assert cluster.ignore_changes == ["engineVersion", "replicationSourceIdentifier"]


def test_writer_cluster_uses_its_own_subnets_group_and_parameters(record):
    stack = build_primary(record)
    c = only(stack, CLUSTER).plain_inputs
    assert c["dbSubnetGroupName"] == only(stack, SUBNET_GROUP).outputs["name"]
    assert c["vpcSecurityGroupIds"] == [only(stack, SECURITY_GROUP).id]
    assert c["dbClusterParameterGroupName"] == only(stack, PARAMS).outputs["name"]
    assert only(stack, SUBNET_GROUP).plain_inputs["subnetIds"] == [
        f"subnet-{PRIMARY_REGION}-{zone}" for zone in "abc"
    ]


def test_the_component_itself_hands_the_master_password_over_as_a_secret(record, handed_to):
    handed = handed_to(aws.rds.Cluster, "master_password")
    build_primary(record)  # PASSWORD goes in as a plain string
    [password] = [p for p in handed if p is not None]  # the writer cluster's
    assert is_secret_output(password)


def test_master_password_stays_secret_everywhere(record):
    stack = build_primary(record)
    password = only(stack, CLUSTER).inputs["masterPassword"]
    assert is_secret(password)
    assert password["value"] == PASSWORD
    for resource in stack.resources:
        visible = {k: v for k, v in resource.inputs.items() if not is_secret(v)}
        assert PASSWORD not in json.dumps(visible), resource.urn


def test_primary_has_a_private_writer_and_reader_with_encrypted_insights(record):
    stack = build_primary(record)
    cluster = only(stack, CLUSTER)
    instances = sorted(stack.of_type(INSTANCE), key=lambda r: r.name)
    assert [i.name for i in instances] == [f"{PRIMARY_NAME}-instance-{slot}" for slot in (0, 1)]
    for slot, instance in enumerate(instances):
        i = instance.plain_inputs
        assert i["clusterIdentifier"] == cluster.id
        assert i["engine"] == "aurora-postgresql"
        assert i["instanceClass"] == "db.r6g.large"
        assert i["publiclyAccessible"] is False
        assert i["autoMinorVersionUpgrade"] is False  # minors move through config
        assert i["performanceInsightsEnabled"] is True
        assert i["performanceInsightsKmsKeyId"] == PRIMARY_KEY
        assert i["performanceInsightsRetentionPeriod"] == 7
        assert i["dbSubnetGroupName"] == only(stack, SUBNET_GROUP).outputs["name"]
        assert i["promotionTier"] == slot
        assert i["tags"] == {**TAGS, "Name": f"{PRIMARY_NAME}-instance-{slot}"}
        # Losing the writer is an outage: instances are protected like the cluster.
        assert instance.protect
        assert "engineVersion" not in i


def test_instance_count_is_configurable(record):
    assert len(build_primary(record, instances=3).of_type(INSTANCE)) == 3
    assert len(build_secondary(record, instances=2).of_type(INSTANCE)) == 2


def test_given_zones_spread_the_instances(record):
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    stack = build_primary(
        record,
        instances=4,
        placement=placement(PRIMARY_REGION, PRIMARY_KEY, availability_zones=zones),
    )
    by_slot = {r.name: r.plain_inputs["availabilityZone"] for r in stack.of_type(INSTANCE)}
    assert by_slot == {
        f"{PRIMARY_NAME}-instance-0": "us-east-1a",
        f"{PRIMARY_NAME}-instance-1": "us-east-1b",
        f"{PRIMARY_NAME}-instance-2": "us-east-1c",
        f"{PRIMARY_NAME}-instance-3": "us-east-1a",
    }


def test_without_zones_rds_places_the_instances(record):
    for instance in build_primary(record).of_type(INSTANCE):
        assert "availabilityZone" not in instance.inputs


def test_cluster_parameters_force_tls_and_log(record):
    params = only(build_primary(record), PARAMS)
    p = params.plain_inputs
    assert p["family"] == "aurora-postgresql16"
    assert p["region"] == PRIMARY_REGION
    assert "name" not in p  # auto-named so a family change can create before delete
    values = {entry["name"]: entry["value"] for entry in p["parameters"]}
    assert values["rds.force_ssl"] == "1"
    assert values["log_min_duration_statement"] == "500"
    assert values["log_connections"] == "1"


@pytest.mark.parametrize("build", [build_primary, build_secondary])
def test_port_is_open_only_to_labelled_clients_and_nothing_leaves(record, build):
    stack = build(record)
    region = PRIMARY_REGION if build is build_primary else STANDBY_REGION
    [rule] = stack.of_type(INGRESS)
    r = rule.plain_inputs
    assert r["referencedSecurityGroupId"] == f"sg-eks-{region}"
    assert (r["ipProtocol"], r["fromPort"], r["toPort"]) == ("tcp", 5432, 5432)
    assert r["securityGroupId"] == only(stack, SECURITY_GROUP).id
    assert "cidrIpv4" not in r
    assert not stack.of_type(EGRESS)
    assert "egress" not in only(stack, SECURITY_GROUP).inputs


# -- the secondary -------------------------------------------------------------------------------


def test_secondary_lives_in_the_standby_region_with_its_key_and_no_credentials(record):
    stack = build_secondary(record)
    cluster = only(stack, CLUSTER)
    c = cluster.plain_inputs
    assert cluster.region == STANDBY_REGION
    assert c["globalClusterIdentifier"] == GLOBAL_ID
    assert (c["storageEncrypted"], c["kmsKeyId"]) == (True, STANDBY_KEY)
    assert not {"masterUsername", "masterPassword", "databaseName"} & c.keys()
    assert (c["engine"], c["engineVersion"]) == ("aurora-postgresql", "16.6")
    assert c["deletionProtection"] is True
    assert c["skipFinalSnapshot"] is False
    assert c["finalSnapshotIdentifier"] == "erlmcp-prod-us-east-1-secondary-final"
    assert c["backupRetentionPeriod"] == 30
    assert c["iamDatabaseAuthenticationEnabled"] is True
    assert c["enabledCloudwatchLogsExports"] == ["postgresql"]
    assert c["dbClusterParameterGroupName"] == only(stack, PARAMS).outputs["name"]
    assert only(stack, PARAMS).plain_inputs["family"] == "aurora-postgresql16"
    assert c["dbSubnetGroupName"] == only(stack, SUBNET_GROUP).outputs["name"]
    assert cluster.protect
    assert set(cluster.ignore_changes) == {"replicationSourceIdentifier", "engineVersion"}
    assert not stack.of_type(GLOBAL)


def test_secondary_instances_use_the_standby_key(record):
    stack = build_secondary(record)
    [instance] = stack.of_type(INSTANCE)
    assert instance.name == f"{SECONDARY_NAME}-instance-0"
    assert instance.region == STANDBY_REGION
    assert instance.plain_inputs["performanceInsightsKmsKeyId"] == STANDBY_KEY
    assert instance.plain_inputs["publiclyAccessible"] is False


def test_secondary_windows_are_aws_chosen_unless_given(record):
    unset = only(build_secondary(record), CLUSTER).plain_inputs
    assert not {"preferredBackupWindow", "preferredMaintenanceWindow"} & unset.keys()
    given = only(
        build_secondary(
            record, backup_window="03:00-03:30", maintenance_window="mon:04:00-mon:05:00"
        ),
        CLUSTER,
    ).plain_inputs
    assert given["preferredBackupWindow"] == "03:00-03:30"
    assert given["preferredMaintenanceWindow"] == "mon:04:00-mon:05:00"


def test_secondary_waits_for_the_writer_and_its_instances(record):
    def program() -> None:
        primary = AuroraGlobalPrimary(PRIMARY_NAME, primary_args())
        AuroraGlobalSecondary(
            SECONDARY_NAME,
            secondary_args(global_cluster_identifier=primary.global_cluster_id),
            opts=pulumi.ResourceOptions(depends_on=[primary]),
        )

    stack = record(program)
    writer_side = {
        r.urn
        for r in stack.of_type(CLUSTER) + stack.of_type(INSTANCE)
        if r.region == PRIMARY_REGION
    }
    [secondary] = [r for r in stack.of_type(CLUSTER) if r.region == STANDBY_REGION]
    assert writer_side <= set(secondary.dependencies)
    global_cluster = only(stack, GLOBAL)
    assert secondary.plain_inputs["globalClusterIdentifier"] == global_cluster.id
    # Each cluster gets its own region's key.
    [writer] = [r for r in stack.of_type(CLUSTER) if r.region == PRIMARY_REGION]
    assert (writer.plain_inputs["kmsKeyId"], secondary.plain_inputs["kmsKeyId"]) == (
        PRIMARY_KEY,
        STANDBY_KEY,
    )


def test_promotion_detaches_the_secondary_in_place(record):
    standing = build_secondary(record)
    promoted = build_secondary(record, promoted=True)
    assert standing.urns() == promoted.urns()
    before, after = only(standing, CLUSTER), only(promoted, CLUSTER)
    assert before.urn == after.urn
    assert before.inputs["clusterIdentifier"] == after.inputs["clusterIdentifier"]
    assert "globalClusterIdentifier" not in after.inputs
    changed = {
        k
        for k in before.inputs.keys() | after.inputs.keys()
        if before.inputs.get(k) != after.inputs.get(k)
    }
    assert changed == {"globalClusterIdentifier"}
    assert after.protect and after.plain_inputs["deletionProtection"] is True
    assert after.plain_inputs["skipFinalSnapshot"] is False
    # Nothing else in the component changes either.
    for resource in standing.resources:
        if resource.type != CLUSTER:
            assert promoted.by_urn()[resource.urn].inputs == resource.inputs, resource.urn


def test_a_promoted_cluster_can_head_a_new_global_database(record):
    # Failback: a new Global Database is built from the promoted cluster, which AWS then makes
    # its member from outside; the cluster must not detach itself again on the next update.
    promoted = build_secondary(record, promoted=True)
    heading = build_secondary(
        record, promoted=True, heads_global_cluster="erlmcp-prod-us-east-1-g2-resync"
    )
    cluster = only(heading, CLUSTER)
    assert cluster.inputs == only(promoted, CLUSTER).inputs
    assert "globalClusterIdentifier" in cluster.ignore_changes
    global_cluster = only(heading, "aws:rds/globalCluster:GlobalCluster")
    inputs = global_cluster.plain_inputs
    assert inputs["globalClusterIdentifier"] == "erlmcp-prod-us-east-1-g2-resync"
    assert inputs["sourceDbClusterIdentifier"] == cluster.outputs["arn"]
    # The provider refuses `engine` with a source and requires `forceDestroy` with it.
    assert "engine" not in inputs and inputs["forceDestroy"] is True
    assert inputs["deletionProtection"] is True and global_cluster.protect
    assert global_cluster.region == STANDBY_REGION
    assert set(global_cluster.ignore_changes) >= {"databaseName", "engineVersion"}


RESTORE = PointInTimeRestore(source_identifier="erlmcp-prod-us-east-1", time="2026-05-01T09:30:00Z")


def test_a_restored_cluster_is_a_new_standalone_cluster_from_the_source_at_the_time(record):
    restored = build_secondary(
        record, global_cluster_identifier=None, promoted=True, restored_from=RESTORE
    )
    cluster = only(restored, CLUSTER)
    assert cluster.plain_inputs["restoreToPointInTime"] == {
        "sourceClusterIdentifier": "erlmcp-prod-us-east-1",
        "restoreToTime": "2026-05-01T09:30:00Z",
        "restoreType": "full-copy",
    }
    assert "globalClusterIdentifier" not in cluster.inputs
    assert cluster.protect and cluster.plain_inputs["deletionProtection"] is True
    # The restore makes the cluster only: its instances are the component's, as for any.
    assert len(restored.of_type("aws:rds/clusterInstance:ClusterInstance")) == 1
    promoted = only(build_secondary(record, global_cluster_identifier=None, promoted=True), CLUSTER)
    assert {k: v for k, v in cluster.inputs.items() if k != "restoreToPointInTime"} == (
        promoted.inputs
    )
    # Its generation's Global Database is later made from it, as from a promoted cluster.
    heading = build_secondary(
        record,
        global_cluster_identifier=None,
        promoted=True,
        restored_from=RESTORE,
        heads_global_cluster="erlmcp-prod-us-east-1-g2-global",
    )
    assert only(heading, CLUSTER).inputs == cluster.inputs


def test_a_restored_cluster_joins_no_global_database():
    with pytest.raises(ValueError, match="a restored cluster is standalone"):
        secondary_args(promoted=True, restored_from=RESTORE)
    with pytest.raises(ValueError, match="a restored cluster is standalone"):
        secondary_args(global_cluster_identifier=None, restored_from=RESTORE)


def test_a_managed_failover_keeps_the_cluster_in_its_global_database(record):
    # ARC's Aurora block runs FailoverGlobalCluster: the secondary is the writer of the same
    # Global Database. The config that says so changes no input of the cluster (no detach, no
    # RemoveFromGlobalCluster), so the next update leaves the world as the failover made it.
    standing = build_secondary(record)
    switched = build_secondary(record, promoted=True, keeps_membership=True)
    assert switched.urns() == standing.urns()
    for resource in standing.resources:
        assert switched.by_urn()[resource.urn].inputs == resource.inputs, resource.urn
    assert only(switched, CLUSTER).plain_inputs["globalClusterIdentifier"]


def test_keeping_membership_is_only_for_a_cluster_promoted_inside_its_global_database():
    with pytest.raises(ValueError, match="keeps_membership"):
        secondary_args(keeps_membership=True)
    with pytest.raises(ValueError, match="keeps_membership"):
        secondary_args(global_cluster_identifier=None, promoted=True, keeps_membership=True)


def test_the_writer_ignores_the_replication_source_aws_reports_after_a_managed_failover(record):
    writer = next(r for r in build_primary(record).of_type(CLUSTER))
    assert "replicationSourceIdentifier" in writer.ignore_changes


def test_only_a_promoted_cluster_may_go_without_a_global_database_or_head_one():
    with pytest.raises(ValueError, match="needs the Global Database it joins"):
        secondary_args(global_cluster_identifier=None)
    with pytest.raises(ValueError, match="only a promoted"):
        secondary_args(heads_global_cluster="erlmcp-prod-us-east-1-g2-resync")
    assert secondary_args(global_cluster_identifier=None, promoted=True).promoted


# -- every resource ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "type_", "name", "region"),
    [
        (build_primary, PRIMARY_TYPE, PRIMARY_NAME, PRIMARY_REGION),
        (build_secondary, SECONDARY_TYPE, SECONDARY_NAME, STANDBY_REGION),
    ],
)
def test_every_child_is_regional_parented_named_and_tagged(record, build, type_, name, region):
    stack = build(record)
    assert_parented_under(stack, type_, name)
    for resource in stack.resources:
        if not resource.custom:
            continue
        assert resource.plain_inputs["region"] == region, resource.urn
        assert resource.name.startswith(f"{name}-"), resource.urn
        assert TAGS.items() <= resource.plain_inputs["tags"].items(), resource.urn


@pytest.mark.parametrize("build", [build_primary, build_secondary])
def test_stateful_resources_follow_protect(record, build):
    for resource in build(record).resources:
        assert resource.protect == (resource.type in STATEFUL), resource.urn
    for resource in build(record, protect=False).resources:
        assert not resource.protect, resource.urn


# -- outputs -------------------------------------------------------------------------------------

COMMON_OUTPUTS = (
    "cluster_arn",
    "cluster_identifier",
    "endpoint",
    "reader_endpoint",
    "address",
    "port",
    "security_group_id",
)


def expected_outputs(stack: RecordedStack, identifier: str) -> dict[str, Any]:
    cluster = only(stack, CLUSTER)
    return {
        "cluster_arn": cluster.outputs["arn"],
        "cluster_identifier": identifier,
        "endpoint": cluster.outputs["endpoint"],
        "reader_endpoint": cluster.outputs["readerEndpoint"],
        "address": cluster.outputs["endpoint"],
        "port": 5432,
        "security_group_id": only(stack, SECURITY_GROUP).id,
    }


def test_primary_outputs_come_from_its_cluster_and_global_database(record):
    def program() -> None:
        built = AuroraGlobalPrimary(PRIMARY_NAME, primary_args())
        for attribute in (*COMMON_OUTPUTS, "global_cluster_id", "global_endpoint"):
            pulumi.export(attribute, getattr(built, attribute))

    stack = record(program)
    global_cluster = only(stack, GLOBAL)
    assert stack.outputs == {
        **expected_outputs(stack, "erlmcp-prod-us-east-1"),
        "global_cluster_id": global_cluster.id,
        "global_endpoint": global_cluster.outputs["endpoint"],
    }
    assert stack.outputs["address"].endswith(f".{PRIMARY_REGION}.rds.amazonaws.com")


def test_secondary_outputs_come_from_its_cluster(record):
    def program() -> None:
        built = AuroraGlobalSecondary(SECONDARY_NAME, secondary_args())
        for attribute in COMMON_OUTPUTS:
            pulumi.export(attribute, getattr(built, attribute))

    stack = record(program)
    assert stack.outputs == expected_outputs(stack, "erlmcp-prod-us-east-1-secondary")
    assert stack.outputs["reader_endpoint"].endswith(f".{STANDBY_REGION}.rds.amazonaws.com")


# -- versions ----------------------------------------------------------------------------------


class _UpgradedByAws(RealisticMocks):
    """AWS moved the Global Database to 16.8 (a forced minor upgrade) after the config's 16.6."""

    def new_resource(self, args):
        resource_id, state = super().new_resource(args)
        if args.typ == GLOBAL:
            state["engineVersionActual"] = "16.8"
        return resource_id, state


def test_a_new_secondary_joins_at_the_global_databases_actual_version(record):
    def build():
        primary = AuroraGlobalPrimary(PRIMARY_NAME, primary_args())
        AuroraGlobalSecondary(
            SECONDARY_NAME,
            secondary_args(
                global_cluster_identifier=primary.global_cluster_id,
                joins_at_version=primary.global_engine_version,
            ),
        )

    stack = record(build, monitor=RecordingMonitor(_UpgradedByAws()))
    [_, secondary] = sorted(
        stack.of_type(CLUSTER), key=lambda c: c.name != PRIMARY_NAME + "-cluster"
    )
    assert secondary.plain_inputs["engineVersion"] == "16.8"  # not the config's 16.6
    # Its parameter group family still follows the configured major version.
    families = {p.plain_inputs["family"] for p in stack.of_type(PARAMS)}
    assert families == {"aurora-postgresql16"}


def test_without_the_actual_version_a_secondary_joins_at_the_configured_one(record):
    cluster = only(build_secondary(record), CLUSTER)
    assert cluster.plain_inputs["engineVersion"] == "16.6"


def test_in_prod_every_secondary_takes_its_version_from_what_it_joins(prod_stack, dr_stage_stack):
    for stack, region in (
        (prod_stack, "us-west-2"),
        (dr_stage_stack("us-east-1", "resync"), "us-east-1"),
    ):
        by_urn = stack.by_urn()
        secondaries = [
            c
            for c in stack.of_type(CLUSTER)
            if c.region == region
            and "globalClusterIdentifier" in c.inputs
            and "masterUsername" not in c.inputs
        ]
        assert secondaries
        for cluster in secondaries:
            sources = {by_urn[u].type for u in cluster.property_dependencies["engineVersion"]}
            assert sources & {GLOBAL, CLUSTER}, cluster.urn
