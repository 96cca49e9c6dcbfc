"""dns-zone-query-logging, through AnalyzeStack."""

from __future__ import annotations

from tests.policies.conftest import drop_resource, messages, only

POLICY = "dns-zone-query-logging"


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_a_zone_without_query_logs_is_a_mandatory_violation(analyze_stack, broken_prod):
    drop_resource(broken_prod, "dns-query-log-config")
    [found] = only(analyze_stack(broken_prod, policies=[POLICY]), POLICY)
    assert found.detail.startswith("Hosted zone 'erlmcp.io' has no query log configuration")
    assert found.enforcement_level == "mandatory"
    assert found.urn.endswith("::dns-zone-zone")


def test_a_query_log_of_another_zone_does_not_count(analyze_stack, broken_prod):
    config = broken_prod.named("dns-query-log-config")
    for props in (config.inputs, config.outputs):
        props["zoneId"] = "ZOTHERZONE"
    config.property_dependencies.pop("zoneId", None)
    assert len(messages(analyze_stack(broken_prod, policies=[POLICY]), POLICY)) == 1
