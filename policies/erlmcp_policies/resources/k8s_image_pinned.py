"""k8s-image-pinned: every container image names an explicit tag other than latest, or a digest."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import is_unknown, prop, resource_policy
from erlmcp_policies.resources._k8s import WORKLOADS, containers, pod_spec


def image_tag(image: str) -> str | None:
    """The tag of an image reference ('registry:5000/app:1.2' -> '1.2'); None if untagged."""
    reference = image.split("@", 1)[0]
    last_segment = reference.rsplit("/", 1)[-1]
    if ":" not in last_segment:
        return None
    return last_segment.rsplit(":", 1)[1]


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for container in containers(pod_spec(args.resource_type, args.props)):
        image = prop(container.spec, "image")
        if is_unknown(image):
            continue
        if not isinstance(image, str) or not image:
            report_violation(f"{container.label} names no image.")
            continue
        if "@sha256:" in image:
            continue
        tag = image_tag(image)
        if tag is None:
            report_violation(f"{container.label} image {image!r} has no tag (means 'latest').")
        elif tag == "latest":
            report_violation(f"{container.label} image {image!r} uses the 'latest' tag.")


POLICY = resource_policy(
    name="k8s-image-pinned",
    description=(
        "Every rollout runs a known build: images carry an explicit tag other than latest, or a "
        "digest [CKV_K8S_14, CKV_K8S_43]"
    ),
    types=WORKLOADS,
    validate=_validate,
)
