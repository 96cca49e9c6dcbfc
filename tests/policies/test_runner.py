"""The offline runner and the analyzer plumbing under it (offline/policy_runner.py, analyzer.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from offline import policy_runner
from offline.analyzer import (
    PackAnalyzer,
    PolicyConfigError,
    StackPresentation,
    merge_policy_config,
    resource_request,
    secret,
)
from offline.policy_runner import (
    PolicyReport,
    analyze_recorded,
    analyze_stack_file,
    main,
    stack_policy_config,
)
from offline.recorder import SECRET_SIG, SIG_KEY, UNKNOWN
from offline.stacks import PROD_STACK_FILE
from tests.policies.conftest import drop_resource

DR = "dr-standby-holds-replicas"
REPLICA = "ap-northeast-1-standby-of-ap-southeast-1-postgres-db"  # an RDS read replica
# Missing only this trips a single policy (dr-standby-holds-replicas), which keeps the report
# tests about the runner; a missing database copy also breaks the DR budget and standby checks.
CACHE_SECONDARY = "ap-northeast-1-standby-of-ap-southeast-1-redis-group"


def write_stack_file(tmp_path: Path, name: str, edit) -> Path:
    document = yaml.safe_load(PROD_STACK_FILE.read_text())
    edit(document["config"])
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture(scope="module")
def broken_report(prod_stack, prod_stack_config) -> PolicyReport:
    """The whole pack over prod without ap-southeast-1's cache secondary in ap-northeast-1."""
    broken = copy.deepcopy(prod_stack)
    drop_resource(broken, CACHE_SECONDARY)
    return analyze_recorded(broken, stack_config=prod_stack_config)


@pytest.fixture
def recorded_as(monkeypatch, prod_stack_config):
    """Make the CLI analyze a given recorded stack instead of running the program again."""

    def use(recorded):
        monkeypatch.setattr(
            policy_runner, "record_stack_file", lambda *a, **k: (recorded, prod_stack_config)
        )

    return use


# --- exit codes and the report ---------------------------------------------------------------


def test_cli_passes_on_prod(recorded_as, prod_stack, capsys):
    recorded_as(prod_stack)
    assert main(["--stack", "prod"]) == 0
    out = capsys.readouterr().out
    count = len(prod_stack.resources)
    assert f"Policy pack check of stack 'prod' (update): {count} resources" in out
    assert out.rstrip().endswith("PASSED: 0 mandatory, 0 advisory violations")


def test_cli_fails_on_a_mandatory_violation(recorded_as, broken_prod, capsys):
    drop_resource(broken_prod, CACHE_SECONDARY)
    recorded_as(broken_prod)
    assert main([]) == 1
    out = capsys.readouterr().out
    assert f"[mandatory] {DR}" in out
    assert "resource: urn:pulumi:prod::erlmcp-infra::" in out
    assert "ap-northeast-1 holds no secondary of ap-southeast-1's cache" in out
    assert "FAILED: 1 mandatory, 0 advisory violations" in out


