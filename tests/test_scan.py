"""`make scan` (scan/scan.py): how findings, suppressions and checks that never ran are
counted, with a stand-in for checkov. tests/test_scan_checkov.py runs the real one."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from scan import scan
from scan.lists import ListedCheck, load_listed

PLAN = "plan.json"
US_EAST_1_STATEFULSET = "us-east-1-us-east-1-erlmcp-statefulset.yaml"
DB = "aws_db_instance.ap_northeast_1_standby_of_ap_southeast_1_postgres_db"
STATEFULSET = "StatefulSet.erlmcp-prod.erlmcp-cluster"
QUERY_LOG = "aws_route53_query_log.dns_query_log_config"


def report(
    framework: str, failed: list[tuple[str, str]], passed: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """What `checkov -o json` prints for one framework."""

    def records(items: list[tuple[str, str]]) -> list[dict[str, str]]:
        file = PLAN if framework == "terraform_plan" else US_EAST_1_STATEFULSET
        return [
            {"check_id": c, "check_name": f"name of {c}", "resource": r, "file_path": f"/{file}"}
            for c, r in items
        ]

    return {
        "check_type": framework,
        "results": {"failed_checks": records(failed), "passed_checks": records(passed or [])},
        "summary": {"passed": 10, "failed": len(failed)},
    }


# This interpreter, without site-packages (`-S`: the stand-in needs only json and sys): `python3`
# on PATH may be a version manager's shim (pyenv's costs ~50 ms of CPU a start, more than the
# stand-in's own work).
STANDIN_PYTHON = f"{sys.executable} -S"


def fake_checkov(tmp_path: Path, reports: dict[str, Any], registry: dict[str, Any]) -> Path:
    """A `checkov` whose `python` (the interpreter scan/checkov_run.py runs under) answers with
    `registry` and `reports`, exits as checkov would, and keeps its arguments in `argv.json`."""
    data = tmp_path / "reports.json"
    data.write_text(json.dumps({"reports": list(reports.values()), "registry": registry}))
    python = tmp_path / "python"
    python.write_text(
        f"#!{STANDIN_PYTHON}\n"
        "import json, sys\n"
        f"json.dump(sys.argv[1:], open({str(tmp_path / 'argv.json')!r}, 'w'))\n"
        f"run = json.load(open({str(data)!r}))\n"
        "print(json.dumps(run))\n"
        "sys.exit(1 if any(r['results']['failed_checks'] for r in run['reports']) else 0)\n"
    )
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    return tmp_path / "checkov"


@pytest.fixture(scope="module")
def prod_inputs(tmp_path_factory, prod_stack):
    """What `make scan` writes for checkov from the prod recording, written once for this
    module: the stand-in checkov never reads it, and tests/test_terraform_plan.py and
    tests/test_scan_checkov.py check what is in it."""
    out = tmp_path_factory.mktemp("scan-inputs")
    inputs = scan.write_inputs(prod_stack, out)
    return lambda recorded, _out: inputs


@pytest.fixture
def run_scan(monkeypatch, tmp_path, prod_stack, prod_config, prod_inputs):
    """scan.main over the prod recording, with the given checkov reports, registry and lists."""
    monkeypatch.setattr(scan, "record_stack_file", lambda *a, **k: (prod_stack, prod_config))
    monkeypatch.setattr(scan, "write_inputs", prod_inputs)

    def run(
        failed: dict[str, list[tuple[str, str]]],
        suppressions: str = "[]",
        *,
        passed: dict[str, list[tuple[str, str]]] | None = None,
        registry: dict[str, Any] | None = None,
        not_applicable: str = "[]",
    ) -> int:
        for name, text in (("suppressions", suppressions), ("not_applicable", not_applicable)):
            (tmp_path / f"{name}.yaml").write_text(text)
        monkeypatch.setattr(scan, "SUPPRESSIONS", tmp_path / "suppressions.yaml")
        monkeypatch.setattr(scan, "NOT_APPLICABLE", tmp_path / "not_applicable.yaml")
        reports = {
            framework: report(framework, failed.get(framework, []), (passed or {}).get(framework))
            for framework in scan.FRAMEWORKS
        }
        checkov = fake_checkov(tmp_path, reports, registry or {})
        return scan.main(["--checkov", str(checkov), "--out", str(tmp_path / "out")])

    return run


FINDINGS = {
    "kubernetes": [("CKV_K8S_43", STATEFULSET)],
    "terraform_plan": [("CKV_AWS_157", DB)],
}


def test_an_unsuppressed_finding_fails_the_scan(run_scan, capsys):
    assert run_scan(FINDINGS) == 1
    out = capsys.readouterr().out
    assert "kubernetes: 10 passed, 1 failed, 0 suppressed" in out
    assert f"[terraform_plan] CKV_AWS_157 {DB}" in out


def test_checkov_starts_once_for_the_registry_and_every_file_of_both_frameworks(
    run_scan, tmp_path, prod_inputs
):
    run_scan({})
    argv = json.loads((tmp_path / "argv.json").read_text())
    # -I: scan/ must not be on checkov's sys.path (scan/checkov_run.py).
    assert argv[:2] == ["-I", str(scan.CHECKOV_RUN_SCRIPT)]
    inputs = prod_inputs(None, None)
    files = [
        str(f)
        for i in inputs
        for f in (sorted(i.target.glob("*")) if i.target.is_dir() else [i.target])
    ]
    assert [argv[i + 1] for i, arg in enumerate(argv) if arg == "-f"] == files
    assert len(files) > 2 and "-d" not in argv  # checkov's --file and --directory do not mix
    framework = argv.index("--framework")
    assert argv[framework + 1 : framework + 3] == list(scan.FRAMEWORKS)


def test_a_framework_checkov_did_not_report_is_never_evaluated(monkeypatch, run_scan, capsys):
    """A report missing from checkov's answer is no pass: every check that applies never ran."""
    real = scan.run_checkov

    def without_kubernetes(checkov, inputs):
        run = real(checkov, inputs)
        del run["reports"]["kubernetes"]
        return run

    monkeypatch.setattr(scan, "run_checkov", without_kubernetes)
    registry = {"kubernetes": {"StatefulSet": {"CKV_K8S_43": "Image should use digest"}}}
    assert run_scan({}, registry=registry) == 1
    assert (
        "[kubernetes] CKV_K8S_43 was never evaluated on " + STATEFULSET in capsys.readouterr().out
    )


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


