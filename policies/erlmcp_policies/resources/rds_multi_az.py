"""rds-multi-az: primary database instances run with a synchronous standby in another AZ.

Read replicas are exempt: the cross-region replica is the DR copy, and a Multi-AZ replica doubles
its cost for no RPO gain. Aurora clusters are exempt: their storage spans AZs by design.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_true, is_unknown, prop, resource_policy
from erlmcp_policies.resources._rds import INSTANCE, is_replica


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if is_replica(args.props):
        return
    multi_az = prop(args.props, "multiAz")
    if not is_unknown(multi_az) and not is_true(multi_az):
        report_violation("multiAz must be true on a primary database instance.")


POLICY = resource_policy(
    name="rds-multi-az",
    description=(
        "A primary database survives the loss of an Availability Zone: multiAz is on "
        "[AWS FSBP RDS.5; CKV_AWS_157]"
    ),
    types=(INSTANCE,),
    validate=_validate,
)
