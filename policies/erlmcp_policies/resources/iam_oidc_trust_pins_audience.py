"""iam-oidc-trust-pins-audience: a role trusted by web identity names the token audience it accepts.

Without an `aud` condition STS accepts a token the issuer made for any client: for GitHub, a
token any workflow requests for another cloud or service (policies/erlmcp_policies/resources/
_iam_oidc_trust.py).
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import resource_policy
from erlmcp_policies.resources._iam_oidc_trust import ROLE, web_identity_trusts


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for trust in web_identity_trusts(args.props):
        if trust.pinned_values("aud") is None:
            report_violation(
                f"The trust policy lets {trust.issuer} tokens assume the role without pinning "
                f"their audience: add StringEquals {{'{trust.issuer}:aud': "
                "'sts.amazonaws.com'}."
            )


POLICY = resource_policy(
    name="iam-oidc-trust-pins-audience",
    description=(
        "A role assumable through an OIDC identity provider pins the token's audience (aud) "
        "[erlmcp]"
    ),
    types=(ROLE,),
    validate=_validate,
)
