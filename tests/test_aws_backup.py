"""AWS Backup: locked vaults, daily plans of the databases that take writes, copies into the DR
partner's vault; the config's retention must fit the lock."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.aws_backup import (
    BackupServiceRole,
    BackupServiceRoleArgs,
    BackupVault,
    BackupVaultArgs,
    DatabaseBackupPlan,
    DatabaseBackupPlanArgs,
    VaultLock,
)
from offline.recorder import RecordedStack
from offline.stacks import stack_file_config
from regions.config import parse_stack_config
from regions.database_backups import off_region_copy
from tests.conftest import PROTECTED_TYPES, STATEFUL_TYPES
from tests.recordings import pack_report, recorded_stack

VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-4333-8444-555555555555"
DB = "arn:aws:rds:eu-west-1:123456789012:cluster:erlmcp-prod-eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/aws-backup"
LOCK_7_365 = VaultLock(min_retention_days=7, max_retention_days=365)


def vault(region: str, lock: VaultLock = LOCK_7_365) -> BackupVault:
    return BackupVault(
        f"{region}-backup-vault",
        BackupVaultArgs(
            region=region, vault_name=f"erlmcp-prod-{region}", kms_key_arn=KEY, lock=lock
        ),
    )


def plan(**overrides) -> DatabaseBackupPlan:
    values = {
        "region": "eu-west-1",
        "plan_name": "erlmcp-prod-eu-west-1-databases-to-eu-central-1",
        "vault": vault("eu-west-1"),
        "copy_to": vault("eu-central-1"),
        "database_arns": [DB],
        "role_arn": ROLE,
        "start_hour_utc": 5,
        "retention_days": 35,
    }
    values.update(overrides)
    return DatabaseBackupPlan("eu-west-1-database-backups", DatabaseBackupPlanArgs(**values))


@pytest.fixture
def stack(record):
    return record(plan)


def test_vaults_are_encrypted_protected_and_locked_in_compliance_mode(stack):
    vaults = {v.region: v for v in stack.of_type(VAULT)}
    assert set(vaults) == {"eu-west-1", "eu-central-1"}
    assert vaults["eu-west-1"].plain_inputs["kmsKeyArn"] == KEY
    assert vaults["eu-west-1"].plain_inputs["forceDestroy"] is False
    assert all(v.protect for v in vaults.values())
    assert VAULT in STATEFUL_TYPES and VAULT in PROTECTED_TYPES
    for lock in stack.of_type(LOCK):
        assert lock.protect
        inputs = lock.plain_inputs
        # changeableForDays set = compliance mode: immutable once the grace period ends.
        assert inputs["changeableForDays"] == 3
        assert (inputs["minRetentionDays"], inputs["maxRetentionDays"]) == (7, 365)
        assert inputs["backupVaultName"] == vaults[lock.region].outputs["name"]


def test_the_plan_runs_daily_and_copies_into_the_partners_vault(stack):
    [backup_plan] = stack.of_type(PLAN)
    [rule] = backup_plan.plain_inputs["rules"]
    vaults = {v.region: v for v in stack.of_type(VAULT)}
    assert backup_plan.region == "eu-west-1"
    assert rule["schedule"] == "cron(0 5 * * ? *)"
    assert rule["targetVaultName"] == vaults["eu-west-1"].outputs["name"]
    assert rule["lifecycle"] == {"deleteAfter": 35}
    assert rule["copyActions"] == [
        {
            "destinationVaultArn": vaults["eu-central-1"].outputs["arn"],
            "lifecycle": {"deleteAfter": 35},
        }
    ]
    assert (rule["startWindow"], rule["completionWindow"]) == (60, 480)


def test_the_selection_names_the_databases_and_the_service_role(stack):
    [backup_plan] = stack.of_type(PLAN)
    [selection] = stack.of_type(SELECTION)
    assert selection.region == "eu-west-1"
    assert selection.plain_inputs["resources"] == [DB]
    assert selection.plain_inputs["iamRoleArn"] == ROLE
    assert selection.plain_inputs["planId"] == backup_plan.id


def test_the_service_role_is_assumed_by_aws_backup_with_its_managed_policies(record):
    stack = record(lambda: BackupServiceRole("aws-backup", BackupServiceRoleArgs()))
    [role] = stack.of_type("aws:iam/role:Role")
    assert '"backup.amazonaws.com"' in role.plain_inputs["assumeRolePolicy"]
    attached = {
        a.plain_inputs["policyArn"]
        for a in stack.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attached == {
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"database_arns": []}, "selects no database"),
        ({"copy_to": "same-region"}, "copies into its own region eu-west-1"),
        (
            {"retention_days": 400},
            "retention_days 400 is outside the lock of the vault in eu-west-1",
        ),
        ({"start_hour_utc": 24}, "start_hour_utc must be 0-23"),
        ({"completion_window_minutes": 100}, r"at least start_window_minutes \+ 60"),
    ],
)
def test_bad_plans_are_refused_before_anything_is_created(record, overrides, message):
    def build():
        if overrides.get("copy_to") == "same-region":
            overrides["copy_to"] = vault("eu-west-1")
        plan(**overrides)

    with pytest.raises(ValueError, match=message):
        record(build)


@pytest.mark.parametrize(
    ("lock", "message"),
    [
        ({"min_retention_days": 30, "max_retention_days": 7}, "min_retention_days <= max"),
        ({"min_retention_days": 7, "max_retention_days": 30, "changeable_for_days": 2}, ">= 3"),
    ],
)
def test_bad_locks_are_refused(lock, message):
    with pytest.raises(ValueError, match=message):
        VaultLock(**lock)


def test_config_retention_must_fit_the_lock(prod_values):
    prod_values["backups"]["vault"] = {"retentionDays": 400}
    with pytest.raises(Exception) as caught:
        parse_stack_config(prod_values)
    message = str(caught.value)
    assert "erlmcp-infra:backups.vault.retentionDays" in message
    assert "outside the vault lock's 7..365 days" in message
    prod_values["backups"]["vault"] = {"lock": {"changeableForDays": 1}}
    with pytest.raises(Exception, match=r"backups\.vault\.lock\.changeableForDays"):
        parse_stack_config(prod_values)


# --- the prod stack ------------------------------------------------------------------------------


def writers(stack) -> dict[str, str]:
    """Database ARN -> region, for the copies that take writes in `stack`."""
    found = {}
    for instance in stack.of_type("aws:rds/instance:Instance"):
        if not instance.plain_inputs.get("replicateSourceDb"):
            found[instance.outputs["arn"]] = instance.region
    for cluster in stack.of_type("aws:rds/cluster:Cluster"):
        if "standby_of" not in cluster.name.replace("-", "_"):
            found[cluster.outputs["arn"]] = cluster.region
    return found


def test_every_region_has_a_locked_vault(prod_stack):
    vault_regions = sorted(v.region for v in prod_stack.of_type(VAULT))
    regions = sorted({v.region for v in prod_stack.of_type("aws:ec2/vpc:Vpc")})
    assert vault_regions == regions
    assert sorted(lock.region for lock in prod_stack.of_type(LOCK)) == regions


def test_each_writing_database_is_selected_once_and_copied_to_its_partner(prod_stack):
    vault_arns = {v.outputs["arn"]: v.region for v in prod_stack.of_type(VAULT)}
    partner = {
        "us-east-1": "us-west-2",
        "eu-west-1": "eu-central-1",
        "ap-southeast-1": "ap-northeast-1",
        "ap-northeast-1": "ap-southeast-1",
    }
    selected: dict[str, str] = {}
    plans = {p.id: p for p in prod_stack.of_type(PLAN)}
    for selection in prod_stack.of_type(SELECTION):
        [rule] = plans[selection.plain_inputs["planId"]].plain_inputs["rules"]
        [copy] = rule["copyActions"]
        for arn in selection.plain_inputs["resources"]:
            assert arn not in selected, f"{arn} selected twice"
            selected[arn] = selection.region
            assert vault_arns[copy["destinationVaultArn"]] == partner[selection.region]
    assert selected == writers(prod_stack)
    assert len(selected) == 4


def test_a_failover_backs_up_the_promoted_standby_towards_the_primary(dr_stage_stack):
    stack = dr_stage_stack("us-east-1", "failover")
    vault_arns = {v.outputs["arn"]: v.region for v in stack.of_type(VAULT)}
    by_region = {}
    for backup_plan in stack.of_type(PLAN):
        [rule] = backup_plan.plain_inputs["rules"]
        [copy] = rule["copyActions"]
        by_region.setdefault(backup_plan.region, set()).add(vault_arns[copy["destinationVaultArn"]])
    assert by_region["us-west-2"] == {"us-east-1"}
    assert by_region["us-east-1"] == {"us-west-2"}


# --- a serving region without a standby (`noStandby`) ------------------------------------------


def tokyo_without_standby(config: dict[str, Any]) -> dict[str, Any]:
    """The README's example: the runbook left ap-northeast-1's own data without a standby."""
    config = copy.deepcopy(config)
    pairs = config["erlmcp-infra:drPairs"]
    config["erlmcp-infra:drPairs"] = [p for p in pairs if p["primary"] != "ap-northeast-1"]
    config["erlmcp-infra:noStandby"] = {"ap-northeast-1": "accepted: Japan data is rebuildable"}
    return config


@pytest.fixture(scope="module")
def no_standby_config() -> dict[str, Any]:
    return tokyo_without_standby(stack_file_config())


@pytest.fixture(scope="module")
def no_standby_stack(no_standby_config) -> RecordedStack:
    return recorded_stack(no_standby_config)


def test_a_region_without_standby_still_copies_its_recovery_points_out(no_standby_stack):
    vault_regions = {v.outputs["arn"]: v.region for v in no_standby_stack.of_type(VAULT)}
    plan = no_standby_stack.named("ap-northeast-1-database-backups-no-standby-plan")
    [rule] = plan.plain_inputs["rules"]
    [copy_action] = rule["copyActions"]
    assert vault_regions[copy_action["destinationVaultArn"]] == "ap-southeast-1"


def test_a_stack_with_a_no_standby_region_passes_the_pack(no_standby_stack, no_standby_config):
    report = pack_report(no_standby_stack, stack_config=no_standby_config)
    assert report.diagnostics == [], report.format()


def test_the_copy_region_prefers_the_same_area_then_the_home_region_then_the_name(prod_values):
    stack = parse_stack_config(prod_values)
    assert stack.home_region == "us-east-1"
    assert off_region_copy(stack, "ap-northeast-1") == "ap-southeast-1"
    assert off_region_copy(stack, "eu-west-1") == "eu-central-1"
    assert off_region_copy(stack, "us-east-1") == "us-west-2"
    assert off_region_copy(stack, "sa-east-1") == "us-east-1"  # no other sa- region: home
    elsewhere = stack.model_copy(update={"home_region": "sa-east-1"})
    assert off_region_copy(elsewhere, "sa-east-1") == "ap-northeast-1"  # then by name
    # The order of the stack file does not enter the choice.
    prod_values["regions"] = dict(reversed(list(prod_values["regions"].items())))
    assert off_region_copy(parse_stack_config(prod_values), "sa-east-1") == "us-east-1"
