"""slo-alerts-page-in-every-serving-region, through AnalyzeStack."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, drop_resource, only, set_property

POLICY = "slo-alerts-page-in-every-serving-region"
REGION = "eu-west-1"


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_a_serving_region_without_slo_rules_is_a_mandatory_violation(analyze_stack, broken_prod):
    drop_resource(broken_prod, f"{REGION}-prometheus-rules-slo")
    [found] = only(analyze_stack(broken_prod, policies=[POLICY]), POLICY)
    assert found.detail.startswith(f"Region {REGION} serves traffic but no Prometheus rule group")
    assert found.enforcement_level == "mandatory"


def test_burn_alerts_that_only_open_tickets_do_not_count(analyze_stack, broken_prod):
    rules = broken_prod.named(f"{REGION}-prometheus-rules-slo")
    data = rules.inputs["data"].replace("severity: page", "severity: ticket")
    set_property(broken_prod, rules.name, "data", data)
    [found] = only(analyze_stack(broken_prod, policies=[POLICY]), POLICY)
    assert "pages on an SLO burn rate" in found.detail


def test_an_alert_manager_that_routes_no_page_is_a_violation(analyze_stack, broken_prod):
    manager = broken_prod.named(f"{REGION}-prometheus-alert-manager")
    definition = manager.inputs["definition"].replace('severity="page"', 'severity="pager"')
    set_property(broken_prod, manager.name, "definition", definition)
    [found] = only(analyze_stack(broken_prod, policies=[POLICY]), POLICY)
    assert 'routes no severity="page" alert to an SNS topic' in found.detail


def test_unknown_rules_are_not_violations(analyze_stack, broken_prod):
    set_property(broken_prod, f"{REGION}-prometheus-rules-slo", "data", UNKNOWN)
    assert only(analyze_stack(broken_prod, policies=[POLICY]), POLICY) == []
