"""s3-bucket-has-versioning: every bucket has a BucketVersioning (status: s3-versioning-enabled)."""

from __future__ import annotations

from erlmcp_policies.resources._s3 import VERSIONING_TYPES, companion_policy

POLICY = companion_policy(
    name="s3-bucket-has-versioning",
    description=(
        "Every bucket keeps object versions, so a bad write or delete is recoverable "
        "[AWS FSBP S3.14; CKV_AWS_21]"
    ),
    companion_types=VERSIONING_TYPES,
    companion_name="BucketVersioning",
)
