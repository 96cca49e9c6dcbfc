"""The shared helpers of the policies: unknowns, versions, Kubernetes quantities."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE, unknown_checking_proxy

from erlmcp_policies.common import (
    UNKNOWN,
    format_quantity,
    has_value,
    is_unknown,
    parse_quantity,
    parse_version,
    prop,
    version_at_least,
)


def test_prop_turns_unknowns_into_the_marker_and_absence_into_the_default():
    props = unknown_checking_proxy(
        {"a": {"b": [1, UNKNOWN_NUMBER_VALUE]}, "c": UNKNOWN_NUMBER_VALUE, "d": None}
    )
    assert prop(props, "a", "b", 0) == 1
    assert prop(props, "a", "b", 1) is UNKNOWN
    assert prop(props, "c") is UNKNOWN
    assert prop(props, "c", "deeper") is UNKNOWN
    assert prop(props, "missing", default="x") == "x"
    assert prop(props, "d", default="x") == "x"
    assert prop(props, "a", "b", 5) is None
    assert is_unknown(UNKNOWN_NUMBER_VALUE) and not is_unknown("value")


def test_has_value():
    assert has_value(UNKNOWN) and has_value("x") and has_value(0) and has_value(False)
    assert not has_value(None) and not has_value("") and not has_value([]) and not has_value({})


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("16.6", (16, 6)), ("7.x", (7,)), ("v1.28", (1, 28)), (15, (15,)), ("1.33", (1, 33))],
)
def test_parse_version(text, parsed):
    assert parse_version(text) == parsed


@pytest.mark.parametrize("text", ["", "latest", "7.1-beta", None, True])
def test_parse_version_rejects_non_versions(text):
    assert parse_version(text) is None


@pytest.mark.parametrize(
    ("actual", "minimum", "ok"),
    [
        ("1.28", "1.28", True),
        ("1.9", "1.28", False),
        ("1.30", "1.28", True),
        ("15", "15", True),
        ("14.9", "15", False),
        ("16.6", "15", True),
        ("7.x", "7", True),
        ("6.x", "7", False),
        ("7", "7.1", True),
        ("7.0", "7.1", False),
    ],
)
def test_version_at_least(actual, minimum, ok):
    assert version_at_least(parse_version(actual), parse_version(minimum)) is ok


@pytest.mark.parametrize(
    ("quantity", "value"),
    [
        ("500m", Decimal("0.5")),
        ("4", Decimal(4)),
        (2, Decimal(2)),
        (1.5, Decimal("1.5")),
        ("8Gi", Decimal(8 * 2**30)),
        ("512Mi", Decimal(512 * 2**20)),
        ("1G", Decimal(10**9)),
        ("129e6", Decimal(129 * 10**6)),
        ("100k", Decimal(100_000)),
    ],
)
def test_parse_quantity(quantity, value):
    assert parse_quantity(quantity) == value


@pytest.mark.parametrize("quantity", ["two", "1Gb", "", None, True, "1.2.3"])
def test_parse_quantity_rejects_non_quantities(quantity):
    assert parse_quantity(quantity) is None


def test_format_quantity():
    assert format_quantity(Decimal("4.5"), memory=False) == "4.5"
    assert format_quantity(Decimal(9 * 2**30), memory=True) == "9Gi"
    assert format_quantity(Decimal(1536 * 2**20), memory=True) == "1536Mi"
    assert format_quantity(Decimal(1000), memory=True) == "1000"
