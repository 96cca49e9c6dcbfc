"""Is a wave healthy? The signals an SRE would look at before the next wave.

- **Route 53 health checks**: each region's HTTPS check on `/health` (components/dns.py), whose
  id the stack exports as `regions.<region>.healthCheckId`. It is what moves traffic away from a
  region, so it must pass. The gate is stricter than Route 53's own rule (a check is healthy
  while more than 18 % of its checkers see it healthy): every checker's latest report must be a
  success, because a canary that fails one request in three is the thing to catch.
- **CloudWatch alarms**: none of the region's alarms may be in ALARM, and while a step soaks,
  none may have gone into ALARM since the step's `up` began, even if it has cleared since: a
  fault that flaps between two readings is still a fault (DescribeAlarmHistory, below). The
  driver relies on this
  naming convention: every alarm that guards erlmcp in a region lives in that region and is
  named `erlmcp-<environment>-<region>-<what>` (e.g. `erlmcp-prod-eu-west-1-5xx-rate`), so
  `AlarmNamePrefix=erlmcp-<environment>-<region>` finds all of them and nothing of another
  stack. An alarm named otherwise is not seen. Composite alarms count too (DescribeAlarms
  returns only metric alarms unless `AlarmTypes` asks for both; DescribeAlarmHistory the same).
  The alarm history answers every alarm of the region (it has no name prefix): the prefix is
  applied here. Its `StartDate` is the driver's clock, so the history window is as exact as
  that clock (NTP: well under a second).

- **The wave's StatefulSets** (read through Pulumi, live.py): every pod Ready; while a step
  soaks, its pods on the new revision too. A canary's partition holds the lower ordinals back
  and the HPA removes the highest ones first, so a scale-down during the soak can take the
  canary's pods away: then nothing new is being judged, and the reading says so.

A signal that cannot be read (API error, no health check id in the outputs, no checker
report) counts as unhealthy: a rollout must not go on because it could not look. The canary's
metrics (canary.py) add a third state, hold: too little traffic to judge, or a Prometheus
workspace that does not answer. A hold is not healthy either, but it is no reason to roll back:
the driver waits, and stops without rolling back when the hold lasts (driver.py `_soak`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from operations.aws_clients import AwsClients
from operations.live import LiveRelease
from operations.names import own_statefulset_name

# Route 53's API (and its health checks) is served from us-east-1.
ROUTE53_REGION = "us-east-1"
_CLIENT_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=15
)


@dataclass(frozen=True)
class Signal:
    """One reading: a health check or an alarm (or the absence of alarms) of one region."""

    kind: str
    """`route53-health-check`, `cloudwatch-alarm`, `statefulset`, `canary-metrics` or
    `burn-alerts`."""
    region: str
    name: str
    healthy: bool
    detail: str
    hold: bool = False
    """Not healthy, but not judged either: nothing to judge yet, or no answer (never a pass)."""

    def describe(self) -> str:
        state = "healthy" if self.healthy else "HOLD" if self.hold else "UNHEALTHY"
        return f"{self.region} {self.kind} {self.name}: {state} ({self.detail})"


@dataclass(frozen=True)
class HealthReport:
    signals: tuple[Signal, ...]

    @property
    def healthy(self) -> bool:
        return all(signal.healthy for signal in self.signals)

    @property
    def failing(self) -> tuple[Signal, ...]:
        """Judged unhealthy: a reason to roll back."""
        return tuple(s for s in self.signals if not s.healthy and not s.hold)

    @property
    def holding(self) -> tuple[Signal, ...]:
        """Not judged: a reason to wait, never to go on."""
        return tuple(s for s in self.signals if not s.healthy and s.hold)

    @property
    def verdict(self) -> str:
        return "UNHEALTHY" if self.failing else "HOLD" if self.holding else "healthy"


def pods_signal(release: LiveRelease, soaking: str | None) -> Signal:
    """Healthy when every pod is Ready and, while a step soaks (`soaking`: "canary" or "full"),
    the step's pods run the new revision: a canary at least one (the HPA may have grown it), a
    full step every pod."""
    detail = release.describe()
    problem = None
    if release.replicas < 1 or release.ready < release.replicas:
        problem = "not every pod is Ready"
    elif soaking == "canary" and release.updated < 1:
        problem = (
            f"no pod runs the new version any more (the HPA scaled the region to "
            f"{release.replicas}, at or under the partition {release.partition}): nothing is "
            "being judged"
        )
    elif soaking == "full" and release.updated < release.replicas:
        problem = "not every pod is updated"
    name = own_statefulset_name(release.region)
    if problem is None:
        return Signal("statefulset", release.region, name, True, detail)
    return Signal("statefulset", release.region, name, False, f"{problem}: {detail}")


def health_check_ids(outputs: Mapping[str, object]) -> dict[str, str | None]:
    """`regions.<region>.healthCheckId` of the stack outputs (plain values, as
    `OutputValue.value` holds them)."""
    regions = outputs.get("regions")
    if not isinstance(regions, Mapping):
        return {}
    return {
        str(region): (str(values["healthCheckId"]) if values.get("healthCheckId") else None)
        for region, values in regions.items()
        if isinstance(values, Mapping)
    }


class HealthReader:
    """Reads the signals of a set of regions; `endpoint_url` points every client elsewhere
    (tests: a local moto server). Clients are made once per region and reused; `clients` hands
    the reader a command's own (operations/aws_clients.py: an endpoint per service and region)."""

    def __init__(
        self,
        environment: str,
        *,
        endpoint_url: str | None = None,
        session: boto3.session.Session | None = None,
        clients: AwsClients | None = None,
    ) -> None:
        self.environment = environment
        self._endpoint_url = endpoint_url
        self._session = session
        self._shared = clients
        self._clients: dict[tuple[str, str], object] = {}

    def _client(self, service: str, region: str) -> object:
        if self._shared is not None:
            return self._shared(service, region)
        key = (service, region)
        if key not in self._clients:
            session = self._session or boto3.session.Session()
            self._session = session
            self._clients[key] = session.client(
                service,  # type: ignore[call-overload]
                region_name=region,
                endpoint_url=self._endpoint_url,
                config=_CLIENT_CONFIG,
            )
        return self._clients[key]

    def alarm_prefix(self, region: str) -> str:
        return f"erlmcp-{self.environment}-{region}"

    def read(
        self,
        regions: Sequence[str],
        check_ids: Mapping[str, str | None],
        since: datetime | None = None,
    ) -> HealthReport:
        """The regions' signals now; with `since`, an alarm that went into ALARM after that
        moment fails too, even if it has cleared since."""
        signals: list[Signal] = []
        for region in regions:
            signals.append(self.health_check(region, check_ids.get(region)))
            signals.extend(self.alarms(region, since))
        return HealthReport(tuple(signals))

    def health_check(self, region: str, check_id: str | None) -> Signal:
        """The Route 53 health check `check_id`: healthy when every checker reports success."""
        kind = "route53-health-check"
        if not check_id:
            return Signal(kind, region, "?", False, "no healthCheckId in the stack outputs")
        try:
            route53 = self._client("route53", ROUTE53_REGION)
            answer = route53.get_health_check_status(HealthCheckId=check_id)  # type: ignore[attr-defined]
        except (BotoCoreError, ClientError) as error:
            return Signal(kind, region, check_id, False, f"could not be read: {error}")
        observations = answer.get("HealthCheckObservations") or []
        if not observations:
            return Signal(kind, region, check_id, False, "no checker has reported yet")
        failures = [
            o
            for o in observations
            if not str((o.get("StatusReport") or {}).get("Status", "")).startswith("Success")
        ]
        if failures:
            first = failures[0]
            status = (first.get("StatusReport") or {}).get("Status", "no status")
            return Signal(
                kind,
                region,
                check_id,
                False,
                f"{len(failures)} of {len(observations)} checkers report a failure, e.g. "
                f"{first.get('Region', '?')}: {status}",
            )
        count = len(observations)
        return Signal(
            kind, region, check_id, True, f"{count} checker{'s' * (count > 1)} report success"
        )

    def alarms(self, region: str, since: datetime | None = None) -> list[Signal]:
        """The region's alarms in ALARM (and, with `since`, those that were since then)."""
        kind, prefix = "cloudwatch-alarm", self.alarm_prefix(region)
        try:
            cloudwatch = self._client("cloudwatch", region)
            firing = _firing(cloudwatch, prefix)
            fired = _fired_since(cloudwatch, prefix, since) if since else {}
        except (BotoCoreError, ClientError, ValueError, KeyError, TypeError) as error:
            return [Signal(kind, region, f"{prefix}*", False, f"could not be read: {error}")]
        signals = [
            Signal(kind, region, name, False, f"in ALARM: {reason}")
            for name, reason in firing.items()
        ]
        signals += [
            Signal(
                kind,
                region,
                name,
                False,
                f"went into ALARM at {_utc(when)} during the step and has cleared since: {reason}",
            )
            for name, (when, reason) in fired.items()
            if name not in firing
        ]
        if signals:
            return signals
        detail = "no alarm in ALARM" + (f", none since {_utc(since)}" if since else "")
        return [Signal(kind, region, f"{prefix}*", True, detail)]


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(timezone.utc):%H:%M:%S} UTC"


