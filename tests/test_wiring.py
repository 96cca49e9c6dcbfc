"""Values the program wires from one region or resource into another, each compared with the
resource it must name: a release's cache host and token, DNS alias zone ids, the stack outputs,
backup settings on every copy. Each of these could point at the home region's (or the
primary's) resource while every other test stayed green."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from offline.recorder import RecordedResource, RecordedStack, reveal
from offline.stacks import stack_file_config
from regions.aws_regions import NLB_HOSTED_ZONE_IDS
from tests.conftest import everyday_edits
from tests.recordings import recorded_stack
from tests.test_stack import (
    AURORA,
    BUCKET,
    CACHE,
    GLOBAL_CACHE,
    PAIRS,
    RDS,
    RECORD,
    REGION_NAMES,
    health_checks_by_fqdn,
    in_region,
    primaries,
    replicas,
    writer_address,
)

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
SERVICE = "kubernetes:core/v1:Service"
EKS = "aws:eks/cluster:Cluster"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
NAMESPACE = "erlmcp-prod"
PURE_STANDBYS = ("us-west-2", "eu-central-1")


def standby_namespace(primary: str, standby: str) -> str:
    """A pure standby runs its primary's release in the usual namespace; a serving region keeps
    it apart in `<namespace>-<primary>`."""
    return NAMESPACE if standby in PURE_STANDBYS else f"{NAMESPACE}-{primary}"


def release_config(stack: RecordedStack, region: str, namespace: str) -> dict[str, Any]:
    [config] = [
        c
        for c in in_region(stack, CONFIG_MAP, region)
        if c.plain_inputs["metadata"]["namespace"] == namespace
    ]
    return config.plain_inputs["data"]


def release_secret(stack: RecordedStack, region: str, namespace: str) -> dict[str, Any]:
    """The `erlmcp-secrets` values a release's pods get, revealed."""
    [secret] = [
        s
        for s in in_region(stack, SECRET, region)
        if s.plain_inputs["metadata"]["namespace"] == namespace
    ]
    return reveal(secret.inputs["stringData"])


def own_cache(stack: RecordedStack, region: str) -> RecordedResource:
    [cache] = [
        c for c in in_region(stack, CACHE, region) if "globalReplicationGroupId" not in c.inputs
    ]
    return cache


def cache_secondary(stack: RecordedStack, primary: str, standby: str) -> RecordedResource:
    """The Global Datastore member in `standby` that belongs to `primary`'s datastore."""
    [datastore] = [
        g.outputs["globalReplicationGroupId"]
        for g in stack.of_type(GLOBAL_CACHE)
        if g.plain_inputs["primaryReplicationGroupId"] == own_cache(stack, primary).id
    ]
    [secondary] = [
        c
        for c in in_region(stack, CACHE, standby)
        if c.plain_inputs.get("globalReplicationGroupId") == datastore
    ]
    return secondary


# --- each release's cache and database ---------------------------------------------------------


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-1", "ap-northeast-1"])
def test_a_serving_release_uses_its_own_regions_cache_and_database(prod_stack, region):
    config = release_config(prod_stack, region, NAMESPACE)
    secret = release_secret(prod_stack, region, NAMESPACE)
    cache = own_cache(prod_stack, region)
    assert config["ERLMCP_REDIS_HOST"] == cache.outputs["primaryEndpointAddress"]
    assert secret["redis-auth-token"] == cache.plain_inputs["authToken"]
    [database] = primaries(prod_stack, region)
    assert config["ERLMCP_DB_HOST"] == writer_address(database)
    password = "password" if database.type == RDS else "masterPassword"
    assert secret["db-password"] == database.plain_inputs[password]


def generated(stack: RecordedStack, name: str) -> str:
    """The value pulumi-random generated for `name`, revealed."""
    return reveal(stack.one("random:index/randomPassword:RandomPassword", name).outputs["result"])


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-1", "ap-northeast-1"])
def test_a_serving_regions_data_is_locked_with_its_own_generated_secrets(prod_stack, region):
    [database] = primaries(prod_stack, region)
    password = "password" if database.type == RDS else "masterPassword"
    assert database.plain_inputs[password] == generated(prod_stack, f"{region}-db-password")
    token = own_cache(prod_stack, region).plain_inputs["authToken"]
    assert token == generated(prod_stack, f"{region}-redis-auth-token")
    secret = release_secret(prod_stack, region, NAMESPACE)
    assert secret["erlang-cookie"] == generated(prod_stack, "erlang-cookie")
    assert secret["jwt-secret"] == generated(prod_stack, "jwt-secret")


