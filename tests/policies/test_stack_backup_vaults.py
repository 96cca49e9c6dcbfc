"""backup-copies-immutable on the prod stack and on broken copies of it."""

from __future__ import annotations

from tests.policies.conftest import drop_resource, messages, set_property

POLICY = "backup-copies-immutable"


def violations(analyze_stack, stack) -> list[str]:
    return messages(analyze_stack(stack, policies=[POLICY]), POLICY)


def test_prod_stack_passes(analyze_stack, prod_stack):
    assert violations(analyze_stack, prod_stack) == []


def test_a_vault_without_its_lock_is_a_violation(analyze_stack, broken_prod):
    drop_resource(broken_prod, "eu-central-1-backup-vault-lock")
    [diagnostic] = analyze_stack(broken_prod, policies=[POLICY])
    assert diagnostic.detail == (
        "Backup vault 'eu-central-1-backup-vault-vault' has no compliance-mode Vault Lock "
        "(an aws.backup.VaultLockConfiguration with changeableForDays)."
    )
    assert diagnostic.urn.endswith("aws:backup/vault:Vault::eu-central-1-backup-vault-vault")
    assert diagnostic.enforcement_level == "mandatory"


def test_a_governance_mode_lock_is_not_enough(analyze_stack, broken_prod):
    set_property(broken_prod, "us-west-2-backup-vault-lock", "changeableForDays", None)
    assert violations(analyze_stack, broken_prod) == [
        "Backup vault 'us-west-2-backup-vault-vault' has no compliance-mode Vault Lock "
        "(an aws.backup.VaultLockConfiguration with changeableForDays)."
    ]


def test_a_plan_without_a_copy_elsewhere_is_a_violation(analyze_stack, broken_prod):
    name = "eu-west-1-database-backups-to-eu-central-1-plan"
    plan = next(r for r in broken_prod.resources if r.name == name)
    for props in (plan.inputs, plan.outputs):
        props["rules"][0]["copyActions"] = []
    assert violations(analyze_stack, broken_prod) == [
        f"Backup plan '{name}' rules[0] copies into no vault of this stack outside eu-west-1; "
        "a recovery point must survive its region."
    ]


def test_a_copy_into_the_same_region_does_not_count(analyze_stack, broken_prod):
    name = "eu-west-1-database-backups-to-eu-central-1-plan"
    own_vault = next(r for r in broken_prod.resources if r.name == "eu-west-1-backup-vault-vault")
    plan = next(r for r in broken_prod.resources if r.name == name)
    for props in (plan.inputs, plan.outputs):
        props["rules"][0]["copyActions"][0]["destinationVaultArn"] = own_vault.outputs["arn"]
    assert len(violations(analyze_stack, broken_prod)) == 1
