"""kms-key-rotation: symmetric customer keys rotate their key material yearly.

Asymmetric and HMAC keys cannot rotate automatically and are not judged.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_true, is_unknown, prop, resource_policy

KEY = "aws:kms/key:Key"
SYMMETRIC = "SYMMETRIC_DEFAULT"


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for spec_key in ("customerMasterKeySpec", "keySpec"):
        spec = prop(args.props, spec_key)
        if is_unknown(spec):
            return
        if spec not in (None, SYMMETRIC):
            return
    rotation = prop(args.props, "enableKeyRotation")
    if not is_unknown(rotation) and not is_true(rotation):
        report_violation("enableKeyRotation must be true.")


POLICY = resource_policy(
    name="kms-key-rotation",
    description=(
        "Customer managed KMS keys rotate their key material automatically "
        "[AWS FSBP KMS.4; CKV_AWS_7]"
    ),
    types=(KEY,),
    validate=_validate,
)
