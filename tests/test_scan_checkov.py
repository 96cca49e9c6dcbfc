"""`make scan` with the real checkov (the pinned one `make scan` installs in .venv-scan; `make
test` installs it too). Its reports are made once per checkov version and scanned bytes and
shared through the recordings cache (tests/recordings.py): checkov takes seconds per run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from scan import scan
from tests import recordings

CHECKOV = scan.DEFAULT_CHECKOV
IAM_POLICY_CHECKS = (
    *("CKV_AWS_286", "CKV_AWS_287", "CKV_AWS_288", "CKV_AWS_289", "CKV_AWS_290"),
    *("CKV_AWS_355", "CKV2_AWS_40"),
)


@pytest.fixture(scope="module")
def checkov() -> Path:
    if recordings.checkov_version(CHECKOV) is None:
        # A missing tool fails the run: a scan test that skips proves nothing.
        pytest.fail(f"no checkov at {CHECKOV}: `make test` (or `make scan`) installs it")
    return CHECKOV


@pytest.fixture(scope="module")
def checkov_run(checkov, prod_stack, tmp_path_factory) -> dict[str, Any]:
    """checkov's registry and its reports on the prod export, from one run."""
    return recordings.checkov_run(
        checkov, scan.write_inputs(prod_stack, tmp_path_factory.mktemp("scan"))
    )


@pytest.fixture(scope="module")
def registry(checkov_run) -> dict[str, Any]:
    return checkov_run["registry"]


@pytest.fixture(scope="module")
def reports(checkov_run) -> dict[str, dict[str, Any]]:
    assert set(checkov_run["reports"]) == set(scan.FRAMEWORKS)
    return checkov_run["reports"]


def evaluated_on(report: dict[str, Any], prefix: str) -> Counter[str]:
    """How many resources of a type (address prefix) each check was evaluated on."""
    return Counter(
        record["check_id"]
        for kind in ("passed_checks", "failed_checks")
        for record in report["results"][kind]
        if record["resource"].startswith(prefix)
    )


@pytest.mark.parametrize(
    ("prefix", "checks", "count"),
    [
        # Before the export wrote whole numbers as ints: 0 (checkov compared 365.0 to ints).
        ("aws_cloudwatch_log_group.", ["CKV_AWS_338"], 22),
        # Before it kept documents that name another resource's ARN: 0, and 6 of 30.
        ("aws_s3_bucket_policy.", ["CKV_AWS_70"], 12),
        ("aws_iam_role_policy.", IAM_POLICY_CHECKS, 43),
    ],
)
def test_checkov_evaluates_every_resource_the_checks_are_for(reports, prefix, checks, count):
    counted = evaluated_on(reports["terraform_plan"], prefix)
    assert {check: counted[check] for check in checks} == dict.fromkeys(checks, count)


def test_the_registry_names_the_types_a_graph_check_reports_on(registry):
    """A graph check's `resource_types` include its companions; it reports on the filtered type
    only (scan/checkov_registry.py, reported_types)."""
    terraform = registry["terraform_plan"]
    assert "CKV2_AWS_6" in terraform["aws_s3_bucket"]  # a bucket has a public access block
    assert "CKV2_AWS_6" not in terraform["aws_s3_bucket_public_access_block"]
    assert "CKV_AWS_19" in terraform["aws_s3_bucket"]  # encrypted, inline or by its companion
    assert "CKV_AWS_19" not in terraform.get(
        "aws_s3_bucket_server_side_encryption_configuration", {}
    )
    assert "CKV2_AWS_1" in terraform["aws_network_acl"]  # an `and` of a filter and an `or`
    assert "CKV2_AWS_1" not in terraform.get("aws_vpc", {})
    assert "CKV2_AWS_40" in terraform["aws_iam_role_policy"]
    # Resource checks, and the kubernetes registry by kind.
    assert "CKV_AWS_338" in terraform["aws_cloudwatch_log_group"]
    assert "CKV_K8S_43" in registry["kubernetes"]["StatefulSet"]


def test_the_prod_scan_sees_every_check_it_claims_and_passes(
    checkov, checkov_run, monkeypatch, tmp_path, prod_stack, prod_config, capsys
):
    """`make scan` on prod, with the shared checkov runs: no finding, no check that applies but
    never ran, no stale entry in scan/suppressions.yaml or scan/not_applicable.yaml."""
    monkeypatch.setattr(scan, "record_stack_file", lambda *a, **k: (prod_stack, prod_config))
    monkeypatch.setattr(scan, "run_checkov", recordings.checkov_run)
    code = scan.main(["--checkov", str(checkov), "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "0 failed" in captured.out and "0 checks never evaluated" in captured.out
