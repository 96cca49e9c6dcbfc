"""dns-zone-query-logging: every public hosted zone of the stack logs the queries it answers.

A zone counts as logged when a Route 53 query log configuration names it: its `zoneId` is the
zone's id, or (during a first preview, when the id is not known yet) it takes its `zoneId` from
the zone (a property dependency). Without query logs nobody can tell, after an incident, who
resolved which name when, or whether a failover changed what clients were told.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs, StackValidationPolicy

from erlmcp_policies.stack.graph import StackIndex, prop

NAME = "dns-zone-query-logging"

ZONE = "aws:route53/zone:Zone"
QUERY_LOG = "aws:route53/queryLog:QueryLog"


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    index = StackIndex(args.resources)
    logs = index.of_type(QUERY_LOG)
    for zone in index.of_type(ZONE):
        if prop(zone.props, "vpcs"):
            continue  # a private zone: query logging there is Resolver's, not this
        zone_id = prop(zone.props, "zoneId")
        logged = any(
            prop(log.props, "zoneId") == zone_id
            or zone in log.property_dependencies.get("zoneId", [])
            for log in logs
        )
        if not logged:
            report_violation(
                f"Hosted zone {prop(zone.props, 'name')!r} has no query log configuration "
                "(aws.route53.QueryLog into a /aws/route53/ log group in us-east-1).",
                zone.urn,
            )


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Every public Route 53 hosted zone logs the DNS queries it answers "
        "[AWS FSBP Route53.2; CKV2_AWS_39]"
    ),
    validate=validate,
)
