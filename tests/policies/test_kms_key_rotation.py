"""kms-key-rotation, through the analyzer's Analyze."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "kms-key-rotation"
KEY = "aws:kms/key:Key"


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_rotating_key_passes(analyze_resource):
    assert messages(analyze_resource(KEY, {"enableKeyRotation": True}), POLICY) == []


def test_not_rotating_is_a_mandatory_violation(analyze_resource):
    for props in ({"enableKeyRotation": False}, {}, {"keySpec": "SYMMETRIC_DEFAULT"}):
        [found] = only(analyze_resource(KEY, props), POLICY)
        assert found.detail == "enableKeyRotation must be true."
        assert found.enforcement_level == "mandatory"


def test_asymmetric_keys_cannot_rotate_and_are_exempt(analyze_resource):
    assert only(analyze_resource(KEY, {"keySpec": "RSA_2048"}), POLICY) == []
    assert only(analyze_resource(KEY, {"customerMasterKeySpec": "HMAC_256"}), POLICY) == []


def test_unknown_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(KEY, {"enableKeyRotation": UNKNOWN}), POLICY) == []
    assert only(analyze_resource(KEY, {"keySpec": UNKNOWN}), POLICY) == []
