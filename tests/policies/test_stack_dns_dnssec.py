"""dns-zone-dnssec, through AnalyzeStack."""

from __future__ import annotations

from tests.policies.conftest import drop_resource, only, set_property

POLICY = "dns-zone-dnssec"


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_an_unsigned_zone_is_a_mandatory_violation(analyze_stack, broken_prod):
    drop_resource(broken_prod, "dns-signing-signing")
    [found] = only(analyze_stack(broken_prod, policies=[POLICY]), POLICY)
    assert found.detail.startswith(
        "Hosted zone 'erlmcp.io' is not DNSSEC-signed: it has no DNSSEC configuration"
    )
    assert found.enforcement_level == "mandatory"


def test_signing_that_is_stopped_does_not_count(analyze_stack, broken_prod):
    set_property(broken_prod, "dns-signing-signing", "signingStatus", "NOT_SIGNING")
    assert len(only(analyze_stack(broken_prod, policies=[POLICY]), POLICY)) == 1


def test_an_inactive_key_signing_key_does_not_count(analyze_stack, broken_prod):
    set_property(broken_prod, "dns-signing-ksk", "status", "INACTIVE")
    [found] = only(analyze_stack(broken_prod, policies=[POLICY]), POLICY)
    assert "active key-signing key" in found.detail
