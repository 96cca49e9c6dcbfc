"""s3-bucket-has-tls-policy through AnalyzeStack: companions joined to their bucket."""

from __future__ import annotations

from tests.policies.s3_companion_cases import CompanionPolicyCases


class TestTlsPolicy(CompanionPolicyCases):
    policy = "s3-bucket-has-tls-policy"
    companion_type = "aws:s3/bucketPolicy:BucketPolicy"
    values = {"policy": "{}"}
    prod_suffix = "policy"
