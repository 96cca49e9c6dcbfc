"""What the rollout policies read: each erlmcp release's StatefulSet, the version its pod
template runs, its partition, and the region whose wave it belongs to (a standby release
follows its primary: `<standby>-standby-of-<primary>-erlmcp-statefulset`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from erlmcp_policies.common import UNKNOWN, prop

STATEFULSET = "kubernetes:apps/v1:StatefulSet"
VERSION_LABEL = "app.kubernetes.io/version"
_OWN = re.compile(r"^(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)-erlmcp-statefulset$")
_STANDBY = re.compile(
    r"^[a-z0-9-]+-standby-of-(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)-erlmcp-statefulset$"
)


@dataclass(frozen=True)
class Release:
    resource: PolicyResource
    region: str
    """The region whose wave moves this release (a standby: its primary)."""
    version: Any
    replicas: Any
    partition: Any

    def versions_run(self, previous: str | None) -> set[Any]:
        """The template's version, and the previous one on pods a partition holds back."""
        # Numbers arrive as floats through the engine's protobuf Struct.
        if isinstance(self.partition, int | float) and self.partition > 0 and previous:
            return {self.version, previous}
        return {self.version}


def releases(resources: list[PolicyResource]) -> list[Release]:
    found = []
    for resource in resources:
        if resource.resource_type != STATEFULSET:
            continue
        match = _OWN.match(resource.name) or _STANDBY.match(resource.name)
        if match is None:
            continue
        spec = resource.props.get("spec") or {}
        found.append(
            Release(
                resource=resource,
                region=match["region"],
                version=prop(spec, "template", "metadata", "labels", VERSION_LABEL),
                replicas=prop(spec, "replicas"),
                partition=prop(spec, "updateStrategy", "rollingUpdate", "partition"),
            )
        )
    return found


def known(value: Any) -> bool:
    return value is not UNKNOWN and value is not None
