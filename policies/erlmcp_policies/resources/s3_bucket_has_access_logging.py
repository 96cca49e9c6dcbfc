"""s3-bucket-has-access-logging: every bucket's requests are logged to an access-log bucket.

The bucket that receives the logs is the exception: AWS advises against a target bucket that
logs itself (each delivery would log another request), see components/access_logs.py.
"""

from __future__ import annotations

from erlmcp_policies.resources._s3 import LOGGING_TYPES, companion_policy

POLICY = companion_policy(
    name="s3-bucket-has-access-logging",
    description=(
        "Every bucket but the access-log bucket itself has S3 server access logging "
        "[AWS FSBP S3.9; CKV_AWS_18]"
    ),
    companion_types=LOGGING_TYPES,
    companion_name="BucketLogging",
    exempt_log_targets=True,
)
