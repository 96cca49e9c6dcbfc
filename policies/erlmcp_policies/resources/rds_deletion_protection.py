"""rds-deletion-protection: databases cannot be deleted by accident.

Required on primaries and Aurora clusters; also on read replicas unless `require_on_replicas` is
false (a standby replica is the DR copy: losing it silently breaks the RPO).
"""

from __future__ import annotations

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_true, is_unknown, prop, resource_policy
from erlmcp_policies.resources._rds import CLUSTER, INSTANCE, is_replica, kind


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config() or {}
    on_replicas = config.get("require_on_replicas")
    on_replicas = True if on_replicas is None else bool(on_replicas)
    if args.resource_type == INSTANCE and is_replica(args.props) and not on_replicas:
        return
    protection = prop(args.props, "deletionProtection")
    if not is_unknown(protection) and not is_true(protection):
        report_violation(
            f"deletionProtection must be true on this {kind(args.resource_type, args.props)}."
        )


POLICY = resource_policy(
    name="rds-deletion-protection",
    description=(
        "Databases cannot be deleted by accident: deletionProtection is on "
        "[AWS FSBP RDS.8, RDS.7; CKV_AWS_293, CKV_AWS_139]"
    ),
    types=(INSTANCE, CLUSTER),
    validate=_validate,
    config_schema=PolicyConfigSchema(
        properties={
            "require_on_replicas": {
                "type": "boolean",
                "default": True,
                "description": "Also require deletion protection on read replicas.",
            }
        }
    ),
)
