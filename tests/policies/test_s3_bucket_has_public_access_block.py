"""s3-bucket-has-public-access-block through AnalyzeStack: companions joined to their bucket."""

from __future__ import annotations

from tests.policies.s3_companion_cases import CompanionPolicyCases


class TestPublicAccessBlock(CompanionPolicyCases):
    policy = "s3-bucket-has-public-access-block"
    companion_type = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    values = {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    prod_suffix = "public-access-block"
