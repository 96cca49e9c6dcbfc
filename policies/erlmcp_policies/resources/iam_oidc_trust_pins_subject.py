"""iam-oidc-trust-pins-subject: a role trusted by web identity names who may assume it.

Without a `sub` condition (or with only wildcards in it) STS accepts a token the issuer signed
for anyone: for GitHub's issuer, every workflow of every repository on github.com
(policies/erlmcp_policies/resources/_iam_oidc_trust.py).
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import resource_policy
from erlmcp_policies.resources._iam_oidc_trust import ROLE, web_identity_trusts


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for trust in web_identity_trusts(args.props):
        if trust.pinned_values("sub") is None:
            report_violation(
                f"The trust policy lets {trust.issuer} tokens assume the role without pinning "
                f"their subject: add StringEquals {{'{trust.issuer}:sub': <who>}} (for GitHub "
                "'repo:<owner>/<repo>:pull_request' or 'repo:<owner>/<repo>:environment:<name>')."
            )


POLICY = resource_policy(
    name="iam-oidc-trust-pins-subject",
    description=(
        "A role assumable through an OIDC identity provider pins the token's subject (sub) "
        "[CKV_AWS_358, CKV_AWS_393; erlmcp]"
    ),
    types=(ROLE,),
    validate=_validate,
)
