"""backups-bucket-per-region on the prod stack and on broken copies of it."""

from __future__ import annotations

from tests.policies.conftest import drop_resource, messages, set_property

POLICY = "backups-bucket-per-region"


def violations(analyze_stack, stack) -> list[str]:
    return messages(analyze_stack(stack, policies=[POLICY]), POLICY)


def test_prod_stack_passes(analyze_stack, prod_stack):
    assert violations(analyze_stack, prod_stack) == []


def test_region_without_bucket(analyze_stack, broken_prod):
    drop_resource(broken_prod, "eu-central-1-backups-bucket")
    [diagnostic] = analyze_stack(broken_prod, policies=[POLICY])
    assert diagnostic.detail == "Region eu-central-1 has a VPC but no S3 backup bucket."
    assert diagnostic.urn.endswith("aws:ec2/vpc:Vpc::eu-central-1-network-vpc")


def test_bucket_in_another_region_does_not_count(analyze_stack, broken_prod):
    set_property(broken_prod, "ap-northeast-1-backups-bucket", "region", "us-east-1")
    assert violations(analyze_stack, broken_prod) == [
        "Region ap-northeast-1 has a VPC but no S3 backup bucket."
    ]


def test_a_region_with_only_its_access_log_bucket_has_no_backup_bucket(analyze_stack, broken_prod):
    drop_resource(broken_prod, "eu-central-1-backups-bucket")
    assert any(r.name == "eu-central-1-access-logs-bucket" for r in broken_prod.resources)
    assert violations(analyze_stack, broken_prod) == [
        "Region eu-central-1 has a VPC but no S3 backup bucket."
    ]
