"""s3-bucket-has-sse-kms through AnalyzeStack: companions joined to their bucket."""

from __future__ import annotations

from tests.policies.s3_companion_cases import CompanionPolicyCases


class TestSseKms(CompanionPolicyCases):
    policy = "s3-bucket-has-sse-kms"
    companion_type = (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    values = {
        "rules": [
            {
                "applyServerSideEncryptionByDefault": {
                    "sseAlgorithm": "aws:kms",
                    "kmsMasterKeyId": "arn:aws:kms:us-east-1:123456789012:key/k",
                }
            }
        ]
    }
    prod_suffix = "encryption"