@pytest.mark.parametrize(("primary", "standby"), PAIRS)
def test_a_standby_release_uses_its_cache_secondary_with_the_primarys_token(
    prod_stack, primary, standby
):
    namespace = standby_namespace(primary, standby)
    config = release_config(prod_stack, standby, namespace)
    secret = release_secret(prod_stack, standby, namespace)
    secondary = cache_secondary(prod_stack, primary, standby)
    assert config["ERLMCP_REDIS_HOST"] == secondary.outputs["primaryEndpointAddress"]
    assert (
        config["ERLMCP_REDIS_HOST"]
        != own_cache(prod_stack, primary).outputs["primaryEndpointAddress"]
    )
    # The secondary serves the primary's data under the primary's AUTH token.
    primary_token = own_cache(prod_stack, primary).plain_inputs["authToken"]
    assert secret["redis-auth-token"] == primary_token
    assert secondary.plain_inputs["authToken"] == primary_token
    if standby not in PURE_STANDBYS:  # a dual-role region has a token of its own, not this one
        assert own_cache(prod_stack, standby).plain_inputs["authToken"] != primary_token


@pytest.mark.parametrize(("primary", "standby"), PAIRS)
def test_a_standby_release_uses_its_database_copy_with_the_primarys_password(
    prod_stack, primary, standby
):
    namespace = standby_namespace(primary, standby)
    [copy_] = [
        r
        for r in replicas(prod_stack, standby)
        if primary in (r.plain_inputs.get("replicateSourceDb") or "")
        or primary in (r.plain_inputs.get("globalClusterIdentifier") or "")
    ]
    assert release_config(prod_stack, standby, namespace)["ERLMCP_DB_HOST"] == writer_address(copy_)
    [source] = primaries(prod_stack, primary)
    password = "password" if source.type == RDS else "masterPassword"
    secret = release_secret(prod_stack, standby, namespace)
    assert secret["db-password"] == source.plain_inputs[password]


# --- DNS aliases --------------------------------------------------------------------------------


def load_balancer_regions(stack: RecordedStack) -> dict[str, str]:
    """Each LoadBalancer Service's NLB hostname -> the region of the cluster it runs in."""
    return {
        svc.outputs["status"]["loadBalancer"]["ingress"][0]["hostname"]: svc.region
        for svc in stack.of_type(SERVICE)
        if svc.plain_inputs["spec"].get("type") == "LoadBalancer"
    }


def test_every_alias_of_a_load_balancer_uses_the_zone_id_of_the_region_it_runs_in(prod_stack):
    where = load_balancer_regions(prod_stack)
    checked = set()
    for record in prod_stack.of_type(RECORD):
        for alias in record.plain_inputs.get("aliases", []):
            if alias["name"] in where:
                region = where[alias["name"]]
                assert alias["zoneId"] == NLB_HOSTED_ZONE_IDS[region], record.name
                checked.add(record.plain_inputs["name"])
    # Every region's own name and every standby target were looked at.
    assert checked == {f"{r}.erlmcp.io" for r in REGION_NAMES} | {
        f"standby-{primary}.erlmcp.io" for primary, _ in PAIRS
    }


# --- stack outputs ------------------------------------------------------------------------------


