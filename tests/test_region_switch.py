"""Each DR pair's ARC Region switch plan, its Lambda, probes and interlock alarms, in the prod
stack: the right blocks, regions, ARNs and RTO; a trigger outside the primary; the same plan
before and after a failover (the plan is managed through us-east-1's control plane); nothing of
it in the failed region (docs/failover.md "Automatic failover")."""

from __future__ import annotations

import json
import math

import pytest

from offline.recorder import RecordedResource, RecordedStack
from offline.stacks import stack_file_config
from operations.stack_file import stack_config
from regions.auto_failover import plan_name, probe_targets, witness_region

PLAN = "aws:arcregionswitch/plan:Plan"
FUNCTION = "aws:lambda/function:Function"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
STACK = stack_config(stack_file_config())
PAIRS = {p.primary: p for p in STACK.dr_pairs}
IDS = [f"{p.primary}-to-{p.standby}" for p in STACK.dr_pairs]


def plan_of(stack: RecordedStack, primary: str) -> RecordedResource:
    return stack.named(f"{PAIRS[primary].standby}-region-switch-of-{primary}-plan")


def steps_of(plan: RecordedResource) -> dict[str, dict]:
    [workflow] = plan.plain_inputs["workflows"]
    [step] = workflow["steps"]
    return {s["executionBlockType"]: s for s in step["parallelConfigs"][0]["steps"]}


def provider_name(stack: RecordedStack, resource: RecordedResource) -> str:
    assert resource.provider is not None
    return stack.by_urn()[resource.provider.rsplit("::", 1)[0]].name


def alarm_arns(stack: RecordedStack) -> dict[str, RecordedResource]:
    return {a.outputs["arn"]: a for a in stack.of_type(ALARM) + stack.of_type(COMPOSITE)}


@pytest.mark.parametrize("primary", PAIRS, ids=IDS)
def test_each_pair_has_a_plan_that_activates_its_standby(prod_stack, primary):
    pair = PAIRS[primary]
    plan = plan_of(prod_stack, primary)
    inputs = plan.plain_inputs
    assert inputs["name"] == plan_name("prod", pair)
    assert inputs["regions"] == [pair.primary, pair.standby]
    assert inputs["primaryRegion"] == pair.primary
    assert inputs["recoveryApproach"] == "activePassive"
    assert inputs["recoveryTimeObjectiveMinutes"] == math.ceil(pair.rto_minutes)
    # It runs where it activates: managed through the standby's provider and region.
    assert plan.region == pair.standby
    assert provider_name(prod_stack, plan) == f"aws-{pair.standby}"
    [workflow] = inputs["workflows"]
    assert (workflow["workflowTargetAction"], workflow["workflowTargetRegion"]) == (
        "activate",
        pair.standby,
    )
    database = (
        "AuroraGlobalDatabase" if pair.database == "aurora-global" else "RdsPromoteReadReplica"
    )
    assert set(steps_of(plan)) == {database, "CustomActionLambda", "EKSResourceScaling"}


@pytest.mark.parametrize("primary", ["us-east-1", "eu-west-1"])
def test_an_aurora_plan_fails_the_global_database_over_to_the_standby_cluster(prod_stack, primary):
    pair = PAIRS[primary]
    [config] = steps_of(plan_of(prod_stack, primary))["AuroraGlobalDatabase"]["globalAuroraConfigs"]
    assert config["behavior"] == "failover" and config["ungracefuls"] == [
        {"ungraceful": "failover"}
    ]
    [global_cluster] = [
        g for g in prod_stack.of_type("aws:rds/globalCluster:GlobalCluster") if g.region == primary
    ]
    assert config["globalClusterIdentifier"] == global_cluster.id
    clusters = {
        c.outputs["arn"]: c.region
        for c in prod_stack.of_type("aws:rds/cluster:Cluster")
        if c.plain_inputs["clusterIdentifier"].startswith(f"erlmcp-prod-{primary}")
    }
    assert sorted(clusters[a] for a in config["databaseClusterArns"]) == sorted(
        [pair.primary, pair.standby]
    )


