"""tags-required, through the analyzer's Analyze."""

from __future__ import annotations

import json

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "tags-required"
BUCKET = "aws:s3/bucket:Bucket"
TAGS = {
    "service": "erlmcp",
    "environment": "prod",
    "owner": "platform-sre",
    "cost-center": "erlmcp",
    "managed-by": "pulumi",
}
AWS_PROVIDER = "pulumi:providers:aws"


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_all_required_tags_pass(analyze_resource):
    assert messages(analyze_resource(BUCKET, {"tags": {**TAGS, "Name": "x"}}), POLICY) == []


def test_missing_and_empty_tags_are_a_mandatory_violation(analyze_resource):
    tags = {k: v for k, v in TAGS.items() if k != "owner"} | {"cost-center": ""}
    [found] = only(analyze_resource(BUCKET, {"tags": tags}), POLICY)
    assert found.detail == "missing or empty tags: owner, cost-center."
    assert found.enforcement_level == "mandatory"


def test_a_taggable_type_without_any_tags_is_a_violation(analyze_resource):
    found = analyze_resource("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"})
    assert messages(found, POLICY) == [
        "missing or empty tags: service, environment, owner, cost-center, managed-by."
    ]


def test_untaggable_and_non_aws_types_are_skipped(analyze_resource):
    assert only(analyze_resource("aws:iam/rolePolicy:RolePolicy", {"policy": "{}"}), POLICY) == []
    assert only(analyze_resource("kubernetes:core/v1:Namespace", {}), POLICY) == []


def test_other_aws_types_are_judged_once_they_carry_tags(analyze_resource):
    found = analyze_resource("aws:sqs/queue:Queue", {"tags": {"service": "erlmcp"}})
    assert len(messages(found, POLICY)) == 1


def test_provider_default_tags_count(analyze_resource):
    for default_tags in ({"tags": TAGS}, json.dumps({"tags": TAGS})):
        provider = (AWS_PROVIDER, "default", {"region": "us-east-1", "defaultTags": default_tags})
        found = analyze_resource(BUCKET, {"tags": {"Name": "x"}}, provider=provider)
        assert messages(found, POLICY) == []


def test_required_set_comes_from_config(analyze_resource):
    config = {POLICY: {"required_tags": ["service", "data-classification"]}}
    found = analyze_resource(BUCKET, {"tags": TAGS}, config=config)
    assert messages(found, POLICY) == ["missing or empty tags: data-classification."]
    assert (
        messages(analyze_resource(BUCKET, {}, config={POLICY: {"required_tags": []}}), POLICY) == []
    )


def test_unknown_tags_are_not_violations(analyze_resource):
    assert only(analyze_resource(BUCKET, {"tags": UNKNOWN}), POLICY) == []
    assert only(analyze_resource(BUCKET, {"tags": {**TAGS, "owner": UNKNOWN}}), POLICY) == []
    provider = (AWS_PROVIDER, "default", {"defaultTags": UNKNOWN})
    assert only(analyze_resource(BUCKET, {}, provider=provider), POLICY) == []
