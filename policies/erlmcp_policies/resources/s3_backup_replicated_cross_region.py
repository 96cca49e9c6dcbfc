"""s3-backup-replicated-cross-region: backups are copied to a bucket in another region.

Every BucketReplicationConfig must send each enabled rule to a bucket of this stack that lives in
a different region than the source bucket (a same-region copy dies with the region; a bucket
outside the stack cannot be proven to be elsewhere). And at least `min_replicated_buckets` buckets
(default 1) must replicate that way. Which standby holds which primary's backups is the DR-pair
policy's concern.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.common import is_unknown, items, prop, region_of
from erlmcp_policies.resources._s3 import (
    BUCKET_TYPES,
    REPLICATION_TYPES,
    Unresolved,
    bucket_label,
    bucket_of,
    buckets,
)

NAME = "s3-backup-replicated-cross-region"


def _destination(
    config: PolicyResource, rule: object, enabled_rules: int, candidates: list[PolicyResource]
) -> PolicyResource | None:
    """The stack's bucket a rule replicates to; None if outside the stack; Unresolved if unknown."""
    arn = prop(rule, "destination", "bucket")
    if isinstance(arn, str) and not is_unknown(arn):
        for bucket in candidates:
            if prop(bucket.props, "arn") == arn:
                return bucket
        if not any(is_unknown(prop(b.props, "arn")) for b in candidates):
            return None
    # Unknown ARN (preview): the rules' dependencies name the bucket when only one rule replicates.
    targets = [
        d for d in config.property_dependencies.get("rules", []) if d.resource_type in BUCKET_TYPES
    ]
    if enabled_rules == 1 and len(targets) == 1:
        return targets[0]
    raise Unresolved(config.urn)


def _check_config(
    config: PolicyResource,
    candidates: list[PolicyResource],
    report_violation: ReportViolation,
) -> str | None:
    """Report this configuration's violations; the source bucket URN if it replicates abroad."""
    try:
        source = bucket_of(config, candidates)
    except Unresolved:
        return None
    source_region = region_of(source) if source is not None else region_of(config)
    source_name = bucket_label(source) if source is not None else prop(config.props, "bucket")
    rules = prop(config.props, "rules")
    if is_unknown(rules):
        return None
    listed = list(items(rules))
    enabled = [r for r in listed if is_unknown(prop(r, "status")) or prop(r, "status") == "Enabled"]
    if not enabled:
        report_violation(f"replication of bucket '{source_name}' has no enabled rule.", config.urn)
        return None
    abroad = False
    for rule in enabled:
        try:
            destination = _destination(config, rule, len(enabled), candidates)
        except Unresolved:
            continue
        if destination is None:
            report_violation(
                f"bucket '{source_name}' replicates to {prop(rule, 'destination', 'bucket')!r}, "
                "which is not a bucket of this stack: its region cannot be verified.",
                config.urn,
            )
            continue
        target_region = region_of(destination)
        if source_region is None or target_region is None:
            continue
        if target_region == source_region:
            report_violation(
                f"bucket '{source_name}' replicates to '{bucket_label(destination)}' in the same "
                f"region ({source_region}); a backup copy must live in another region.",
                config.urn,
            )
        else:
            abroad = True
    if abroad and source is not None:
        return source.urn
    return None


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    candidates = buckets(args.resources)
    configs = [r for r in args.resources if r.resource_type in REPLICATION_TYPES]
    replicated = {
        urn
        for config in configs
        if (urn := _check_config(config, candidates, report_violation)) is not None
    }
    minimum = (args.get_config() or {}).get("min_replicated_buckets")
    minimum = 1 if minimum is None else int(minimum)
    if not candidates or len(replicated) >= minimum:
        return
    undecided = any(_undecided(config, candidates) for config in configs)
    if not undecided:
        report_violation(
            f"{len(replicated)} bucket(s) replicate to another region; at least {minimum} must "
            "(a BucketReplicationConfig whose destination bucket is in a different region)."
        )


def _undecided(config: PolicyResource, candidates: list[PolicyResource]) -> bool:
    """Whether a configuration's source or destinations are unknown until the update."""
    try:
        source = bucket_of(config, candidates)
    except Unresolved:
        return True
    rules = prop(config.props, "rules")
    if is_unknown(rules):
        return True
    enabled = [r for r in items(rules) if prop(r, "status") != "Disabled"]
    for rule in enabled:
        try:
            destination = _destination(config, rule, len(enabled), candidates)
        except Unresolved:
            return True
        if destination is not None and (
            region_of(destination) is None or (source is not None and region_of(source) is None)
        ):
            return True
    return False


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Backups survive the loss of a region: buckets replicate to a bucket in another region "
        "[AWS FSBP S3.7; CKV_AWS_144]"
    ),
    validate=_validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "min_replicated_buckets": {
                "type": "integer",
                "minimum": 0,
                "default": 1,
                "description": "Fewest buckets that must replicate to another region.",
            }
        }
    ),
)
