"""s3-bucket-has-versioning through AnalyzeStack: companions joined to their bucket."""

from __future__ import annotations

from tests.policies.s3_companion_cases import CompanionPolicyCases


class TestVersioning(CompanionPolicyCases):
    policy = "s3-bucket-has-versioning"
    companion_type = "aws:s3/bucketVersioning:BucketVersioning"
    values = {"versioningConfiguration": {"status": "Enabled"}}
    prod_suffix = "versioning"