def test_advisory_violation_is_shown_but_passes(recorded_as, broken_prod, tmp_path, capsys):
    drop_resource(broken_prod, CACHE_SECONDARY)
    recorded_as(broken_prod)
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({DR: "advisory"}))
    assert main(["--policy-config", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"[advisory] {DR}" in out
    assert "PASSED: 0 mandatory, 1 advisory violations" in out


def test_report_names_policy_level_resource_and_message(broken_report):
    [diagnostic] = broken_report.diagnostics
    assert (diagnostic.policy, diagnostic.enforcement_level) == (DR, "mandatory")
    assert diagnostic.urn.endswith("::ap-southeast-1-redis-group")
    text = broken_report.format()
    for part in (diagnostic.policy, diagnostic.urn, diagnostic.detail, diagnostic.description):
        assert part in text
    assert broken_report.exit_code == 1 and not broken_report.passed


def test_broken_stack_file_exits_2_naming_the_key(tmp_path, capsys):
    def edit(config):
        config["erlmcp-infra:regions"]["us-east-1"]["pods"] = 500

    path = write_stack_file(tmp_path, "broken", edit)
    assert main(["--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "invalid stack configuration" in err
    assert "erlmcp-infra:regions.us-east-1.pods" in err


def test_unknown_config_key_exits_2(tmp_path, capsys):
    path = write_stack_file(tmp_path, "typo", lambda c: c.update({"erlmcp-infra:regoins": {}}))
    assert main(["--config", str(path)]) == 2
    assert "erlmcp-infra:regoins" in capsys.readouterr().err


def test_missing_stack_file_exits_2(tmp_path, capsys):
    assert main(["--stack", "nowhere", "--config", str(tmp_path / "Pulumi.nowhere.yaml")]) == 2
    assert "cannot read stack file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({DR: "sometimes"}, "'sometimes' is not a valid enforcement level"),
        ({DR: {"dr_pairs": "us-east-1"}}, f"{DR}: dr_pairs: 'us-east-1' is not of type 'array'"),
        ({"no-such-policy": "advisory"}, "the pack has no policy named no-such-policy"),
    ],
)
def test_bad_policy_config_exits_2(tmp_path, capsys, document, expected):
    config = tmp_path / "policy.json"
    config.write_text(json.dumps(document))
    assert main(["--policy-config", str(config)]) == 2
    assert expected in capsys.readouterr().err


def untagged_us_pair(config: dict[str, Any]) -> None:
    """No project tags, and prod cut to the us pair: what the function API does with a stack file
    does not depend on its size, and this renders in a third of prod's time. Two regions leave no
    third to witness the primary's loss: no automatic failover, so a person decides and the RTO
    allows for it (dr-budget-meets-targets)."""
    config.pop("erlmcp-infra:tags")
    regions = config["erlmcp-infra:regions"]
    config["erlmcp-infra:regions"] = {r: regions[r] for r in ("us-east-1", "us-west-2")}
    config["erlmcp-infra:drPairs"] = [
        {**pair, "rtoMinutes": 30, "autoFailover": {"enabled": False}}
        for pair in config["erlmcp-infra:drPairs"]
        if pair["primary"] == "us-east-1"
    ]


def test_stack_file_the_pack_rejects_fails_through_the_function_api(tmp_path):
    """A stack file the program accepts but the pack does not: no project tags."""
    path = write_stack_file(tmp_path, "untagged", untagged_us_pair)
    report = analyze_stack_file(path)
    assert report.stack == "untagged"
    assert report.exit_code == 1
    tags = report.by_policy("tags-required")
    assert tags and all(d.mandatory for d in tags)
    assert any("owner" in d.detail and "cost-center" in d.detail for d in tags)


def test_print_policy_config_gives_the_stack_files_pairs(capsys):
    assert main(["--print-policy-config"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config[DR]["dr_pairs"] == [
        {"primary": "us-east-1", "standby": "us-west-2"},
        {"primary": "eu-west-1", "standby": "eu-central-1"},
        {"primary": "ap-southeast-1", "standby": "ap-northeast-1"},
        {"primary": "ap-northeast-1", "standby": "ap-southeast-1"},
    ]


def test_stack_file_pairs_reach_the_dr_policy(analyze_stack, broken_prod, prod_stack_config):
    """A pair with none of its copies left is caught only because the stack file names it."""
    for name in (
        REPLICA,
        "ap-northeast-1-standby-of-ap-southeast-1-redis-group",
        "ap-southeast-1-backups-to-ap-northeast-1-config",
    ):
        drop_resource(broken_prod, name)
    assert analyze_stack(broken_prod, policies=[DR]) == []
    from_stack_file = {DR: stack_policy_config(prod_stack_config)[DR]}
    assert len(analyze_stack(broken_prod, from_stack_file, policies=[DR])) == 3


# --- what the analyzer is sent ---------------------------------------------------------------


def test_secrets_keep_the_engines_secret_signature():
    request = resource_request("aws:rds/instance:Instance", {"password": secret("hunter22")})
    sent = json_format.MessageToDict(request.properties)
    assert sent["password"] == {SIG_KEY: SECRET_SIG, "value": "hunter22"}


def _probe_pack(seen: dict, **kwargs) -> PackAnalyzer:
    def look(args, report_violation):
        seen["props"] = args.props
        seen["config"] = args.get_config()
        seen["opts"] = args.opts
        seen["provider"] = args.provider
        if args.props.get("bad"):
            report_violation("bad is set", None)
        seen["arn"] = args.props.get("arn")

    def look_stack(args, report_violation):
        seen["resources"] = args.resources

    policies = [
        ResourceValidationPolicy(
            name="probe",
            description="probe [erlmcp]",
            validate=look,
            config_schema=PolicyConfigSchema({"limit": {"type": "integer", "default": 7}}),
        ),
        StackValidationPolicy(
            name="stack-probe", description="stack [erlmcp]", validate=look_stack
        ),
    ]
    return PackAnalyzer(
        policies, name="probe-pack", enforcement_level=EnforcementLevel.MANDATORY, **kwargs
    )


def test_policies_see_secrets_plainly_and_unknowns_as_unknown():
    seen: dict = {}
    analyzer = _probe_pack(seen)
    found = analyzer.analyze(
        resource_request("aws:x/y:Z", {"password": secret("s3cret"), "arn": UNKNOWN})
    )
    assert seen["props"]["password"] == "s3cret"
    [diagnostic] = found
    assert diagnostic.enforcement_level == "advisory"
    assert "can't be known during preview" in diagnostic.message


def test_resource_diagnostics_carry_the_resource_urn():
    analyzer = _probe_pack({})
    request = resource_request("aws:x/y:Z", {"bad": True}, name="thing")
    [diagnostic] = analyzer.analyze(request)
    assert diagnostic.urn == request.urn == "urn:pulumi:test::erlmcp-infra::aws:x/y:Z::thing"
    assert diagnostic.detail == "bad is set" and diagnostic.mandatory


def test_config_is_reconciled_as_the_engine_does():
    seen: dict = {}
    analyzer = _probe_pack(seen)
    analyzer.analyze(resource_request("aws:x/y:Z", {}))
    assert seen["config"] == {"limit": 7}  # the schema default
    seen.clear()
    analyzer = _probe_pack(seen, config={"probe": {"limit": 9}, "all": "advisory"})
    analyzer.analyze(resource_request("aws:x/y:Z", {}))
    assert seen["config"] == {"limit": 9}
    assert analyzer.levels == {"probe": "advisory", "stack-probe": "advisory"}
    with pytest.raises(PolicyConfigError, match="probe: limit: 'x' is not of type 'integer'"):
        _probe_pack({}, config={"probe": {"limit": "x"}})


def test_merge_policy_config_layers_documents():
    merged = merge_policy_config({DR: {"dr_pairs": [1]}}, {DR: "advisory"}, {DR: {"require": []}})
    assert merged == {DR: {"dr_pairs": [1], "enforcementLevel": "advisory", "require": []}}


def test_stack_presentation_matches_the_engine(prod_stack, prod_stack_config):
    presentation = StackPresentation(prod_stack, stack_config=prod_stack_config)
    request = presentation.analyze_stack_request()
    by_urn = {r.urn: r for r in request.resources}
    stack_urn = "urn:pulumi:prod::erlmcp-infra::pulumi:pulumi:Stack::erlmcp-infra-prod"
    assert by_urn[stack_urn].type == "pulumi:pulumi:Stack"
    # The engine adds a default provider for each package used without an explicit provider:
    # none here, every resource names its own (regions/providers.py).
    defaults = [r.urn for r in request.resources if r.urn.split("::")[-1].startswith("default")]
    assert defaults == []
    assert len(request.resources) == len(prod_stack.resources) + 1

    replica = prod_stack.named(REPLICA)
    sent = by_urn[replica.urn]
    assert sent.parent == replica.parent and sent.options.protect
    assert list(sent.dependencies) == replica.dependencies
    assert {k: list(v.urns) for k, v in sent.propertyDependencies.items()} == (
        replica.property_dependencies
    )
    # AnalyzeStack gets outputs, Analyze gets inputs.
    assert "arn" in json_format.MessageToDict(sent.properties)
    [analyze] = [r for r in presentation.analyze_requests() if r.urn == replica.urn]
    assert "arn" not in json_format.MessageToDict(analyze.properties)
    assert analyze.provider.type == "pulumi:providers:aws"

    top = next(r for r in prod_stack.resources if r.parent is None and not r.custom)
    assert by_urn[top.urn].parent == stack_urn

    workload = prod_stack.named("us-east-1-erlmcp-statefulset")
    assert by_urn[workload.urn].provider.type == "pulumi:providers:kubernetes"
    assert by_urn[workload.urn].provider.urn == workload.provider.rsplit("::", 1)[0]


def test_policies_see_parents_dependencies_and_providers(prod_stack, prod_stack_config):
    seen: dict = {}
    analyzer = _probe_pack(seen)
    presentation = StackPresentation(copy.deepcopy(prod_stack), stack_config=prod_stack_config)
    analyzer.analyze_stack(presentation.analyze_stack_request())
    resources = {r.urn: r for r in seen["resources"]}
    replica = resources[prod_stack.named(REPLICA).urn]
    assert replica.parent.resource_type == "erlmcp:components:PostgresReplica"
    assert any(d.resource_type == "aws:kms/key:Key" for d in replica.dependencies)
    assert replica.provider.name == "aws-ap-northeast-1"  # its own region's provider
    assert replica.provider.props["region"] == "ap-northeast-1"
    assert replica.props["replicateSourceDb"].startswith("arn:aws:rds:ap-southeast-1:")


def test_list_policies_prints_the_table(capsys):
    assert main(["--list-policies"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| Policy | Checks | Level | Control | Config keys (default) |")
    assert (
        "| `dns-no-traffic-to-empty-regions` | stack | mandatory | erlmcp | `min_pods` (`1`)<br>"
        "`failed_over` (`[]`)<br>`restoring` (`[]`) |" in out
    )


def test_pack_entry_point_serves_every_policy(monkeypatch):
    """policies/__main__.py only builds the PolicyPack (here caught instead of served)."""
    import runpy

    import pulumi_policy

    from erlmcp_policies import ALL_POLICIES, PACK_ENFORCEMENT_LEVEL, PACK_NAME

    built: list[dict] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.append(kwargs))
    runpy.run_path(str(policy_runner.POLICIES_DIR / "__main__.py"), run_name="__main__")
    assert built == [
        {"name": PACK_NAME, "policies": ALL_POLICIES, "enforcement_level": PACK_ENFORCEMENT_LEVEL}
    ]


def test_pack_metadata_is_what_the_cli_reads():
    document = yaml.safe_load((policy_runner.POLICIES_DIR / "PulumiPolicy.yaml").read_text())
    assert document["runtime"]["name"] == "python"
    assert policy_runner.pack_version() == document["version"]
    requirements = (policy_runner.POLICIES_DIR / "requirements.txt").read_text()
    assert "pulumi-policy==1.21.0" in requirements
