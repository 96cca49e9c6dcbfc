"""rds-min-engine-version, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "rds-min-engine-version"
INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"


def version(analyze_resource, engine_version: object, config=None, **extra) -> list[str]:
    props = {"engine": "postgres", "engineVersion": engine_version, **extra}
    return messages(analyze_resource(INSTANCE, props, config=config), POLICY)


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize("engine_version", ["15", "15.4", "16.6", "17"])
def test_fifteen_or_newer_passes(analyze_resource, engine_version):
    assert version(analyze_resource, engine_version) == []


def test_older_version_is_a_mandatory_violation(analyze_resource):
    props = {"engine": "postgres", "engineVersion": "14.9"}
    [found] = only(analyze_resource(INSTANCE, props), POLICY)
    assert found.detail == "engineVersion is 14.9; PostgreSQL 15 or newer is required."
    assert found.enforcement_level == "mandatory"


def test_other_engine_is_a_violation(analyze_resource):
    found = analyze_resource(INSTANCE, {"engine": "mysql", "engineVersion": "8.0"})
    assert messages(found, POLICY) == ["engine is 'mysql'; erlmcp runs on 'postgres'."]


def test_aurora_cluster_must_be_aurora_postgresql(analyze_resource):
    good = {"engine": "aurora-postgresql", "engineVersion": "15.4"}
    assert messages(analyze_resource(CLUSTER, good), POLICY) == []
    old = {"engine": "aurora-postgresql", "engineVersion": "13.9"}
    assert len(messages(analyze_resource(CLUSTER, old), POLICY)) == 1


def test_minimum_comes_from_config(analyze_resource):
    assert len(version(analyze_resource, "16.6", {POLICY: {"min_postgres_version": "17"}})) == 1
    assert version(analyze_resource, "14.9", {POLICY: {"min_postgres_version": 14}}) == []


def test_replicas_unknowns_and_unset_versions_are_not_violations(analyze_resource):
    replica = {"replicateSourceDb": "arn:aws:rds:us-east-1:123456789012:db:p"}
    assert only(analyze_resource(INSTANCE, replica), POLICY) == []
    assert only(analyze_resource(INSTANCE, {"engine": "postgres"}), POLICY) == []
    assert version(analyze_resource, UNKNOWN) == []
    assert (
        only(analyze_resource(INSTANCE, {"engine": UNKNOWN, "engineVersion": "16"}), POLICY) == []
    )
