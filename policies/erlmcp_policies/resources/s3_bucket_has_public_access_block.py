"""s3-bucket-has-public-access-block: every bucket has a BucketPublicAccessBlock."""

from __future__ import annotations

from erlmcp_policies.resources._s3 import PUBLIC_ACCESS_BLOCK_TYPES, companion_policy

POLICY = companion_policy(
    name="s3-bucket-has-public-access-block",
    description=(
        "Every bucket has its own public access block (bucket level, not only the account's) "
        "[AWS FSBP S3.8; CKV2_AWS_6]"
    ),
    companion_types=PUBLIC_ACCESS_BLOCK_TYPES,
    companion_name="BucketPublicAccessBlock",
)
