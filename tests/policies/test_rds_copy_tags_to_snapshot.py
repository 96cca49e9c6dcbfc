"""rds-copy-tags-to-snapshot, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "rds-copy-tags-to-snapshot"
TYPES = ["aws:rds/instance:Instance", "aws:rds/cluster:Cluster"]


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize("type_", TYPES)
def test_copying_tags_passes(analyze_resource, type_):
    assert messages(analyze_resource(type_, {"copyTagsToSnapshot": True}), POLICY) == []


@pytest.mark.parametrize("type_", TYPES)
def test_not_copying_tags_is_a_mandatory_violation(analyze_resource, type_):
    for props in ({"copyTagsToSnapshot": False}, {}):
        [found] = only(analyze_resource(type_, props), POLICY)
        assert found.detail == "copyTagsToSnapshot must be true."
        assert found.enforcement_level == "mandatory"


def test_unknown_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(TYPES[0], {"copyTagsToSnapshot": UNKNOWN}), POLICY) == []
