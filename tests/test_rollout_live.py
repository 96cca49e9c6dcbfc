"""operations/live.py: the live pod counts come from a targeted refresh of the region's own
StatefulSet, then the stack's state; a missing StatefulSet or count is an error naming it. And
the stack file's `livePods` (operations/rollout/state.py) is read strictly."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from operations.live import LiveReader, LiveReadError, PulumiStackState
from operations.rollout.state import read_rollout
from operations.stack_file import StackFileError

PREFIX = "urn:pulumi:prod::erlmcp-infra::erlmcp:regions:Region$erlmcp:components:ErlmcpRelease$"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"


def statefulset(name: str, outputs: dict[str, Any]) -> dict[str, Any]:
    return {"urn": f"{PREFIX}{STATEFULSET}::{name}", "type": STATEFULSET, "outputs": outputs}


class FakeStack:
    """State before the refresh says 2 pods; the cluster (after it) runs 5."""

    def __init__(self, resources_after: list[dict[str, Any]]) -> None:
        self.refreshed: list[list[str]] = []
        self.before = [
            statefulset("eu-west-1-erlmcp-statefulset", {"spec": {"replicas": 2}}),
            statefulset("eu-central-1-standby-of-eu-west-1-erlmcp-statefulset", {}),
        ]
        self.after = resources_after

    def export(self) -> dict[str, Any]:
        resources = self.after if self.refreshed else self.before
        return {"version": 3, "deployment": {"resources": resources}}

    def refresh(self, targets: list[str]) -> None:
        self.refreshed.append(list(targets))


def test_the_count_is_read_after_a_refresh_of_only_the_regions_statefulset():
    live = {
        "spec": {"replicas": 5, "updateStrategy": {"rollingUpdate": {"partition": 4}}},
        "status": {"replicas": 5, "readyReplicas": 5, "availableReplicas": 4, "updatedReplicas": 1},
    }
    stack = FakeStack([statefulset("eu-west-1-erlmcp-statefulset", live)])

    [release] = LiveReader(stack).read(["eu-west-1"]).values()

    assert stack.refreshed == [[f"{PREFIX}{STATEFULSET}::eu-west-1-erlmcp-statefulset"]]
    assert (release.replicas, release.partition, release.ready, release.available) == (5, 4, 5, 4)
    assert release.updated == 1


def test_zero_counts_left_out_of_status_read_as_zero():
    stack = FakeStack([statefulset("eu-west-1-erlmcp-statefulset", {"spec": {"replicas": 3}})])
    [release] = LiveReader(stack).read(["eu-west-1"]).values()
    assert (release.ready, release.available, release.updated, release.partition) == (0, 0, 0, 0)
    assert (release.namespace, release.current_revision, release.update_revision) == ("", "", "")


def test_the_revisions_that_label_canary_and_stable_pods_are_read():
    live = {
        "metadata": {"name": "erlmcp-cluster", "namespace": "erlmcp-prod"},
        "spec": {"replicas": 5, "updateStrategy": {"rollingUpdate": {"partition": 4}}},
        "status": {
            "currentRevision": "erlmcp-cluster-6d9f",
            "updateRevision": "erlmcp-cluster-7c4b",
        },
    }
    stack = FakeStack([statefulset("eu-west-1-erlmcp-statefulset", live)])

    [release] = LiveReader(stack).read(["eu-west-1"]).values()

    assert release.namespace == "erlmcp-prod"
    assert (release.current_revision, release.update_revision) == (
        "erlmcp-cluster-6d9f",
        "erlmcp-cluster-7c4b",
    )


def test_a_region_without_its_statefulset_is_named():
    stack = FakeStack([])
    with pytest.raises(LiveReadError, match="no us-east-1-erlmcp-statefulset: deploy the stack"):
        LiveReader(stack).read(["us-east-1"])
    assert stack.refreshed == []  # nothing refreshed on a lookup that failed


def test_state_without_a_count_is_an_error():
    stack = FakeStack([statefulset("eu-west-1-erlmcp-statefulset", {"spec": {}})])
    with pytest.raises(LiveReadError, match=r"eu-west-1-erlmcp-statefulset: .* no spec\.replicas"):
        LiveReader(stack).read(["eu-west-1"])


@pytest.mark.parametrize("live", [["eu-west-1"], {"eu-west-1": "five"}, {"eu-west-1": -1}])
def test_a_malformed_live_pods_mapping_is_refused(live: Any):
    config = {
        "erlmcp-infra:rollout": {
            "version": "3.1.0",
            "waves": [["eu-west-1"]],
            "wave": 1,
            "canaryPods": 1,
            "livePods": live,
        }
    }
    with pytest.raises(StackFileError, match="livePods: region -> pod count"):
        read_rollout(config)


def test_an_export_that_is_no_state_is_an_error():
    def run(args: list[str], cwd: str, env: dict[str, str]) -> Any:
        assert args == ["stack", "export", "--stack", "prod"]  # no --show-secrets
        return SimpleNamespace(stdout="error: no stack named 'prod' found")

    workspace = SimpleNamespace(
        pulumi_home=None, env_vars={}, work_dir=".", pulumi_command=SimpleNamespace(run=run)
    )
    stack = SimpleNamespace(workspace=workspace, name="prod")
    with pytest.raises(LiveReadError, match="`pulumi stack export` gave no readable state"):
        PulumiStackState(stack).export()  # type: ignore[arg-type]
