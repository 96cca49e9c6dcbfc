"""The whole prod stack, as `pulumi preview -s prod` would build it, recorded offline."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pytest

from offline.generated_stacks import example_zones
from offline.mocks import RealisticMocks
from offline.recorder import RecordedResource, RecordedStack, RecordingMonitor, is_secret, reveal
from offline.stacks import run_stack_file, stack_file_config
from tests.conftest import PROTECTED_TYPES
from tests.recordings import recorded_stack

REGION_TYPE = "erlmcp:regions:Region"
RDS = "aws:rds/instance:Instance"
AURORA = "aws:rds/cluster:Cluster"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
GLOBAL_CACHE = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
BUCKET = "aws:s3/bucket:Bucket"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
GLOBAL_PREFIXES = ("aws:iam/", "aws:route53/", "random:", "pulumi:providers:")
PAIRS = [
    ("us-east-1", "us-west-2"),
    ("eu-west-1", "eu-central-1"),
    ("ap-southeast-1", "ap-northeast-1"),
    ("ap-northeast-1", "ap-southeast-1"),  # mutual standbys
]


def owning_region(stack: RecordedStack, resource: RecordedResource) -> str | None:
    """The Region component a resource is built under (None for global resources)."""
    urns = stack.by_urn()
    parent = resource.parent
    while parent:
        owner = urns[parent]
        if owner.type == REGION_TYPE:
            return owner.name
        parent = owner.parent
    return None


def in_region(stack: RecordedStack, type_: str, region: str) -> list[RecordedResource]:
    return [r for r in stack.of_type(type_) if r.region == region]


def primaries(stack: RecordedStack, region: str) -> list[RecordedResource]:
    """A region's own databases: RDS instances and Aurora writer clusters."""
    return [r for r in in_region(stack, RDS, region) if "replicateSourceDb" not in r.inputs] + [
        r for r in in_region(stack, AURORA, region) if "masterUsername" in r.inputs
    ]


def replicas(stack: RecordedStack, region: str) -> list[RecordedResource]:
    """Copies of another region's database: RDS read replicas and Aurora secondaries."""
    return [r for r in in_region(stack, RDS, region) if "replicateSourceDb" in r.inputs] + [
        r for r in in_region(stack, AURORA, region) if "masterUsername" not in r.inputs
    ]


def writer_address(database: RecordedResource) -> str:
    return database.outputs["endpoint" if database.type == AURORA else "address"]


def test_six_regions(prod_stack):
    assert sorted(r.name for r in prod_stack.of_type(REGION_TYPE)) == sorted(
        ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1"]
    )


@pytest.mark.parametrize(
    "type_",
    [
        "aws:ec2/vpc:Vpc",
        "aws:eks/cluster:Cluster",
        "aws:kms/key:Key",
        "aws:backup/vault:Vault",
        "aws:acm/certificate:Certificate",
    ],
)
def test_every_region_has_its_own(prod_stack, type_):
    # Built by each region's component (global resources placed in us-east-1, such as the
    # DNSSEC signing key, are not a region's own).
    found = sorted(
        r.region for r in prod_stack.of_type(type_) if owning_region(prod_stack, r) is not None
    )
    assert found == sorted(r.name for r in prod_stack.of_type(REGION_TYPE))
    assert all(owning_region(prod_stack, r) in (r.region, None) for r in prod_stack.of_type(type_))


def test_every_region_has_one_backup_bucket_and_one_access_log_bucket(prod_stack):
    regions = sorted(r.name for r in prod_stack.of_type(REGION_TYPE))
    for kind in ("backups", "access-logs"):
        found = sorted(
            b.region for b in prod_stack.of_type(BUCKET) if b.name.endswith(f"-{kind}-bucket")
        )
        assert found == regions, kind
    assert len(prod_stack.of_type(BUCKET)) == 2 * len(regions)


def test_serving_regions_have_their_own_primary_and_cache(prod_stack):
    for region in ("us-east-1", "eu-west-1", "ap-southeast-1", "ap-northeast-1"):
        assert len(primaries(prod_stack, region)) == 1, region
        own = [
            c
            for c in in_region(prod_stack, CACHE, region)
            if "globalReplicationGroupId" not in c.inputs
        ]
        assert len(own) == 1, region
    for region in ("us-west-2", "eu-central-1"):
        assert primaries(prod_stack, region) == []


