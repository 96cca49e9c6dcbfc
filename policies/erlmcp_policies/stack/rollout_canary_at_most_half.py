"""rollout-canary-at-most-half: a canary never takes more than half of a region's pods (the
runbook's canary starts at 10 %, §4.1): a bad version must leave most of a region on the good
one. A canary is a StatefulSet whose partition holds its lower ordinals back.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs, StackValidationPolicy

from erlmcp_policies.stack._rollout import releases

NAME = "rollout-canary-at-most-half"


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for release in releases(list(args.resources)):
        replicas, partition = release.replicas, release.partition
        if not (isinstance(replicas, int | float) and isinstance(partition, int | float)):
            continue
        canary = int(replicas) - int(partition)
        if partition > 0 and canary * 2 > replicas:
            report_violation(
                f"{release.resource.name}: the canary takes {canary} of {int(replicas)} pods "
                f"(partition {int(partition)}), more than half the region.",
                release.resource.urn,
            )


POLICY = StackValidationPolicy(
    name=NAME,
    description="A canary takes at most half of a region's pods [erlmcp runbook §4.1]",
    validate=validate,
)