@pytest.mark.parametrize("region", REGION_NAMES)
def test_each_regions_outputs_name_that_regions_own_resources(prod_stack, region):
    out = prod_stack.outputs["regions"][region]
    [cluster] = in_region(prod_stack, EKS, region)
    assert out["clusterName"] == cluster.outputs["name"]
    [bucket] = [
        b for b in in_region(prod_stack, BUCKET, region) if b.name.endswith("-backups-bucket")
    ]
    assert out["backupBucket"] == bucket.outputs["bucket"]
    check = health_checks_by_fqdn(prod_stack)[f"{region}.erlmcp.io"]
    assert out["healthCheckId"] == check.id
    [service] = [
        s
        for s in in_region(prod_stack, SERVICE, region)
        if s.plain_inputs["spec"].get("type") == "LoadBalancer"
        and s.plain_inputs["metadata"]["namespace"] == NAMESPACE
    ]
    assert (
        out["loadBalancer"] == service.outputs["status"]["loadBalancer"]["ingress"][0]["hostname"]
    )
    own = primaries(prod_stack, region)
    if own:
        assert out["databases"]["primary"] == writer_address(own[0])
    for primary, standby in PAIRS:
        if standby == region:
            copy_address = out["databases"][f"replica-of-{primary}"]
            assert copy_address in {writer_address(r) for r in replicas(prod_stack, region)}


# --- backup settings reach every copy -----------------------------------------------------------


@pytest.fixture(scope="module")
def tuned_backups() -> tuple[dict[str, Any], RecordedStack]:
    """Prod with every backup knob moved off its default (tests/conftest.py `everyday_edits`:
    retention 21 days, postgres objects to Glacier after 180 days, expired after 400, old
    versions after 14)."""
    config = everyday_edits(copy.deepcopy(stack_file_config()))
    return config, recorded_stack(config)


def test_glacier_and_noncurrent_expiry_reach_every_bucket(tuned_backups):
    _, stack = tuned_backups
    lifecycles = [r for r in stack.of_type(LIFECYCLE) if r.name.endswith("-backups-lifecycle")]
    assert {r.region for r in lifecycles} == set(REGION_NAMES)
    for lifecycle in lifecycles:
        [rule] = [r for r in lifecycle.plain_inputs["rules"] if r["id"] == "prod-postgres"]
        assert rule["expiration"]["days"] == 400
        assert rule["transitions"] == [{"days": 180, "storageClass": "GLACIER"}]
        assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 14}
        [ets] = [r for r in lifecycle.plain_inputs["rules"] if r["id"] == "prod-ets"]
        assert "transitions" not in ets  # only the prefix that asks for Glacier gets it
        assert ets["noncurrentVersionExpiration"] == {"noncurrentDays": 7}


def test_every_database_and_copy_keeps_the_configured_retention(tuned_backups):
    _, stack = tuned_backups
    databases = stack.of_type(RDS) + stack.of_type(AURORA)
    kinds = {(r.type, "copy" if r in replicas(stack, r.region) else "own") for r in databases}
    assert kinds == {(RDS, "own"), (RDS, "copy"), (AURORA, "own"), (AURORA, "copy")}
    for database in databases:
        assert database.plain_inputs["backupRetentionPeriod"] == 21, database.name


# --- references stay in their region ------------------------------------------------------------

_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):")
_IDENTIFYING_OUTPUTS = (
    "arn",
    "address",
    "endpoint",
    "readerEndpoint",
    "primaryEndpointAddress",
    "readerEndpointAddress",
    "bucket",
)
# The references that cross regions on purpose: a copy names what it copies.
_CROSS_REGION_BY_DESIGN = {
    "replicateSourceDb",  # an RDS cross-region read replica's source
    "globalClusterIdentifier",  # an Aurora secondary's Global Database
    "globalReplicationGroupId",  # a Global Datastore secondary's datastore
    "bucket",  # (under rules[].destination) the bucket S3 replicates to
    "replicaKmsKeyId",  # the key of that bucket's region
    "destinationVaultArn",  # (under a backup plan's copyActions) the DR partner's vault
    # (under a metric alarm's dimensions) S3 names a replication rule's metrics by both buckets
    "SourceBucket",
    "DestinationBucket",
}


def _strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
    elif isinstance(value, str):
        yield path, value


def _is_a_kubernetes_name(resource: RecordedResource, path: tuple[Any, ...]) -> bool:
    """Names and labels (a standby's release is called after its primary's region, like that
    region's database identifier) are not references to AWS resources."""
    return resource.type.startswith("kubernetes:") and (
        bool({"labels", "matchLabels", "selector"} & set(path)) or path[-1] in ("name", "namespace")
    )