@pytest.mark.parametrize(("primary", "standby"), PAIRS)
def test_standby_holds_a_copy_of_its_primarys_database(prod_stack, primary, standby):
    [source] = primaries(prod_stack, primary)
    [replica] = replicas(prod_stack, standby)
    assert replica.type == source.type
    if source.type == AURORA:  # the pair's `database: aurora-global`
        assert replica.inputs["globalClusterIdentifier"] == source.inputs["globalClusterIdentifier"]
    else:
        assert replica.inputs["replicateSourceDb"] == source.outputs["arn"]
    standby_keys = in_region(prod_stack, "aws:kms/key:Key", standby)
    assert replica.inputs["kmsKeyId"] == standby_keys[0].outputs["arn"]
    assert replica.inputs["storageEncrypted"] is True


@pytest.mark.parametrize(("primary", "standby"), PAIRS)
def test_standby_holds_a_secondary_of_its_primarys_cache(prod_stack, primary, standby):
    [datastore] = in_region(prod_stack, GLOBAL_CACHE, primary)
    primary_cache = next(
        c
        for c in in_region(prod_stack, CACHE, primary)
        if "globalReplicationGroupId" not in c.inputs
    )
    assert (
        datastore.inputs["primaryReplicationGroupId"] == primary_cache.outputs["replicationGroupId"]
    )
    [secondary] = [
        c for c in in_region(prod_stack, CACHE, standby) if "globalReplicationGroupId" in c.inputs
    ]
    assert (
        secondary.inputs["globalReplicationGroupId"]
        == datastore.outputs["globalReplicationGroupId"]
    )


def backup_buckets(stack, region: str) -> list:
    return [b for b in in_region(stack, BUCKET, region) if b.name.endswith("-backups-bucket")]


@pytest.mark.parametrize(("primary", "standby"), PAIRS)
def test_primary_backups_replicate_to_the_standby_bucket(prod_stack, primary, standby):
    [replication] = in_region(prod_stack, REPLICATION, primary)
    [source] = backup_buckets(prod_stack, primary)
    [target] = backup_buckets(prod_stack, standby)
    assert replication.inputs["bucket"] == source.outputs["bucket"]
    destinations = [rule["destination"]["bucket"] for rule in replication.inputs["rules"]]
    assert destinations == [target.outputs["arn"]]


def test_no_backup_replication_outside_the_pairs(prod_stack):
    assert sorted(r.region for r in prod_stack.of_type(REPLICATION)) == sorted(p for p, _ in PAIRS)


def releases(stack: RecordedStack, region: str) -> dict[str, dict[str, Any]]:
    """StatefulSets in a region, by namespace."""
    return {
        s.plain_inputs["metadata"]["namespace"]: s.plain_inputs
        for s in in_region(stack, STATEFULSET, region)
    }


def env_of(statefulset: dict[str, Any]) -> dict[str, Any]:
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_pods_per_region_follow_the_topology(prod_stack):
    pods = {
        region: {ns: s["spec"]["replicas"] for ns, s in releases(prod_stack, region).items()}
        for region in (
            "us-east-1",
            "us-west-2",
            "eu-west-1",
            "eu-central-1",
            "ap-southeast-1",
            "ap-northeast-1",
        )
    }
    assert pods == {
        "us-east-1": {"erlmcp-prod": 3},
        "us-west-2": {"erlmcp-prod": 3},  # warm standby (drPairs[0].standbyPods)
        "eu-west-1": {"erlmcp-prod": 2},
        "eu-central-1": {"erlmcp-prod": 0},
        "ap-southeast-1": {"erlmcp-prod": 2, "erlmcp-prod-ap-northeast-1": 0},
        "ap-northeast-1": {"erlmcp-prod": 2, "erlmcp-prod-ap-southeast-1": 0},
    }


def test_standby_releases_have_no_hpa(prod_stack):
    with_hpa = sorted(
        (h.region, h.plain_inputs["metadata"]["namespace"]) for h in prod_stack.of_type(HPA)
    )
    assert with_hpa == [
        ("ap-northeast-1", "erlmcp-prod"),
        ("ap-southeast-1", "erlmcp-prod"),
        ("eu-west-1", "erlmcp-prod"),
        ("us-east-1", "erlmcp-prod"),
    ]


