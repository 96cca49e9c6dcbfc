"""What a wave's erlmcp StatefulSets run right now, read through Pulumi itself.

An HPA owns a region's pod count (`spec.replicas` is in the release's `ignore_changes`,
components/release.py), so the count in the stack file is only where the region started. The
canary's partition and its wait must be computed from the count the cluster runs, and the soak
must see that the canary's pods are still there and Ready. Both come from a targeted
`pulumi refresh` of the wave's StatefulSets followed by `pulumi stack export`:

- under `--target`, the engine makes refresh steps only for the targeted resources
  (pulumi/pulumi pkg/resource/deploy/deployment_executor.go `refresh`, the `targetsActual`
  loop, ~line 778), so nothing else in the stack is read or touched;
- pulumi-kubernetes' Read returns the live object as the resource's outputs, status included,
  and the live values of the fields the program sets as its inputs (provider/pkg/provider/
  provider.go `Read`, `pruneLiveState(liveObj, oldInputs)`, ~line 2083): after the refresh,
  state's `spec.replicas` is the HPA's count, which `ignore_changes` then keeps;
- a canary's StatefulSet is partitioned, so its revisions differ, and pulumi-kubernetes' read
  await calls it not initialized: Read runs the StatefulSet awaiter (provider/pkg/await/
  await.go `Read`, line 421; `revisionReady` at await/statefulset.go line 434), and the
  `pulumi.com/waitFor` condition is used only on create and update. The engine does not fail
  the refresh for it. It warns ("Refreshed resource is in an unhealthy state") and records init
  errors (pulumi/pulumi pkg/resource/deploy/step.go `RefreshStep.Apply`, line 1602), for which
  the next `up` makes an empty update of the StatefulSet "to continue awaiting initialization"
  (step_generator.go, line 2180). The step after a canary updates
  it anyway (the full step, or the rollback), and a resumed canary's preview shows the update,
  which is inside what the step may change.

The driver needs the same credentials for this as for `pulumi up` and no Kubernetes client of
its own. The export is run without `--show-secrets`, so the stack's secrets stay ciphertext:
the Automation API's own `Stack.export_stack` always passes that flag
(pulumi/automation/_local_workspace.py `export_stack`), so `PulumiStackState` runs the CLI
through the workspace's `pulumi_command`, with the environment the workspace gives every
command (`_run_pulumi_cmd_sync`: PULUMI_HOME, then its env vars).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pulumi.automation import Stack

from operations.names import own_statefulset_name

STATEFULSET = "kubernetes:apps/v1:StatefulSet"


class LiveReadError(Exception):
    """The live state could not be read; the message says what is missing."""


class StackState(Protocol):
    """What the reader needs of a stack: its state, and a targeted refresh."""

    def export(self) -> dict[str, Any]:
        """`pulumi stack export`: `{"version": .., "deployment": {"resources": [...]}}`."""
        ...

    def refresh(self, targets: list[str]) -> None: ...


class PulumiStackState:
    """A stack of the Automation API, exported with its secrets left encrypted."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def export(self) -> dict[str, Any]:
        workspace = self.stack.workspace
        env = {"PULUMI_HOME": workspace.pulumi_home} if workspace.pulumi_home else {}
        env.update(workspace.env_vars)
        result = workspace.pulumi_command.run(  # type: ignore[attr-defined]
            ["stack", "export", "--stack", self.stack.name], workspace.work_dir, env
        )
        try:
            return json.loads(result.stdout)
        except ValueError as error:
            raise LiveReadError(f"`pulumi stack export` gave no readable state: {error}") from None

    def refresh(self, targets: list[str]) -> None:
        self.stack.refresh(target=targets)


@dataclass(frozen=True)
class LiveRelease:
    """A region's own erlmcp StatefulSet as the cluster last reported it."""

    region: str
    replicas: int
    """`spec.replicas`: the HPA's count where there is an HPA."""
    partition: int
    ready: int
    available: int
    """Ready for at least minReadySeconds."""
    updated: int
    """Pods on the template's revision: the new version's pods during a canary."""
    namespace: str = ""
    current_revision: str = ""
    """`status.currentRevision`: the ControllerRevision the pods below the partition run (the
    stable pods during a canary); it becomes the update revision once every pod runs that."""
    update_revision: str = ""
    """`status.updateRevision`: the revision of the template (the canary's pods). The
    StatefulSet controller labels each pod `controller-revision-hash=<the revision's name>`
    (kubernetes/kubernetes pkg/controller/statefulset/stateful_set_utils.go:
    `newVersionedStatefulSetPod` picks currentRevision below the partition and updateRevision
    from it up, `setPodRevision` writes the label; `completeRollingUpdate` sets currentRevision
    to updateRevision once every pod is updated and Ready), which is how the canary's metrics
    are told from the stable pods' (canary.py)."""

    def describe(self) -> str:
        return (
            f"{self.ready}/{self.replicas} Ready, {self.available} available, "
            f"{self.updated} on the template's revision (partition {self.partition})"
        )


class LiveReader:
    """Reads the live StatefulSets of regions through a stack; URNs are looked up once."""

    def __init__(self, stack: StackState) -> None:
        self.stack = stack
        self._urns: dict[str, str] | None = None

    def read(self, regions: Sequence[str]) -> dict[str, LiveRelease]:
        urns = self._urns_of(regions)
        self.stack.refresh([urns[region] for region in regions])
        resources = _resources(self.stack.export())
        by_urn = {resource.get("urn"): resource for resource in resources}
        return {region: _live(region, by_urn.get(urns[region])) for region in regions}

    def _urns_of(self, regions: Sequence[str]) -> dict[str, str]:
        if self._urns is None:
            self._urns = {
                resource["urn"].rsplit("::", 1)[-1]: resource["urn"]
                for resource in _resources(self.stack.export())
                if resource.get("type") == STATEFULSET and "urn" in resource
            }
        found = {r: self._urns.get(own_statefulset_name(r)) for r in regions}
        missing = [own_statefulset_name(r) for r, urn in found.items() if urn is None]
        if missing:
            raise LiveReadError(
                f"the stack's state has no {', '.join(missing)}: deploy the stack "
                "(`pulumi up`) before rolling out to it"
            )
        return {r: urn for r, urn in found.items() if urn is not None}


def _resources(exported: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list((exported.get("deployment") or {}).get("resources") or [])


def _live(region: str, resource: Mapping[str, Any] | None) -> LiveRelease:
    name = own_statefulset_name(region)
    if resource is None:
        raise LiveReadError(f"{name} left the stack's state during the refresh")
    outputs = resource.get("outputs") or {}
    spec, status = outputs.get("spec") or {}, outputs.get("status") or {}
    replicas = spec.get("replicas")
    if not isinstance(replicas, int | float):
        raise LiveReadError(f"{name}: the refreshed state has no spec.replicas")
    partition = ((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get("partition")
    # Kubernetes leaves a zero count and an empty revision out of `status` (omitempty).
    return LiveRelease(
        region=region,
        replicas=int(replicas),
        partition=int(partition or 0),
        ready=int(status.get("readyReplicas") or 0),
        available=int(status.get("availableReplicas") or 0),
        updated=int(status.get("updatedReplicas") or 0),
        namespace=str((outputs.get("metadata") or {}).get("namespace") or ""),
        current_revision=str(status.get("currentRevision") or ""),
        update_revision=str(status.get("updateRevision") or ""),
    )
