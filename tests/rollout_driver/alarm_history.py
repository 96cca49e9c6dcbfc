"""CloudWatch's DescribeAlarmHistory for the driver tests' moto server, which records every
alarm's state changes (moto/cloudwatch/models.py `Alarm.update_state`) but does not serve them.

The answer has the shape AWS gives (botocore's cloudwatch service model, `AlarmHistoryItem`):
one `StateUpdate` item per change, `HistoryData` the JSON AWS writes
(`{"version": "1.0", "oldState": {"stateValue": ...}, "newState": {"stateValue": ...,
"stateReason": ...}}`, aws/aws-cli awscli/examples/cloudwatch/describe-alarm-history.rst), and
`HistorySummary` "Alarm updated from OK to ALARM". It filters on `StartDate` and `AlarmTypes`
(metric alarms only when omitted, as AWS does) and answers everything in one page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from itertools import pairwise
from typing import Any

import pytest
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _items(alarm: Any) -> Iterator[dict[str, Any]]:
    # `history` holds each state as it was before a change: (type, reason, data, value, since).
    now = (alarm.state_reason, alarm.state_value, alarm.state_updated_timestamp)
    states = [(reason, value, since) for _, reason, _, value, since in alarm.history] + [now]
    for (_, old_value, _), (new_reason, new_value, changed) in pairwise(states):
        yield {
            "AlarmName": alarm.name,
            "AlarmType": "CompositeAlarm" if alarm.rule is not None else "MetricAlarm",
            "Timestamp": _aware(changed),
            "HistoryItemType": "StateUpdate",
            "HistorySummary": f"Alarm updated from {old_value} to {new_value}",
            "HistoryData": json.dumps(
                {
                    "version": "1.0",
                    "oldState": {"stateValue": old_value},
                    "newState": {"stateValue": new_value, "stateReason": new_reason},
                }
            ),
        }


def describe_alarm_history(self: CloudWatchResponse) -> ActionResult:
    start = self._get_param("StartDate")
    types = self._get_param("AlarmTypes") or ["MetricAlarm"]
    since = _aware(
        start
        if isinstance(start, datetime)
        else datetime.fromisoformat(str(start).replace("Z", "+00:00"))
    )
    items = [
        item
        for alarm in self.cloudwatch_backend.describe_alarms()
        for item in _items(alarm)
        if item["AlarmType"] in types and item["Timestamp"] >= since
    ]
    items.sort(key=lambda item: item["Timestamp"], reverse=True)  # TimestampDescending
    return ActionResult({"AlarmHistoryItems": items})


@contextmanager
def served() -> Iterator[None]:
    """moto's CloudWatch answers DescribeAlarmHistory while the context lasts."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            CloudWatchResponse, "describe_alarm_history", describe_alarm_history, raising=False
        )
        yield
