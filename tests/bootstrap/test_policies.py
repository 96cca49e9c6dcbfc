"""The main project's policy pack over the `erlmcp-state` stack.

Its resource policies (S3, KMS, tags) apply as they are. Its stack policies check the erlmcp
topology (DR pairs, DNS, VPCs, backup buckets and vaults) and do not apply: two-way replication
even looks like a DR pair to `dr-standby-holds-replicas`. `bootstrap/policy-config.json` turns
those off, for this runner and for `pulumi preview --policy-pack ../policies
--policy-pack-config policy-config.json` alike.
"""

from __future__ import annotations

import copy

from erlmcp_policies.stack import STACK_POLICIES
from offline.analyzer import Diagnostic
from offline.policy_runner import PolicyReport, analyze_recorded, pack_analyzer
from offline.recorder import RecordedStack
from tests.bootstrap.conftest import (
    BUCKET,
    KEY,
    PRIMARY,
    VERSIONING,
    pack_report,
    policy_config,
    state_config,
)

APPLICABLE = (
    "s3-versioning-enabled",
    "s3-bucket-has-versioning",
    "s3-sse-kms",
    "s3-bucket-has-sse-kms",
    "s3-bucket-has-access-logging",
    "s3-public-access-block",
    "s3-bucket-has-public-access-block",
    "s3-tls-only-policy",
    "s3-bucket-has-tls-policy",
    "s3-lifecycle-configured",
    "s3-bucket-has-lifecycle",
    "s3-backup-replicated-cross-region",
    "s3-replication-metrics-on",
    "kms-key-rotation",
    "tags-required",
    # The CI roles' trust (tests/bootstrap/test_github_oidc.py: with `githubRepository` set).
    "iam-oidc-trust-pins-audience",
    "iam-oidc-trust-pins-subject",
    "iam-oidc-trust-no-wildcard-repository",
)


def summary(diagnostics: list[Diagnostic]) -> list[tuple[str, str, str]]:
    return [(d.policy, d.enforcement_level, d.urn.rsplit("::", 1)[-1]) for d in diagnostics]


def test_the_pack_passes(state_report: PolicyReport):
    assert summary(state_report.diagnostics) == []
    assert state_report.passed


def test_exactly_the_topology_policies_are_off_and_the_resource_policies_on(state_report):
    assert set(policy_config()) == {p.name for p in STACK_POLICIES}
    assert set(policy_config().values()) == {"disabled"}
    # The resource policies that apply to this stack's resources are all mandatory here.
    levels = pack_analyzer(policy_config()).levels
    assert {name: levels[name] for name in APPLICABLE} == dict.fromkeys(APPLICABLE, "mandatory")


def test_without_the_config_the_topology_policies_would_misread_the_stack(
    state_stack: RecordedStack,
):
    report = analyze_recorded(state_stack, stack_config=state_config())
    assert {d.policy for d in report.mandatory} == {"dr-standby-holds-replicas"}


def without(stack: RecordedStack, type_: str, name: str) -> RecordedStack:
    broken = copy.deepcopy(stack)
    broken.resources = [r for r in broken.resources if not (r.type == type_ and r.name == name)]
    assert len(broken.resources) == len(stack.resources) - 1
    return broken


def test_a_state_bucket_without_versioning_fails_the_pack(state_stack: RecordedStack):
    report = pack_report(without(state_stack, VERSIONING, f"state-{PRIMARY}-versioning"))
    assert not report.passed
    assert summary(report.mandatory) == [
        ("s3-bucket-has-versioning", "mandatory", f"state-{PRIMARY}-bucket")
    ]


def test_a_key_without_rotation_fails_the_pack(state_stack: RecordedStack):
    broken = copy.deepcopy(state_stack)
    [key] = broken.of_type(KEY)
    key.inputs["enableKeyRotation"] = False
    assert summary(pack_report(broken).mandatory) == [
        ("kms-key-rotation", "mandatory", f"state-key-{PRIMARY}")
    ]


def test_an_untagged_bucket_fails_the_pack(state_stack: RecordedStack):
    broken = copy.deepcopy(state_stack)
    bucket = broken.one(BUCKET, f"state-{PRIMARY}-bucket")
    del bucket.inputs["tags"]["owner"]
    assert summary(pack_report(broken).mandatory) == [
        ("tags-required", "mandatory", f"state-{PRIMARY}-bucket")
    ]


def test_the_pack_passes_on_a_first_preview_too(preview_stack: RecordedStack):
    report = pack_report(preview_stack, preview=True)
    assert summary(report.diagnostics) == []
