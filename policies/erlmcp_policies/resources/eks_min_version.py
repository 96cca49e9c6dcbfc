"""eks-min-version: clusters run Kubernetes at least `min_kubernetes_version` (1.28).

An unset version lets EKS pick its current default, which passes.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import (
    config_value,
    is_unknown,
    parse_version,
    prop,
    resource_policy,
    schema,
    version_at_least,
)
from erlmcp_policies.resources._eks import CLUSTER


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    version = prop(args.props, "version")
    if version is None or is_unknown(version):
        return
    minimum_text = str(config_value(args, "min_kubernetes_version"))
    minimum = parse_version(minimum_text)
    actual = parse_version(version)
    if minimum is None:
        report_violation(f"min_kubernetes_version {minimum_text!r} is not a version.")
    elif actual is None:
        report_violation(f"version {version!r} is not a Kubernetes version.")
    elif not version_at_least(actual, minimum):
        report_violation(f"version is {version}; Kubernetes {minimum_text} or newer is required.")


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
