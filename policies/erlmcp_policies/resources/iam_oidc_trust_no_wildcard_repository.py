"""iam-oidc-trust-no-wildcard-repository: a role trusted by GitHub Actions names one repository.

GitHub's subject claim starts with the repository (`repo:<owner>/<repo>:...`, GitHub Docs "OpenID
Connect reference"). A wildcard in that part (`repo:my-org/*`, `repo:*`) lets every matching
repository's workflows, forks' pull requests aside, assume the role, including repositories
created later by anyone with access to the owner. checkov's CKV_AWS_358/393 accept
`repo:<org>/*`; this policy does not. A wildcard after the repository (`...:ref:refs/heads/*`)
is the repository's own business and passes.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import resource_policy
from erlmcp_policies.resources._iam_oidc_trust import (
    GITHUB_ISSUER,
    ROLE,
    WILDCARDS,
    web_identity_trusts,
)

REPOSITORY_PREFIX = "repo:"


def repository_of(subject: Any) -> str | None:
    """`owner/repo` of a GitHub subject claim pattern; None when it names no repository."""
    if not isinstance(subject, str) or not subject.startswith(REPOSITORY_PREFIX):
        return None
    repository = subject[len(REPOSITORY_PREFIX) :].split(":", 1)[0]
    owner, slash, name = repository.partition("/")
    if not (owner and slash and name) or set(repository) & WILDCARDS:
        return None
    return repository


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for trust in web_identity_trusts(args.props):
        if trust.issuer != GITHUB_ISSUER:
            continue
        for _operator, values in trust.claim_conditions("sub"):
            for value in values:
                if repository_of(value) is None:
                    report_violation(
                        f"GitHub subject {value!r} does not name exactly one repository: write "
                        "'repo:<owner>/<repo>:...' with no wildcard in the owner or repository."
                    )


POLICY = resource_policy(
    name="iam-oidc-trust-no-wildcard-repository",
    description=(
        "A role assumable by GitHub Actions trusts exactly one repository, never a wildcard "
        "[CKV_AWS_358, CKV_AWS_393 (stricter); erlmcp]"
    ),
    types=(ROLE,),
    validate=_validate,
)