def test_an_rds_plan_promotes_the_replica_in_the_standby(prod_stack):
    step = steps_of(plan_of(prod_stack, "ap-southeast-1"))["RdsPromoteReadReplica"]
    [config] = step["rdsPromoteReadReplicaConfigs"]
    instances = {i.outputs["arn"]: i for i in prod_stack.of_type("aws:rds/instance:Instance")}
    replica = instances[config["dbInstanceArnMap"]["ap-northeast-1"]]
    assert replica.region == "ap-northeast-1" and "replicateSourceDb" in replica.inputs
    writer = instances[config["dbInstanceArnMap"]["ap-southeast-1"]]
    assert replica.plain_inputs["replicateSourceDb"] == writer.outputs["arn"]


@pytest.mark.parametrize("primary", PAIRS, ids=IDS)
def test_the_cache_step_runs_this_repos_lambda_in_the_standby(prod_stack, primary):
    pair = PAIRS[primary]
    [config] = steps_of(plan_of(prod_stack, primary))["CustomActionLambda"][
        "customActionLambdaConfigs"
    ]
    assert config["regionToRun"] == "activatingRegion"
    functions = {f.outputs["arn"]: f for f in prod_stack.of_type(FUNCTION)}
    [function] = [functions[lam["arn"]] for lam in config["lambdas"]]
    assert function.region == pair.standby
    assert function.plain_inputs["handler"] == "global_datastore_failover.handler"
    assert function.plain_inputs["reservedConcurrentExecutions"] == 1
    env = function.plain_inputs["environment"]["variables"]
    assert env["NEW_PRIMARY_REGION"] == pair.standby
    assert env["NEW_PRIMARY_REPLICATION_GROUP_ID"] == f"erlmcp-prod-{primary}-dr"
    datastore = prod_stack.named(f"{primary}-redis-global-datastore")
    assert env["GLOBAL_REPLICATION_GROUP_ID"] == datastore.outputs["globalReplicationGroupId"]
    assert env["MARKER_PRIMARY"] == primary


@pytest.mark.parametrize("primary", PAIRS, ids=IDS)
def test_the_pods_step_scales_the_standby_release_from_the_primarys(prod_stack, primary):
    pair = PAIRS[primary]
    [config] = steps_of(plan_of(prod_stack, primary))["EKSResourceScaling"][
        "eksResourceScalingConfigs"
    ]
    assert config["kubernetesResourceTypes"] == [{"apiVersion": "apps/v1", "kind": "StatefulSet"}]
    assert config["capacityMonitoringApproach"] == "sampledMaxInLast24Hours"
    assert config["targetPercent"] == 100
    clusters = {c.outputs["arn"]: c.region for c in prod_stack.of_type("aws:eks/cluster:Cluster")}
    assert sorted(clusters[c["clusterArn"]] for c in config["eksClusters"]) == sorted(
        [pair.primary, pair.standby]
    )
    [scaling] = config["scalingResources"]
    by_region = {r["resourceName"]: r for r in scaling["resources"]}
    assert by_region[primary]["namespace"] == "erlmcp-prod"
    assert by_region[primary]["hpaName"] == "erlmcp"
    standby_ns = by_region[pair.standby]["namespace"]
    statefulsets = [
        s
        for s in prod_stack.of_type("kubernetes:apps/v1:StatefulSet")
        if s.name == f"{pair.standby}-standby-of-{primary}-erlmcp-statefulset"
    ]
    assert [s.plain_inputs["metadata"]["namespace"] for s in statefulsets] == [standby_ns]


