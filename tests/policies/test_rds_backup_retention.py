"""rds-backup-retention, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "rds-backup-retention"
INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
SOURCE = "arn:aws:rds:us-east-1:123456789012:db:primary"


def retention(analyze_resource, days: object, config=None, type_=INSTANCE, **extra) -> list[str]:
    props = {"backupRetentionPeriod": days, **extra} if days is not None else dict(extra)
    return messages(analyze_resource(type_, props, config=config), POLICY)


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize("type_", [INSTANCE, CLUSTER])
def test_seven_days_pass(analyze_resource, type_):
    assert retention(analyze_resource, 7, type_=type_) == []


@pytest.mark.parametrize("type_", [INSTANCE, CLUSTER])
def test_one_day_below_the_minimum_fails(analyze_resource, type_):
    assert retention(analyze_resource, 6, type_=type_) == [
        "backupRetentionPeriod is 6 day(s); this database must keep at least 7."
    ]


def test_a_configured_minimum_is_a_boundary_too(analyze_resource):
    config = {POLICY: {"min_backup_retention_days": 30}}
    assert retention(analyze_resource, 29, config) == [
        "backupRetentionPeriod is 29 day(s); this database must keep at least 30."
    ]
    assert retention(analyze_resource, 30, config) == []


def test_short_retention_is_a_mandatory_violation(analyze_resource):
    [found] = only(analyze_resource(INSTANCE, {"backupRetentionPeriod": 3}), POLICY)
    assert found.detail == "backupRetentionPeriod is 3 day(s); this database must keep at least 7."
    assert found.enforcement_level == "mandatory"


def test_unset_retention_is_a_violation(analyze_resource):
    assert retention(analyze_resource, None) == [
        "backupRetentionPeriod is not set; this database must keep at least 7 day(s) of "
        "automated backups."
    ]


def test_replicas_need_one_day_by_default(analyze_resource):
    assert retention(analyze_resource, 1, replicateSourceDb=SOURCE) == []
    assert retention(analyze_resource, 0, replicateSourceDb=SOURCE) == [
        "backupRetentionPeriod is 0 day(s); this read replica must keep at least 1."
    ]


def test_thresholds_come_from_config(analyze_resource):
    config = {POLICY: {"min_backup_retention_days": 30, "min_replica_backup_retention_days": 0}}
    assert len(retention(analyze_resource, 7, config)) == 1
    assert retention(analyze_resource, 30, config) == []
    assert retention(analyze_resource, 0, config, replicateSourceDb=SOURCE) == []
    assert retention(analyze_resource, 5, {POLICY: {"min_backup_retention_days": 5}}) == []


def test_unknown_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(INSTANCE, {"backupRetentionPeriod": UNKNOWN}), POLICY) == []
