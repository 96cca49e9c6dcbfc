"""The cases every "S3 bucket has its <companion>" stack policy must pass, written once.

pulumi-aws v7 splits a bucket's settings into companion resources (BucketVersioning, ...), and
each s3-bucket-has-* policy joins them to their bucket the same way. A policy's test module
subclasses `CompanionPolicyCases` and names its policy, companion type, settings and the suffix
of the prod companion's logical name; pytest collects the cases for each subclass.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tests.policies.conftest import UNKNOWN, drop_resource, fake_resource, messages, only

BUCKET = "aws:s3/bucket:Bucket"


def bucket(name: str) -> Any:
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


class CompanionPolicyCases:
    policy: ClassVar[str]
    companion_type: ClassVar[str]  # e.g. aws:s3/bucketVersioning:BucketVersioning
    values: ClassVar[dict[str, Any]]  # compliant settings of the companion
    prod_suffix: ClassVar[str]  # eu-west-1-backups-<suffix> in the prod stack

    def companion(self, of: Any, *, by_dependency: bool = True, bucket_input: object = None) -> Any:
        """A companion of bucket `of`, joined by property dependency and/or by the bucket name."""
        props = {
            "region": "us-east-1",
            "bucket": bucket_input or of.outputs["bucket"],
            **self.values,
        }
        resource = fake_resource(self.companion_type, props, name=f"{of.name}-{self.prod_suffix}")
        if by_dependency:
            resource.property_dependencies = {"bucket": [of.urn]}
        return resource

    def missing(self, name: str) -> str:
        kind = self.companion_type.rsplit(":", 1)[-1]
        return (
            f"S3 bucket '{name}-1a2b' has no {kind} (pulumi-aws v7: a separate aws.s3.{kind} "
            "whose `bucket` is this bucket)."
        )

    def test_prod_stack_passes(self, prod_report):
        assert prod_report.by_policy(self.policy) == []

    def test_prod_bucket_without_it_is_caught(self, analyze_stack, broken_prod):
        drop_resource(broken_prod, f"eu-west-1-backups-{self.prod_suffix}")
        [found] = only(analyze_stack(broken_prod, policies=[self.policy]), self.policy)
        assert found.urn.endswith("aws:s3/bucket:Bucket::eu-west-1-backups-bucket")
        assert found.detail.startswith("S3 bucket 'eu-west-1-backups-bucket-")
        assert found.enforcement_level == "mandatory"

    def test_joined_by_dependency_or_by_name(self, analyze_stack):
        a, b = bucket("a"), bucket("b")
        resources = [a, b, self.companion(a), self.companion(b, by_dependency=False)]
        assert messages(analyze_stack(resources), self.policy) == []

    def test_bucket_without_it_is_a_violation(self, analyze_stack):
        a, b = bucket("a"), bucket("b")
        [found] = only(analyze_stack([a, b, self.companion(a)]), self.policy)
        assert found.detail == self.missing("b")
        assert found.urn == b.urn

    def test_a_companion_of_an_outside_bucket_does_not_count(self, analyze_stack):
        a = bucket("a")
        outside = self.companion(a, by_dependency=False, bucket_input="someone-elses-bucket")
        assert messages(analyze_stack([a, outside]), self.policy) == [self.missing("a")]

    def test_unknown_bucket_name_with_dependency_still_joins(self, analyze_stack):
        a, b = bucket("a"), bucket("b")
        resources = [a, b, self.companion(a, bucket_input=UNKNOWN), self.companion(b)]
        assert messages(analyze_stack(resources, preview=True), self.policy) == []

    def test_unresolvable_companion_is_not_a_violation(self, analyze_stack):
        a, b = bucket("a"), bucket("b")
        undecided = self.companion(a, by_dependency=False, bucket_input=UNKNOWN)
        assert only(analyze_stack([a, b, undecided], preview=True), self.policy) == []