@pytest.mark.parametrize("primary", PAIRS, ids=IDS)
def test_the_trigger_reads_only_alarms_outside_the_primary(prod_stack, primary):
    pair = PAIRS[primary]
    inputs = plan_of(prod_stack, primary).plain_inputs
    [trigger] = inputs["triggers"]
    assert trigger["action"] == "activate" and trigger["targetRegion"] == pair.standby
    assert trigger["minDelayMinutesBetweenExecutions"] == pair.auto_failover.min_delay_minutes
    arns = {a["mapBlockKey"]: a["resourceIdentifier"] for a in inputs["associatedAlarms"]}
    assert {a["alarmType"] for a in inputs["associatedAlarms"]} == {"trigger"}
    alarms = alarm_arns(prod_stack)
    seen = [
        (alarms[arns[c["associatedAlarmName"]]].region, c["condition"])
        for c in trigger["conditions"]
    ]
    assert primary not in {region for region, _ in seen}
    witness = witness_region(STACK, pair)
    assert (pair.standby, "red") in seen and (witness, "red") in seen


def test_the_two_apac_plans_cannot_both_fire(prod_stack):
    # Each needs the witness's view of the other's primary with the opposite state.
    def wanted(primary: str) -> dict[str, str]:
        [trigger] = plan_of(prod_stack, primary).plain_inputs["triggers"]
        return {c["associatedAlarmName"]: c["condition"] for c in trigger["conditions"]}

    there, back = wanted("ap-southeast-1"), wanted("ap-northeast-1")
    contradictions = [n for n in there.keys() & back.keys() if there[n] != back[n]]
    assert sorted(contradictions) == [
        "erlmcp-prod-autofailover-us-east-1-probe-ap-northeast-1-down",
        "erlmcp-prod-autofailover-us-east-1-probe-ap-southeast-1-down",
    ]


def test_each_probing_region_runs_one_probe_of_its_targets_every_minute(prod_stack):
    targets = probe_targets(STACK)
    probes = {
        f.region: f for f in prod_stack.of_type(FUNCTION) if f.name.endswith("-probe-function")
    }
    assert set(probes) == set(targets)
    for region, probe in probes.items():
        env = probe.plain_inputs["environment"]["variables"]
        assert json.loads(env["TARGETS"]) == {
            t: f"https://{t}.erlmcp.io/health" for t in targets[region]
        }
        rule = prod_stack.named(f"{region}-probe-schedule")
        assert rule.plain_inputs["scheduleExpression"] == "rate(1 minute)"
        permission = prod_stack.named(f"{region}-probe-invoked-by-schedule")
        assert permission.plain_inputs["principal"] == "events.amazonaws.com"
        assert permission.plain_inputs["sourceArn"] == rule.outputs["arn"]


def signal(stack: RecordedStack, region: str, what: str) -> dict:
    return stack.named(f"{region}-autofailover-signals-{what}").plain_inputs


def test_the_interlocks_keep_their_state_through_silence_and_the_probes_do_not_guess(prod_stack):
    down = signal(prod_stack, "us-west-2", "probe-us-east-1-down")
    assert (down["treatMissingData"], down["evaluationPeriods"]) == ("notBreaching", 1)
    assert signal(prod_stack, "us-east-1", "probe-eu-west-1-down")["evaluationPeriods"] == 2
    assert signal(prod_stack, "us-west-2", "probe-stopped")["treatMissingData"] == "breaching"
    lag = signal(prod_stack, "us-west-2", "lag-of-us-east-1")
    assert (lag["treatMissingData"], lag["threshold"]) == ("ignore", 60_000)  # RPO 1 min, ms
    rds_lag = signal(prod_stack, "ap-northeast-1", "lag-of-ap-southeast-1")
    assert (rds_lag["metricName"], rds_lag["threshold"]) == ("ReplicaLag", 300)
    marker = signal(prod_stack, "us-west-2", "ran-for-us-east-1")
    assert (marker["namespace"], marker["dimensions"]) == (
        "erlmcp/AutoFailover",
        {"Primary": "us-east-1"},
    )
    assert marker["treatMissingData"] == "ignore"
    assert all(
        a.plain_inputs["actionsEnabled"] is False
        for a in prod_stack.of_type(ALARM) + prod_stack.of_type(COMPOSITE)
        if "autofailover" in a.name
    )


