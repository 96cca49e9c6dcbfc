"""The RTO/RPO budget: each pair's design recovery time and data loss from its settings."""

from __future__ import annotations

import pytest
import yaml

from offline.stacks import PROD_STACK_FILE, stack_file_config
from planning.budget import main
from regions.config import parse_stack_config
from regions.dr_budget import (
    FIGURES,
    budget_table,
    pair_budget,
    restore_cost,
    restore_table,
    stack_budget,
)


def budget_of(values, index, **knobs):
    values["drPairs"][index].update(knobs)
    stack = parse_stack_config(values)
    return pair_budget(stack, stack.dr_pairs[index])


def test_every_figure_names_its_source():
    for name, figure in FIGURES.items():
        assert figure.minutes > 0, name
        assert len(figure.source) > 30, name


def test_the_runbook_design_cannot_meet_us_east_1s_targets(prod_values):
    # RDS replica, 30 s x 3 checks, 0 standby pods (the runbook's hand-run design). Its trigger
    # (2 min of probes + the evaluation) would need more than the 1-min RPO, so a person reacts.
    budget = budget_of(prod_values, 0, database="rds", healthCheckIntervalSeconds=30, standbyPods=0)
    assert budget.detection == pytest.approx(1.5)
    assert not budget.automatic
    assert budget.reaction == pytest.approx(1.5 + FIGURES["human_decision"].minutes)
    assert budget.rto == pytest.approx(1.5 + 15 + 10)  # detection + a person + RDS promotion
    assert budget.rpo == 5
    assert not budget.meets_rto and not budget.meets_rpo


def test_the_trigger_replaces_the_decision_and_meets_us_east_1s_targets(prod_values):
    budget = budget_of(
        prod_values,
        0,
        database="aurora-global",
        healthCheckIntervalSeconds=10,
        standbyPods=3,
        autoFailover={"detectionMinutes": 1},
    )
    assert budget.automatic and budget.detection == pytest.approx(0.5)
    # 1 probe period + the trigger's evaluation, then Aurora's managed failover.
    assert budget.reaction == pytest.approx(1 + 1)
    assert budget.database_promotion == FIGURES["aurora_managed_failover"].minutes
    assert budget.capacity_ready == 0
    assert budget.rto == pytest.approx(2 + 3)
    assert budget.rpo == pytest.approx(1 / 60)
    assert budget.meets_targets


def test_without_automatic_failover_a_person_decides_and_the_us_pair_misses(prod_values):
    budget = budget_of(prod_values, 0, autoFailover={"enabled": False})
    assert not budget.automatic
    # `make failover` detaches and promotes (under a minute), after a person's 15 minutes.
    assert budget.database_promotion == FIGURES["aurora_promotion"].minutes
    assert budget.rto == pytest.approx(0.5 + 15 + 1)
    assert not budget.meets_rto


def test_an_rds_trigger_slower_than_the_rpo_is_budgeted_as_a_person(prod_values):
    # ReplicaLag grows by the clock once the primary is gone: the lag interlock would close at
    # the 5-min RPO before a 4-min detection + the evaluation could fire.
    assert budget_of(prod_values, 2, autoFailover={"detectionMinutes": 3}).automatic
    assert not budget_of(prod_values, 2, autoFailover={"detectionMinutes": 4}).automatic


def test_cold_pods_add_start_time(prod_values):
    budget = budget_of(prod_values, 0, database="aurora-global", standbyPods=0)
    assert budget.capacity_ready == FIGURES["pod_start"].minutes


def test_cold_nodes_add_node_start_time(prod_values):
    prod_values["regions"]["us-west-2"]["nodes"] = {"minSize": 0, "desiredSize": 0}
    budget = budget_of(prod_values, 0, database="aurora-global", standbyPods=0)
    assert budget.capacity_ready == pytest.approx(2 + 5)


def test_a_serving_standby_has_warm_nodes(prod_values):
    # ap-northeast-1 runs its own pods, so its nodes are warm whatever its minimum says.
    prod_values["regions"]["ap-northeast-1"]["nodes"] = {"minSize": 0, "desiredSize": 2}
    budget = budget_of(prod_values, 2)
    assert budget.capacity_ready == pytest.approx(2)


def test_rds_meets_the_apac_targets(prod_values):
    budget = budget_of(prod_values, 2, database="rds")
    assert budget.rto == pytest.approx(2 + 1 + 10)
    assert budget.meets_targets


def test_table_marks_misses(prod_values):
    prod_values["drPairs"][0].update(database="rds", standbyPods=0)
    table = budget_table(stack_budget(parse_stack_config(prod_values)))
    assert "| us-east-1 → us-west-2 | rds |" in table
    assert "**misses target**" in table.splitlines()[2]


