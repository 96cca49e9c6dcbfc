"""s3-bucket-has-tls-policy: every bucket has a BucketPolicy (its content: s3-tls-only-policy)."""

from __future__ import annotations

from erlmcp_policies.resources._s3 import POLICY_TYPES, companion_policy

POLICY = companion_policy(
    name="s3-bucket-has-tls-policy",
    description=(
        "Every bucket has a bucket policy that refuses requests without TLS "
        "[AWS FSBP S3.5; CKV_AWS_379]"
    ),
    companion_types=POLICY_TYPES,
    companion_name="BucketPolicy",
)
