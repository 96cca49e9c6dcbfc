"""s3-public-access-block: all four block-public-access flags are on."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_true, is_unknown, prop, resource_policy
from erlmcp_policies.resources._s3 import PUBLIC_ACCESS_BLOCK_TYPES

FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    off = [
        flag
        for flag in FLAGS
        if not is_unknown(prop(args.props, flag)) and not is_true(prop(args.props, flag))
    ]
    if off:
        report_violation(f"{', '.join(off)} must be true (all four flags block public access).")


POLICY = resource_policy(
    name="s3-public-access-block",
    description=(
        "Nothing in a bucket can be made public: all four block-public-access flags are on "
        "[AWS FSBP S3.8; CKV_AWS_53, CKV_AWS_54, CKV_AWS_55, CKV_AWS_56]"
    ),
    types=PUBLIC_ACCESS_BLOCK_TYPES,
    validate=_validate,
)
