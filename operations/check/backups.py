"""The newest backups against their schedule: AWS Backup's recovery points in each vault, and the
backup objects S3 replicated into the DR partner's bucket.

**Recovery points.** Each database that takes writes is backed up daily into its region's vault
and copied into its partner's (components/aws_backup.py: `cron(0 <hour> * * ? *)`, a start
window of 60 and a completion window of 480 minutes, `DatabaseBackupPlanArgs`). The newest
restorable point may so be a day plus both windows old (`BACKUP_MAX_AGE`, 33 h); its copy, which
starts once the backup is done, one completion window more (`COPY_MAX_AGE`, 41 h). Each is
reported in the region of the vault that holds it.

**Replicated objects.** Every pair's primary bucket replicates into its standby's
(components/backups.py `BucketReplication`: every object, the same keys, S3 RTC: 99.99 % within
15 minutes). For each prefix with a schedule in the runbook (§6.2: the database's full dump
daily, ETS snapshots hourly; `REPLICATED_SCHEDULE`), the newest object written in the primary's
bucket that is also in the standby's must be no older than its interval plus RTC's 15 minutes,
and no newer object may still be missing after those 15 minutes. Reported in the standby's
region. When the primary's region does not answer, the newest object under the prefix in the
standby's bucket is judged instead: what a failover would find there. The buckets are found by
the name Pulumi gives them (operations/fleet.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from components.aws_backup import DatabaseBackupPlanArgs
from operations.aws_clients import UNREACHABLE
from operations.check.findings import OK, RED, Finding
from operations.fleet import Fleet
from operations.recovery_points import newest_restorable, recovery_points

_PLAN_DEFAULTS = {f.name: f.default for f in fields(DatabaseBackupPlanArgs)}
_START_WINDOW = timedelta(minutes=int(_PLAN_DEFAULTS["start_window_minutes"]))
_COMPLETION_WINDOW = timedelta(minutes=int(_PLAN_DEFAULTS["completion_window_minutes"]))
BACKUP_MAX_AGE = timedelta(days=1) + _START_WINDOW + _COMPLETION_WINDOW
COPY_MAX_AGE = BACKUP_MAX_AGE + _COMPLETION_WINDOW
REPLICATION_TIME = timedelta(minutes=15)
REPLICATED_SCHEDULE = {"postgres": timedelta(days=1), "ets": timedelta(hours=1)}
# How many of a prefix's newest objects are looked up in the destination.
NEWEST_LOOKED_UP = 10

Clients = Callable[[str, str], Any]


def _hours(age: timedelta) -> float:
    return round(age.total_seconds() / 3600, 1)


def _every(interval: timedelta) -> str:
    return f"{interval.total_seconds() / 3600:g} h"


def recovery_point_findings(clients: Clients, fleet: Fleet, region: str, now: datetime) -> list:
    """The newest point of each writer in this region's vault, and of each partner's writer
    whose copies come here."""
    backup, vault = clients("backup", region), fleet.vault_name(region)
    findings = []
    for writing in fleet.writing_databases():
        if region == writing.copy.region:
            limit, what = BACKUP_MAX_AGE, "backup"
        elif region == writing.partner:
            limit, what = COPY_MAX_AGE, "copy"
        else:
            continue
        arn = fleet.database_arn(writing.copy)
        newest = newest_restorable(recovery_points(backup, vault, region, arn))
        subject = f"{writing.copy.identifier} {what} in {vault}"
        if newest is None:
            findings.append(Finding(region, "backup", subject, RED, "no restorable recovery point"))
            continue
        age = now - newest.created
        status = RED if age > limit else OK
        detail = f"newest {_hours(age)} h old (at most {_hours(limit)} h: daily)"
        findings.append(Finding(region, "backup", subject, status, detail, _hours(age)))
    return findings


def backup_buckets(s3: Any, fleet: Fleet) -> dict[str, str]:
    """Region -> its backup bucket, by Pulumi's auto-name (`<name>-<7 hex>`)."""
    names = [str(b["Name"]) for b in s3.list_buckets().get("Buckets", [])]
    found = {}
    for region in fleet.regions:
        pattern = re.compile(re.escape(fleet.backup_bucket_prefix(region)) + r"[0-9a-f]{7}$")
        matches = [name for name in names if pattern.match(name)]
        if len(matches) == 1:
            found[region] = matches[0]
    return found


