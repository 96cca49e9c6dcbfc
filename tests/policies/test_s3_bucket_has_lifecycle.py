"""s3-bucket-has-lifecycle through AnalyzeStack: companions joined to their bucket."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, drop_resource, fake_resource, messages, only

POLICY = "s3-bucket-has-lifecycle"
COMPANION = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET = "aws:s3/bucket:Bucket"
VALUES = {"rules": [{"id": "r", "status": "Enabled"}]}


def bucket(name: str) -> object:
    return fake_resource(
        BUCKET,
        {"region": "us-east-1"},
        name=name,
        outputs={
            "region": "us-east-1",
            "bucket": f"{name}-1a2b",
            "arn": f"arn:aws:s3:::{name}-1a2b",
        },
    )


def companion(
    of: object, *, name: str | None = None, by_dependency: bool = True, bucket_input: object = None
) -> object:
    """A companion of bucket `of`, joined by property dependency and/or by the bucket name."""
    props = {"region": "us-east-1", "bucket": bucket_input or of.outputs["bucket"], **VALUES}
    resource = fake_resource(COMPANION, props, name=name or f"{of.name}-lifecycle")
    if by_dependency:
        resource.property_dependencies = {"bucket": [of.urn]}
    return resource


def missing(name: str) -> str:
    return (
        f"S3 bucket '{name}-1a2b' has no BucketLifecycleConfiguration (pulumi-aws v7: a separate "
        f"aws.s3.BucketLifecycleConfiguration whose `bucket` is this bucket)."
    )


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_prod_bucket_without_it_is_caught(analyze_stack, broken_prod):
    drop_resource(broken_prod, "eu-west-1-backups-lifecycle")
    [found] = only(analyze_stack(broken_prod), POLICY)
    assert found.urn.endswith("aws:s3/bucket:Bucket::eu-west-1-backups-bucket")
    assert found.detail.startswith("S3 bucket 'eu-west-1-backups-bucket-")
    assert found.enforcement_level == "mandatory"


def test_joined_by_dependency_or_by_name(analyze_stack):
    a, b = bucket("a"), bucket("b")
    resources = [a, b, companion(a), companion(b, by_dependency=False)]
    assert messages(analyze_stack(resources), POLICY) == []


def test_bucket_without_it_is_a_violation(analyze_stack):
    a, b = bucket("a"), bucket("b")
    [found] = only(analyze_stack([a, b, companion(a)]), POLICY)
    assert found.detail == missing("b")
    assert found.urn == b.urn


def test_a_companion_of_an_outside_bucket_does_not_count(analyze_stack):
    a = bucket("a")
    outside = companion(a, by_dependency=False, bucket_input="someone-elses-bucket")
    assert messages(analyze_stack([a, outside]), POLICY) == [missing("a")]


def test_unknown_bucket_name_with_dependency_still_joins(analyze_stack):
    a, b = bucket("a"), bucket("b")
    resources = [a, b, companion(a, bucket_input=UNKNOWN), companion(b)]
    assert messages(analyze_stack(resources, preview=True), POLICY) == []


def test_unresolvable_companion_is_not_a_violation(analyze_stack):
    a, b = bucket("a"), bucket("b")
    undecided = companion(a, by_dependency=False, bucket_input=UNKNOWN)
    assert only(analyze_stack([a, b, undecided], preview=True), POLICY) == []
