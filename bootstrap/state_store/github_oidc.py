"""Keyless CI credentials: GitHub's OIDC identity provider and the two roles the workflows assume
(.github/workflows/, docs/review-and-deploy.md).

- **preview** (`erlmcp-ci-preview`): AWS's `ReadOnlyAccess`, plus reading the state buckets and
  decrypting with the state key (the stacks' secrets provider). `pulumi preview` on the DIY
  backend writes nothing: it takes no lock (pulumi/pulumi pkg/backend/diy/backend.go at
  1b5949891b3c, `Preview` lines 1197-1201 calls no `Lock`, unlike `Update` at 1203-1213), so
  the role reads the state, the lock objects among it, and nothing more. Assumable by this
  repository's pull-request jobs and by its main branch (the daily drift check).
- **deploy** (`erlmcp-ci-deploy`): what `pulumi up` of the erlmcp stacks needs. AWS's
  `PowerUserAccess` (every service but IAM and Organizations) and, for IAM, exactly what the
  program manages: roles, their inline and attached policies, passing them to services, and the
  EKS clusters' OIDC providers. Denied outright: IAM users, groups and their credentials; any
  change to the CI roles or GitHub's provider (a deploy could otherwise widen its own trust); and
  the destructive calls on the state buckets and key. Assumable only from this repository's
  `production` environment, whose required reviewers approve each deploy.

Both trust policies pin the token's audience (`aud`: `sts.amazonaws.com`, what
aws-actions/configure-aws-credentials asks for by default, action.yml `audience`) and subject
(`sub`): GitHub writes `repo:<owner>/<repo>:pull_request` for a pull_request event,
`repo:<owner>/<repo>:environment:<name>` for a job that names an environment and
`repo:<owner>/<repo>:ref:<ref>` otherwise (GitHub Docs, "OpenID Connect reference", example
subject claims). The policy pack refuses a trust without them (policies/erlmcp_policies/
resources/iam_oidc_trust_*.py).

No thumbprint: for GitHub's issuer IAM verifies the certificate against its own trusted root CAs
and ignores any thumbprint (pulumi-aws 7.51 `iam/open_id_connect_provider.py`, `thumbprint_lists`
docstring).

Every name is fixed, so the workflows and the deploy role's own deny statements name them
without a reference to this stack's outputs. Known limit: a role the deploy role creates can carry
any permission it may grant (iam:PutRolePolicy, iam:PassRole); only review of the plan, and the
production environment's approval, stand between a change and that.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
STS_AUDIENCE = "sts.amazonaws.com"
DEPLOY_ENVIRONMENT = "production"
MAIN_BRANCH = "refs/heads/main"
PREVIEW_ROLE_NAME = "erlmcp-ci-preview"
DEPLOY_ROLE_NAME = "erlmcp-ci-deploy"
CI_ROLE_PATTERN = "erlmcp-ci-*"
READ_ONLY_ACCESS = "arn:aws:iam::aws:policy/ReadOnlyAccess"
POWER_USER_ACCESS = "arn:aws:iam::aws:policy/PowerUserAccess"
# A preview is minutes; a deploy may be a whole rollout (seven steps of a 15-minute soak plus
# their updates). GitHub ends a hosted runner's job after 6 hours (GitHub Docs, "Usage limits"),
# so a longer session would outlive every job that could hold it.
PREVIEW_SESSION_SECONDS = 3600
DEPLOY_SESSION_SECONDS = 6 * 3600

# What the program's IAM resources need (aws.iam.Role, RolePolicy, RolePolicyAttachment,
# OpenIdConnectProvider in components/ and regions/), and passing its roles to the services.
DEPLOY_IAM_ACTIONS = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:GetRole",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:ListRoleTags",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:PutRolePolicy",
    "iam:GetRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PassRole",
    "iam:CreateOpenIDConnectProvider",
    "iam:DeleteOpenIDConnectProvider",
    "iam:GetOpenIDConnectProvider",
    "iam:TagOpenIDConnectProvider",
    "iam:UntagOpenIDConnectProvider",
    "iam:UpdateOpenIDConnectProviderThumbprint",
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:RemoveClientIDFromOpenIDConnectProvider",
    "iam:ListOpenIDConnectProviders",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:ListPolicyVersions",
)
# IAM users, groups and every kind of long-lived credential: no deploy makes any.
DENIED_IDENTITY_ACTIONS = (
    "iam:*User*",
    "iam:*Group*",
    "iam:*AccessKey*",
    "iam:*LoginProfile*",
    "iam:*MFADevice*",
    "iam:*SSHPublicKey*",
    "iam:*ServiceSpecificCredential*",
    "iam:*SigningCertificate*",
)
DENIED_STATE_BUCKET_ACTIONS = (
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
    "s3:PutReplicationConfiguration",
    "s3:PutEncryptionConfiguration",
    "s3:DeleteObjectVersion",
)
DENIED_STATE_KEY_ACTIONS = (
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:PutKeyPolicy",
    "kms:ReplicateKey",
    "kms:UpdatePrimaryRegion",
)


def oidc_provider_arn(account_id: str) -> str:
    """The provider's ARN, which IAM derives from its URL (no lookup needed)."""
    return f"arn:aws:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}"


