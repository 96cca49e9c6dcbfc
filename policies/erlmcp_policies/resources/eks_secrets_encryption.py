"""eks-secrets-encryption: Kubernetes secrets are envelope-encrypted with a KMS key."""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import has_value, is_unknown, items, prop, resource_policy
from erlmcp_policies.resources._eks import CLUSTER


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    config = prop(args.props, "encryptionConfig")
    if is_unknown(config):
        return
    # One object in pulumi-aws v6/v7; a list in older schemas.
    entries = [config] if isinstance(config, Mapping) else list(items(config))
    for entry in entries:
        resources = prop(entry, "resources")
        listed = list(items(resources))
        if is_unknown(entry) or is_unknown(resources) or any(is_unknown(r) for r in listed):
            return
        if "secrets" in listed:
            if not has_value(prop(entry, "provider", "keyArn")):
                report_violation("encryptionConfig covers secrets but names no provider.keyArn.")
            return
    report_violation(
        "encryptionConfig does not encrypt 'secrets': set resources ['secrets'] and a KMS key."
    )


POLICY = resource_policy(
    name="eks-secrets-encryption",
    description=(
        "Kubernetes secrets are envelope-encrypted with a KMS key [AWS FSBP EKS.3; CKV_AWS_58]"
    ),
    types=(CLUSTER,),
    validate=_validate,
)
