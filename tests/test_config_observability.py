"""The `observability` config and the secret pager endpoints (regions/config/observability.py)."""

from __future__ import annotations

import pytest
from pulumi.runtime import config as pulumi_config

from regions.config import ConfigError, parse_stack_config
from regions.config.loading import plaintext_secrets

PAGER = {"page": {"pagerduty": "https://events.pagerduty.com/integration/abc123/enqueue"}}


def test_the_stack_file_carries_the_runbook_defaults(prod_values):
    observability = parse_stack_config(prod_values).observability
    assert observability.slo.availability == 99.95
    assert [(s.threshold_ms, s.target) for s in observability.slo.latency] == [(250, 95), (500, 99)]
    assert observability.canary.max_error_ratio == 0.05
    assert observability.canary.max_p99_seconds == 10


def test_no_pager_endpoint_is_a_placeholder_pulumi_up_refuses(prod_values):
    placeholders = parse_stack_config(prod_values).placeholders()
    assert any(p.startswith("pagerEndpoints: no pager endpoint") for p in placeholders)
    with_pager = parse_stack_config({**prod_values, "pagerEndpoints": PAGER}).placeholders()
    assert not any(p.startswith("pagerEndpoints") for p in with_pager)


def test_an_endpoint_never_shows_in_the_model(prod_values):
    stack = parse_stack_config({**prod_values, "pagerEndpoints": PAGER})
    assert "abc123" not in repr(stack) and "abc123" not in str(stack.pager_endpoints)
    assert stack.pager_endpoints.urls()["page"] == PAGER["page"]


def test_an_endpoint_must_be_https(prod_values):
    with pytest.raises(ConfigError, match=r"pagerEndpoints\.page\.pd: must be an https:// URL"):
        parse_stack_config({**prod_values, "pagerEndpoints": {"page": {"pd": "http://x"}}})


@pytest.fixture
def engine_config():
    """The engine's config for the test, emptied afterwards."""
    yield pulumi_config.set_all_config
    pulumi_config.set_all_config({}, [])


def test_a_plaintext_pager_endpoint_is_refused(engine_config):
    key = "erlmcp-infra:pagerEndpoints"
    engine_config({key: "{}"}, [])
    assert plaintext_secrets({key: "{}"}) == [
        f"{key}: must be secret config (`pulumi config set --secret --path "
        "'pagerEndpoints.page.<name>' https://...`); a plaintext value would be kept in the stack "
        "file"
    ]
    engine_config({key: "{}"}, [key])
    assert plaintext_secrets({key: "{}"}) == []


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("slo", {"availability": 100}, "observability.slo.availability"),
        ("slo", {"latency": [{"thresholdMs": 250, "target": 95}] * 2}, "own thresholdMs"),
        (
            "slo",
            {"latency": [{"thresholdMs": 200, "target": 95}]},
            r"observability\.slo\.latency\[0\]\.thresholdMs: 200 ms is not a bucket boundary",
        ),
        ("canary", {"maxErrorRatio": 0}, "observability.canary.maxErrorRatio"),
        ("retentionDays", 2000, "observability.retentionDays"),
    ],
)
def test_bad_observability_settings_name_their_key(prod_values, key, value, message):
    values = {**prod_values, "observability": {key: value}}
    with pytest.raises(ConfigError, match=message):
        parse_stack_config(values)
