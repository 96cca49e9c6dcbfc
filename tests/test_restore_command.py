"""`make restore REGION=<primary> [TO=...] [STAGE=...]` (operations/restore.py): it walks a
restore stage by stage, writing exactly the stack files whose stacks tests/test_restore.py
checks, refuses a time outside the restore window naming it, and refuses any step out of order;
a refusal writes nothing. No render: the clock is injected."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from offline.stacks import PROD_STACK_FILE, REPO_ROOT, stack_file_config
from operations import restore as command
from regions.config import parse_stack_config
from regions.dr_budget import restore_costs, restore_table
from tests.restore_stages import RESTORE_STAGES, RESTORED, TO, restore_stage_config

NOW = datetime(2026, 5, 2, 9, 30, tzinfo=timezone.utc)


def clock() -> datetime:
    return NOW


@pytest.fixture
def stack_file(tmp_path: Path) -> Path:
    copy = tmp_path / "Pulumi.prod.yaml"
    shutil.copyfile(PROD_STACK_FILE, copy)
    return copy


def run(stack_file: Path, primary: str, *args: str) -> int:
    return command.main(["--region", primary, "--config", str(stack_file), *args], now=clock)


def test_each_stage_writes_the_stack_file_the_stage_tests_render(stack_file, capsys):
    original = stack_file.read_text()
    for stage in RESTORE_STAGES[1:]:
        for primary in RESTORED:
            to = ["--to", "2026-05-01T11:30:00+02:00"] if stage == "restored" else []
            assert run(stack_file, primary, *to) == 0, capsys.readouterr().err
        assert stack_file_config(stack_file) == restore_stage_config(stage), stage
    written = stack_file.read_text()
    # Comments and layout kept: every line of the prod file is still there but the RDS pair's
    # (a flow mapping, which gains its generation keys in place).
    gone = [line for line in original.splitlines() if line not in written.splitlines()]
    assert gone == [
        "    - {primary: ap-southeast-1, standby: ap-northeast-1, rtoMinutes: 15, rpoMinutes: 5}"
    ]
    assert "# Point-in-time restores under way (docs/restore.md; make restore)." in written


def test_the_time_may_come_with_the_first_stage_and_change_until_the_restore(stack_file):
    assert run(stack_file, "us-east-1", "--to", "2026-05-01T08:00:00Z") == 0
    entry = {"stage": "writes-stopped", "to": "2026-05-01T08:00:00Z"}
    assert stack_file_config(stack_file)["erlmcp-infra:restore"] == {"us-east-1": entry}
    assert run(stack_file, "us-east-1", "--to", TO) == 0  # the next stage, another time
    entry = {"stage": "restored", "to": TO}
    assert stack_file_config(stack_file)["erlmcp-infra:restore"] == {"us-east-1": entry}


@pytest.mark.parametrize(
    "to",
    [
        "2026-04-02T09:29:59Z",  # 30 days and a second ago: past the backup retention
        "2026-05-02T09:26:00Z",  # 4 minutes ago: after the latest restorable time
        "2026-05-03T00:00:00Z",  # the future
    ],
)
def test_a_time_outside_the_restore_window_is_refused_naming_the_window(stack_file, capsys, to):
    before = stack_file.read_text()
    assert run(stack_file, "us-east-1", "--to", to) == 2
    err = capsys.readouterr().err
    assert f"TO={to} lies outside us-east-1's restore window " in err
    assert "2026-04-02T09:30:00Z .. 2026-05-02T09:25:00Z" in err
    assert "Nothing was changed." in err
    assert stack_file.read_text() == before


def test_the_window_edges_are_inside(stack_file):
    assert run(stack_file, "us-east-1", "--to", "2026-04-02T09:30:00Z") == 0
    assert run(stack_file, "us-east-1", "--to", "2026-05-02T09:25:00Z") == 0


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ([], ["--stage", "restored", "--to", TO], "us-east-1 is not being restored; the next"),
        ([[]], ["--stage", "restored"], "stage restored needs TO=<the last good time"),
        ([[], ["--to", TO]], ["--stage", "writes-stopped"], "at stage restored; the next stage"),
        ([[], ["--to", TO]], ["--to", "2026-05-01T09:00:00Z"], "a new time would replace"),
        ([], ["--to", "2026-05-01 09:30"], "not an RFC 3339 time with its offset"),
    ],
    ids=["skip", "no-time", "backwards", "new-time-after-restore", "not-rfc3339"],
)
def test_a_step_out_of_order_is_refused_and_changes_nothing(
    stack_file, capsys, setup, args, message
):
    for earlier in setup:
        assert run(stack_file, "us-east-1", *earlier) == 0
    before = stack_file.read_text()
    capsys.readouterr()
    assert run(stack_file, "us-east-1", *args) == 2
    assert message in capsys.readouterr().err
    assert stack_file.read_text() == before


@pytest.mark.parametrize(
    ("primary", "message"),
    [
        ("us-west-2", "us-west-2 is not the primary of a DR pair"),
        ("sa-east-1", "'sa-east-1' is not a region of Pulumi.prod.yaml"),
    ],
)
def test_only_a_pairs_primary_is_restored(stack_file, capsys, primary, message):
    assert run(stack_file, primary) == 2
    assert message in capsys.readouterr().err


def test_a_failed_over_primary_is_refused(stack_file, capsys):
    text = stack_file.read_text() + "  erlmcp-infra:failover:\n    us-east-1: us-west-2\n"
    stack_file.write_text(text)
    assert run(stack_file, "us-east-1") == 2
    assert "us-east-1 is failed over to us-west-2: finish the failback first" in (
        capsys.readouterr().err
    )


def test_the_steps_name_the_databases_and_the_next_command(stack_file, capsys):
    assert run(stack_file, "us-east-1") == 0
    out = capsys.readouterr().out
    assert "stage 1 of 4: writes-stopped" in out
    assert "make plan AGAINST=build/plan.json" in out and "pulumi up --stack prod" in out
    assert "aws rds describe-db-clusters --region us-east-1 --db-cluster-identifier " in out
    assert "erlmcp-prod-us-east-1 \\" in out
    assert "restore window: now 2026-04-02T09:30:00Z ..\n   2026-05-02T09:25:00Z;" in out
    assert "https://us-east-1.erlmcp.io/health" not in out  # that is the switch's check
    assert "Next: make restore REGION=us-east-1 TO=<the last good time, RFC 3339>" in out
    assert run(stack_file, "ap-southeast-1", "--to", TO) == 0
    assert run(stack_file, "ap-southeast-1", "--to", TO) == 0
    out = capsys.readouterr().out
    assert "aws rds wait db-instance-available --region ap-southeast-1 " in out
    assert "--db-instance-identifier erlmcp-prod-ap-southeast-1-g2" in out
    assert "Next: make restore REGION=ap-southeast-1 STAGE=switched" in out
    assert run(stack_file, "ap-southeast-1") == 0
    assert "Check: https://ap-southeast-1.erlmcp.io/health" in capsys.readouterr().out


def test_make_restore_passes_its_arguments():
    dry = subprocess.run(
        ["make", "-n", "restore", "REGION=us-east-1", f"TO={TO}", "STAGE=restored"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"-m operations.restore --region us-east-1 --to {TO} --stage restored" in dry


def readme_run() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Restore to a point in time\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```\n")[1].splitlines()


def test_the_readme_shows_a_real_run(stack_file, capsys):
    shown = readme_run()
    text = ""
    for line in shown:
        if line.startswith("$ make restore "):
            region, to = (word.split("=", 1)[1] for word in line.split()[3:5])
            run(stack_file, region, "--to", to)
            captured = capsys.readouterr()
            text += (captured.out + captured.err).replace(str(stack_file), "Pulumi.prod.yaml")
    for line in shown:
        if not line.startswith("$ "):
            assert line.removesuffix("...") in text, line


def test_the_guide_shows_the_current_prod_restore_costs(prod_values):
    table = restore_table(restore_costs(parse_stack_config(prod_values)))
    guide = (REPO_ROOT / "docs" / "restore.md").read_text()
    assert table in guide, (
        "paste the restore table of `python -m planning.budget` into docs/restore.md"
    )