def test_dual_role_region_points_its_standby_release_at_the_replica(prod_stack):
    [replica] = replicas(prod_stack, "ap-northeast-1")
    [own] = primaries(prod_stack, "ap-northeast-1")
    configs = {
        c.plain_inputs["metadata"]["namespace"]: c.plain_inputs["data"]
        for c in in_region(prod_stack, "kubernetes:core/v1:ConfigMap", "ap-northeast-1")
    }
    assert configs["erlmcp-prod-ap-southeast-1"]["ERLMCP_DB_HOST"] == replica.outputs["address"]
    assert configs["erlmcp-prod"]["ERLMCP_DB_HOST"] == own.outputs["address"]


def test_pure_standby_release_points_at_its_copy(prod_stack):
    [copy_] = replicas(prod_stack, "us-west-2")
    [config] = in_region(prod_stack, "kubernetes:core/v1:ConfigMap", "us-west-2")
    assert config.plain_inputs["data"]["ERLMCP_DB_HOST"] == writer_address(copy_)


def test_pairs_use_the_database_mechanism_their_budget_needs(prod_stack):
    mechanism = {
        r: primaries(prod_stack, r)[0].type
        for r in ("us-east-1", "eu-west-1", "ap-southeast-1", "ap-northeast-1")
    }
    assert mechanism == {
        "us-east-1": AURORA,
        "eu-west-1": AURORA,
        "ap-southeast-1": RDS,
        "ap-northeast-1": RDS,
    }


def test_release_image_and_version_come_from_config(prod_stack, prod_values):
    digest = prod_values["release"]["imageDigests"]["3.0.0"]
    assert digest.startswith("sha256:")
    for statefulset in prod_stack.of_type(STATEFULSET):
        container = statefulset.plain_inputs["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == f"ghcr.io/seanchatmangpt/erlmcp:3.0.0@{digest}"


REGION_NAMES = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
]


def records_named(stack: RecordedStack) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for record in stack.of_type(RECORD):
        found.setdefault(record.inputs["name"], []).append(record.inputs)
    return found


def health_checks_by_fqdn(stack: RecordedStack) -> dict[str, RecordedResource]:
    return {c.inputs["fqdn"]: c for c in stack.of_type(HEALTH_CHECK)}


def test_health_checks_as_specified(prod_stack):
    checks = health_checks_by_fqdn(prod_stack)
    regional = {f"{r}.erlmcp.io" for r in REGION_NAMES}
    standby = {f"standby-{p}.erlmcp.io" for p, _ in PAIRS}
    assert set(checks) == regional | standby
    intervals = {"us-east-1": 10}  # the pair's faster checks (drPairs[0])
    for fqdn, check in checks.items():
        region = fqdn.removeprefix("standby-").split(".")[0]
        assert check.inputs["type"] == "HTTPS"
        assert check.inputs["port"] == 443
        assert check.inputs["resourcePath"] == "/health"
        assert check.inputs["requestInterval"] == intervals.get(region, 30), fqdn
        assert check.inputs["failureThreshold"] == 3


def load_balancer_hostnames(stack: RecordedStack, region: str) -> dict[str, str]:
    """The NLB hostname of each LoadBalancer Service in a region, by namespace."""
    return {
        svc.plain_inputs["metadata"]["namespace"]: svc.outputs["status"]["loadBalancer"]["ingress"][
            0
        ]["hostname"]
        for svc in in_region(stack, "kubernetes:core/v1:Service", region)
        if svc.plain_inputs["spec"].get("type") == "LoadBalancer"
    }


def test_each_region_has_a_record_aliasing_its_load_balancer(prod_stack):
    records = records_named(prod_stack)
    for region in REGION_NAMES:
        [record] = records[f"{region}.erlmcp.io"]
        [alias] = record["aliases"]
        # A pure standby answers from its 0-pod release, ready for failover.
        assert alias["name"] == load_balancer_hostnames(prod_stack, region)["erlmcp-prod"]