def _by_design(resource: RecordedResource, path: tuple[Any, ...]) -> bool:
    if _is_a_kubernetes_name(resource, path):
        return True
    if resource.type == "aws:arcregionswitch/plan:Plan":
        # A Region switch plan acts on both regions of its pair and reads trigger alarms of a
        # witness region (regions/auto_failover.py): every region it names is by design.
        return True
    if resource.type == "aws:eks/accessPolicyAssociation:AccessPolicyAssociation":
        # A standby release's namespace is named after its primary (erlmcp-prod-<primary>).
        return path[:1] == ("accessScope",)
    if path[-1] == "GLOBAL_REPLICATION_GROUP_ID":
        # A Global Datastore is global; its id is known from the primary's side.
        return resource.type == "aws:lambda/function:Function"
    if path[-1] not in _CROSS_REGION_BY_DESIGN:
        return False
    if path[-1] in ("bucket", "replicaKmsKeyId"):
        return resource.type.startswith("aws:s3/bucketReplicationConfig") and "destination" in path
    if path[-1] == "destinationVaultArn":
        return resource.type == "aws:backup/plan:Plan" and "copyActions" in path
    if path[-1] in ("SourceBucket", "DestinationBucket"):
        return resource.type == "aws:cloudwatch/metricAlarm:MetricAlarm" and "dimensions" in path
    return True


def foreign_references(stack: RecordedStack) -> list[str]:
    """Every input of a regional resource that names an AWS resource of another region: an
    ARN with another region in it, or the id, address or name of another region's resource."""
    owners: dict[str, set[str]] = {}
    for r in stack.resources:
        if r.region and r.type.startswith("aws:"):
            for value in [r.id, *(r.outputs.get(k) for k in _IDENTIFYING_OUTPUTS)]:
                if isinstance(value, str) and len(value) > 6:
                    owners.setdefault(value, set()).add(r.region)
    found = []
    for r in stack.resources:
        if not r.region or r.is_provider:
            continue
        for path, text in _strings(reveal(r.inputs)):
            regions = {m.group(1) for m in _ARN.finditer(text) if m.group(1)} | owners.get(
                text, set()
            )
            if regions - {r.region} and not _by_design(r, path):
                where = ".".join(map(str, path))
                found.append(f"{r.name} ({r.region}).{where} -> {sorted(regions - {r.region})}")
    return found


def test_no_regional_resource_names_another_regions_resource(prod_stack):
    assert foreign_references(prod_stack) == []


def test_the_cross_region_check_sees_a_foreign_reference(prod_stack):
    broken = copy.deepcopy(prod_stack)
    standby_cache_group = next(
        r for r in broken.of_type(CACHE) if r.name.startswith("us-west-2-standby-of-us-east-1")
    )
    east_key = next(r for r in broken.of_type("aws:kms/key:Key") if r.region == "us-east-1")
    standby_cache_group.inputs["kmsKeyId"] = east_key.outputs["arn"]
    expected = f"{standby_cache_group.name} (us-west-2).kmsKeyId -> ['us-east-1']"
    assert expected in foreign_references(broken)


# --- each release's IAM role ---------------------------------------------------------------------


@pytest.mark.parametrize("region", REGION_NAMES)
def test_each_service_account_assumes_a_role_trusting_exactly_it_in_its_own_cluster(
    prod_stack, region
):
    [cluster] = in_region(prod_stack, EKS, region)
    issuer = cluster.outputs["identities"][0]["oidcs"][0]["issuer"].removeprefix("https://")
    roles = {r.outputs["arn"]: r for r in prod_stack.of_type("aws:iam/role:Role")}
    accounts = in_region(prod_stack, "kubernetes:core/v1:ServiceAccount", region)
    assert accounts
    for account in accounts:
        metadata = account.plain_inputs["metadata"]
        role = roles[metadata["annotations"]["eks.amazonaws.com/role-arn"]]
        [statement] = json.loads(role.plain_inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"]["Federated"].endswith(f":oidc-provider/{issuer}")
        subject = f"system:serviceaccount:{metadata['namespace']}:{metadata['name']}"
        assert statement["Condition"]["StringEquals"][f"{issuer}:sub"] == subject, account.name
