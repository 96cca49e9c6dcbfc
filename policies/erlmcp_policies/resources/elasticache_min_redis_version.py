"""elasticache-min-redis-version: caches run Redis at least `min_redis_version` (7).

A Global Datastore secondary takes its engine and version from the datastore and is skipped; an
unset engineVersion lets AWS pick its current default, which passes.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import (
    config_value,
    is_unknown,
    parse_version,
    prop,
    resource_policy,
    schema,
    version_at_least,
)
from erlmcp_policies.resources._elasticache import REPLICATION_GROUP, is_global_secondary


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if is_global_secondary(args.props):
        return
    engine = prop(args.props, "engine")
    if engine not in (None, "redis") and not is_unknown(engine):
        report_violation(f"engine is {engine!r}; erlmcp runs on 'redis'.")
        return
    version = prop(args.props, "engineVersion")
    if version is None or is_unknown(version):
        return
    minimum_text = str(config_value(args, "min_redis_version"))
    minimum = parse_version(minimum_text)
    actual = parse_version(version)
    if minimum is None:
        report_violation(f"min_redis_version {minimum_text!r} is not a version.")
    elif actual is None:
        report_violation(f"engineVersion {version!r} is not a version.")
    elif not version_at_least(actual, minimum):
        report_violation(f"engineVersion is {version}; Redis {minimum_text} or newer is required.")


POLICY = resource_policy(
    name="elasticache-min-redis-version",
    description=(
        "Caches run a supported Redis release (7 or newer by default); a Global Datastore "
        "secondary follows its primary, which is judged instead [erlmcp]"
    ),
    types=(REPLICATION_GROUP,),
    validate=_validate,
    config_schema=schema("min_redis_version"),
)