def test_serving_regions_have_latency_records_over_failover_pairs(prod_stack):
    records = records_named(prod_stack)
    apex = {r["setIdentifier"]: r for r in records["erlmcp.io"] if r.get("type") == "A"}
    assert sorted(apex) == ["ap-northeast-1", "ap-southeast-1", "eu-west-1", "us-east-1"]
    checks = health_checks_by_fqdn(prod_stack)
    for region, record in apex.items():
        assert record["latencyRoutingPolicies"] == [{"region": region}]
        [alias] = record["aliases"]
        assert alias["evaluateTargetHealth"] is True
        assert alias["name"] == f"failover-{region}.erlmcp.io"
        pair = {r["failoverRoutingPolicies"][0]["type"]: r for r in records[alias["name"]]}
        assert pair["PRIMARY"]["aliases"][0]["name"] == f"{region}.erlmcp.io"
        assert pair["PRIMARY"]["healthCheckId"] == checks[f"{region}.erlmcp.io"].id
        assert pair["SECONDARY"]["aliases"][0]["name"] == f"standby-{region}.erlmcp.io"
        assert pair["SECONDARY"]["healthCheckId"] == checks[f"standby-{region}.erlmcp.io"].id


@pytest.mark.parametrize(("primary", "standby"), PAIRS)
def test_a_failed_regions_traffic_goes_to_the_release_holding_its_data(
    prod_stack, primary, standby
):
    [record] = records_named(prod_stack)[f"standby-{primary}.erlmcp.io"]
    namespace = (
        "erlmcp-prod" if standby in ("us-west-2", "eu-central-1") else (f"erlmcp-prod-{primary}")
    )
    assert record["aliases"][0]["name"] == load_balancer_hostnames(prod_stack, standby)[namespace]


def test_backup_schedule_becomes_lifecycle_rules_and_database_backups(prod_stack):
    expected = {"postgres": 30, "ets": 7, "config": 90, "secrets": 90, "k8s": 90, "logs": 30}
    lifecycles = [
        r
        for r in prod_stack.of_type(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
        )
        if r.name.endswith("-backups-lifecycle")
    ]
    assert len(lifecycles) == 6
    for lifecycle in lifecycles:
        days = {
            rule["filter"]["prefix"]: rule["expiration"]["days"]
            for rule in lifecycle.plain_inputs["rules"]
            if rule["id"] != "abort-incomplete-uploads"  # expires nothing
        }
        assert days == {f"prod/{name}/": d for name, d in expected.items()}
    for db in primaries_everywhere(prod_stack):
        window = db.inputs["preferredBackupWindow" if db.type == AURORA else "backupWindow"]
        assert window == "02:00-02:30"
        assert db.inputs["backupRetentionPeriod"] == 30
    for cache in prod_stack.of_type(CACHE):
        assert cache.inputs["snapshotRetentionLimit"] == 7
        assert cache.inputs["snapshotWindow"] == "03:00-04:00"


def primaries_everywhere(stack: RecordedStack) -> list[RecordedResource]:
    found = [db for r in REGION_NAMES for db in primaries(stack, r)]
    assert len(found) == 4
    return found


def test_every_regional_resource_is_placed_in_its_region(prod_stack):
    misplaced = []
    for resource in prod_stack.resources:
        owner = owning_region(prod_stack, resource)
        if not resource.custom or resource.type.startswith(GLOBAL_PREFIXES) or owner is None:
            continue
        if resource.type == GLOBAL_CACHE:
            continue  # managed from the primary's region, checked in the pair tests
        if resource.region != owner:
            misplaced.append((resource.urn, resource.region, owner))
    assert misplaced == []


def test_global_resources_carry_no_region(prod_stack):
    for resource in prod_stack.resources:
        if resource.type.startswith(("aws:iam/", "aws:route53/")):
            assert "region" not in resource.inputs, resource.urn


@pytest.mark.parametrize("type_", sorted(PROTECTED_TYPES))
def test_stateful_resources_are_protected(prod_stack, type_):
    found = prod_stack.of_type(type_)
    assert found, type_
    assert [r.urn for r in found if not r.protect] == []


def test_databases_refuse_deletion_and_primaries_keep_a_final_snapshot(prod_stack):
    for db in prod_stack.of_type(RDS) + prod_stack.of_type(AURORA):
        assert db.inputs["deletionProtection"] is True, db.urn
        if "replicateSourceDb" not in db.inputs:
            assert db.inputs.get("skipFinalSnapshot") is False, db.urn
            assert db.inputs["finalSnapshotIdentifier"], db.urn


