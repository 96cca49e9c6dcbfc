"""Database connections near the maximum (the runbook's operational alert), as a CloudWatch alarm
on every database that takes writes, in that database's region.

erlmcp exports no connection-pool metric (regions/erlmcp_metrics.py), so the database itself is
watched: `DatabaseConnections`, "the number of client network connections to the database
instance" (RDS user guide, "Amazon CloudWatch metrics for Amazon RDS",
awsdocs/amazon-rds-user-guide doc_source/monitoring-cloudwatch.md), namespace AWS/RDS, count,
  - RDS PostgreSQL: dimension DBInstanceIdentifier;
  - Aurora: dimensions DBClusterIdentifier and Role = WRITER, "a specific Aurora DB cluster,
    aggregating the metric by instance role (WRITER/READER)" (Aurora user guide, "Amazon
    CloudWatch dimensions for Aurora", awsdocs/amazon-aurora-user-guide doc_source/dimensions.md).
    AWS advises exactly this for Aurora alarms: "use WRITER or READER role metrics to set up
    alarms instead of relying on metrics for specific DB instances", whose roles change over
    time (Aurora user guide, "Creating CloudWatch alarms to monitor Amazon Aurora").

The threshold is `observability.alarms.databaseConnectionsPercent` of the engine's
max_connections: the program's parameter group's value if it sets one (components/postgres.py
`postgres_parameters`, used by RDS and Aurora alike), else PostgreSQL's default on RDS and
Aurora computed from the instance class's memory (regions/db_instance_classes.py).

A ticket, not a page: connections near the maximum degrade before they fail (each backend
costs memory; new connections are refused only at the limit), so it is a capacity problem to
fix within the day; if users feel it, the SLO burn-rate alerts page. Only writing copies
(regions/databases.py `takes_writes`, the same selection as the backups): replicas and
standbys serve no erlmcp traffic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pulumi

from components.alarms import Alarm, Metric
from components.postgres import postgres_parameters
from regions.config import StackConfig
from regions.config.observability import AlarmConfig
from regions.databases import takes_writes
from regions.db_instance_classes import default_max_connections
from regions.lineage import DatabaseCopy

if TYPE_CHECKING:
    from regions.region import ErlmcpRegion

TICKET = "ticket"
MINUTE = 60
WHAT = "database-connections"


def max_connections(instance_class: str) -> int:
    """max_connections of a database of `instance_class` as this program builds it."""
    for parameter in postgres_parameters():
        if parameter.name == "max_connections":
            return int(parameter.value)
    return default_max_connections(instance_class)


def connections_threshold(instance_class: str, config: AlarmConfig) -> int:
    return max_connections(instance_class) * config.database_connections_percent // 100


def alarm_what(copy: DatabaseCopy, newest_of_its_primary: bool) -> str:
    """`database-connections` for the region's own primary's newest writing copy, whatever its
    generation (a failback's cutover moves the alarm, not its URN); `-of-<primary>` for a
    promoted standby of another region's primary; `-g<n>` for an older generation's copy still
    in the region (the writer a cutover leaves stale)."""
    what = WHAT if copy.primary == copy.region else f"{WHAT}-of-{copy.primary}"
    return what if newest_of_its_primary else f"{what}-g{copy.generation}"


def connections_alarm(
    copy: DatabaseCopy,
    what: str,
    instance_class: str,
    config: AlarmConfig,
    depends_on: Sequence[pulumi.Resource] = (),
) -> Alarm:
    limit = max_connections(instance_class)
    threshold = connections_threshold(instance_class, config)
    if copy.mechanism == "aurora-global":
        dimensions = {"DBClusterIdentifier": copy.identifier, "Role": "WRITER"}
    else:
        dimensions = {"DBInstanceIdentifier": copy.identifier}
    return Alarm(
        what=what,
        description=(
            f"{copy.identifier} ({copy.mechanism}, {instance_class}) holds more than "
            f"{threshold} connections, {config.database_connections_percent} % of its "
            f"max_connections {limit}, for {config.evaluation_minutes} min: it degrades before "
            "it refuses connections"
        ),
        route=TICKET,
        source=Metric("AWS/RDS", "DatabaseConnections", dimensions, "Maximum"),
        comparison="GreaterThanThreshold",
        threshold=threshold,
        # No data: the database reports nothing, which the lag and health alarms judge.
        treat_missing_data="notBreaching",
        depends_on=depends_on,
        period_seconds=MINUTE,
        evaluation_periods=config.evaluation_minutes,
    )


def database_connections_alarms(
    stack: StackConfig, regions: Mapping[str, ErlmcpRegion]
) -> dict[str, list[Alarm]]:
    """Region -> the connections alarms of the writing databases living there."""
    config = stack.observability.alarms
    planned: dict[str, list[Alarm]] = {}
    for owner in regions.values():
        database = owner.config.database
        writing = [c for c in owner.database_copies if takes_writes(c)]
        if database is None or not writing:
            continue
        for copy in writing:
            newest = all(
                other.generation <= copy.generation
                for other in writing
                if other.region == copy.region
            )
            alarm = connections_alarm(
                copy,
                alarm_what(copy, newest),
                database.instance_class,
                config,
                depends_on=[owner.database_copies[copy]],
            )
            planned.setdefault(copy.region, []).append(alarm)
    return planned