def replicated_object_findings(
    clients: Clients, fleet: Fleet, region: str, buckets: dict[str, str], now: datetime
) -> list[Finding]:
    findings = []
    prefixes = [p for p in sorted(fleet.stack.backups.objects) if p in REPLICATED_SCHEDULE]
    for source, destination in fleet.backup_replications():
        if destination != region:
            continue
        if source not in buckets or destination not in buckets:
            missing = [r for r in (source, destination) if r not in buckets]
            detail = f"no backup bucket found for {', '.join(missing)}"
            findings.append(Finding(region, "replicated-objects", f"from {source}", RED, detail))
            continue
        for prefix in prefixes:
            findings.append(
                _prefix_finding(clients, fleet, (source, destination), buckets, prefix, now)
            )
    return findings


def _prefix_finding(
    clients: Clients,
    fleet: Fleet,
    regions: tuple[str, str],
    buckets: dict[str, str],
    prefix: str,
    now: datetime,
) -> Finding:
    source, destination = regions
    key_prefix = f"{fleet.environment}/{prefix}/"
    subject = f"s3://{buckets[destination]}/{key_prefix} from {source}"
    interval = REPLICATED_SCHEDULE[prefix]
    limit = interval + REPLICATION_TIME
    target = clients("s3", destination)
    try:
        written = _newest_first(clients("s3", source), buckets[source], key_prefix)
    except UNREACHABLE as error:
        return _arrived_only(target, (source, destination), buckets, key_prefix, limit, now, error)
    if not written:
        detail = (
            f"nothing written under s3://{buckets[source]}/{key_prefix} (every {_every(interval)})"
        )
        return Finding(destination, "replicated-objects", subject, RED, detail)
    late, replicated = [], None
    for obj in written[:NEWEST_LOOKED_UP]:
        if _exists(target, buckets[destination], obj["Key"]):
            replicated = obj
            break
        if now - obj["LastModified"] > REPLICATION_TIME:
            late.append(obj["Key"])
    if replicated is None:
        detail = f"none of the {NEWEST_LOOKED_UP} newest objects has arrived"
        return Finding(destination, "replicated-objects", subject, RED, detail)
    age = now - replicated["LastModified"]
    detail = f"newest replicated {_hours(age)} h old (every {_every(interval)}, RTC 15 min)"
    if late:
        detail += f"; {len(late)} newer not replicated after 15 min, e.g. {late[0]}"
    status = RED if late or age > limit else OK
    return Finding(destination, "replicated-objects", subject, status, detail, _hours(age))


def _arrived_only(
    target: Any,
    regions: tuple[str, str],
    buckets: dict[str, str],
    key_prefix: str,
    limit: timedelta,
    now: datetime,
    error: Exception,
) -> Finding:
    """The newest object in the destination alone, when the source cannot be read."""
    source, destination = regions
    subject = f"s3://{buckets[destination]}/{key_prefix} from {source}"
    arrived = _newest_first(target, buckets[destination], key_prefix)
    if not arrived:
        detail = f"{source} does not answer ({error}); nothing here"
        return Finding(destination, "replicated-objects", subject, RED, detail)
    age = now - arrived[0]["LastModified"]
    detail = f"{source} does not answer; the newest object here is {_hours(age)} h old"
    status = RED if age > limit else OK
    return Finding(destination, "replicated-objects", subject, status, detail, _hours(age))


def _newest_first(s3: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    objects = [obj for page in pages for obj in page.get("Contents", [])]
    return sorted(objects, key=lambda obj: obj["LastModified"], reverse=True)


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if str(error.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True