def generated_secrets(stack: RecordedStack) -> list[str]:
    return [
        reveal(r.outputs["result"])
        for r in stack.resources
        if r.type.startswith("random:index/randomPassword")
    ]


def plaintext_occurrences(value: Any, secrets: list[str], path: str = "") -> list[str]:
    if is_secret(value):
        return []
    if isinstance(value, dict):
        return [
            hit
            for k, v in value.items()
            for hit in plaintext_occurrences(v, secrets, f"{path}.{k}")
        ]
    if isinstance(value, list):
        return [
            hit
            for i, v in enumerate(value)
            for hit in plaintext_occurrences(v, secrets, f"{path}[{i}]")
        ]
    if isinstance(value, str) and any(s in value for s in secrets):
        return [path]
    return []


def test_no_secret_in_plaintext_in_any_input_or_output(prod_stack):
    secrets = generated_secrets(prod_stack)
    assert len(secrets) >= 2 + 2 * 4  # cookie, jwt; db password and cache token per primary
    leaks = [
        f"{r.urn}{hit}"
        for r in prod_stack.resources
        for hit in plaintext_occurrences(r.inputs, secrets)
    ]
    leaks += plaintext_occurrences(prod_stack.outputs, secrets, "outputs")
    assert leaks == []


def test_secret_leak_detector_finds_a_leak():
    # The detector above must be able to fail.
    assert plaintext_occurrences({"a": {"b": "xx-s3cr3t-yy"}}, ["s3cr3t"]) == [".a.b"]


def test_stack_outputs_per_region(prod_stack):
    regions = prod_stack.outputs["regions"]
    assert sorted(regions) == sorted(r.name for r in prod_stack.of_type(REGION_TYPE))
    us_east = regions["us-east-1"]
    assert us_east["endpoint"] == "https://us-east-1.erlmcp.io"
    assert us_east["databases"]["primary"].endswith(".us-east-1.rds.amazonaws.com")
    assert us_east["backupBucket"]
    assert us_east["healthCheckId"]
    tokyo = regions["ap-northeast-1"]["databases"]
    assert sorted(tokyo) == ["primary", "replica-of-ap-southeast-1"]
    assert list(regions["us-west-2"]["databases"]) == ["replica-of-us-east-1"]


def with_seventh_region(config: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(config)
    config["erlmcp-infra:regions"]["sa-east-1"] = {
        "role": "primary",
        "vpcCidr": "10.70.0.0/16",
        "availabilityZones": example_zones("sa-east-1"),
        "pods": 2,
        "hpa": {"minReplicas": 2, "maxReplicas": 10, "targetCpuPercent": 70},
        "database": config["erlmcp-infra:regions"]["eu-west-1"]["database"],
        "cache": config["erlmcp-infra:regions"]["eu-west-1"]["cache"],
    }
    config["erlmcp-infra:noStandby"] = {"sa-east-1": "pilot region, data rebuilt from us-east-1"}
    return config


def test_adding_a_seventh_region_changes_no_existing_urn(prod_stack):
    bigger = recorded_stack(with_seventh_region(stack_file_config()))
    assert prod_stack.urns() <= bigger.urns()
    added = bigger.urns() - prod_stack.urns()
    assert added and all("sa-east-1" in urn for urn in added)


def test_reordering_regions_changes_no_urn(prod_stack):
    config = stack_file_config()
    regions = config["erlmcp-infra:regions"]
    config["erlmcp-infra:regions"] = dict(reversed(list(regions.items())))
    config["erlmcp-infra:drPairs"] = list(reversed(config["erlmcp-infra:drPairs"]))
    assert recorded_stack(config).urns() == prod_stack.urns()


def test_bad_config_stops_before_any_resource():
    config = stack_file_config()
    config["erlmcp-infra:regions"]["us-east-1"]["pods"] = 500
    monitor = RecordingMonitor(RealisticMocks())
    with pytest.raises(pulumi.RunError, match=r"erlmcp-infra:regions\.us-east-1\.pods"):
        run_stack_file(config, monitor=monitor)
    assert monitor.recorded == []
