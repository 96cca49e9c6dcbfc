"""Each DR copy's replication lag against its pair's RPO, from the metrics the lag alarms read
(regions/alarms.py `database_lag_alarm`, `cache_lag_alarm`), in the copy's own region.

- Aurora secondary: `AuroraGlobalDBRPOLag` (milliseconds), every dimension set that carries the
  cluster's `DBClusterIdentifier` (ListMetrics with that dimension returns each; the alarm's
  Metrics Insights query matches them all the same way);
- RDS replica: `ReplicaLag` (seconds), dimension `DBInstanceIdentifier`;
- Global Datastore secondary: `GlobalDatastoreReplicationLag` (seconds) of each member cluster
  of the secondary group (`CacheClusterId` = `<group id>-00n`), the largest.

The newest one-minute Maximum of the last `LOOKBACK` counts. No datapoint at all is red, as the
alarms treat missing data as breaching: a copy that stops reporting lag has stopped being a copy
anyone can vouch for.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from operations.check.findings import OK, RED, Finding
from operations.fleet import Fleet

LOOKBACK = timedelta(minutes=15)


def newest_maximum(cloudwatch: Any, metrics: list[dict[str, Any]], now: datetime) -> float | None:
    """The largest of the metrics' newest one-minute Maximum within LOOKBACK."""
    if not metrics:
        return None
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {"Id": f"m{i}", "MetricStat": {"Metric": m, "Period": 60, "Stat": "Maximum"}}
            for i, m in enumerate(metrics)
        ],
        StartTime=now - LOOKBACK,
        EndTime=now,
        ScanBy="TimestampDescending",
    )
    newest = [r["Values"][0] for r in answer["MetricDataResults"] if r.get("Values")]
    return max(newest) if newest else None


def _metrics(cloudwatch: Any, namespace: str, name: str, dimension: dict[str, str]) -> list:
    pages = cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=namespace, MetricName=name, Dimensions=[dimension]
    )
    return [_metric(m) for page in pages for m in page["Metrics"]]


def _metric(found: dict[str, Any]) -> dict[str, Any]:
    return {k: found[k] for k in ("Namespace", "MetricName", "Dimensions")}


def lag_findings(cloudwatch: Any, fleet: Fleet, region: str, now: datetime) -> list[Finding]:
    findings = []
    for replica in fleet.replicating(region):
        copy, pair = replica.copy, replica.pair
        if copy.mechanism == "aurora-global":
            dimension = {"Name": "DBClusterIdentifier", "Value": copy.identifier}
            metrics = _metrics(cloudwatch, "AWS/RDS", "AuroraGlobalDBRPOLag", dimension)
            scale = 1000  # milliseconds
        else:
            dimensions = [{"Name": "DBInstanceIdentifier", "Value": copy.identifier}]
            metrics = [
                {"Namespace": "AWS/RDS", "MetricName": "ReplicaLag", "Dimensions": dimensions}
            ]
            scale = 1
        lag = newest_maximum(cloudwatch, metrics, now)
        findings.append(
            _judge(region, copy.identifier, None if lag is None else lag / scale, pair.rpo_minutes)
        )
    for group, pair in fleet.standby_cache_groups(region):
        found = cloudwatch.get_paginator("list_metrics").paginate(
            Namespace="AWS/ElastiCache", MetricName="GlobalDatastoreReplicationLag"
        )
        members = [
            _metric(m)
            for page in found
            for m in page["Metrics"]
            if any(
                d["Name"] == "CacheClusterId" and d["Value"].startswith(f"{group}-")
                for d in m["Dimensions"]
            )
        ]
        lag = newest_maximum(cloudwatch, members, now)
        findings.append(_judge(region, group, lag, pair.rpo_minutes))
    return findings


def _judge(region: str, subject: str, lag_seconds: float | None, rpo_minutes: float) -> Finding:
    rpo = rpo_minutes * 60
    if lag_seconds is None:
        detail = f"no lag reported for {LOOKBACK.seconds // 60} min (RPO {rpo:g} s)"
        return Finding(region, "replication", subject, RED, detail)
    status = RED if lag_seconds > rpo else OK
    detail = f"{lag_seconds:g} s behind (RPO {rpo:g} s)"
    return Finding(region, "replication", subject, status, detail, round(lag_seconds, 3))
