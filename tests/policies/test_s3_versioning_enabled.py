"""s3-versioning-enabled, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "s3-versioning-enabled"
TYPE = "aws:s3/bucketVersioning:BucketVersioning"


def versioning(status: object) -> dict:
    return {
        "bucket": "backups",
        "region": "us-east-1",
        "versioningConfiguration": {"status": status},
    }


def test_enabled_passes(analyze_resource):
    assert messages(analyze_resource(TYPE, versioning("Enabled")), POLICY) == []


@pytest.mark.parametrize("status", ["Suspended", "Disabled"])
def test_not_enabled_is_a_mandatory_violation(analyze_resource, status):
    [found] = only(analyze_resource(TYPE, versioning(status)), POLICY)
    assert found.detail == f"versioningConfiguration.status is '{status}'; it must be 'Enabled'."
    assert found.enforcement_level == "mandatory"


def test_unknown_status_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(TYPE, versioning(UNKNOWN)), POLICY) == []


def test_legacy_v2_type_is_judged_too(analyze_resource):
    legacy = "aws:s3/bucketVersioningV2:BucketVersioningV2"
    assert len(only(analyze_resource(legacy, versioning("Suspended")), POLICY)) == 1