ONE_SUPPRESSION = """
- check: CKV_AWS_157
  resources: ["aws_db_instance.*_standby_of_*"]
  reason: "test reason"
"""


def test_a_suppression_hides_only_its_own_check(run_scan, capsys):
    """Another finding on the very resource a suppression names still fails the scan."""
    failed = {"terraform_plan": [("CKV_AWS_157", DB), ("CKV_AWS_293", DB)]}
    assert run_scan(failed, ONE_SUPPRESSION) == 1
    out = capsys.readouterr().out
    assert "terraform_plan: 10 passed, 1 failed, 1 suppressed" in out
    assert f"[terraform_plan] CKV_AWS_293 {DB}" in out
    assert f"CKV_AWS_157 {DB}" not in out


def test_a_suppression_hides_only_the_resources_it_names(run_scan, capsys):
    primary = "aws_db_instance.ap_northeast_1_postgres_db"
    failed = {"terraform_plan": [("CKV_AWS_157", DB), ("CKV_AWS_157", primary)]}
    assert run_scan(failed, ONE_SUPPRESSION) == 1
    assert f"[terraform_plan] CKV_AWS_157 {primary}" in capsys.readouterr().out


def test_a_suppression_that_matches_nothing_is_an_error(run_scan, capsys):
    stale = '- check: CKV_AWS_999\n  reason: "nothing has this any more"\n'
    assert run_scan({}, stale) == 2
    assert "CKV_AWS_999" in capsys.readouterr().err


