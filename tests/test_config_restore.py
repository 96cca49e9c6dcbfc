"""The `restore` key and a pair's `restoredGenerations` (regions/config/restore.py): what a
point-in-time restore's config may say, each mistake named by its key."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from regions.config import parse_stack_config
from regions.config.restore import parse_rfc3339, rfc3339_utc
from tests.test_config import rejects

TO = "2026-05-01T09:30:00Z"


def restoring(values, primary="us-east-1", **entry):
    return {**values, "restore": {primary: {"to": TO, "stage": "restored", **entry}}}


def test_a_restore_names_its_time_and_stage(prod_values):
    restore = parse_stack_config(restoring(prod_values)).restore["us-east-1"]
    assert restore.stage == "restored"
    assert restore.to == datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc)
    assert restore.to_text == TO


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2026-05-01T11:30:00+02:00", "2026-05-01T09:30:00Z"),
        ("2026-05-01t09:30:00.250z", "2026-05-01T09:30:00.250000Z"),
        ("2026-05-01T09:30:00.5Z", "2026-05-01T09:30:00.500000Z"),
        ("2026-05-01T09:30:00.1234567-00:30", "2026-05-01T10:00:00.123456Z"),
        # An unquoted time in YAML arrives as a datetime; with its offset it is taken.
        (datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc), "2026-05-01T09:30:00Z"),
    ],
)
def test_any_rfc_3339_offset_is_read_as_utc(written, utc):
    assert rfc3339_utc(parse_rfc3339(written)) == utc


@pytest.mark.parametrize(
    "written",
    ["2026-05-01 09:30:00Z", "2026-05-01T09:30:00", "yesterday", 1777627800, "2026-05-01"],
)
def test_a_time_that_is_not_rfc_3339_with_its_offset_is_refused(prod_values, written):
    rejects(
        restoring(prod_values, to=written),
        "erlmcp-infra:restore.us-east-1.to:",
        "RFC 3339 time with its offset",
    )


def test_a_time_without_offset_from_yaml_is_refused(prod_values):
    rejects(restoring(prod_values, to=datetime(2026, 5, 1, 9, 30)), "has no offset")


def test_writes_stop_before_the_time_is_known_but_a_restore_needs_it(prod_values):
    stopped = {**prod_values, "restore": {"us-east-1": {"stage": "writes-stopped"}}}
    assert parse_stack_config(stopped).restore["us-east-1"].to is None
    for stage in ("restored", "switched"):
        values = {**prod_values, "restore": {"us-east-1": {"stage": stage}}}
        rejects(values, "erlmcp-infra:restore.us-east-1.to: stage", "give the last good one")


def test_an_unknown_stage_is_refused(prod_values):
    rejects(
        restoring(prod_values, stage="dr-rebuilt"),
        "erlmcp-infra:restore.us-east-1.stage",
        "'writes-stopped', 'restored' or 'switched'",
    )


def test_only_a_pairs_primary_is_restored(prod_values):
    rejects(
        restoring(prod_values, primary="us-west-2"),
        "erlmcp-infra:restore.us-west-2: us-west-2 is not the primary of a DR pair",
    )


def test_a_failed_over_primary_is_not_restored(prod_values):
    values = {**restoring(prod_values), "failover": {"us-east-1": "us-west-2"}}
    rejects(values, "erlmcp-infra:restore.us-east-1: us-east-1 is failed over to us-west-2")


def test_a_restored_generation_lies_between_2_and_the_current_one(prod_values):
    pair = prod_values["drPairs"][0]
    pair.update(generation=2, retiredGenerations=[1], restoredGenerations={"2": TO})
    parsed = parse_stack_config(prod_values).dr_pairs[0]
    assert parsed.restored_generations == {2: parse_rfc3339(TO)}
    for generation in ("1", "3"):
        pair["restoredGenerations"] = {generation: TO}
        rejects(
            prod_values,
            f"erlmcp-infra:drPairs[0].restoredGenerations[{generation}]: generation "
            f"{generation} cannot have been restored",
        )
