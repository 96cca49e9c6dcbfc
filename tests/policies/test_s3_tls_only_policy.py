"""s3-tls-only-policy, through the analyzer's Analyze."""

from __future__ import annotations

import json

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "s3-tls-only-policy"
TYPE = "aws:s3/bucketPolicy:BucketPolicy"
ARN = "arn:aws:s3:::backups"
MISSING = (
    "no statement denies insecure transport: add Effect Deny, Principal '*', Action 's3:*' on "
    "the bucket and its objects (arn and arn/*) with Condition Bool aws:SecureTransport 'false'."
)


def deny_insecure(**overrides: object) -> dict:
    statement = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [ARN, f"{ARN}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    statement.update(overrides)
    return statement


def bucket_policy(*statements: dict) -> dict:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return {"bucket": "backups", "policy": json.dumps(document)}


def test_deny_without_tls_passes(analyze_resource):
    other = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": ARN}
    assert messages(analyze_resource(TYPE, bucket_policy(other, deny_insecure())), POLICY) == []


def test_object_form_and_aws_star_principal_pass(analyze_resource):
    document = {"Statement": deny_insecure(Principal={"AWS": "*"}, Action=["s3:*"])}
    assert messages(analyze_resource(TYPE, {"bucket": "b", "policy": document}), POLICY) == []


@pytest.mark.parametrize(
    "broken",
    [
        {"Effect": "Allow"},
        {"Principal": {"AWS": "arn:aws:iam::123456789012:root"}},
        {"Action": "s3:GetObject"},
        {"Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Resource": [ARN]},
        {"Condition": {}},
    ],
)
def test_statement_that_does_not_deny_insecure_transport(analyze_resource, broken):
    assert messages(analyze_resource(TYPE, bucket_policy(deny_insecure(**broken))), POLICY) == [
        MISSING
    ]


def test_invalid_json_is_a_violation(analyze_resource):
    found = analyze_resource(TYPE, {"bucket": "b", "policy": "{not json"})
    assert messages(found, POLICY) == ["the bucket policy is not valid JSON."]


def test_unknown_policy_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(TYPE, {"bucket": "b", "policy": UNKNOWN}), POLICY) == []
    text = json.dumps({"Statement": [{"Resource": f"arn:aws:s3:::{UNKNOWN}"}]})
    assert only(analyze_resource(TYPE, {"bucket": "b", "policy": text}), POLICY) == []


def test_unknown_inside_an_object_form_policy_is_not_a_violation(analyze_resource):
    document = {"Statement": [deny_insecure(Effect=UNKNOWN)]}
    assert only(analyze_resource(TYPE, {"bucket": "b", "policy": document}), POLICY) == []