def pull_request_subject(repository: str) -> str:
    return f"repo:{repository}:pull_request"


def branch_subject(repository: str, ref: str = MAIN_BRANCH) -> str:
    return f"repo:{repository}:ref:{ref}"


def environment_subject(repository: str, environment: str = DEPLOY_ENVIRONMENT) -> str:
    return f"repo:{repository}:environment:{environment}"


def trust_policy(account_id: str, subjects: Sequence[str]) -> dict[str, Any]:
    """GitHub's tokens for sts.amazonaws.com whose subject is one of `subjects`, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubActionsOfThisRepository",
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn(account_id)},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": list(subjects),
                    }
                },
            }
        ],
    }


def state_key_arns(account_id: str, key_id: str) -> str:
    """The multi-Region key in every region: its id is the same in each (state_store/key.py)."""
    return f"arn:aws:kms:*:{account_id}:key/{key_id}"


def _bucket_and_objects(bucket_arns: Sequence[str]) -> list[str]:
    return [arn for bucket in bucket_arns for arn in (bucket, f"{bucket}/*")]


def preview_permissions(bucket_arns: Sequence[str], key_arns: str) -> dict[str, Any]:
    """Reading the state (locks included) and decrypting it and the stacks' secrets."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadTheState",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": _bucket_and_objects(bucket_arns),
            },
            {
                "Sid": "DecryptTheStateAndItsSecrets",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": key_arns,
            },
        ],
    }


def deploy_permissions(
    account_id: str, bucket_arns: Sequence[str], key_arns: str
) -> dict[str, Any]:
    """IAM as the program uses it, and the denials described in the module's docstring."""
    ci_trust = [
        f"arn:aws:iam::{account_id}:role/{CI_ROLE_PATTERN}",
        oidc_provider_arn(account_id),
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ManageTheProgramsRolesAndOidcProviders",
                "Effect": "Allow",
                "Action": list(DEPLOY_IAM_ACTIONS),
                "Resource": [
                    f"arn:aws:iam::{account_id}:role/*",
                    f"arn:aws:iam::{account_id}:oidc-provider/*",
                    f"arn:aws:iam::{account_id}:policy/*",
                    "arn:aws:iam::aws:policy/*",
                ],
            },
            {
                "Sid": "NoIamUsersGroupsOrLongLivedCredentials",
                "Effect": "Deny",
                "Action": list(DENIED_IDENTITY_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "NoChangeToTheCiTrust",
                "Effect": "Deny",
                "NotAction": ["iam:Get*", "iam:List*"],
                "Resource": ci_trust,
            },
            {
                "Sid": "NoDestructionOfTheStateBuckets",
                "Effect": "Deny",
                "Action": list(DENIED_STATE_BUCKET_ACTIONS),
                "Resource": _bucket_and_objects(bucket_arns),
            },
            {
                "Sid": "NoDestructionOfTheStateKey",
                "Effect": "Deny",
                "Action": list(DENIED_STATE_KEY_ACTIONS),
                "Resource": key_arns,
            },
        ],
    }