def _firing(cloudwatch: Any, prefix: str) -> dict[str, str]:
    """Alarm name -> state reason of the alarms with the prefix in ALARM now."""
    pages = cloudwatch.get_paginator("describe_alarms").paginate(
        StateValue="ALARM", AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm", "CompositeAlarm"]
    )
    alarms = [
        alarm
        for page in pages
        for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]
    ]
    # AWS applies StateValue and the prefix together; filter again rather than trust every
    # implementation to (moto 5 drops StateValue when a prefix is given).
    return {
        str(alarm["AlarmName"]): str(alarm.get("StateReason", "no reason given"))
        for alarm in alarms
        if alarm.get("StateValue") == "ALARM"
    }


def _fired_since(cloudwatch: Any, prefix: str, since: datetime) -> dict[str, tuple[datetime, str]]:
    """Alarm name -> (when, reason) of the latest change into ALARM since `since`, for the
    alarms with the prefix. `HistoryData` is the JSON AWS records for a state change,
    `{"oldState": {"stateValue": ...}, "newState": {"stateValue": ..., "stateReason": ...}}`
    (aws/aws-cli awscli/examples/cloudwatch/describe-alarm-history.rst); one that does not
    parse makes the reading unreadable, not healthy."""
    pages = cloudwatch.get_paginator("describe_alarm_history").paginate(
        HistoryItemType="StateUpdate",
        StartDate=since,
        AlarmTypes=["MetricAlarm", "CompositeAlarm"],
    )
    fired: dict[str, tuple[datetime, str]] = {}
    for page in pages:
        for item in page.get("AlarmHistoryItems", []):
            name = str(item.get("AlarmName", ""))
            if not name.startswith(prefix):
                continue
            new_state = json.loads(item["HistoryData"])["newState"]
            when = item["Timestamp"]
            if new_state["stateValue"] != "ALARM":
                continue
            if name not in fired or when > fired[name][0]:
                fired[name] = (when, str(new_state.get("stateReason", "no reason given")))
    return fired
