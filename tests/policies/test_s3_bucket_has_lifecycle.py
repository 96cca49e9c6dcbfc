"""s3-bucket-has-lifecycle through AnalyzeStack: companions joined to their bucket."""

from __future__ import annotations

from tests.policies.s3_companion_cases import CompanionPolicyCases


class TestLifecycle(CompanionPolicyCases):
    policy = "s3-bucket-has-lifecycle"
    companion_type = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    values = {"rules": [{"id": "r", "status": "Enabled"}]}
    prod_suffix = "lifecycle"
