"""The plan's "Alerts" table (planning/alerts.py): what pages, at what threshold, to whom."""

from __future__ import annotations

from typing import Any

import yaml

from planning.alerts import alert_rows, alerts_section

REGION = "eu-west-1"
URN = "urn:pulumi:prod::erlmcp-infra::"


def resource(type_: str, name: str, inputs: dict[str, Any], deps: list[str] = ()) -> dict:
    return {
        "urn": f"{URN}{type_}::{name}",
        "type": type_,
        "name": name,
        "region": REGION,
        "inputs": inputs,
        "dependencies": list(deps),
    }


def topic(severity: str) -> dict:
    return resource(
        "aws:sns/topic:Topic",
        f"{REGION}-paging-{severity}",
        {"name": f"erlmcp-prod-{REGION}-{severity}"},
    )


def plan_with(*resources: dict) -> dict:
    return {"resources": list(resources)}


PAGE, TICKET = topic("page"), topic("ticket")
PAGERDUTY = resource(
    "aws:sns/topicSubscription:TopicSubscription",
    f"{REGION}-paging-page-pagerduty",
    {"endpoint": "[secret]", "protocol": "https"},
    [PAGE["urn"]],
)
LAG = resource(
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    f"{REGION}-replica-lag",
    {
        "name": f"erlmcp-prod-{REGION}-replica-lag",
        "metricName": "ReplicaLag",
        "comparisonOperator": "GreaterThanThreshold",
        "threshold": 300.0,
    },
    [PAGE["urn"]],
)
RULES = resource(
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace",
    f"{REGION}-slo-rules",
    {
        "data": yaml.safe_dump(
            {
                "groups": [
                    {
                        "name": "slo",
                        "rules": [
                            {"record": "slo:sli_error:ratio_rate5m", "expr": "x"},
                            {
                                "alert": "ErrorBudgetBurnTicket",
                                "expr": "slo:sli_error:ratio_rate1d > 3 * 0.0005",
                                "for": "1h",
                                "labels": {"severity": "ticket"},
                            },
                        ],
                    }
                ]
            }
        )
    },
)


def test_an_alarm_names_its_metric_threshold_and_recipients_pages_first():
    rows = alert_rows(plan_with(PAGE, TICKET, PAGERDUTY, LAG, RULES), REGION)
    assert rows[0] == [
        f"alarm `erlmcp-prod-{REGION}-replica-lag`",
        "page",
        "ReplicaLag > 300",
        "pagerduty",
    ]
    assert rows[1][:3] == [
        "Prometheus `ErrorBudgetBurnTicket`",
        "ticket",
        "`slo:sli_error:ratio_rate1d > 3 * 0.0005` for 1h",
    ]
    # The ticket topic has no subscription: the table says so instead of hiding it.
    assert rows[1][3] == "**nobody** (no pagerEndpoints)"


def test_an_endpoint_url_never_reaches_the_page():
    page = "\n".join(alerts_section(plan_with(PAGE, PAGERDUTY, LAG), [REGION]))
    assert "pagerduty" in page and "https://" not in page and "[secret]" not in page


def test_a_region_without_alerts_says_so():
    assert "No alert watches this region." in alerts_section(plan_with(), [REGION])
