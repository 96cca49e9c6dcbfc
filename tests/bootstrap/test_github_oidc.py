"""The CI roles of the `erlmcp-state` stack (state_store/github_oidc.py): GitHub's OIDC provider,
the preview and deploy roles, their pinned trust and their permissions, the pack over them, and
the documents accepted by IAM's own validation (moto)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from offline.recorder import RecordedResource, RecordedStack
from state_store.config import StateStoreConfigError, parse_config, project_values
from state_store.github_oidc import (
    DEPLOY_ROLE_NAME,
    GITHUB_OIDC_HOST,
    PREVIEW_ROLE_NAME,
)
from tests.bootstrap.conftest import (
    ROLE,
    ROLE_POLICY,
    STACK_FILE_TAGS,
    pack_report,
    provider_of,
    record_state_store,
    state_config,
)
from tests.moto_server import moto_endpoint

REPOSITORY = "acme/erlmcp-infra"
ACCOUNT = "123456789012"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB_OIDC_HOST}"
BUCKETS = [f"arn:aws:s3:::erlmcp-pulumi-state-{ACCOUNT}-{r}" for r in ("us-east-2", "us-west-2")]


def ci_config(repository: str = REPOSITORY) -> dict[str, Any]:
    config = state_config()
    config["erlmcp-state:githubRepository"] = repository
    return config


@pytest.fixture(scope="module")
def ci_stack() -> RecordedStack:
    """The stack file's stack with `githubRepository` set (the shipped file leaves it out)."""
    return record_state_store(ci_config())


def role(stack: RecordedStack, name: str) -> RecordedResource:
    [found] = [r for r in stack.of_type(ROLE) if r.plain_inputs.get("name") == name]
    return found


def inline_policy(stack: RecordedStack, role_name: str) -> dict[str, Any]:
    [found] = [
        r for r in stack.of_type(ROLE_POLICY) if r.name == f"ci-{role_name.split('-')[-1]}-policy"
    ]
    return json.loads(found.plain_inputs["policy"])


def test_the_repository_is_one_github_repository_or_nothing():
    values = project_values(state_config())
    assert parse_config(values).github_repository is None
    assert (
        parse_config({**values, "githubRepository": "a-b/c.d_e"}).github_repository == "a-b/c.d_e"
    )
    for bad in ("acme/*", "*", "acme", "acme/infra/x", "-acme/infra", "acme/..", "ac me/x"):
        with pytest.raises(StateStoreConfigError, match=r"githubRepository: .* not one GitHub"):
            parse_config({**values, "githubRepository": bad})


def test_without_a_repository_no_ci_resource_is_made(state_stack: RecordedStack):
    assert state_stack.of_type(OIDC) == []
    assert not [r for r in state_stack.of_type(ROLE) if "erlmcp-ci" in str(r.inputs.get("name"))]


def test_githubs_provider_for_sts(ci_stack: RecordedStack):
    [provider] = ci_stack.of_type(OIDC)
    assert provider.plain_inputs["url"] == f"https://{GITHUB_OIDC_HOST}"
    assert provider.plain_inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert "thumbprintLists" not in provider.plain_inputs
    assert provider.outputs["arn"] == PROVIDER_ARN
    assert provider_of(ci_stack, provider).name == "aws-global"


@pytest.mark.parametrize(
    ("name", "subjects", "managed", "hours"),
    [
        (
            PREVIEW_ROLE_NAME,
            [f"repo:{REPOSITORY}:pull_request", f"repo:{REPOSITORY}:ref:refs/heads/main"],
            "ReadOnlyAccess",
            1,
        ),
        (DEPLOY_ROLE_NAME, [f"repo:{REPOSITORY}:environment:production"], "PowerUserAccess", 6),
    ],
)
def test_each_role_trusts_only_its_subjects_for_sts(ci_stack, name, subjects, managed, hours):
    found = role(ci_stack, name)
    [statement] = json.loads(found.plain_inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Federated": PROVIDER_ARN}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
            f"{GITHUB_OIDC_HOST}:sub": subjects,
        }
    }
    [provider] = ci_stack.of_type(OIDC)
    assert provider.urn in found.dependencies
    assert found.plain_inputs["maxSessionDuration"] == hours * 3600
    assert found.plain_inputs["tags"] == STACK_FILE_TAGS
    [attachment] = [a for a in ci_stack.of_type(ATTACHMENT) if found.urn in a.dependencies]
    assert attachment.plain_inputs["policyArn"] == f"arn:aws:iam::aws:policy/{managed}"
    assert provider_of(ci_stack, found).name == "aws-global"


