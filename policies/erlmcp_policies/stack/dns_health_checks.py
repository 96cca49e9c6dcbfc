"""dns-serving-regions-health-checked: every serving region is in latency DNS behind a health check.

A serving region is one with a Kubernetes LoadBalancer Service that has running pods behind it
(see workloads.py). Each must have a Route 53 latency record for that region, and every latency
record must evaluate a Route 53 health check of this stack, so Route 53 stops answering with a
region whose endpoint is down. A latency record may evaluate its checks through its alias: with
`evaluateTargetHealth` on an alias to records of this stack (a failover pair, say) that all name
health checks, Route 53 answers from it only while one of those records is healthy.
"""

from __future__ import annotations

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.stack.graph import UNKNOWN, StackIndex, list_at, prop
from erlmcp_policies.stack.workloads import (
    HEALTH_CHECK,
    RECORD,
    LatencyRecord,
    latency_records,
    normalize_host,
    resolve_aliases,
    service_hostnames,
    serving_services,
)

NAME = "dns-serving-regions-health-checked"


def _health_check_ids(index: StackIndex) -> set[str]:
    """The ids a record can name: a health check's id, or the last part of its ARN."""
    ids: set[str] = set()
    for check in index.of_type(HEALTH_CHECK):
        ident, arn = prop(check.props, "id"), prop(check.props, "arn")
        if isinstance(ident, str):
            ids.add(ident)
        if isinstance(arn, str):
            ids.add(arn.rsplit("/", 1)[-1])
    return ids


def _names_health_check(resource: PolicyResource, known_ids: set[str]) -> object:
    """True, False, or UNKNOWN (the id is not known yet and no dependency names a check)."""
    if any(
        dep.resource_type == HEALTH_CHECK
        for dep in resource.property_dependencies.get("healthCheckId", [])
    ):
        return True
    check_id = prop(resource.props, "healthCheckId")
    if check_id is UNKNOWN:
        return UNKNOWN
    return isinstance(check_id, str) and check_id in known_ids


def _alias_targets_checked(index: StackIndex, record: LatencyRecord, known_ids: set[str]) -> object:
    """Whether the record evaluates, through its alias, records that all name health checks."""
    aliases = list_at(record.resource.props, "aliases")
    if not aliases or any(prop(a, "evaluateTargetHealth") is not True for a in aliases):
        return False
    if any(name is UNKNOWN for name in record.alias_names):
        return UNKNOWN
    targets = [
        target
        for target in index.of_type(RECORD)
        if normalize_host(prop(target.props, "name")) in record.alias_names
    ]
    if not targets:
        return False
    verdicts = [_names_health_check(target, known_ids) for target in targets]
    if False in verdicts:
        return False
    return UNKNOWN if UNKNOWN in verdicts else True


def _uses_health_check(index: StackIndex, record: LatencyRecord, known_ids: set[str]) -> object:
    own = _names_health_check(record.resource, known_ids)
    if own is not False or record.health_check_id:
        return own
    return _alias_targets_checked(index, record, known_ids)


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    index = StackIndex(args.resources)
    records = latency_records(index)
    known_ids = _health_check_ids(index)
    covered: set[str] = set()
    for record in records:
        if isinstance(record.region, str):
            covered.add(record.region)
        used = _uses_health_check(index, record, known_ids)
        if used is False:
            if record.health_check_id:
                detail = (
                    f"names health check {record.health_check_id!r}, which is no Route 53 "
                    "health check of this stack"
                )
            elif record.alias_names:
                behind = ", ".join(str(name) for name in record.alias_names)
                detail = (
                    f"evaluates no health check: not every record behind its alias ({behind}) "
                    "names a health check of this stack"
                )
            else:
                detail = "evaluates no health check"
            report_violation(
                f"Latency record {record.resource.name!r} for {record.region} {detail}.",
                record.resource.urn,
            )
    if any(r.region is UNKNOWN for r in records):
        return  # a record whose region is not known yet may be the one a region needs
    # A warm standby is reached through a failover pair under another region's latency record.
    reachable = set(
        resolve_aliases(index, [n for r in records for n in r.alias_names], primary_only=False)
    )
    for region, services in sorted(serving_services(index).items()):
        unreached = [
            (service, pods)
            for service, pods in services
            if region not in covered
            and UNKNOWN not in service_hostnames(service) | reachable
            and not service_hostnames(service) & reachable
        ]
        if not unreached:
            continue
        service, pods = unreached[0]
        report_violation(
            f"Region {region} serves ({pods} pods behind Service {service.name!r}) but no "
            f"Route 53 latency record routes to it.",
            service.urn,
        )


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Every serving region has a Route 53 latency record, and every latency record evaluates "
        "a health check, so users reach the nearest region that is up [erlmcp]"
    ),
    validate=validate,
)
