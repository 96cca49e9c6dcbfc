"""eks-min-version: clusters run Kubernetes at least `min_kubernetes_version` (1.28).

An unset version lets EKS pick its current default, which passes.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import (
    check_min_version,
    resource_policy,
    schema,
)
from erlmcp_policies.resources._eks import CLUSTER


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    check_min_version(
        args,
        report_violation,
        version_key="version",
        config_key="min_kubernetes_version",
        product="Kubernetes",
    )


POLICY = resource_policy(
    name="eks-min-version",
    description=(
        "Clusters run a supported Kubernetes release (1.28 or newer by default) "
        "[AWS FSBP EKS.2; CKV_AWS_339]"
    ),
    types=(CLUSTER,),
    validate=_validate,
    config_schema=schema("min_kubernetes_version"),
)
