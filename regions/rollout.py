"""Which erlmcp version each release runs while a rollout (`erlmcp-infra:rollout`) is under way.

The runbook's rolling wave (§4.4): waves of regions, each soaked and checked before the next;
within the wave in progress a canary first (§4.1). In Kubernetes' own terms a canary is a
StatefulSet whose pod template carries the new version and whose `updateStrategy.rollingUpdate
.partition` keeps every pod with a lower ordinal on the old revision, so only the highest
`canaryPods` ordinals run it (Kubernetes docs, StatefulSet "Partitioned rolling updates").
A standby release runs its primary's settled version: the old one while the primary's wave is
a canary, the new one once the wave has it everywhere. A failover therefore never changes a
version.
"""

from __future__ import annotations

from dataclasses import dataclass

from regions.config import StackConfig


@dataclass(frozen=True)
class ReleaseVersion:
    version: str
    """What the StatefulSet's pod template runs."""
    partition: int = 0
    """Pods with a lower ordinal keep the revision they run (0: every pod takes the template)."""


def release_pods(stack: StackConfig, region: str) -> int:
    """The pod count a region's own release is sized to: its configured `pods`, except during
    its wave's canary, where the count the HPA runs (`rollout.livePods`, read from the cluster by
    the driver) is the one the partition must be taken from. With an HPA the StatefulSet's
    `spec.replicas` is in `ignore_changes` (components/release.py), so the value sent is the
    value Pulumi's state holds after the driver's refresh; giving the program the same number
    keeps the partition, the canary's wait and the rollout policies on the count that runs."""
    configured = stack.regions[region].pods
    rollout = stack.rollout
    if rollout is None or stack.regions[region].hpa is None:
        return configured
    return rollout.live_pods.get(region, configured)


def region_version(stack: StackConfig, region: str, replicas: int) -> ReleaseVersion:
    """The version of a region's own release of `replicas` pods."""
    rollout = stack.rollout
    if rollout is None:
        return ReleaseVersion(stack.release.version)
    wave = rollout.wave_of(region)
    if wave is None or wave > rollout.wave:
        return ReleaseVersion(stack.release.version)
    if wave == rollout.wave and rollout.canary_pods:
        canary = min(rollout.canary_pods, replicas)
        return ReleaseVersion(rollout.version, partition=replicas - canary)
    return ReleaseVersion(rollout.version)


def settled_version(stack: StackConfig, region: str) -> str:
    """The version every pod of `region` runs once its wave's current step is done: what its
    standby releases run."""
    rollout = stack.rollout
    if rollout is None:
        return stack.release.version
    wave = rollout.wave_of(region)
    done = wave is not None and (
        wave < rollout.wave or (wave == rollout.wave and not rollout.canary_pods)
    )
    return rollout.version if done else stack.release.version