def test_a_listed_check_needs_a_one_line_reason(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("- check: CKV_AWS_1\n")
    with pytest.raises(ValueError, match="needs a check and a one-line reason"):
        load_listed(path)
    path.write_text('- reason: "no check"\n')
    with pytest.raises(ValueError, match="needs a check"):
        load_listed(path)


def test_the_shipped_lists_all_have_reasons():
    for listed in (scan.load_suppressions(), scan.load_not_applicable()):
        assert listed and all(isinstance(e, ListedCheck) and e.reason for e in listed)


# --- checks that never ran ----------------------------------------------------------------------

# checkov registers two checks on query-log configs and one on StatefulSets (a stand-in registry).
REGISTRY = {
    "terraform_plan": {
        "aws_route53_query_log": {"CKV_X_1": "first check", "CKV_X_2": "second check"},
    },
    "kubernetes": {"StatefulSet": {"CKV_K8S_X": "a pod check"}},
}
EVALUATED = {
    "terraform_plan": [("CKV_X_1", QUERY_LOG)],
    "kubernetes": [("CKV_K8S_X", STATEFULSET)],
}


def test_a_check_that_applies_but_never_ran_fails_the_scan(run_scan, capsys):
    assert run_scan({}, passed=EVALUATED, registry=REGISTRY) == 1
    out = capsys.readouterr().out
    assert "terraform_plan: 10 passed, 0 failed, 0 suppressed; 1 checks never evaluated" in out
    # The error names the check, the resource and what to do.
    line = next(line for line in out.splitlines() if "CKV_X_2" in line)
    assert f"CKV_X_2 was never evaluated on {QUERY_LOG}" in line
    assert "(second check)" in line and "scan/not_applicable.yaml" in line
    assert "scan/terraform_plan.py" in line


def test_every_object_of_the_type_must_be_evaluated(run_scan, capsys):
    """Six clusters' StatefulSets share one id (StatefulSet.erlmcp-prod.erlmcp-cluster):
    evaluated on us-east-1's only, the check is missing on the seven others."""
    evaluated = {**EVALUATED, "terraform_plan": [("CKV_X_1", QUERY_LOG), ("CKV_X_2", QUERY_LOG)]}
    assert run_scan({}, passed=evaluated, registry=REGISTRY) == 1
    out = capsys.readouterr().out
    assert "kubernetes: 10 passed, 0 failed, 0 suppressed; 7 checks never evaluated" in out
    assert f"CKV_K8S_X was never evaluated on {STATEFULSET} (in eu-west-1-eu-west-1-" in out


NOT_APPLICABLE_X2 = f"""
- check: CKV_X_2
  resources: ["{QUERY_LOG}"]
  reason: "test reason"
"""


def test_a_check_listed_as_not_applicable_passes(run_scan, capsys):
    registry = {"terraform_plan": REGISTRY["terraform_plan"]}
    assert run_scan({}, passed=EVALUATED, registry=registry, not_applicable=NOT_APPLICABLE_X2) == 0
    assert "0 checks never evaluated, 1 not applicable" in capsys.readouterr().out


def test_a_not_applicable_entry_excuses_only_its_own_check(run_scan, capsys):
    registry = {"terraform_plan": {"aws_route53_query_log": {"CKV_X_2": "2", "CKV_X_3": "3"}}}
    assert run_scan({}, registry=registry, not_applicable=NOT_APPLICABLE_X2) == 1
    out = capsys.readouterr().out
    assert f"CKV_X_3 was never evaluated on {QUERY_LOG}" in out
    assert "CKV_X_2 was never" not in out


def test_a_not_applicable_entry_that_matches_nothing_is_an_error(run_scan, capsys):
    """Listed as unable to apply, but evaluated after all: the reason is stale."""
    evaluated = {"terraform_plan": [("CKV_X_1", QUERY_LOG), ("CKV_X_2", QUERY_LOG)]}
    registry = {"terraform_plan": REGISTRY["terraform_plan"]}
    assert run_scan({}, passed=evaluated, registry=registry, not_applicable=NOT_APPLICABLE_X2) == 2
    err = capsys.readouterr().err
    assert "not_applicable.yaml: CKV_X_2" in err and "matches nothing" in err
