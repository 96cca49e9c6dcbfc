"""elasticache-min-redis-version, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "elasticache-min-redis-version"
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def version(analyze_resource, engine_version: object, config=None) -> list[str]:
    props = {"engine": "redis", "engineVersion": engine_version}
    return messages(analyze_resource(GROUP, props, config=config), POLICY)


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize("engine_version", ["7.0", "7.1", "7"])
def test_seven_or_newer_passes(analyze_resource, engine_version):
    assert version(analyze_resource, engine_version) == []


def test_older_version_is_a_mandatory_violation(analyze_resource):
    [found] = only(analyze_resource(GROUP, {"engine": "redis", "engineVersion": "6.x"}), POLICY)
    assert found.detail == "engineVersion is 6.x; Redis 7 or newer is required."
    assert found.enforcement_level == "mandatory"


def test_other_engine_is_a_violation(analyze_resource):
    found = analyze_resource(GROUP, {"engine": "memcached", "engineVersion": "1.6.22"})
    assert messages(found, POLICY) == ["engine is 'memcached'; erlmcp runs on 'redis'."]


def test_minimum_comes_from_config(analyze_resource):
    assert len(version(analyze_resource, "7.0", {POLICY: {"min_redis_version": "7.1"}})) == 1
    assert version(analyze_resource, "6.2", {POLICY: {"min_redis_version": 6}}) == []


def test_secondary_follows_its_primary(analyze_resource):
    props = {"globalReplicationGroupId": "ldgnf-x", "engineVersion": "6.2"}
    assert only(analyze_resource(GROUP, props), POLICY) == []


def test_unknown_or_unset_version_is_not_a_violation(analyze_resource):
    assert version(analyze_resource, UNKNOWN) == []
    assert only(analyze_resource(GROUP, {"engine": "redis"}), POLICY) == []
