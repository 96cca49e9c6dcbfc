"""PostgresPrimary and PostgresReplica: what they create and the settings that keep data safe."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.postgres import (
    PointInTimeRestore,
    PostgresPrimary,
    PostgresPrimaryArgs,
    PostgresReplica,
    PostgresReplicaArgs,
    postgres_family,
)
from offline.recorder import RecordedResource, RecordedStack, is_secret
from tests.conftest import assert_parented_under, is_secret_output

PRIMARY_REGION = "us-east-1"
STANDBY_REGION = "us-west-2"
PRIMARY_KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-4111-8111-111111111111"
STANDBY_KEY = "arn:aws:kms:us-west-2:123456789012:key/22222222-2222-4222-8222-222222222222"
SOURCE_ARN = "arn:aws:rds:us-east-1:123456789012:db:erlmcp-prod-us-east-1"
PASSWORD = "correct-horse-battery-staple-0123456789"
EKS_SG = "sg-0eks0000000000001"
BASTION_SG = "sg-0bastion00000002"

INSTANCE = "aws:rds/instance:Instance"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
PRIMARY_TYPE = "erlmcp:components:PostgresPrimary"
REPLICA_TYPE = "erlmcp:components:PostgresReplica"

PRIMARY_NAME = f"{PRIMARY_REGION}-postgres"
REPLICA_NAME = f"{STANDBY_REGION}-standby-of-{PRIMARY_REGION}-postgres"


def primary_args(**overrides: Any) -> PostgresPrimaryArgs:
    args = PostgresPrimaryArgs(
        region=PRIMARY_REGION,
        identifier="erlmcp-prod-us-east-1",
        vpc_id="vpc-0primary",
        subnet_ids=["subnet-a", "subnet-b", "subnet-c"],
        client_security_group_ids={"eks-cluster": EKS_SG},
        kms_key_arn=PRIMARY_KEY,
        engine_version="16.4",
        instance_class="db.r6g.xlarge",
        allocated_storage_gb=100,
        max_allocated_storage_gb=1000,
        database_name="erlmcp",
        username="erlmcp",
        password=PASSWORD,
        backup_retention_days=30,
        backup_window="02:00-02:30",
        maintenance_window="sun:04:00-sun:05:00",
        tags={"project": "erlmcp", "environment": "prod"},
    )
    return dataclasses.replace(args, **overrides)


def replica_args(**overrides: Any) -> PostgresReplicaArgs:
    args = PostgresReplicaArgs(
        region=STANDBY_REGION,
        source_instance_arn=SOURCE_ARN,
        identifier="erlmcp-prod-us-east-1-replica",
        vpc_id="vpc-0standby",
        subnet_ids=["subnet-x", "subnet-y", "subnet-z"],
        client_security_group_ids={"eks-cluster": EKS_SG},
        kms_key_arn=STANDBY_KEY,
        engine_version="16.4",
        instance_class="db.r6g.xlarge",
        backup_retention_days=7,
        tags={"project": "erlmcp", "environment": "prod"},
    )
    return dataclasses.replace(args, **overrides)


def build_primary(record, name: str = PRIMARY_NAME, **overrides: Any) -> RecordedStack:
    return record(lambda: PostgresPrimary(name, primary_args(**overrides)))


def build_replica(record, name: str = REPLICA_NAME, **overrides: Any) -> RecordedStack:
    return record(lambda: PostgresReplica(name, replica_args(**overrides)))


def db(stack: RecordedStack) -> RecordedResource:
    (instance,) = stack.of_type(INSTANCE)
    return instance


def without_secrets(value: Any) -> Any:
    if is_secret(value):
        return "<secret>"
    if isinstance(value, dict):
        return {k: without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


# -- what gets created ----------------------------------------------------------------------------


def test_primary_creates_network_parameters_and_instance(record) -> None:
    stack = build_primary(record)
    custom = sorted((r.type, r.name) for r in stack.resources if r.custom)
    assert custom == sorted(
        [
            (SUBNET_GROUP, f"{PRIMARY_NAME}-subnets"),
            (SECURITY_GROUP, f"{PRIMARY_NAME}-sg"),
            (INGRESS, f"{PRIMARY_NAME}-from-eks-cluster"),
            (PARAMETER_GROUP, f"{PRIMARY_NAME}-params"),
            (INSTANCE, f"{PRIMARY_NAME}-db"),
        ]
    )


def test_replica_creates_its_own_network_and_parameters(record) -> None:
    stack = build_replica(record)
    custom = sorted((r.type, r.name) for r in stack.resources if r.custom)
    assert custom == sorted(
        [
            (SUBNET_GROUP, f"{REPLICA_NAME}-subnets"),
            (SECURITY_GROUP, f"{REPLICA_NAME}-sg"),
            (INGRESS, f"{REPLICA_NAME}-from-eks-cluster"),
            (PARAMETER_GROUP, f"{REPLICA_NAME}-params"),
            (INSTANCE, f"{REPLICA_NAME}-db"),
        ]
    )


@pytest.mark.parametrize(
    ("build", "component_type", "name"),
    [(build_primary, PRIMARY_TYPE, PRIMARY_NAME), (build_replica, REPLICA_TYPE, REPLICA_NAME)],
)
def test_everything_is_parented_under_the_component(record, build, component_type, name) -> None:
    stack = build(record)
    component = assert_parented_under(stack, component_type, name)
    assert {r.parent for r in stack.resources if r.custom} == {component.urn}


@pytest.mark.parametrize(
    ("build", "region"), [(build_primary, PRIMARY_REGION), (build_replica, STANDBY_REGION)]
)
def test_every_resource_is_placed_in_the_given_region(record, build, region) -> None:
    stack = build(record)
    custom = [r for r in stack.resources if r.custom]
    assert custom
    assert {r.name: r.region for r in custom} == {r.name: region for r in custom}


def test_region_comes_from_args_not_from_a_default(record) -> None:
    stack = build_primary(record, name="eu-west-1-postgres", region="eu-west-1")
    assert {r.region for r in stack.resources if r.custom} == {"eu-west-1"}
    assert db(stack).outputs["address"].endswith(".eu-west-1.rds.amazonaws.com")


# -- primary instance settings ----------------------------------------------------------------


def test_primary_is_encrypted_with_the_given_key(record) -> None:
    inputs = db(build_primary(record)).plain_inputs
    assert inputs["storageEncrypted"] is True
    assert inputs["kmsKeyId"] == PRIMARY_KEY
    assert inputs["performanceInsightsEnabled"] is True
    assert inputs["performanceInsightsKmsKeyId"] == PRIMARY_KEY


def test_primary_without_performance_insights_sends_no_insights_key(record) -> None:
    inputs = db(build_primary(record, performance_insights=False)).plain_inputs
    assert inputs["performanceInsightsEnabled"] is False
    assert "performanceInsightsKmsKeyId" not in inputs
    assert inputs["kmsKeyId"] == PRIMARY_KEY


def test_primary_is_deletion_protected_and_takes_a_final_snapshot(record) -> None:
    inputs = db(build_primary(record)).plain_inputs
    assert inputs["deletionProtection"] is True
    assert inputs["skipFinalSnapshot"] is False
    assert inputs["finalSnapshotIdentifier"] == "erlmcp-prod-us-east-1-final"
    assert inputs["copyTagsToSnapshot"] is True
    assert inputs["deleteAutomatedBackups"] is False


def test_primary_engine_storage_and_backup_settings(record) -> None:
    inputs = db(build_primary(record)).plain_inputs
    expected = {
        "engine": "postgres",
        "engineVersion": "16.4",
        "instanceClass": "db.r6g.xlarge",
        "allocatedStorage": 100,
        "maxAllocatedStorage": 1000,
        "storageType": "gp3",
        "dbName": "erlmcp",
        "username": "erlmcp",
        "port": 5432,
        "multiAz": True,
        "backupRetentionPeriod": 30,
        "backupWindow": "02:00-02:30",
        "maintenanceWindow": "sun:04:00-sun:05:00",
        "autoMinorVersionUpgrade": False,  # VERSION_POLICY: minors move through config
        "applyImmediately": False,
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
    }
    assert {key: inputs.get(key) for key in expected} == expected


def test_primary_is_private_and_uses_iam_authentication(record) -> None:
    inputs = db(build_primary(record)).plain_inputs
    assert inputs["publiclyAccessible"] is False
    assert inputs["iamDatabaseAuthenticationEnabled"] is True


def test_primary_multi_az_can_be_turned_off(record) -> None:
    assert db(build_primary(record, multi_az=False)).plain_inputs["multiAz"] is False


def test_identifier_comes_from_args_so_a_pulumi_rename_keeps_it(record) -> None:
    first = db(build_primary(record, name="us-east-1-postgres"))
    renamed = db(build_primary(record, name="us-east-1-database"))
    assert first.urn != renamed.urn
    assert first.plain_inputs["identifier"] == renamed.plain_inputs["identifier"]
    assert first.plain_inputs["identifier"] == "erlmcp-prod-us-east-1"


def test_primary_password_stays_secret(record) -> None:
    stack = build_primary(record)
    assert is_secret(db(stack).inputs["password"])
    assert db(stack).plain_inputs["password"] == PASSWORD
    for resource in stack.resources:
        assert PASSWORD not in json.dumps(without_secrets(resource.inputs)), resource.name


def test_the_component_itself_hands_the_password_over_as_a_secret(record, handed_to) -> None:
    handed = handed_to(aws.rds.Instance, "password")
    build_primary(record)  # PASSWORD goes in as a plain string
    [password] = handed
    assert is_secret_output(password)


def test_primary_password_given_as_secret_output_stays_secret(record) -> None:
    stack = build_primary(record, password=pulumi.Output.secret(PASSWORD))
    assert is_secret(db(stack).inputs["password"])


def test_instances_are_tagged_with_their_identifier(record) -> None:
    tags = db(build_primary(record)).plain_inputs["tags"]
    assert tags == {"project": "erlmcp", "environment": "prod", "Name": "erlmcp-prod-us-east-1"}


def test_every_resource_carries_the_given_tags(record) -> None:
    stack = build_primary(record)
    for resource in (r for r in stack.resources if r.custom):
        tags = resource.plain_inputs["tags"]
        assert tags["project"] == "erlmcp", resource.name
        assert tags["Name"], resource.name


# -- protect ------------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [build_primary, build_replica])
def test_instances_are_protected_by_default(record, build) -> None:
    assert db(build(record)).protect is True


@pytest.mark.parametrize("build", [build_primary, build_replica])
def test_protect_can_be_turned_off_for_tests_and_teardown(record, build) -> None:
    assert db(build(record, protect=False)).protect is False


# -- parameter group -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "family"),
    [("15.7", "postgres15"), ("16.4", "postgres16"), ("17.2", "postgres17"), ("17", "postgres17")],
)
def test_family_is_derived_from_the_major_version(version, family) -> None:
    assert postgres_family(version) == family


@pytest.mark.parametrize("build", [build_primary, build_replica])
def test_parameter_group_family_follows_engine_version(record, build) -> None:
    stack = build(record, engine_version="17.2")
    (group,) = stack.of_type(PARAMETER_GROUP)
    assert group.plain_inputs["family"] == "postgres17"


@pytest.mark.parametrize("build", [build_primary, build_replica])
def test_parameter_group_forces_tls_and_logs_slow_statements(record, build) -> None:
    (group,) = build(record).of_type(PARAMETER_GROUP)
    parameters = {p["name"]: p for p in group.plain_inputs["parameters"]}
    assert parameters["rds.force_ssl"]["value"] == "1"
    assert parameters["log_min_duration_statement"]["value"] == "500"
    assert parameters["log_connections"]["value"] == "1"


def test_static_parameters_wait_for_a_reboot(record) -> None:
    (group,) = build_primary(record).of_type(PARAMETER_GROUP)
    methods = {p["name"]: p["applyMethod"] for p in group.plain_inputs["parameters"]}
    assert methods["shared_preload_libraries"] == "pending-reboot"
    assert methods["rds.force_ssl"] == "immediate"


@pytest.mark.parametrize("build", [build_primary, build_replica])
def test_instance_uses_its_own_parameter_subnet_and_security_groups(record, build) -> None:
    stack = build(record)
    (group,) = stack.of_type(PARAMETER_GROUP)
    (subnets,) = stack.of_type(SUBNET_GROUP)
    (security_group,) = stack.of_type(SECURITY_GROUP)
    instance = db(stack)
    assert instance.plain_inputs["parameterGroupName"] == group.outputs["name"]
    assert instance.plain_inputs["dbSubnetGroupName"] == subnets.outputs["name"]
    assert instance.plain_inputs["vpcSecurityGroupIds"] == [security_group.id]
    assert set(instance.property_dependencies["parameterGroupName"]) == {group.urn}


def test_subnet_group_uses_the_given_subnets(record) -> None:
    (subnets,) = build_replica(record).of_type(SUBNET_GROUP)
    assert subnets.plain_inputs["subnetIds"] == ["subnet-x", "subnet-y", "subnet-z"]


# -- security group ------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [build_primary, build_replica])
def test_port_5432_is_open_only_to_the_client_security_groups(record, build) -> None:
    stack = build(record, client_security_group_ids={"eks-cluster": EKS_SG, "bastion": BASTION_SG})
    (security_group,) = stack.of_type(SECURITY_GROUP)
    rules = stack.of_type(INGRESS)
    assert sorted(r.plain_inputs["referencedSecurityGroupId"] for r in rules) == sorted(
        [EKS_SG, BASTION_SG]
    )
    for rule in rules:
        inputs = rule.plain_inputs
        assert inputs["securityGroupId"] == security_group.id
        assert (inputs["ipProtocol"], inputs["fromPort"], inputs["toPort"]) == ("tcp", 5432, 5432)
        assert not {"cidrIpv4", "cidrIpv6", "prefixListId"} & inputs.keys()


@pytest.mark.parametrize("build", [build_primary, build_replica])
def test_security_group_has_no_inline_rules_and_no_egress(record, build) -> None:
    stack = build(record)
    (security_group,) = stack.of_type(SECURITY_GROUP)
    assert "ingress" not in security_group.plain_inputs
    assert "egress" not in security_group.plain_inputs
    assert security_group.plain_inputs["vpcId"] in {"vpc-0primary", "vpc-0standby"}
    assert stack.of_type(EGRESS) == []


def test_labelled_clients_name_rules_by_label_so_removing_one_keeps_the_other(record) -> None:
    both = build_primary(
        record, client_security_group_ids={"eks-nodes": EKS_SG, "bastion": BASTION_SG}
    )
    one = build_primary(record, client_security_group_ids={"bastion": BASTION_SG})
    names = {r.name: r.plain_inputs["referencedSecurityGroupId"] for r in both.of_type(INGRESS)}
    assert names == {
        f"{PRIMARY_NAME}-from-eks-nodes": EKS_SG,
        f"{PRIMARY_NAME}-from-bastion": BASTION_SG,
    }
    (remaining,) = one.of_type(INGRESS)
    assert (remaining.name, remaining.urn) == (
        f"{PRIMARY_NAME}-from-bastion",
        next(r.urn for r in both.of_type(INGRESS) if r.name.endswith("bastion")),
    )


def test_no_clients_means_no_ingress_at_all(record) -> None:
    assert build_primary(record, client_security_group_ids={}).of_type(INGRESS) == []


@pytest.mark.parametrize("clients", [EKS_SG, [EKS_SG]])
def test_clients_must_be_labelled(clients) -> None:
    # A list would name rules by position: removing one client would rename the others.
    with pytest.raises(ValueError, match="client_security_group_ids must map a stable label"):
        primary_args(client_security_group_ids=clients)


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["14.12", "13.4", "9.6.24"])
@pytest.mark.parametrize("make_args", [primary_args, replica_args])
def test_versions_below_15_are_rejected_naming_engine_version(make_args, version) -> None:
    with pytest.raises(ValueError, match=rf"engine_version '{version}'.*15\+"):
        make_args(engine_version=version)


@pytest.mark.parametrize("version", ["", "latest", "v16", "16.x"])
def test_malformed_versions_are_rejected(version) -> None:
    with pytest.raises(ValueError, match="engine_version"):
        primary_args(engine_version=version)


@pytest.mark.parametrize(
    "identifier", ["", "1erlmcp", "Erlmcp-prod", "erlmcp--prod", "erlmcp-", "e" * 64, "erl_mcp"]
)
@pytest.mark.parametrize("make_args", [primary_args, replica_args])
def test_invalid_identifiers_are_rejected(make_args, identifier) -> None:
    with pytest.raises(ValueError, match="identifier"):
        make_args(identifier=identifier)


@pytest.mark.parametrize("days", [0, 36])
@pytest.mark.parametrize("make_args", [primary_args, replica_args])
def test_backup_retention_must_be_1_to_35_days(make_args, days) -> None:
    with pytest.raises(ValueError, match="backup_retention_days"):
        make_args(backup_retention_days=days)


def test_storage_ceiling_below_allocation_is_rejected() -> None:
    with pytest.raises(ValueError, match="max_allocated_storage_gb"):
        primary_args(allocated_storage_gb=200, max_allocated_storage_gb=100)


# -- replica -------------------------------------------------------------------------------------


def test_replica_replicates_from_the_source_arn(record) -> None:
    inputs = db(build_replica(record)).plain_inputs
    assert inputs["replicateSourceDb"] == SOURCE_ARN
    assert inputs["identifier"] == "erlmcp-prod-us-east-1-replica"


def test_replica_sets_nothing_it_inherits_from_the_source(record) -> None:
    inputs = db(build_replica(record)).inputs
    inherited = {"username", "password", "passwordWo", "dbName", "engine", "engineVersion"}
    assert not inherited & inputs.keys()
    assert "manageMasterUserPassword" not in inputs


def test_replica_lives_in_the_standby_region_with_the_standby_key(record) -> None:
    instance = db(build_replica(record))
    inputs = instance.plain_inputs
    assert instance.region == STANDBY_REGION
    assert inputs["kmsKeyId"] == STANDBY_KEY
    assert inputs["performanceInsightsKmsKeyId"] == STANDBY_KEY
    assert inputs["storageEncrypted"] is True
    assert instance.outputs["address"].endswith(f".{STANDBY_REGION}.rds.amazonaws.com")


def test_replica_skips_the_final_snapshot_but_is_deletion_protected(record) -> None:
    inputs = db(build_replica(record)).plain_inputs
    assert inputs["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in inputs
    assert inputs["deletionProtection"] is True


RESTORE = PointInTimeRestore(source_identifier="erlmcp-prod-us-east-1", time="2026-05-01T09:30:00Z")


def test_a_restored_instance_is_a_new_standalone_primary_from_the_source_at_the_time(record):
    restored = db(
        build_replica(record, source_instance_arn=None, promoted=True, restored_from=RESTORE)
    )
    inputs = restored.plain_inputs
    assert inputs["restoreToPointInTime"] == {
        "sourceDbInstanceIdentifier": "erlmcp-prod-us-east-1",
        "restoreTime": "2026-05-01T09:30:00Z",
    }
    assert "replicateSourceDb" not in inputs
    # A primary from the start: Multi-AZ, a final snapshot, deletion-protected and protected.
    assert inputs["multiAz"] is True and inputs["skipFinalSnapshot"] is False
    assert inputs["deletionProtection"] is True and restored.protect
    # Its key is its region's, as the source's is: the restore call sends none (postgres.py).
    assert inputs["kmsKeyId"] == STANDBY_KEY
    # Apart from the block, exactly what a promoted replica sets (regions/lineage.py builds a
    # restored generation like any later one).
    promoted = db(build_replica(record, source_instance_arn=None, promoted=True)).inputs
    assert {k: v for k, v in restored.inputs.items() if k != "restoreToPointInTime"} == promoted


def test_a_restored_instance_follows_nothing():
    with pytest.raises(ValueError, match="a restored instance is standalone"):
        replica_args(restored_from=RESTORE)
    with pytest.raises(ValueError, match="a restored instance is standalone"):
        replica_args(promoted=True, restored_from=RESTORE)


def test_replica_keeps_backups_so_a_promoted_replica_has_them(record) -> None:
    assert db(build_replica(record)).plain_inputs["backupRetentionPeriod"] == 7


def test_replica_is_private_single_az_by_default_and_iam_authenticated(record) -> None:
    inputs = db(build_replica(record)).plain_inputs
    assert inputs["publiclyAccessible"] is False
    assert inputs["multiAz"] is False
    assert inputs["iamDatabaseAuthenticationEnabled"] is True
    assert inputs["storageType"] == "gp3"
    assert inputs["port"] == 5432


def test_replica_storage_autoscaling_only_when_asked(record) -> None:
    assert "maxAllocatedStorage" not in db(build_replica(record)).plain_inputs
    scaled = db(build_replica(record, max_allocated_storage_gb=2000)).plain_inputs
    assert scaled["maxAllocatedStorage"] == 2000


def test_replica_of_a_primary_in_another_region_depends_on_it(record) -> None:
    def program() -> None:
        primary = PostgresPrimary(PRIMARY_NAME, primary_args())
        PostgresReplica(REPLICA_NAME, replica_args(source_instance_arn=primary.instance_arn))

    stack = record(program)
    primary_db = stack.one(INSTANCE, f"{PRIMARY_NAME}-db")
    replica_db = stack.one(INSTANCE, f"{REPLICA_NAME}-db")
    assert replica_db.plain_inputs["replicateSourceDb"] == primary_db.outputs["arn"]
    assert replica_db.property_dependencies["replicateSourceDb"] == [primary_db.urn]
    assert (primary_db.region, replica_db.region) == (PRIMARY_REGION, STANDBY_REGION)
    assert primary_db.plain_inputs["kmsKeyId"] != replica_db.plain_inputs["kmsKeyId"]


# -- outputs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("component", "make_args"), [(PostgresPrimary, primary_args), (PostgresReplica, replica_args)]
)
def test_outputs_come_from_the_instance_and_security_group(record, component, make_args) -> None:
    def program() -> None:
        built = component("db-under-test", make_args())
        for attribute in (
            "instance_arn",
            "instance_identifier",
            "address",
            "endpoint",
            "port",
            "security_group_id",
        ):
            pulumi.export(attribute, getattr(built, attribute))

    stack = record(program)
    instance = db(stack)
    (security_group,) = stack.of_type(SECURITY_GROUP)
    assert stack.outputs == {
        "instance_arn": instance.outputs["arn"],
        "instance_identifier": make_args().identifier,
        "address": instance.outputs["address"],
        "endpoint": instance.outputs["endpoint"],
        "port": 5432,
        "security_group_id": security_group.id,
    }


def test_promotion_keeps_the_instance_and_stops_following_the_source(record) -> None:
    standing = build_replica(record)
    promoted = build_replica(record, promoted=True)
    [before] = standing.of_type(INSTANCE)
    [after] = promoted.of_type(INSTANCE)
    assert standing.urns() == promoted.urns()
    assert before.inputs["identifier"] == after.inputs["identifier"]
    assert "replicateSourceDb" not in after.inputs
    # A promoted replica is a primary: it keeps a final snapshot if ever deleted.
    assert after.inputs["skipFinalSnapshot"] is False
    assert after.inputs["finalSnapshotIdentifier"] == f"{before.inputs['identifier']}-final"
    changed = {
        k
        for k in before.inputs.keys() | after.inputs.keys()
        if before.inputs.get(k) != after.inputs.get(k)
    }
    assert changed == {
        "replicateSourceDb",
        "skipFinalSnapshot",
        "finalSnapshotIdentifier",
        "engine",
        "multiAz",
        "applyImmediately",
    }
    assert (after.inputs["engine"], after.inputs["multiAz"]) == ("postgres", True)
    # Multi-AZ now, not in the next maintenance window; a replica waits for the window.
    assert (before.inputs["applyImmediately"], after.inputs["applyImmediately"]) == (False, True)
    assert after.protect is True


def test_only_a_promoted_replica_may_have_no_source():
    with pytest.raises(ValueError, match="needs the ARN of the instance it follows"):
        replica_args(source_instance_arn=None)
    assert replica_args(source_instance_arn=None, promoted=True).promoted
