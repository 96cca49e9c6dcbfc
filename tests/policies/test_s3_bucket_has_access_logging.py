"""s3-bucket-has-access-logging through AnalyzeStack: the shared companion cases, and the one
bucket exempt from them, the access-log bucket itself."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, drop_resource, fake_resource, messages, only
from tests.policies.s3_companion_cases import CompanionPolicyCases, bucket

LOGGING = "aws:s3/bucketLogging:BucketLogging"


def logging_into(source, target, *, by_dependency: bool = True, target_input: object = None):
    resource = fake_resource(
        LOGGING,
        {
            "region": "us-east-1",
            "bucket": source.outputs["bucket"],
            "targetBucket": target_input or target.outputs["bucket"],
            "targetPrefix": f"{source.name}/",
        },
        name=f"{source.name}-logging",
    )
    if by_dependency:
        resource.property_dependencies = {"bucket": [source.urn], "targetBucket": [target.urn]}
    return resource


class TestAccessLogging(CompanionPolicyCases):
    policy = "s3-bucket-has-access-logging"
    companion_type = LOGGING
    values = {"targetBucket": "logs-elsewhere", "targetPrefix": "x/"}
    prod_suffix = "unused"

    def test_prod_bucket_without_it_is_caught(self, analyze_stack, broken_prod):
        drop_resource(broken_prod, "eu-west-1-access-logs-from-backups")
        found = only(analyze_stack(broken_prod, policies=[self.policy]), self.policy)
        # Without the logging, the log bucket receives nothing and loses its exemption too.
        assert sorted(d.urn.rsplit("::", 1)[1] for d in found) == [
            "eu-west-1-access-logs-bucket",
            "eu-west-1-backups-bucket",
        ]
        assert {d.enforcement_level for d in found} == {"mandatory"}


def test_the_log_bucket_itself_needs_no_logging(analyze_stack):
    source, logs = bucket("backups"), bucket("logs")
    resources = [source, logs, logging_into(source, logs)]
    assert messages(analyze_stack(resources), "s3-bucket-has-access-logging") == []


def test_a_bucket_is_exempt_only_while_it_receives_logs(analyze_stack):
    source, logs, other = bucket("backups"), bucket("logs"), bucket("other")
    resources = [source, logs, other, logging_into(source, logs)]
    [found] = only(analyze_stack(resources), "s3-bucket-has-access-logging")
    assert found.urn == other.urn


def test_an_unknown_log_target_decides_nothing_yet(analyze_stack):
    source, logs = bucket("backups"), bucket("logs")
    undecided = logging_into(source, logs, by_dependency=False, target_input=UNKNOWN)
    resources = [source, logs, undecided]
    assert only(analyze_stack(resources, preview=True), "s3-bucket-has-access-logging") == []
