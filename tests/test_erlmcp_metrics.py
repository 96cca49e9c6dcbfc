"""What the rules take from erlmcp's source (regions/erlmcp_metrics.py)."""

from __future__ import annotations

import re

import pytest

from components.release_network import METRICS_PORT
from regions import erlmcp_metrics as m


@pytest.mark.parametrize(
    ("threshold_ms", "matches", "misses"),
    [
        (250, ["0.25", "0.250", "0.2500"], ["0.025", "0.2", "2.5", "0x25", "0.251"]),
        (500, ["0.5", "0.500"], ["5", "0.05", "0.005", "0.50001"]),
        (1000, ["1", "1.0", "1.000"], ["10", "0.1", "1.001", "11"]),
        (10000, ["10", "10.0", "10.000"], ["1", "100", "+Inf"]),
        (1, ["0.001"], ["0.01", "1"]),
    ],
)
def test_a_bucket_bound_is_matched_in_every_spelling_and_no_other(threshold_ms, matches, misses):
    """erlmcp prints "0.250"; Prometheus 3 stores "0.25": both count, no neighbour does.
    (PromQL regexes are anchored RE2; these have the same meaning in Python's re.)"""
    regex = m.latency_le_regex(threshold_ms)
    assert "\\" not in regex  # it goes into a PromQL string literal as it is
    assert [s for s in matches if re.fullmatch(regex, s)] == matches
    assert [s for s in misses if re.fullmatch(regex, s)] == []


@pytest.mark.parametrize("threshold_ms", [200, 300, 0, 20000])
def test_only_bucket_boundaries_are_latency_thresholds(threshold_ms):
    with pytest.raises(ValueError, match=f"{threshold_ms} ms is not a bucket boundary"):
        m.check_latency_threshold(threshold_ms)


def test_every_bucket_is_a_threshold_and_the_largest_is_10_seconds():
    for bound in m.LATENCY_BUCKETS_MS:
        m.check_latency_threshold(bound)
    assert max(m.LATENCY_BUCKETS_MS) == 10_000


def test_the_pods_metrics_port_is_erlmcp_s():
    assert METRICS_PORT == m.METRICS_PORT == 9090
