"""Values the program wires from one region or resource into another, each compared with the
resource it must name: a release's cache host and token, DNS alias zone ids, the stack outputs,
backup settings on every copy. Each of these could point at the home region's (or the
primary's) resource while every other test stayed green."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from offline.recorder import RecordedResource, RecordedStack, reveal
from offline.stacks import stack_file_config
from regions.aws_regions import NLB_HOSTED_ZONE_IDS
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
    [bucket] = in_region(prod_stack, BUCKET, region)
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
    """Prod with every backup knob moved off its default."""
    config = copy.deepcopy(stack_file_config())
    backups = config["erlmcp-infra:backups"]
    backups["database"]["retentionDays"] = 21
    backups["objects"]["postgres"] = {
        "expireDays": 400,
        "glacierAfterDays": 180,
        "noncurrentExpireDays": 14,
    }
    return config, recorded_stack(config)


def test_glacier_and_noncurrent_expiry_reach_every_bucket(tuned_backups):
    _, stack = tuned_backups
    lifecycles = stack.of_type(LIFECYCLE)
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