def test_the_execution_role_may_do_what_the_blocks_need_and_no_more(prod_stack):
    role = prod_stack.named("us-west-2-region-switch-of-us-east-1-role")
    [trust] = json.loads(role.plain_inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "arc-region-switch.amazonaws.com"}
    policy = json.loads(
        prod_stack.named("us-west-2-region-switch-of-us-east-1-policy").plain_inputs["policy"]
    )
    by_action = {
        action: s["Resource"]
        for s in policy["Statement"]
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert set(by_action) == {
        "iam:SimulatePrincipalPolicy",
        "arc-region-switch:GetPlan",
        "arc-region-switch:GetPlanExecution",
        "arc-region-switch:ListPlanExecutions",
        "arc-region-switch:StartPlanExecution",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:DescribeAlarmHistory",
        "lambda:GetFunction",
        "lambda:InvokeFunction",
        "eks:DescribeCluster",
        "eks:ListAssociatedAccessPolicies",
        "rds:DescribeGlobalClusters",
        "rds:DescribeDBClusters",
        "rds:FailoverGlobalCluster",
    }
    # The global cluster and both clusters, for the describes as well (no "*").
    assert len(by_action["rds:FailoverGlobalCluster"]) == 3
    assert by_action["rds:DescribeDBClusters"] == by_action["rds:FailoverGlobalCluster"]
    # No statement on every resource (the access-entry and plan ARNs end in wildcards).
    assert all(s["Resource"] != "*" for s in policy["Statement"])
    assert by_action["arc-region-switch:StartPlanExecution"] == (
        "arn:aws:arc-region-switch::123456789012:plan/erlmcp-prod-use1-to-usw2:*"
    )
    [function] = by_action["lambda:InvokeFunction"]
    assert function.endswith(":function:erlmcp-prod-us-west-2-cache-of-us-east-1")


# --- through the failover -----------------------------------------------------------------------


@pytest.fixture(scope="module", params=list(PAIRS), ids=IDS)
def failover(request, prod_stack, dr_stage_stack):
    # Rendered with the primary's region down (tests/conftest.py `_dr_stage_stack`).
    return request.param, prod_stack, dr_stage_stack(request.param, "failover")


def region_switch_resources(stack: RecordedStack, primary: str) -> list[RecordedResource]:
    pair = PAIRS[primary]
    return [
        r
        for r in stack.resources
        if f"region-switch-of-{primary}" in r.name
        or r.name.startswith(f"{pair.standby}-cache-failover-of-{primary}")
        or r.name.endswith("-probe-function")
    ]


def test_a_failover_changes_nothing_of_the_plan_its_lambda_or_the_probes(failover):
    # The plan is managed through ARC's control plane in us-east-1: a failover while that
    # region is down must not need to update it.
    primary, before, after = failover
    old = {r.urn: r.inputs for r in region_switch_resources(before, primary)}
    new = {r.urn: r.inputs for r in region_switch_resources(after, primary)}
    assert old and old == new


def test_a_failover_forces_the_pairs_interlock_closed(failover):
    primary, before, after = failover
    name = f"{PAIRS[primary].standby}-autofailover-signals-blocked-for-{primary}"
    assert not before.named(name).plain_inputs["alarmRule"].endswith(" OR TRUE")
    assert after.named(name).plain_inputs["alarmRule"].endswith(" OR TRUE")


def test_with_the_primary_down_nothing_of_the_automatic_failover_is_there(failover):
    primary, _, after = failover
    pair = PAIRS[primary]
    plan = plan_of(after, primary)
    for resource in [
        plan,
        after.named(f"{pair.standby}-cache-failover-of-{primary}-function"),
        *[a for a in after.of_type(ALARM) + after.of_type(COMPOSITE) if "autofailover" in a.name],
    ]:
        if resource.name.startswith(f"{primary}-autofailover"):
            continue  # the primary's own probes watch others (its standby's plan never reads them)
        assert resource.region != primary, resource.name
        assert provider_name(after, resource) != f"aws-{primary}", resource.name
    alarms = alarm_arns(after)
    read = [a["resourceIdentifier"] for a in plan.plain_inputs["associatedAlarms"]]
    assert all(alarms[arn].region != primary for arn in read)
