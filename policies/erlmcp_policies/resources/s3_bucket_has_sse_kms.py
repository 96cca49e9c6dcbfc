"""s3-bucket-has-sse-kms: every bucket has default encryption (its content: s3-sse-kms)."""

from __future__ import annotations

from erlmcp_policies.resources._s3 import SSE_TYPES, companion_policy

POLICY = companion_policy(
    name="s3-bucket-has-sse-kms",
    description=(
        "Every bucket has a default SSE-KMS encryption configuration [AWS FSBP S3.17; CKV_AWS_145]"
    ),
    companion_types=SSE_TYPES,
    companion_name="BucketServerSideEncryptionConfiguration",
)
