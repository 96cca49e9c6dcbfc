"""k8s-image-pinned: every container image is pulled by digest.

A tag (even an explicit one) can be pushed again, and a node that pulls after that runs other
bytes than the ones reviewed; only a digest names one image. `<image>:<tag>@sha256:<digest>`
keeps the tag for people: the kubelet pulls by the digest and ignores the tag.
"""

from __future__ import annotations

import re

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_unknown, prop, resource_policy
from erlmcp_policies.resources._k8s import WORKLOADS, containers, pod_spec

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for container in containers(pod_spec(args.resource_type, args.props)):
        image = prop(container.spec, "image")
        if is_unknown(image):
            continue
        if not isinstance(image, str) or not image:
            report_violation(f"{container.label} names no image.")
        elif not _DIGEST.search(image):
            report_violation(
                f"{container.label} image {image!r} is not pinned by digest (a tag can be pushed "
                "again); name it <image>:<tag>@sha256:<digest>."
            )


POLICY = resource_policy(
    name="k8s-image-pinned",
    description=(
        "Every rollout runs the reviewed build: container images are pulled by sha256 digest "
        "[CKV_K8S_43, CKV_K8S_14]"
    ),
    types=WORKLOADS,
    validate=_validate,
)
