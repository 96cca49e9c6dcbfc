"""How the backup schedule of the stack config becomes S3 lifecycle rules, and what erlmcp
pods may do in their region's backup bucket.

Each `backups.objects.<name>` entry is one prefix, `<environment>/<name>/`, of every region's
backup bucket (the layout the runbook's scripts use: s3://…/prod/{postgres,ets,config,…}/).
"""

from __future__ import annotations

from components.backups import LifecycleRule
from regions.config import StackConfig


def lifecycle_rules(stack: StackConfig) -> list[LifecycleRule]:
    return [
        LifecycleRule(
            id=f"{stack.environment}-{name}",
            prefix=f"{stack.environment}/{name}/",
            expire_days=retention.expire_days,
            noncurrent_expire_days=retention.noncurrent_expire_days or retention.expire_days,
            glacier_after_days=retention.glacier_after_days,
        )
        for name, retention in sorted(stack.backups.objects.items())
    ]


def backup_writer_policy(bucket_arn: str, key_arn: str, environment: str, region: str) -> dict:
    """erlmcp writes ETS snapshots and config copies to its region's bucket, and nothing else."""
    prefixes = [f"{environment}/ets/", f"{environment}/config/"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListOwnPrefixes",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                "Condition": {"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}},
            },
            {
                "Sid": "ReadWriteOwnPrefixes",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": [f"{bucket_arn}/{p}*" for p in prefixes],
            },
            {
                "Sid": "UseRegionKeyThroughS3",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            },
        ],
    }
