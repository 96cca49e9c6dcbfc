"""The offline plan: its schema, redaction, Mermaid page, diff warnings and CLI."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import jsonschema
import pytest
import yaml

from offline import policy_runner
from offline.recorder import reveal
from offline.stacks import PROD_STACK_FILE, run_stack_file, stack_file_config
from planning import plan as plan_cli
from planning.diff import STATEFUL_IDENTITY, diff_plans
from planning.markdown import mermaid, node_id, regions_of, render
from planning.plan import build_plan, main, plan_resources, write_plan
from planning.schema import PLAN_SCHEMA, SECRET
from tests.conftest import STATEFUL_TYPES, dr_stage_config
from tests.recordings import pack_report, recorded_stack, shared_plan

REGIONS = [
    "ap-northeast-1",
    "ap-southeast-1",
    "eu-central-1",
    "eu-west-1",
    "us-east-1",
    "us-west-2",
]


@pytest.fixture(scope="module")
def prod_config() -> dict[str, Any]:
    return stack_file_config()


@pytest.fixture(scope="module")
def plan(prod_stack, prod_config) -> dict[str, Any]:
    return shared_plan(prod_stack, prod_config)


def test_plan_matches_its_schema(plan):
    jsonschema.validate(plan, PLAN_SCHEMA)
    broken = copy.deepcopy(plan)
    del broken["resources"][0]["region"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, PLAN_SCHEMA)


def test_the_shipped_placeholders_are_loud_in_the_plan(plan):
    assert [p.split(":")[0] for p in plan["placeholders"]] == [
        "apiAccessCidrs",
        "pagerEndpoints",
        "accountId",
    ]
    page = render(plan)
    assert page.count("> **PLACEHOLDER** (`pulumi up` refuses it)") == 3


def test_plan_places_regional_and_global_resources(plan):
    by_type = {r["type"]: r for r in plan["resources"]}
    assert by_type["aws:route53/record:Record"]["region"] is None
    assert by_type["aws:iam/role:Role"]["region"] is None
    assert sorted(plan["counts"]["byRegion"]) == sorted([*REGIONS, "global"])
    assert sum(plan["counts"]["byRegion"].values()) == len(plan["resources"])


def test_plan_carries_policy_results_and_dr_budgets(plan):
    assert plan["policy"] == {"passed": True, "mandatory": 0, "advisory": 0, "diagnostics": []}
    pairs = {(p["primary"], p["standby"]): p for p in plan["dr"]["pairs"]}
    assert pairs[("us-east-1", "us-west-2")]["database"] == "aurora-global"
    assert all(p["meetsTargets"] for p in pairs.values())


def test_plan_says_what_a_restore_of_each_primary_costs(plan):
    assert plan["dr"]["restore"] == {}
    costs = {c["primary"]: c for c in plan["dr"]["restoreCosts"]}
    assert sorted(costs) == ["ap-northeast-1", "ap-southeast-1", "eu-west-1", "us-east-1"]
    assert costs["us-east-1"]["restoreWindowDays"] == 30
    page = render(plan)
    section = page.split("## Restore to a point in time\n", 1)[1].split("\n## ", 1)[0]
    assert (
        "| us-east-1 | aurora-global | 30 days back to 5 min ago | 137 min | 120 min |" in section
    )
    assert "every write after the restore time, unless exported" in section


def generated_secrets(prod_stack) -> list[str]:
    return [
        reveal(r.outputs["result"])
        for r in prod_stack.resources
        if r.type.startswith("random:index/randomPassword")
    ]


def test_no_secret_reaches_the_plan_files(plan, prod_stack, tmp_path):
    json_path, md_path = write_plan(plan, tmp_path)
    written = json_path.read_text() + md_path.read_text()
    secrets = generated_secrets(prod_stack)
    assert len(secrets) >= 10
    assert [s for s in secrets if s in written] == []
    secret = next(r for r in plan["resources"] if r["type"] == "kubernetes:core/v1:Secret")
    assert secret["inputs"]["stringData"] == SECRET


def test_mermaid_is_well_formed_and_shows_every_region(plan):
    text = mermaid(plan)
    lines = text.splitlines()
    assert lines[0] == "graph LR"
    node = re.compile(r'^  (\w+)(\["[^"]+"\]|\(\["[^"]+"\]\))$')
    edge = re.compile(r"^  (\w+) (-->|-\.->)\|[^|]+\| (\w+)$")
    defined, used = set(), set()
    for line in lines[1:]:
        if found := node.match(line):
            defined.add(found.group(1))
        elif found := edge.match(line):
            used |= {found.group(1), found.group(3)}
        else:
            pytest.fail(f"not a Mermaid node or edge: {line!r}")
    assert used <= defined
    assert {node_id(r) for r in REGIONS} <= defined
    assert regions_of(plan) == REGIONS


def test_page_shows_regions_pairs_and_verdicts(plan):
    page = render(plan)
    assert "```mermaid" in page
    for region in REGIONS:
        assert f"| {region} |" in page
        assert f"| {region}-access-logs-bucket, {region}-backups-bucket |" in page
    assert "| us-east-1 → us-west-2 | aurora-global | 5 / 5 min |" in page
    assert "Policy pack: passed" in page


def test_exceptions_and_failover_are_loud(prod_stack, prod_config):
    config = copy.deepcopy(prod_config)
    config["erlmcp-infra:failover"] = {"us-east-1": "us-west-2"}
    page = render(build_plan(prod_stack, config, PROD_STACK_FILE))
    assert "> **FAILOVER ACTIVE** us-east-1's traffic and data are served from us-west-2." in page


def test_failback_stages_and_retired_copies_are_loud(dr_stage_stack):
    drain = dr_stage_config("us-east-1", "drain")
    page = render(shared_plan(dr_stage_stack("us-east-1", "drain"), drain))
    assert "> **FAILBACK DRAIN** us-east-1: the standby's release is stopped" in page
    final_config = dr_stage_config("us-east-1", "generation-2")
    final = shared_plan(dr_stage_stack("us-east-1", "generation-2"), final_config)
    jsonschema.validate(final, PLAN_SCHEMA)
    assert final["dr"]["generations"]["us-east-1"] == {"current": 2, "retired": [1], "restored": {}}
    assert "> **RETIRED COPIES KEPT** us-east-1: database generation(s) 1" in render(final)


def test_letting_a_retired_generation_go_is_flagged_as_stateful_removals(dr_stage_stack):
    primary = "ap-southeast-1"
    kept_config = dr_stage_config(primary, "generation-2")
    kept = {"resources": plan_resources(dr_stage_stack(primary, "generation-2"))}
    dropped_config = copy.deepcopy(kept_config)
    pairs = dropped_config["erlmcp-infra:drPairs"]
    next(p for p in pairs if p["primary"] == primary)["retiredGenerations"] = []
    dropped = {"resources": plan_resources(recorded_stack(dropped_config))}
    warnings = diff_plans(kept, dropped)["warnings"]
    removed_databases = [w for w in warnings if "(aws:rds/instance:Instance)" in w]
    assert len(removed_databases) == 2  # generation 1's old writer and its promoted standby
    assert all(w.startswith("STATEFUL RESOURCE REMOVED") for w in removed_databases)


def test_diff_flags_a_removed_database(plan):
    new = copy.deepcopy(plan)
    database = next(r for r in new["resources"] if r["type"] == "aws:rds/instance:Instance")
    new["resources"].remove(database)
    diff = diff_plans(plan, new)
    assert diff["removed"] == [database["urn"]]
    assert diff["warnings"] == [
        f"STATEFUL RESOURCE REMOVED: {database['urn']} (aws:rds/instance:Instance) would be "
        "deleted."
    ]


def test_diff_flags_a_renamed_bucket(plan):
    new = copy.deepcopy(plan)
    bucket = next(r for r in new["resources"] if r["type"] == "aws:s3/bucket:Bucket")
    old_urn = bucket["urn"]
    bucket["urn"] = old_urn.replace(bucket["name"], "renamed-bucket")
    bucket["name"] = "renamed-bucket"
    diff = diff_plans(plan, new)
    assert diff["added"] == [bucket["urn"]] and diff["removed"] == [old_urn]
    [warning] = diff["warnings"]
    assert warning.startswith(f"STATEFUL RESOURCE RENAMED: {old_urn} -> {bucket['urn']}.")


def with_resource_changed(plan: dict[str, Any], urn: str, change) -> dict[str, Any]:
    """`plan` with a copy of its resource `urn` changed by `change` (None removes it); the other
    resources are shared, not copied: diff_plans only reads."""
    resources = []
    for resource in plan["resources"]:
        if resource["urn"] == urn:
            resource = change(copy.deepcopy(resource))
        if resource is not None:
            resources.append(resource)
    return {**plan, "resources": resources}


def renamed_to(name: str):
    def rename(resource: dict[str, Any]) -> dict[str, Any]:
        resource["urn"] = resource["urn"].replace(f"::{resource['name']}", f"::{name}")
        resource["name"] = name
        return resource

    return rename


@pytest.mark.parametrize("type_", sorted(STATEFUL_TYPES))
def test_diff_flags_every_stateful_type_removed_or_renamed(plan, type_):
    [first, *_] = [r for r in plan["resources"] if r["type"] == type_]
    removed = with_resource_changed(plan, first["urn"], lambda _: None)
    assert diff_plans(plan, removed)["warnings"] == [
        f"STATEFUL RESOURCE REMOVED: {first['urn']} ({type_}) would be deleted."
    ]
    renamed = with_resource_changed(plan, first["urn"], renamed_to("renamed"))
    moved_urn = first["urn"].replace(f"::{first['name']}", "::renamed")
    [warning] = diff_plans(plan, renamed)["warnings"]
    assert warning.startswith(f"STATEFUL RESOURCE RENAMED: {first['urn']} -> {moved_urn}.")
    # Same name, another physical identity: a new resource next to a removed one, not a rename.
    key = STATEFUL_IDENTITY[type_]
    if key in first["inputs"]:

        def another_identity(resource: dict[str, Any]) -> dict[str, Any]:
            resource = renamed_to("renamed")(resource)
            resource["inputs"][key] = f"{resource['inputs'][key]}-other"
            return resource

        other = with_resource_changed(plan, first["urn"], another_identity)
        [warning] = diff_plans(plan, other)["warnings"]
        assert warning.startswith("STATEFUL RESOURCE REMOVED")


def test_diff_lists_changed_inputs(plan):
    new = copy.deepcopy(plan)
    statefulset = next(r for r in new["resources"] if r["type"] == "kubernetes:apps/v1:StatefulSet")
    statefulset["inputs"]["spec"]["replicas"] = 7
    diff = diff_plans(plan, new)
    assert diff["changed"] == [{"urn": statefulset["urn"], "inputs": ["spec"]}]
    assert diff["warnings"] == []


@pytest.fixture
def recorded_as(monkeypatch, prod_stack, prod_config):
    """Let the CLI use the session's recording and its pack report instead of running the
    program and the pack again."""
    monkeypatch.setattr(plan_cli, "record_stack_file", lambda *a, **k: (prod_stack, prod_config))
    monkeypatch.setattr(
        plan_cli, "analyze_recorded", lambda recorded, **k: pack_report(recorded, **k)
    )


def test_cli_writes_both_files_and_a_summary(recorded_as, tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert "Policy pack: passed" in out.out
    assert "Recording the program" in out.err
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert f"Plan of stack 'prod': {len(plan['resources'])} resources" in out.out
    jsonschema.validate(plan, PLAN_SCHEMA)
    assert (tmp_path / "plan.md").read_text().startswith("# Plan of stack `prod`")


def test_cli_diffs_against_an_older_plan(recorded_as, plan, tmp_path, capsys):
    older = copy.deepcopy(plan)
    older["resources"].append(
        {
            **older["resources"][0],
            "urn": "urn:pulumi:prod::erlmcp-infra::aws:kms/key:Key::gone",
            "type": "aws:kms/key:Key",
            "name": "gone",
        }
    )
    old_path = tmp_path / "old.json"
    old_path.write_text(json.dumps(older))
    assert main(["--out", str(tmp_path / "new"), "--against", str(old_path)]) == 0
    out = capsys.readouterr().out
    assert (
        "!! STATEFUL RESOURCE REMOVED: urn:pulumi:prod::erlmcp-infra::aws:kms/key:Key::gone" in out
    )


def test_cli_names_the_bad_key_of_a_stack_file(tmp_path, capsys):
    bad = tmp_path / "Pulumi.bad.yaml"
    config = stack_file_config()
    config["erlmcp-infra:regions"]["us-east-1"]["pods"] = 500
    bad.write_text(json.dumps({"config": config}))
    assert main(["--config", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "erlmcp-infra:regions.us-east-1.pods" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_rejects_an_unreadable_old_plan(tmp_path, capsys):
    assert main(["--against", str(tmp_path / "missing.json"), "--out", str(tmp_path)]) == 2
    assert "cannot read --against plan" in capsys.readouterr().err


# --- the speedups change nothing the plan says --------------------------------------------------


def _plan_bytes(config: dict[str, Any]) -> tuple[str, str]:
    """A fresh recording, broken in two places, planned: the JSON and the page."""
    recorded = run_stack_file(config)
    key = recorded.named("us-east-1-key-key")
    key.inputs["enableKeyRotation"] = key.outputs["enableKeyRotation"] = False
    versioning = recorded.named("eu-west-1-backups-versioning")
    recorded.resources.remove(versioning)
    plan = build_plan(recorded, config, PROD_STACK_FILE)
    assert plan["policy"]["mandatory"] >= 2  # the comparison covers violation messages too
    return json.dumps(plan, indent=2), render(plan)


def _three_regions(prod_config: dict[str, Any]) -> dict[str, Any]:
    """Prod cut to an Aurora pair and an RDS primary: every kind of resource prod has, at half
    the render time (the speedups do not depend on how many regions there are)."""
    config = copy.deepcopy(prod_config)
    keep = ("us-east-1", "us-west-2", "eu-west-1")
    regions = config["erlmcp-infra:regions"]
    config["erlmcp-infra:regions"] = {r: regions[r] for r in keep}
    pairs = config["erlmcp-infra:drPairs"]
    config["erlmcp-infra:drPairs"] = [p for p in pairs if p["primary"] == "us-east-1"]
    config["erlmcp-infra:noStandby"] = {"eu-west-1": "speedup test: one pair is enough"}
    return config


def test_the_speedups_change_no_byte_of_the_plan(monkeypatch, prod_config):
    """Pausing the collector, skipping the SDK's source positions, awaiting the outputs together,
    decoding each message once per analyzer call, building the policies' proxies on access and
    skipping the resource policies of other types, building a stack's resources once for all its
    stack policies, serializing the mocks' states without an event loop, unwrapping each type
    hint once, calling the monitor in place and reusing the analyzer messages already built, are
    invisible: the same plan, byte for byte, as with the collector running, the stack walked for
    every resource, the SDK's own output loop, monitor and thread pool, every message built
    afresh, and pulumi-policy decoding a resource and wrapping all of it again for every policy."""
    import contextlib

    from pulumi.runtime import rpc
    from pulumi.runtime.sync_await import _sync_await

    from offline import analyzer, recorder

    config = _three_regions(prod_config)
    fast = _plan_bytes(config)
    monkeypatch.setattr(recorder, "collector_paused", contextlib.nullcontext)
    monkeypatch.setattr(recorder, "source_positions_skipped", contextlib.nullcontext)
    monkeypatch.setattr(recorder, "type_hints_unwrapped_once", contextlib.nullcontext)
    monkeypatch.setattr(recorder, "monitor_called_in_place", contextlib.nullcontext)
    monkeypatch.setattr(recorder, "outputs_awaited_together", lambda program: program)
    monkeypatch.setattr(analyzer, "collector_paused", contextlib.nullcontext)
    monkeypatch.setattr(analyzer, "_each_message_decoded_once", contextlib.nullcontext)
    monkeypatch.setattr(analyzer, "_proxies_built_on_access", contextlib.nullcontext)
    monkeypatch.setattr(analyzer, "_only_policies_for", lambda *_: contextlib.nullcontext())
    monkeypatch.setattr(analyzer, "_analyze_stack", lambda srv, req: srv.AnalyzeStack(req, None))
    monkeypatch.setattr(analyzer, "cache_key", lambda _value: None)
    monkeypatch.setattr(
        recorder,
        "serialized_without_a_loop",
        lambda _urn, state: _sync_await(rpc.serialize_properties(state, {})),
    )
    slow = _plan_bytes(config)
    assert fast[0] == slow[0]
    assert fast[1] == slow[1]


@pytest.mark.parametrize(
    ("argv", "stack", "stack_file"),
    [
        ([], "prod", "Pulumi.prod.yaml"),
        (["--stack", "prod"], "prod", "Pulumi.prod.yaml"),
        (["--config", "Pulumi.prod.yaml", "--stack", "staging"], "staging", "Pulumi.prod.yaml"),
    ],
)
def test_the_cli_plans_the_stack_it_is_told(monkeypatch, tmp_path, argv, stack, stack_file):
    """`--stack` names the stack even when `--config` names the file (the engine's URNs carry
    the stack name); without `--stack` the file name decides."""
    seen = {}

    def record(path, *, stack=None, **kwargs):
        seen.update(path=path.name, stack=stack)
        raise plan_cli.StackFileError("stop here")

    monkeypatch.setattr(plan_cli, "record_stack_file", record)
    assert main([*argv, "--out", str(tmp_path)]) == 2
    assert seen["path"] == stack_file
    assert (seen["stack"] or "prod") == stack


def test_without_stack_the_file_name_names_it(monkeypatch, tmp_path, prod_config):
    staging = tmp_path / "Pulumi.staging.yaml"
    staging.write_text(yaml.safe_dump({"config": prod_config}))
    seen = {}
    monkeypatch.setattr(
        policy_runner, "run_stack_file", lambda config, *, stack, **kwargs: seen.update(stack=stack)
    )
    policy_runner.record_stack_file(staging)
    assert seen == {"stack": "staging"}


def test_the_page_lists_each_regions_add_ons_and_controllers(plan):
    page = render(plan)
    section = page.split("### Add-ons and controllers")[1].split("## DR pairs")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "region" not in line]
    assert len(rows) == len(REGIONS)
    for row in rows:
        assert "vpc-cni v1.20.1-eksbuild.3 (network policies enforced)" in row
        assert "metrics-server" in row and "aws-load-balancer-controller 1.17.1" in row


def test_plan_md_shows_each_pairs_trigger_interlocks_and_steps(plan):
    page = render(plan)
    section = page[page.index("### Automatic failover") :]
    for pair in plan["dr"]["autoFailover"]:
        assert (
            f"**{pair['primary']} → {pair['standby']}**: plan `{pair['plan']}`, armed." in section
        )
        for condition in pair["trigger"]:
            assert f"| `{condition['alarm']}` | {condition['region']} |" in section
    assert section.count("Held while: the standby copy's lag above the RPO") == 4
    assert "| AuroraGlobalDatabase | Global Database failover" in section
    assert "| RdsPromoteReadReplica | promote the standby's read replica | 10 min |" in section
    assert "Typically, the chosen secondary cluster assumes the primary role" in section


def test_a_failed_over_pair_shows_as_disarmed(dr_stage_stack):
    config = dr_stage_config("eu-west-1", "failover")
    failed_over = shared_plan(dr_stage_stack("eu-west-1", "failover"), config)
    [pair] = [p for p in failed_over["dr"]["autoFailover"] if p["primary"] == "eu-west-1"]
    assert not pair["armed"]
    assert "disarmed: eu-west-1 is failed over to eu-central-1" in render(failed_over)