def test_the_preview_role_reads_the_state_and_decrypts_and_writes_nothing(ci_stack):
    document = inline_policy(ci_stack, PREVIEW_ROLE_NAME)
    actions = [a for s in document["Statement"] for a in s["Action"]]
    assert {s["Effect"] for s in document["Statement"]} == {"Allow"}
    assert not [a for a in actions if a.split(":")[1].startswith(("Put", "Delete", "Encrypt"))]
    read, keys = document["Statement"]
    assert read["Resource"] == [a for b in BUCKETS for a in (b, f"{b}/*")]
    assert keys["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    assert keys["Resource"].startswith(f"arn:aws:kms:*:{ACCOUNT}:key/mrk-")


def test_the_deploy_role_manages_roles_but_no_user_and_not_its_own_trust(ci_stack):
    statements = {s["Sid"]: s for s in inline_policy(ci_stack, DEPLOY_ROLE_NAME)["Statement"]}
    allowed = statements["ManageTheProgramsRolesAndOidcProviders"]
    assert allowed["Effect"] == "Allow"
    assert not [a for a in allowed["Action"] if "User" in a or "Group" in a or "AccessKey" in a]
    assert {"iam:CreateRole", "iam:PassRole", "iam:CreateOpenIDConnectProvider"} <= set(
        allowed["Action"]
    )
    users = statements["NoIamUsersGroupsOrLongLivedCredentials"]
    assert (users["Effect"], users["Resource"]) == ("Deny", "*")
    assert {"iam:*User*", "iam:*AccessKey*", "iam:*LoginProfile*"} <= set(users["Action"])
    trust = statements["NoChangeToTheCiTrust"]
    assert trust["Effect"] == "Deny" and trust["NotAction"] == ["iam:Get*", "iam:List*"]
    assert trust["Resource"] == [f"arn:aws:iam::{ACCOUNT}:role/erlmcp-ci-*", PROVIDER_ARN]
    assert statements["NoDestructionOfTheStateBuckets"]["Resource"][::2] == BUCKETS
    assert "kms:ScheduleKeyDeletion" in statements["NoDestructionOfTheStateKey"]["Action"]


def test_the_role_arns_are_stack_outputs(ci_stack: RecordedStack):
    assert (
        ci_stack.outputs["ciPreviewRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/{PREVIEW_ROLE_NAME}"
    )
    assert ci_stack.outputs["ciDeployRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/{DEPLOY_ROLE_NAME}"


def test_the_pack_passes_with_the_ci_roles(ci_stack: RecordedStack):
    report = pack_report(ci_stack)
    assert report.diagnostics == [], report.format()


@pytest.mark.parametrize(
    ("claim", "value", "policy"),
    [
        ("sub", None, "iam-oidc-trust-pins-subject"),
        ("aud", None, "iam-oidc-trust-pins-audience"),
        ("sub", ["repo:acme/*:pull_request"], "iam-oidc-trust-no-wildcard-repository"),
    ],
)
def test_a_loosened_trust_fails_the_pack(ci_stack: RecordedStack, claim, value, policy):
    broken = copy.deepcopy(ci_stack)
    deploy = role(broken, DEPLOY_ROLE_NAME)
    document = json.loads(deploy.inputs["assumeRolePolicy"])
    conditions = document["Statement"][0]["Condition"]["StringEquals"]
    if value is None:
        del conditions[f"{GITHUB_OIDC_HOST}:{claim}"]
    else:
        conditions[f"{GITHUB_OIDC_HOST}:{claim}"] = value
    deploy.inputs["assumeRolePolicy"] = json.dumps(document)
    assert [(d.policy, d.urn.rsplit("::", 1)[-1]) for d in pack_report(broken).mandatory] == [
        (policy, "ci-deploy-role")
    ]


@pytest.fixture(scope="module")
def iam() -> Iterator[Any]:
    with moto_endpoint() as url:
        yield boto3.client("iam", region_name="us-east-1", endpoint_url=url)


def test_iam_accepts_the_provider_roles_and_documents(ci_stack: RecordedStack, iam):
    """moto validates policy documents as IAM does (its IAMPolicyDocumentValidator: versions,
    effects, actions' `service:action` shape, resources, condition operators)."""
    [provider] = ci_stack.of_type(OIDC)
    iam.create_open_id_connect_provider(
        Url=provider.plain_inputs["url"], ClientIDList=provider.plain_inputs["clientIdLists"]
    )
    for name in (PREVIEW_ROLE_NAME, DEPLOY_ROLE_NAME):
        found = role(ci_stack, name)
        iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=found.plain_inputs["assumeRolePolicy"],
            MaxSessionDuration=int(found.plain_inputs["maxSessionDuration"]),
        )
        iam.put_role_policy(
            RoleName=name,
            PolicyName="inline",
            PolicyDocument=json.dumps(inline_policy(ci_stack, name)),
        )
    assert {r["RoleName"] for r in iam.list_roles()["Roles"]} >= {
        PREVIEW_ROLE_NAME,
        DEPLOY_ROLE_NAME,
    }