def test_budget_command_prints_the_table(capsys, tmp_path):
    assert main([str(PROD_STACK_FILE)]) == 0  # prod meets every target
    assert "us-east-1 → us-west-2" in capsys.readouterr().out
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  erlmcp-infra:domian: x\n")
    assert main([str(bad)]) == 2
    assert "erlmcp-infra:domian" in capsys.readouterr().err


def test_budget_command_exits_1_when_a_pair_misses_its_target(capsys, tmp_path):
    config = stack_file_config(PROD_STACK_FILE)
    config["erlmcp-infra:drPairs"][0].update(database="rds", standbyPods=0)
    missing = tmp_path / "Pulumi.slow.yaml"
    missing.write_text(yaml.safe_dump({"config": config}))
    assert main([str(missing)]) == 1
    assert "**misses target**" in capsys.readouterr().out


def test_failover_guide_shows_the_current_prod_budget(prod_values):
    table = budget_table(stack_budget(parse_stack_config(prod_values)))
    guide = (PROD_STACK_FILE.parent / "docs" / "failover.md").read_text()
    assert table in guide, "paste `python -m planning.budget` into docs/failover.md"
    assert "misses target" not in table


# --- warm pods need no capacity wait -----------------------------------------------------------

STATEFULSET = "kubernetes:apps/v1:StatefulSet"


def _standby_statefulset(stack, pair):
    return stack.one(
        STATEFULSET, f"{pair['standby']}-standby-of-{pair['primary']}-erlmcp-statefulset"
    )


@pytest.mark.parametrize(
    "pair", stack_file_config()["erlmcp-infra:drPairs"], ids=lambda p: p["primary"]
)
def test_warm_pods_keep_their_pod_template_through_the_failover(pair, prod_stack, dr_stage_stack):
    # The budget counts no capacity wait for warm pods: that holds only if the failover does
    # not restart them, i.e. leaves their pod template (database host included) as it was.
    before = _standby_statefulset(prod_stack, pair).plain_inputs["spec"]["template"]
    after = _standby_statefulset(dr_stage_stack(pair["primary"], "failover"), pair)
    assert after.plain_inputs["spec"]["template"] == before


@pytest.mark.parametrize(
    "pair", stack_file_config()["erlmcp-infra:drPairs"], ids=lambda p: p["primary"]
)
def test_only_an_aurora_standby_before_promotion_is_not_awaited(pair, prod_stack, dr_stage_stack):
    annotations = (
        _standby_statefulset(prod_stack, pair).plain_inputs["metadata"].get("annotations", {})
    )
    aurora = pair.get("database") == "aurora-global"
    assert (annotations.get("pulumi.com/skipAwait") == "true") is aurora
    failed_over = _standby_statefulset(dr_stage_stack(pair["primary"], "failover"), pair)
    # Once promoted the writer endpoint is active: the failover waits for the pods to be Ready.
    assert "pulumi.com/skipAwait" not in failed_over.plain_inputs["metadata"].get("annotations", {})


def test_the_hot_standby_needs_no_capacity_wait(prod_values):
    stack = parse_stack_config(prod_values)
    [us_east] = [b for b in stack_budget(stack) if b.pair.primary == "us-east-1"]
    assert us_east.pair.standby_pods >= stack.regions["us-east-1"].pods
    assert us_east.capacity_ready == 0


# --- what a point-in-time restore costs (docs/restore.md) ---------------------------------------


def test_a_restore_is_out_of_service_for_the_restore_the_checks_and_the_pod_start(prod_values):
    stack = parse_stack_config(prod_values)
    for index, restore in (0, "aurora_point_in_time_restore"), (2, "rds_point_in_time_restore"):
        cost = restore_cost(stack, stack.dr_pairs[index])
        assert cost.database_restore == FIGURES[restore].minutes
        assert cost.out_of_service == pytest.approx(
            FIGURES[restore].minutes
            + FIGURES["restore_verification"].minutes
            + FIGURES["pod_start"].minutes
        )
        build = "aurora_secondary_build" if index == 0 else "rds_replica_build"
        assert cost.standby_rebuild == FIGURES[build].minutes
        assert "every write after the restore time" in cost.as_dict()["dataLost"]


def test_the_restore_window_is_the_backup_retention_back_to_the_latest_restorable_time(
    prod_values,
):
    prod_values["backups"]["database"]["retentionDays"] = 14
    stack = parse_stack_config(prod_values)
    cost = restore_cost(stack, stack.dr_pairs[0])
    assert (cost.retention_days, cost.latest_restorable) == (14, 5)
    assert "| us-east-1 | aurora-global | 14 days back to 5 min ago |" in restore_table([cost])


def test_budget_command_prints_the_restore_costs_too(capsys):
    assert main([str(PROD_STACK_FILE)]) == 0
    out = capsys.readouterr().out
    assert "| primary | database | restore window | out of service |" in out
