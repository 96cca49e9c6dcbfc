"""rds-min-engine-version: databases run PostgreSQL at least `min_postgres_version` (15).

Read replicas carry no engine (they follow their source) and are skipped. An unset engineVersion
lets AWS pick its current default, which is newer than any sane minimum, so it passes.
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
from erlmcp_policies.resources._rds import CLUSTER, INSTANCE, is_replica

ENGINES = {INSTANCE: "postgres", CLUSTER: "aurora-postgresql"}


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == INSTANCE and is_replica(args.props):
        return
    engine = prop(args.props, "engine")
    expected = ENGINES[args.resource_type]
    if not is_unknown(engine) and engine != expected:
        report_violation(f"engine is {engine!r}; erlmcp runs on {expected!r}.")
        return
    version = prop(args.props, "engineVersion")
    if version is None or is_unknown(version):
        return
    minimum_text = str(config_value(args, "min_postgres_version"))
    minimum = parse_version(minimum_text)
    actual = parse_version(version)
    if minimum is None:
        report_violation(f"min_postgres_version {minimum_text!r} is not a version.")
    elif actual is None:
        report_violation(f"engineVersion {version!r} is not a version.")
    elif not version_at_least(actual, minimum):
        report_violation(
            f"engineVersion is {version}; PostgreSQL {minimum_text} or newer is required."
        )


POLICY = resource_policy(
    name="rds-min-engine-version",
    description="Databases run a supported PostgreSQL release (15 or newer by default) [erlmcp]",
    types=(INSTANCE, CLUSTER),
    validate=_validate,
    config_schema=schema("min_postgres_version"),
)
