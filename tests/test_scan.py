"""`make scan`: the stack in checkov's shapes, and how findings and suppressions are counted."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from offline import scan
from offline.recorder import reveal
from offline.terraform_plan import (
    TERRAFORM_TYPES,
    kubernetes_manifests,
    terraform_plan,
    terraform_values,
)


def test_values_become_terraform_shaped():
    inputs = {
        "bucket": "b",
        "tags": {"owner": "sre", "costCenter": "x"},
        "rules": [
            {
                "id": "r",
                "filter": {"prefix": "p/"},
                "noncurrentVersionExpiration": {"noncurrentDays": 7},
            }
        ],
        "latencyRoutingPolicies": [{"region": "us-east-1"}],
        "subjectAlternativeNames": ["a", "b"],
    }
    assert terraform_values(inputs) == {
        "bucket": "b",
        "tags": {"owner": "sre", "costCenter": "x"},  # a map keeps its keys
        "rule": [
            {
                "id": "r",
                "filter": [{"prefix": "p/"}],
                "noncurrent_version_expiration": [{"noncurrent_days": 7}],
            }
        ],
        "latency_routing_policy": [{"region": "us-east-1"}],
        "subject_alternative_names": ["a", "b"],
    }


@pytest.fixture(scope="module")
def plan(prod_stack):
    return terraform_plan(prod_stack)


def test_every_aws_resource_is_in_the_plan_with_its_terraform_type(prod_stack, plan):
    aws = [r for r in prod_stack.resources if r.type.startswith("aws:")]
    assert {r.type for r in aws} <= set(TERRAFORM_TYPES)
    planned = plan["planned_values"]["root_module"]["resources"]
    assert len(planned) == len(aws)
    assert len({p["address"] for p in planned}) == len(planned)


def test_a_value_taken_from_another_resource_is_a_reference(plan):
    configs = {c["address"]: c for c in plan["configuration"]["root_module"]["resources"]}
    planned = {
        p["address"]: p
        for p in plan["planned_values"]["root_module"]["resources"]
        if p["type"] == "aws_s3_bucket_versioning"
    }
    assert planned
    for address, resource in planned.items():
        assert "bucket" not in resource["values"]  # known after apply, as in a first plan
        [reference, bare] = configs[address]["expressions"]["bucket"]["references"]
        assert bare.startswith("aws_s3_bucket.") and reference == f"{bare}.id"


def test_no_generated_secret_reaches_the_scan_files(prod_stack, plan):
    secrets = {
        reveal(r.outputs["result"])
        for r in prod_stack.of_type("random:index/randomPassword:RandomPassword")
    }
    text = json.dumps(plan) + json.dumps(list(kubernetes_manifests(prod_stack)))
    assert secrets and not any(s in text for s in secrets)


def test_manifests_carry_their_api_version_and_kind(prod_stack):
    manifests = dict(kubernetes_manifests(prod_stack))
    statefulsets = [m for m in manifests.values() if m["kind"] == "StatefulSet"]
    assert statefulsets and all(m["apiVersion"] == "apps/v1" for m in statefulsets)
    assert all(m["apiVersion"] == "v1" for m in manifests.values() if m["kind"] == "Secret")


# --- counting and suppressing, with a stand-in for checkov --------------------------------------


def fake_checkov(tmp_path: Path, failed: dict[str, list[tuple[str, str]]]) -> Path:
    """An executable that answers like `checkov -o json --quiet` for each framework."""
    reports = {
        framework: {
            "check_type": framework,
            "results": {
                "failed_checks": [
                    {"check_id": c, "check_name": f"name of {c}", "resource": r} for c, r in items
                ]
            },
            "summary": {"passed": 10, "failed": len(items)},
        }
        for framework, items in failed.items()
    }
    data = tmp_path / "reports.json"
    data.write_text(json.dumps(reports))
    script = tmp_path / "checkov"
    script.write_text(
        "#!/usr/bin/env python3\n"
        "import json, sys\n"
        f"reports = json.load(open({str(data)!r}))\n"
        "framework = sys.argv[sys.argv.index('--framework') + 1]\n"
        "print(json.dumps(reports[framework]))\n"
        "sys.exit(1 if reports[framework]['results']['failed_checks'] else 0)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.fixture
def run_scan(monkeypatch, tmp_path, prod_stack, prod_config):
    monkeypatch.setattr(scan, "record_stack_file", lambda *a, **k: (prod_stack, prod_config))

    def run(failed, suppressions):
        (tmp_path / "suppressions.yaml").write_text(suppressions)
        monkeypatch.setattr(scan, "SUPPRESSIONS", tmp_path / "suppressions.yaml")
        checkov = fake_checkov(tmp_path, failed)
        return scan.main(["--checkov", str(checkov), "--out", str(tmp_path / "out")])

    return run


FINDINGS = {
    "kubernetes": [("CKV_K8S_43", "StatefulSet.erlmcp-prod.erlmcp-cluster")],
    "terraform_plan": [("CKV_AWS_157", "aws_db_instance.ap_northeast_1_standby_of_x_postgres_db")],
}


def test_an_unsuppressed_finding_fails_the_scan(run_scan, capsys):
    assert run_scan(FINDINGS, "[]") == 1
    out = capsys.readouterr().out
    assert "kubernetes: 10 passed, 1 failed, 0 suppressed" in out
    assert "[terraform_plan] CKV_AWS_157 aws_db_instance.ap_northeast_1_standby_of_x" in out


def test_suppressed_findings_pass_and_are_counted(run_scan, capsys):
    suppressions = """
- check: CKV_K8S_43
  resources: ["StatefulSet.*"]
  reason: "test reason"
- check: CKV_AWS_157
  resources: ["aws_db_instance.*_standby_of_*"]
  reason: "test reason"
"""
    assert run_scan(FINDINGS, suppressions) == 0
    assert "terraform_plan: 10 passed, 0 failed, 1 suppressed" in capsys.readouterr().out


def test_a_suppression_that_matches_nothing_is_an_error(run_scan, capsys):
    stale = '- check: CKV_AWS_999\n  reason: "nothing has this any more"\n'
    assert run_scan({"kubernetes": [], "terraform_plan": []}, stale) == 2
    assert "CKV_AWS_999" in capsys.readouterr().err


def test_a_suppression_needs_a_one_line_reason(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("- check: CKV_AWS_1\n")
    with pytest.raises(ValueError, match="needs a one-line reason"):
        scan.load_suppressions(path)


def test_the_shipped_suppressions_all_have_reasons():
    assert all(s.reason for s in scan.load_suppressions())
