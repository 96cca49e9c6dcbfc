"""How the backup schedule of the stack config becomes S3 lifecycle rules.

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
