"""RedisCache and RedisGlobalDatastore: what they create, where, and how it is protected."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.redis import (
    RedisCache,
    RedisCacheArgs,
    RedisGlobalDatastore,
    RedisGlobalDatastoreArgs,
)
from offline.recorder import RecordedResource, RecordedStack, is_secret
from tests.conftest import assert_parented_under, is_secret_output

RG = "aws:elasticache/replicationGroup:ReplicationGroup"
GRG = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
PARAMS = "aws:elasticache/parameterGroup:ParameterGroup"
SUBNETS = "aws:elasticache/subnetGroup:SubnetGroup"
CACHE_TYPE = "erlmcp:components:RedisCache"
DATASTORE_TYPE = "erlmcp:components:RedisGlobalDatastore"

KEY_EAST = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555"
KEY_WEST = "arn:aws:kms:us-west-2:123456789012:key/66666666-7777-4888-8999-000000000000"
TOKEN = "a-very-long-auth-token-of-sixty-four-characters-0123456789abcdefgh"
GLOBAL_ID = "ldgnf-erlmcp-test-us-east-1"

# Fields whose value the Global Datastore dictates to a secondary (provider ConflictsWith).
DICTATED_BY_DATASTORE = (
    "engine",
    "engineVersion",
    "nodeType",
    "parameterGroupName",
    "atRestEncryptionEnabled",
    "transitEncryptionEnabled",
    "transitEncryptionMode",
    "numNodeGroups",
    "securityGroupNames",
    "snapshotArns",
    "snapshotName",
)


def cache_args(region: str = "us-east-1", **overrides: Any) -> RedisCacheArgs:
    values: dict[str, Any] = {
        "region": region,
        "replication_group_id": f"erlmcp-test-{region}",
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": ["subnet-a", "subnet-b", "subnet-c"],
        "client_security_group_ids": {"eks-cluster": "sg-0eks0000000000001"},
        "kms_key_arn": KEY_EAST if region == "us-east-1" else KEY_WEST,
        "node_type": "cache.r7g.large",
        "engine_version": "7.1",
        "maintenance_window": "sun:05:00-sun:06:00",
        "auth_token": pulumi.Output.secret(TOKEN),
        "tags": {"project": "erlmcp"},
    }
    values.update(overrides)
    return RedisCacheArgs(**values)


def build_primary(record, **overrides: Any) -> RecordedStack:
    return record(lambda: RedisCache("us-east-1-redis", cache_args(**overrides)))


def build_secondary(record, **overrides: Any) -> RecordedStack:
    args = cache_args(
        "us-west-2",
        replication_group_id="erlmcp-test-us-east-1-dr",
        global_replication_group_id=GLOBAL_ID,
        **overrides,
    )
    return record(lambda: RedisCache("us-west-2-standby-of-us-east-1-redis", args))


def group_of(stack: RecordedStack) -> RecordedResource:
    [group] = stack.of_type(RG)
    return group


@pytest.fixture
def primary(record) -> RecordedStack:
    return build_primary(record)


@pytest.fixture
def secondary(record) -> RecordedStack:
    return build_secondary(record)


def build_pair(record) -> RecordedStack:
    """Primary, datastore and secondary wired together the way a caller does it."""

    def program() -> None:
        cache = RedisCache("us-east-1-redis", cache_args())
        datastore = RedisGlobalDatastore(
            "us-east-1-redis-global",
            RedisGlobalDatastoreArgs(
                region="us-east-1",
                global_replication_group_id_suffix="erlmcp-test-us-east-1",
                primary_replication_group_id=cache.replication_group_id,
                description="erlmcp test cache of us-east-1",
            ),
        )
        RedisCache(
            "us-west-2-standby-of-us-east-1-redis",
            cache_args(
                "us-west-2",
                replication_group_id="erlmcp-test-us-east-1-dr",
                global_replication_group_id=datastore.global_replication_group_id,
            ),
        )

    return record(program)


# -- primary ------------------------------------------------------------------------------


def test_primary_encrypts_at_rest_with_the_given_key_and_in_transit(primary):
    inputs = group_of(primary).plain_inputs
    assert inputs["atRestEncryptionEnabled"] is True
    assert inputs["transitEncryptionEnabled"] is True
    assert inputs["kmsKeyId"] == KEY_EAST


def test_auth_token_is_recorded_only_as_a_secret(primary):
    token = group_of(primary).inputs["authToken"]
    assert is_secret(token)
    assert token["value"] == TOKEN


def test_auth_token_given_as_plain_text_is_still_kept_secret(record):
    stack = build_primary(record, auth_token=TOKEN)
    assert is_secret(group_of(stack).inputs["authToken"])


def test_the_component_itself_hands_the_token_over_as_a_secret(record, handed_to):
    handed = handed_to(aws.elasticache.ReplicationGroup, "auth_token")
    build_primary(record, auth_token=TOKEN)
    [token] = handed
    assert is_secret_output(token)


def test_auth_token_update_strategy_defaults_to_rotate(primary):
    assert group_of(primary).plain_inputs["authTokenUpdateStrategy"] == "ROTATE"


def test_auth_token_update_strategy_set_is_passed_through(record):
    stack = build_primary(record, auth_token_update_strategy="SET")
    assert group_of(stack).plain_inputs["authTokenUpdateStrategy"] == "SET"


def test_unknown_auth_token_update_strategy_is_refused():
    with pytest.raises(ValueError, match="auth_token_update_strategy"):
        cache_args(auth_token_update_strategy="DELETE")


def test_primary_fails_over_automatically_across_availability_zones(primary):
    inputs = group_of(primary).plain_inputs
    assert inputs["automaticFailoverEnabled"] is True
    assert inputs["multiAzEnabled"] is True
    assert inputs["numCacheClusters"] == 2


def test_primary_states_engine_version_node_type_and_owned_parameter_group(primary):
    inputs = group_of(primary).plain_inputs
    [params] = primary.of_type(PARAMS)
    assert inputs["engine"] == "redis"
    assert inputs["engineVersion"] == "7.1"
    assert inputs["nodeType"] == "cache.r7g.large"
    assert params.plain_inputs["family"] == "redis7"
    assert inputs["parameterGroupName"] == params.outputs["name"]


def test_backups_maintenance_and_changes_wait_for_the_window(primary):
    inputs = group_of(primary).plain_inputs
    assert inputs["snapshotRetentionLimit"] == 7
    assert inputs["snapshotWindow"] == "03:00-04:00"
    assert inputs["maintenanceWindow"] == "sun:05:00-sun:06:00"
    assert inputs["applyImmediately"] is False
    assert inputs["finalSnapshotIdentifier"] == "erlmcp-test-us-east-1-final"


def test_group_uses_its_own_subnet_group_and_security_group(primary):
    inputs = group_of(primary).plain_inputs
    [subnets] = primary.of_type(SUBNETS)
    [group] = primary.of_type(SG)
    assert subnets.plain_inputs["subnetIds"] == ["subnet-a", "subnet-b", "subnet-c"]
    assert inputs["subnetGroupName"] == subnets.outputs["name"]
    assert inputs["securityGroupIds"] == [group.id]
    assert inputs["port"] == 6379


def test_outputs_expose_endpoints_port_and_security_group(record):
    seen: dict[str, Any] = {}

    def program() -> None:
        cache = RedisCache("us-east-1-redis", cache_args())
        pulumi.Output.all(
            cache.replication_group_id,
            cache.arn,
            cache.primary_endpoint_address,
            cache.reader_endpoint_address,
            cache.port,
            cache.security_group_id,
        ).apply(lambda values: seen.update(values=values))

    stack = record(program)
    group_id, arn, primary_host, reader_host, port, sg_id = seen["values"]
    assert group_id == "erlmcp-test-us-east-1"
    assert arn.endswith(":replicationgroup:erlmcp-test-us-east-1")
    assert primary_host.startswith("master.erlmcp-test-us-east-1.")
    assert reader_host.startswith("replica.erlmcp-test-us-east-1.")
    assert port == 6379
    assert sg_id == stack.one(SG, "us-east-1-redis-sg").id


def test_replication_group_is_tagged_with_its_name(primary):
    tags = group_of(primary).plain_inputs["tags"]
    assert tags == {"project": "erlmcp", "Name": "erlmcp-test-us-east-1"}


# -- network access ----------------------------------------------------------------------


def test_only_client_security_groups_may_reach_redis_port(record):
    clients = {"eks-cluster": "sg-0eks0000000000001", "bastion": "sg-0bastion00000001"}
    stack = build_primary(record, client_security_group_ids=clients)
    [group] = stack.of_type(SG)
    rules = stack.of_type(INGRESS)
    assert {r.name for r in rules} == {
        "us-east-1-redis-from-eks-cluster",
        "us-east-1-redis-from-bastion",
    }
    for rule in rules:
        inputs = rule.plain_inputs
        assert inputs["securityGroupId"] == group.id
        assert inputs["ipProtocol"] == "tcp"
        assert (inputs["fromPort"], inputs["toPort"]) == (6379, 6379)
        assert "cidrIpv4" not in inputs and "cidrIpv6" not in inputs
        assert "prefixListId" not in inputs
    assert {r.plain_inputs["referencedSecurityGroupId"] for r in rules} == set(clients.values())


def test_security_group_has_no_inline_rules_and_no_egress(primary):
    [group] = primary.of_type(SG)
    assert not group.plain_inputs.get("ingress")
    assert not group.plain_inputs.get("egress")
    assert primary.of_type(EGRESS) == []


def test_client_security_groups_must_be_labelled_not_listed():
    with pytest.raises(ValueError, match="client_security_group_ids"):
        cache_args(client_security_group_ids=["sg-0eks0000000000001"])


def test_client_label_must_be_usable_in_a_resource_name():
    with pytest.raises(ValueError, match="label"):
        cache_args(client_security_group_ids={"EKS nodes": "sg-1"})


# -- validation --------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["6.2", "5.0.6"])
def test_engine_below_7_is_refused(version):
    with pytest.raises(ValueError, match="engine_version"):
        cache_args(engine_version=version)


@pytest.mark.parametrize("version", ["7", "7.x", "latest"])
def test_engine_version_must_be_major_dot_minor(version):
    with pytest.raises(ValueError, match="engine_version"):
        cache_args(engine_version=version)


@pytest.mark.parametrize("count", [1, 7])
def test_num_cache_clusters_outside_2_to_6_is_refused(count):
    with pytest.raises(ValueError, match="num_cache_clusters"):
        cache_args(num_cache_clusters=count)


@pytest.mark.parametrize(
    "group_id",
    [
        "Erlmcp-test",  # uppercase
        "1erlmcp",  # starts with a digit
        "erlmcp--test",  # double hyphen
        "erlmcp-test-",  # trailing hyphen
        "erlmcp_test",  # underscore
        "e" * 41,  # too long
        "",
    ],
)
def test_invalid_replication_group_id_is_refused_by_name(group_id):
    with pytest.raises(ValueError, match="replication_group_id"):
        cache_args(replication_group_id=group_id)


def test_forty_character_replication_group_id_is_accepted():
    assert cache_args(replication_group_id="e" * 40).replication_group_id == "e" * 40


@pytest.mark.parametrize("days", [0, 36])
def test_snapshot_retention_outside_1_to_35_days_is_refused(days):
    with pytest.raises(ValueError, match="snapshot_retention_days"):
        cache_args(snapshot_retention_days=days)


def test_malformed_windows_are_refused():
    with pytest.raises(ValueError, match="snapshot_window"):
        cache_args(snapshot_window="3am-4am")
    with pytest.raises(ValueError, match="maintenance_window"):
        cache_args(maintenance_window="sunday 05:00")


# -- Global Datastore secondary ------------------------------------------------------------


def test_secondary_joins_the_global_datastore(secondary):
    assert group_of(secondary).plain_inputs["globalReplicationGroupId"] == GLOBAL_ID


def test_secondary_omits_what_the_global_datastore_dictates(secondary):
    inputs = group_of(secondary).plain_inputs
    present = [key for key in DICTATED_BY_DATASTORE if key in inputs]
    assert present == []
    assert secondary.of_type(PARAMS) == []


def test_secondary_keeps_its_regional_key_and_the_shared_auth_token(secondary):
    group = group_of(secondary)
    assert group.plain_inputs["kmsKeyId"] == KEY_WEST
    assert is_secret(group.inputs["authToken"])
    assert group.plain_inputs["authToken"] == TOKEN


def test_secondary_keeps_failover_multi_az_and_backups(secondary):
    inputs = group_of(secondary).plain_inputs
    assert inputs["automaticFailoverEnabled"] is True
    assert inputs["multiAzEnabled"] is True
    assert inputs["numCacheClusters"] == 2
    assert inputs["snapshotRetentionLimit"] == 7


def test_primary_is_not_in_a_global_datastore(primary):
    assert "globalReplicationGroupId" not in group_of(primary).plain_inputs


# -- Global Datastore ----------------------------------------------------------------------


def test_datastore_is_managed_in_the_primary_region_and_wired_to_the_primary(record):
    stack = build_pair(record)
    [datastore] = stack.of_type(GRG)
    primary = stack.one(RG, "us-east-1-redis-group")
    assert datastore.region == "us-east-1"
    assert datastore.plain_inputs["primaryReplicationGroupId"] == "erlmcp-test-us-east-1"
    assert primary.urn in datastore.property_dependencies["primaryReplicationGroupId"]
    assert datastore.plain_inputs["globalReplicationGroupIdSuffix"] == "erlmcp-test-us-east-1"
    assert datastore.plain_inputs["globalReplicationGroupDescription"] == (
        "erlmcp test cache of us-east-1"
    )


def test_secondary_waits_for_and_points_at_the_datastore(record):
    stack = build_pair(record)
    [datastore] = stack.of_type(GRG)
    secondary = stack.one(RG, "us-west-2-standby-of-us-east-1-redis-group")
    assert secondary.region == "us-west-2"
    assert (
        secondary.plain_inputs["globalReplicationGroupId"]
        == (datastore.outputs["globalReplicationGroupId"])
    )
    assert datastore.urn in secondary.property_dependencies["globalReplicationGroupId"]


def test_datastore_does_not_restate_what_it_inherits_from_the_primary(record):
    [datastore] = build_pair(record).of_type(GRG)
    inputs = datastore.plain_inputs
    for key in ("engine", "engineVersion", "cacheNodeType", "parameterGroupName"):
        assert key not in inputs


def test_invalid_global_suffix_is_refused():
    with pytest.raises(ValueError, match="global_replication_group_id_suffix"):
        RedisGlobalDatastoreArgs(
            region="us-east-1",
            global_replication_group_id_suffix="Erlmcp Test",
            primary_replication_group_id="erlmcp-test-us-east-1",
            description="x",
        )


# -- protection, placement, structure ------------------------------------------------------


def test_replication_groups_and_datastore_are_protected(record):
    stack = build_pair(record)
    protected = {r.name for r in stack.resources if r.protect}
    assert protected == {
        "us-east-1-redis-group",
        "us-west-2-standby-of-us-east-1-redis-group",
        "us-east-1-redis-global-datastore",
    }


def test_protect_false_is_honoured(record):
    stack = record(
        lambda: RedisGlobalDatastore(
            "us-east-1-redis-global",
            RedisGlobalDatastoreArgs(
                region="us-east-1",
                global_replication_group_id_suffix="erlmcp-test-us-east-1",
                primary_replication_group_id="erlmcp-test-us-east-1",
                description="x",
                protect=False,
            ),
        )
    )
    assert not any(r.protect for r in stack.resources)
    stack = build_primary(record, protect=False)
    assert not any(r.protect for r in stack.resources)


def test_every_resource_is_placed_in_its_components_region(record):
    stack = build_pair(record)
    custom = [r for r in stack.resources if r.custom and not r.is_provider]
    assert custom
    for resource in custom:
        expected = "us-west-2" if resource.name.startswith("us-west-2-") else "us-east-1"
        assert resource.region == expected, resource.name


def test_primary_resources_are_parented_under_the_component(primary):
    assert_parented_under(primary, CACHE_TYPE, "us-east-1-redis")
    assert len(primary.of_type(SUBNETS)) == 1


def test_secondary_resources_are_parented_under_the_component(secondary):
    assert_parented_under(secondary, CACHE_TYPE, "us-west-2-standby-of-us-east-1-redis")


def test_datastore_is_parented_under_its_component(record):
    stack = record(
        lambda: RedisGlobalDatastore(
            "us-east-1-redis-global",
            RedisGlobalDatastoreArgs(
                region="us-east-1",
                global_replication_group_id_suffix="erlmcp-test-us-east-1",
                primary_replication_group_id="erlmcp-test-us-east-1",
                description="x",
            ),
        )
    )
    assert_parented_under(stack, DATASTORE_TYPE, "us-east-1-redis-global")


def test_child_names_derive_from_the_component_name(primary):
    names = {r.name for r in primary.resources if r.custom}
    assert names == {
        "us-east-1-redis-subnets",
        "us-east-1-redis-sg",
        "us-east-1-redis-from-eks-cluster",
        "us-east-1-redis-params",
        "us-east-1-redis-group",
    }


def test_args_are_immutable():
    args = cache_args()
    with pytest.raises(dataclasses.FrozenInstanceError):
        args.num_cache_clusters = 3  # type: ignore[misc]