@dataclass(frozen=True)
class GitHubCiArgs:
    repository: str
    """`owner/name`, checked by the config model (state_store/config.py)."""
    account_id: str
    state_bucket_arns: Sequence[str]
    """Both state buckets; their names are fixed (state_store/buckets.py)."""
    state_key_id: pulumi.Input[str]
    """The multi-Region key's id (`mrk-...`)."""
    iam_provider: pulumi.ProviderResource
    tags: Mapping[str, str] = field(default_factory=dict)


class GitHubCi(pulumi.ComponentResource):
    """GitHub's OIDC provider and the preview and deploy roles."""

    preview_role_arn: pulumi.Output[str]
    deploy_role_arn: pulumi.Output[str]
    provider_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: GitHubCiArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp-state:bootstrap:GitHubCi", name, None, opts)
        provider = aws.iam.OpenIdConnectProvider(
            f"{name}-github-oidc",
            url=GITHUB_OIDC_URL,
            client_id_lists=[STS_AUDIENCE],
            tags=dict(args.tags),
            opts=self._opts(args),
        )
        key_arns = pulumi.Output.from_input(args.state_key_id).apply(
            lambda key_id: state_key_arns(args.account_id, key_id)
        )
        buckets = list(args.state_bucket_arns)
        repository = args.repository
        preview = self._role(
            f"{name}-preview",
            args,
            role_name=PREVIEW_ROLE_NAME,
            subjects=[pull_request_subject(repository), branch_subject(repository)],
            managed_policy=READ_ONLY_ACCESS,
            permissions=key_arns.apply(lambda keys: json.dumps(preview_permissions(buckets, keys))),
            session_seconds=PREVIEW_SESSION_SECONDS,
            description=f"pulumi preview from {repository}'s pull requests and main branch",
            after=provider,
        )
        deploy = self._role(
            f"{name}-deploy",
            args,
            role_name=DEPLOY_ROLE_NAME,
            subjects=[environment_subject(repository)],
            managed_policy=POWER_USER_ACCESS,
            permissions=key_arns.apply(
                lambda keys: json.dumps(deploy_permissions(args.account_id, buckets, keys))
            ),
            session_seconds=DEPLOY_SESSION_SECONDS,
            description=f"pulumi up from {repository}'s {DEPLOY_ENVIRONMENT} environment",
            after=provider,
        )
        self.provider_arn = provider.arn
        self.preview_role_arn = preview.arn
        self.deploy_role_arn = deploy.arn
        self.register_outputs(
            {
                "provider_arn": self.provider_arn,
                "preview_role_arn": self.preview_role_arn,
                "deploy_role_arn": self.deploy_role_arn,
            }
        )

    def _opts(self, args: GitHubCiArgs, **extra: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=args.iam_provider, **extra)

    def _role(
        self,
        name: str,
        args: GitHubCiArgs,
        *,
        role_name: str,
        subjects: list[str],
        managed_policy: str,
        permissions: pulumi.Output[str],
        session_seconds: int,
        description: str,
        after: pulumi.Resource,
    ) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{name}-role",
            name=role_name,
            assume_role_policy=json.dumps(trust_policy(args.account_id, subjects)),
            description=description,
            max_session_duration=session_seconds,
            tags=dict(args.tags),
            # IAM refuses a trust that names a provider which does not exist yet.
            opts=self._opts(args, depends_on=[after]),
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-managed", role=role.name, policy_arn=managed_policy, opts=self._opts(args)
        )
        aws.iam.RolePolicy(
            f"{name}-policy", role=role.name, policy=permissions, opts=self._opts(args)
        )
        return role
