"""backup-copies-immutable: database recovery points land in locked vaults, with a copy in
another region.

Every AWS Backup vault of the stack carries a Vault Lock in compliance mode (`changeableForDays`
set: after the grace period nobody can shorten retention or delete a recovery point), and every
rule of every backup plan copies into a vault of this stack in another region than the plan's
(a same-region copy dies with the region; a vault outside the stack cannot be shown to be
locked). Joins go by property dependency, or by vault name / ARN when the engine has no
dependency to offer.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.common import has_value, is_unknown, items, prop, region_of

NAME = "backup-copies-immutable"
VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
PLAN = "aws:backup/plan:Plan"


def _vault_dependency(resource: PolicyResource, key: str) -> PolicyResource | None:
    for dependency in resource.property_dependencies.get(key, []):
        if dependency.resource_type == VAULT:
            return dependency
    return None


def _by_value(value: object, vaults: list[PolicyResource], attribute: str) -> PolicyResource | None:
    for vault in vaults:
        if prop(vault.props, attribute) == value:
            return vault
    return None


def _locked_vaults(
    resources: list[PolicyResource], vaults: list[PolicyResource]
) -> set[str] | None:
    locked: set[str] = set()
    for lock in resources:
        if lock.resource_type != LOCK:
            continue
        name = prop(lock.props, "backupVaultName")
        vault = _vault_dependency(lock, "backupVaultName") or (
            None if is_unknown(name) else _by_value(name, vaults, "name")
        )
        if vault is None and is_unknown(name):
            return None  # which vault it locks is known only after the update
        if vault is not None and has_value(prop(lock.props, "changeableForDays")):
            locked.add(vault.urn)
    return locked


def _copy_regions(rule: object, plan: PolicyResource, vaults: list[PolicyResource]) -> list[str]:
    regions = []
    dependencies = [
        d for d in plan.property_dependencies.get("rules", []) if d.resource_type == VAULT
    ]
    for action in items(prop(rule, "copyActions")):
        arn = prop(action, "destinationVaultArn")
        vault = _by_value(arn, vaults, "arn") if not is_unknown(arn) else None
        if vault is None and is_unknown(arn):
            # Unknown ARN in a preview: the plan depends on vaults; any of another region counts.
            other = [d for d in dependencies if region_of(d) != region_of(plan)]
            vault = other[0] if other else None
        if vault is not None:
            regions.append(region_of(vault) or "")
    return regions


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = list(args.resources)
    vaults = [r for r in resources if r.resource_type == VAULT]
    locked = _locked_vaults(resources, vaults)
    if locked is not None:
        for vault in vaults:
            if vault.urn not in locked:
                report_violation(
                    f"Backup vault '{vault.name}' has no compliance-mode Vault Lock "
                    "(an aws.backup.VaultLockConfiguration with changeableForDays).",
                    vault.urn,
                )
    for plan in resources:
        if plan.resource_type != PLAN:
            continue
        rules = prop(plan.props, "rules")
        if is_unknown(rules):
            continue
        for index, rule in enumerate(items(rules)):
            elsewhere = [r for r in _copy_regions(rule, plan, vaults) if r != region_of(plan)]
            if not elsewhere:
                report_violation(
                    f"Backup plan '{plan.name}' rules[{index}] copies into no vault of this stack "
                    f"outside {region_of(plan)}; a recovery point must survive its region.",
                    plan.urn,
                )


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Database recovery points go to compliance-locked vaults and are copied to a vault in "
        "another region [AWS FSBP Backup.1; CKV2_AWS_8]"
    ),
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)
