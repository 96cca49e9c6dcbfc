"""s3-public-access-block, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "s3-public-access-block"
TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def block(**overrides: object) -> dict:
    return {"bucket": "backups", **{flag: True for flag in FLAGS}, **overrides}


def test_all_four_flags_pass(analyze_resource):
    assert messages(analyze_resource(TYPE, block()), POLICY) == []


@pytest.mark.parametrize("flag", FLAGS)
def test_each_flag_off_is_a_violation(analyze_resource, flag):
    found = analyze_resource(TYPE, block(**{flag: False}))
    assert messages(found, POLICY) == [f"{flag} must be true (all four flags block public access)."]


def test_omitted_flags_are_violations(analyze_resource):
    found = analyze_resource(TYPE, {"bucket": "backups", "blockPublicAcls": True})
    assert messages(found, POLICY) == [
        "blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets must be true (all four flags "
        "block public access)."
    ]


def test_unknown_flag_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(TYPE, block(blockPublicPolicy=UNKNOWN)), POLICY) == []
