"""Stack policies: checks that need the whole stack (DR pairs, DNS, regions), one per module."""

from __future__ import annotations

from pulumi_policy import StackValidationPolicy

from erlmcp_policies.stack import (
    alerts_to_encrypted_topics,
    backup_buckets,
    backup_vaults,
    dns_dnssec,
    dns_health_checks,
    dns_no_empty_regions,
    dns_query_logging,
    dr_auto_failover,
    dr_lag_alarmed,
    dr_serving_standby,
    dr_standby,
    dr_targets,
    eks_hpa_metrics_source,
    eks_network_policy_enforced,
    rollout_canary_at_most_half,
    rollout_two_versions,
    rollout_waves_in_order,
    slo_alerts_page,
    vpc_cidrs,
)

STACK_POLICIES: list[StackValidationPolicy] = [
    dr_standby.POLICY,
    dr_targets.POLICY,
    dr_serving_standby.POLICY,
    dns_health_checks.POLICY,
    dns_no_empty_regions.POLICY,
    dns_query_logging.POLICY,
    dns_dnssec.POLICY,
    vpc_cidrs.POLICY,
    backup_buckets.POLICY,
    backup_vaults.POLICY,
    eks_network_policy_enforced.POLICY,
    eks_hpa_metrics_source.POLICY,
    rollout_waves_in_order.POLICY,
    rollout_two_versions.POLICY,
    rollout_canary_at_most_half.POLICY,
    alerts_to_encrypted_topics.POLICY,
    slo_alerts_page.POLICY,
    dr_lag_alarmed.POLICY,
    dr_auto_failover.POLICY,
]
