"""Fixtures of the `erlmcp-state` stack's tests: the real `bootstrap/__main__.py`, run against
`bootstrap/Pulumi.state.yaml` under the recording mock runtime, once per session.

The program imports its `state_store` package from `bootstrap/`, which the Pulumi CLI puts on
`sys.path` (it runs the program from its project directory); pytest's `pythonpath` does here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pytest

from offline.mocks import RealisticMocks
from offline.policy_runner import FirstPreviewMocks, PolicyReport, analyze_recorded
from offline.recorder import RecordedResource, RecordedStack, RecordingMonitor
from offline.stacks import REPO_ROOT, run_stack_file, stack_file_config

BOOTSTRAP_DIR = REPO_ROOT / "bootstrap"

MAIN_PROGRAM = BOOTSTRAP_DIR / "__main__.py"
STACK_FILE = BOOTSTRAP_DIR / "Pulumi.state.yaml"
POLICY_CONFIG_FILE = BOOTSTRAP_DIR / "policy-config.json"
PROJECT = "erlmcp-state"
STACK = "state"
PRIMARY, REPLICA = "us-east-2", "us-west-2"
# The key's other replicas (`keyReplicaRegions`): the regions of the erlmcp stacks.
KEY_REPLICA_REGIONS = ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1")
KEY_REGIONS = (PRIMARY, REPLICA, *KEY_REPLICA_REGIONS)

BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"
REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
ALIAS = "aws:kms/alias:Alias"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
# The tags the stack file gives every taggable resource, with the program's project tag.
STACK_FILE_TAGS = {
    "service": "erlmcp",
    "environment": "shared",
    "owner": "platform-sre",
    "cost-center": "erlmcp",
    "managed-by": "pulumi",
    "project": "erlmcp-state",
}


class StateStoreMocks(RealisticMocks):
    """RealisticMocks (which answer multi-Region keys and replicas like KMS), plus a record of
    every invoke (the program must make none)."""

    def __init__(self) -> None:
        super().__init__()
        self.invokes: list[pulumi.runtime.MockCallArgs] = []

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list]:
        self.invokes.append(args)
        return super().call(args)


def state_config() -> dict[str, Any]:
    """A fresh copy of the stack file's `config:` mapping."""
    return copy.deepcopy(stack_file_config(STACK_FILE))


def record_state_store(
    config: Mapping[str, Any],
    *,
    monitor: RecordingMonitor | None = None,
    preview: bool = False,
) -> RecordedStack:
    """Run `bootstrap/__main__.py` against a stack file's config mapping."""
    return run_stack_file(
        dict(config),
        stack=STACK,
        monitor=monitor or RecordingMonitor(StateStoreMocks()),
        preview=preview,
        program=MAIN_PROGRAM,
        project=PROJECT,
    )


def policy_config() -> dict[str, Any]:
    return json.loads(POLICY_CONFIG_FILE.read_text())


def pack_report(recorded: RecordedStack, *, preview: bool = False) -> PolicyReport:
    """The main project's policy pack over a recording, with the pack config this stack gives
    the CLI too (bootstrap/policy-config.json)."""
    return analyze_recorded(
        recorded, stack_config=state_config(), policy_config=policy_config(), preview=preview
    )


@pytest.fixture(scope="session")
def state_run() -> tuple[RecordedStack, StateStoreMocks]:
    """The stack file's stack, recorded once per session, and the mocks that answered it."""
    mocks = StateStoreMocks()
    return record_state_store(state_config(), monitor=RecordingMonitor(mocks)), mocks


@pytest.fixture(scope="session")
def state_stack(state_run: tuple[RecordedStack, StateStoreMocks]) -> RecordedStack:
    """Tests only read it; a test that changes a recording works on a deep copy."""
    return state_run[0]


@pytest.fixture(scope="session")
def state_report(state_stack: RecordedStack) -> PolicyReport:
    return pack_report(state_stack)


@pytest.fixture(scope="session")
def preview_stack() -> RecordedStack:
    """The stack as a first `pulumi preview` sees it: everything AWS assigns is unknown."""
    return record_state_store(
        state_config(), monitor=RecordingMonitor(FirstPreviewMocks()), preview=True
    )


@pytest.fixture
def in_region() -> Callable[[RecordedStack, str, str], RecordedResource]:
    """`in_region(stack, type, region)`: the one resource of `type` there that is no access-log
    bucket's (those are named `...-access-logs-...`)."""

    def find(stack: RecordedStack, type_: str, region: str) -> RecordedResource:
        found = [
            r for r in stack.of_type(type_) if r.region == region and "-access-logs" not in r.name
        ]
        assert len(found) == 1, f"{len(found)} {type_} in {region}: {[r.name for r in found]}"
        return found[0]

    return find


def provider_of(stack: RecordedStack, resource: RecordedResource) -> RecordedResource:
    """The provider resource a resource's provider reference (`<urn>::<id>`) names."""
    assert resource.provider, f"{resource.urn} has no provider"
    return stack.by_urn()[resource.provider.rsplit("::", 1)[0]]
