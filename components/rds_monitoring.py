"""The IAM role RDS Enhanced Monitoring publishes OS metrics with (one per account is enough).

Enhanced Monitoring samples the database host's OS (CPU steal, memory, I/O per process) every
`monitoring_interval` seconds into CloudWatch Logs; RDS does it as this role, which trusts only
`monitoring.rds.amazonaws.com` and holds AWS's managed AmazonRDSEnhancedMonitoringRole policy
(AWS RDS User Guide, "Setting up and enabling Enhanced Monitoring").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.service_role import service_role

MANAGED_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
# Seconds between samples: 60 is the finest interval without the cost of per-second metrics.
MONITORING_INTERVAL_SECONDS = 60


@dataclass(frozen=True)
class RdsMonitoringRoleArgs:
    tags: Mapping[str, str] = field(default_factory=dict)


class RdsMonitoringRole(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: RdsMonitoringRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:RdsMonitoringRole", name, None, opts)
        role, _ = service_role(
            f"{name}-role",
            service="monitoring.rds.amazonaws.com",
            description="RDS Enhanced Monitoring publishes OS metrics as this role",
            managed_policies={f"{name}-policy": MANAGED_POLICY_ARN},
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})


def enhanced_monitoring(role_arn: pulumi.Input[str] | None) -> dict[str, Any]:
    """Instance arguments that turn Enhanced Monitoring on with `role_arn` (off without one)."""
    if role_arn is None:
        return {"monitoring_interval": 0}
    return {"monitoring_interval": MONITORING_INTERVAL_SECONDS, "monitoring_role_arn": role_arn}
