"""s3-bucket-has-lifecycle: every bucket has a BucketLifecycleConfiguration."""

from __future__ import annotations

from erlmcp_policies.resources._s3 import LIFECYCLE_TYPES, companion_policy

POLICY = companion_policy(
    name="s3-bucket-has-lifecycle",
    description=(
        "Every bucket has a lifecycle configuration, so retention is explicit "
        "[AWS FSBP S3.13; CKV2_AWS_61]"
    ),
    companion_types=LIFECYCLE_TYPES,
    companion_name="BucketLifecycleConfiguration",
)
