"""The generated SLO rules, judged by promtool: `check rules` on every serving region's file of
prod, and `test rules` with synthetic series for every alert (regions/slo_rules.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from regions import erlmcp_metrics as m
from regions.config import parse_stack_config
from regions.config.observability import LatencySlo, SloConfig
from regions.slo_rules import (
    ABSENT_ALERT,
    BURN_ALERT,
    BURN_RATE_WINDOWS,
    CPU_ALERT,
    CRASH_LOOP_ALERT,
    GROUPS,
    MEMORY_ALERT,
    rules_yaml,
)

REGION = "eu-west-1"
NAMESPACE = "erlmcp-prod"
HEALTHY_LATENCY = {100: 1.0}
"""Every request within 100 ms."""


# --- synthetic series -------------------------------------------------------------------------


def _series(name: str, labels: dict[str, str]) -> str:
    inner = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{name}{{{inner}}}"


def _counter(
    name: str, labels: dict[str, str], per_minute: float, minutes: int, step: int = 1
) -> dict[str, str]:
    """A counter rising `per_minute`, sampled every `step` minutes for `minutes`."""
    values = f"0+{per_minute * step:.12g}x{minutes // step}"
    return {"series": _series(name, labels), "values": values}


def _gauge(name: str, labels: dict[str, str], value: float, minutes: int) -> dict[str, str]:
    return {"series": _series(name, labels), "values": f"{value:.12g}x{minutes}"}


def responses(rps: float, error_ratio: float, minutes: int, step: int) -> list[dict[str, str]]:
    """erlmcp_responses_total at `rps`, `error_ratio` of it 500s; 1 % of the rest are 404s,
    which are not the server's failure and must not count."""
    per_minute = rps * 60
    errors = per_minute * error_ratio
    ok = per_minute - errors
    name = m.RESPONSES.name
    return [
        _counter(name, {"status": "200", "method": "POST"}, ok * 0.99, minutes, step),
        _counter(name, {"status": "404", "method": "POST"}, ok * 0.01, minutes, step),
        _counter(name, {"status": "500", "method": "POST"}, errors, minutes, step),
    ]


def latency(rps: float, spread: dict[int, float], minutes: int, step: int) -> list[dict[str, str]]:
    """erlmcp_request_duration_seconds as erlmcp prints it: `spread` maps a bucket's bound (ms)
    to the share of requests falling in that bucket; bounds spelled `~.3f` ("0.250") and the
    +Inf bucket always 0 (erlmcp_metrics.py)."""
    assert abs(sum(spread.values()) - 1) < 1e-9
    per_minute = rps * 60
    name = m.REQUEST_DURATION.name
    series = []
    for bound in m.LATENCY_BUCKETS_MS:
        within = sum(share for b, share in spread.items() if b <= bound)
        labels = {"le": f"{bound / 1000:.3f}"}
        series.append(_counter(f"{name}_bucket", labels, per_minute * within, minutes, step))
    infinity = _series(f"{name}_bucket", {"le": "+Inf"})
    series.append({"series": infinity, "values": f"0x{minutes // step}"})
    series.append(_counter(f"{name}_count", {}, per_minute, minutes, step))
    return series


def traffic(
    rps: float,
    error_ratio: float,
    minutes: int,
    spread: dict[int, float] = HEALTHY_LATENCY,
    step: int = 1,
) -> list[dict[str, str]]:
    return responses(rps, error_ratio, minutes, step) + latency(rps, spread, minutes, step)


def pod_labels(pod: str, container: str = m.ERLMCP_CONTAINER) -> dict[str, str]:
    return {"namespace": NAMESPACE, "pod": pod, "container": container}


# --- expected alerts --------------------------------------------------------------------------


def burn(slo: str, long: str) -> dict[str, str]:
    window = next(w for w in BURN_RATE_WINDOWS if w.long == long)
    return {
        "alertname": BURN_ALERT,
        "alertstate": "firing",
        "severity": window.severity,
        "region": REGION,
        "slo": slo,
        "long": window.long,
        "short": window.short,
        "sloth_id": f"erlmcp-{slo}",
        "sloth_service": "erlmcp",
        "sloth_slo": slo,
    }


def absent(slo: str) -> dict[str, str]:
    labels = {"severity": "ticket", "region": REGION, "slo": slo}
    return {"alertname": ABSENT_ALERT, "alertstate": "firing", **labels}


def pod_alert(alertname: str, pod: str, severity: str, slo: str) -> dict[str, str]:
    labels = {"severity": severity, "region": REGION, "slo": slo}
    return {"alertname": alertname, "alertstate": "firing", **pod_labels(pod), **labels}


def firing_at(eval_time: str, *alerts: dict[str, str]) -> dict[str, Any]:
    """Exactly these alerts fire at `eval_time`, no other."""
    samples = [{"labels": _series("ALERTS", a), "value": 1} for a in alerts]
    return {"expr": 'ALERTS{alertstate="firing"}', "eval_time": eval_time, "exp_samples": samples}


def recorded(name: str, slo: str, window: str, eval_time: str, value: float) -> dict[str, Any]:
    """The recording `name` of `slo`, rounded to 0.001, is `value` at `eval_time`."""
    labels = {
        "sloth_id": f"erlmcp-{slo}",
        "sloth_service": "erlmcp",
        "sloth_slo": slo,
        "region": REGION,
        "sloth_window": window,
    }
    return {
        "expr": f'round({name}{{sloth_slo="{slo}"}}, 0.001)',
        "eval_time": eval_time,
        "exp_samples": [{"labels": _series("", labels), "value": value}],
    }


def nothing_fires(until: str, matcher: str = "") -> dict[str, Any]:
    """No alert (matching `matcher`) fires at any evaluation up to `until`."""
    expr = f'max_over_time(ALERTS{{alertstate="firing"{matcher}}}[{until}])'
    return {"expr": expr, "eval_time": until, "exp_samples": []}


# --- promtool ---------------------------------------------------------------------------------


def _promtool(promtool: str, cwd: Path, *args: str) -> str:
    result = subprocess.run(
        [promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.fixture
def prod_slo(prod_values) -> SloConfig:
    return parse_stack_config(prod_values).observability.slo


@pytest.fixture
def judge(promtool, tmp_path, prod_slo):
    """`judge(series, checks)`: promtool's unit test of prod's rules for REGION, series sampled
    every `interval` minutes (as in `_counter`'s values) and rules evaluated every `every`."""

    def run(
        series: list[dict[str, str]],
        checks: list[dict[str, Any]],
        interval: str = "1m",
        every: str = "1m",
    ) -> None:
        (tmp_path / "rules.yml").write_text(rules_yaml(prod_slo, REGION, "prod"))
        test = {
            "rule_files": ["rules.yml"],
            "evaluation_interval": every,
            "group_eval_order": list(GROUPS),
            "tests": [{"interval": interval, "input_series": series, "promql_expr_test": checks}],
        }
        (tmp_path / "test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
        _promtool(promtool, tmp_path, "test", "rules", "test.yml")

    return run


# --- promtool check rules ---------------------------------------------------------------------


def test_promtool_accepts_every_serving_region_file_of_prod(promtool, tmp_path, prod_values):
    stack = parse_stack_config(prod_values)
    serving = sorted(name for name, region in stack.regions.items() if region.pods > 0)
    assert serving == ["ap-northeast-1", "ap-southeast-1", "eu-west-1", "us-east-1"]
    files = []
    for region in serving:
        path = tmp_path / f"{region}.yml"
        path.write_text(rules_yaml(stack.observability.slo, region, stack.environment))
        files.append(path.name)
    output = _promtool(promtool, tmp_path, "check", "rules", *files)
    assert output.count("SUCCESS") == len(serving), output


def test_every_alert_carries_severity_region_and_slo(prod_slo):
    groups = yaml.safe_load(rules_yaml(prod_slo, REGION, "prod"))["groups"]
    alerts = [rule for group in groups for rule in group["rules"] if "alert" in rule]
    assert {a["alert"] for a in alerts} == {
        BURN_ALERT,
        ABSENT_ALERT,
        CRASH_LOOP_ALERT,
        MEMORY_ALERT,
        CPU_ALERT,
    }
    for alert in alerts:
        labels = alert["labels"]
        assert labels["severity"] in ("page", "ticket"), alert
        assert labels["region"] == REGION and labels["slo"], alert


def test_burn_rate_factors_are_the_workbook_s_for_30_days_and_scale_with_the_period():
    assert [w.factor(30) for w in BURN_RATE_WINDOWS] == [14.4, 6, 3, 1]
    assert [w.factor(28) for w in BURN_RATE_WINDOWS] == [13.44, 5.6, 2.8, 0.933333]
    assert [(w.long, w.short, w.severity) for w in BURN_RATE_WINDOWS] == [
        ("1h", "5m", "page"),
        ("6h", "30m", "page"),
        ("1d", "2h", "ticket"),
        ("3d", "6h", "ticket"),
    ]


def test_a_threshold_off_the_histogram_s_buckets_is_refused():
    """The config refuses it first (tests/test_config_observability.py); the generator, given
    an unchecked one, refuses too rather than count nothing."""
    off_bucket = SloConfig.model_construct(
        latency=(LatencySlo.model_construct(threshold_ms=200, target=95),)
    )
    with pytest.raises(ValueError, match="200 ms is not a bucket boundary"):
        rules_yaml(off_bucket, REGION, "prod")


# --- promtool test rules: the error SLO -------------------------------------------------------


def test_a_2_percent_error_ratio_pages_within_minutes(judge):
    judge(traffic(10, 0.02, 30), [firing_at("5m", burn("availability", "1h"))])


def test_0_04_percent_never_pages_nor_tickets_in_three_days(judge):
    """Sampled every 2 minutes and evaluated every 20 (a steady burn fires for hours if it fires
    at all), so that three days take seconds, not a minute."""
    remaining = "slo:period_error_budget_remaining:ratio"
    judge(
        traffic(10, 0.0004, 3 * 24 * 60, step=2),
        [
            nothing_fires("3d"),
            # Burning at 0.8 of the budget's rate leaves a fifth of it (sloth's meta recording).
            recorded(remaining, "availability", "30d", "3d", 0.2),
        ],
        interval="2m",
        every="20m",
    )


def test_0_2_percent_opens_a_ticket_and_pages_nobody(judge):
    judge(
        traffic(10, 0.002, 6 * 60),
        [
            nothing_fires("6h", ', severity="page"'),
            firing_at("6h", burn("availability", "1d"), burn("availability", "3d")),
        ],
        every="5m",
    )


def test_0_5_percent_is_a_10x_burn_and_pages(judge):
    judge(traffic(10, 0.005, 60), [firing_at("45m", burn("availability", "6h"))])


def test_no_traffic_pages_nobody_and_the_absent_metric_alert_fires(judge):
    judge(
        [_gauge(m.KSM_RESTARTS.name, pod_labels("erlmcp-cluster-0"), 0, 40)],
        [
            nothing_fires("40m", ', severity="page"'),
            firing_at(
                "40m", absent("availability"), absent("latency-250ms"), absent("latency-500ms")
            ),
        ],
    )


def test_a_region_without_a_single_5xx_has_an_error_ratio_of_0_not_none(judge):
    """erlmcp creates a status's series on its first use: no 500 series yet is no error yet."""
    never_failed = [s for s in traffic(10, 0, 10) if 'status="500"' not in s["series"]]
    judge(never_failed, [recorded("slo:sli_error:ratio_rate5m", "availability", "5m", "10m", 0)])


def test_idle_counters_alert_nobody(judge):
    """Series present, no request for an hour: no SLI, no burn, and nothing absent."""
    judge(traffic(0, 0, 60), [nothing_fires("1h")])


def test_below_the_minimum_rate_even_a_10_percent_error_ratio_pages_nobody(judge):
    """0.05 requests per second, under prod's guard of 0.1: a burn of 200 alerts nobody."""
    judge(traffic(0.05, 0.1, 2 * 60), [nothing_fires("2h")], every="5m")


# --- promtool test rules: latency SLOs --------------------------------------------------------


def test_p99_at_800_ms_opens_the_500_ms_latency_ticket(judge):
    """2.5 % of requests between 500 ms and 1 s puts P99 at 800 ms: a 2.5x burn of the 99 %
    within 500 ms SLO, a ticket, not a page (P99 at 800 ms is never more than a 2.5x burn)."""
    spread = {100: 0.975, 1000: 0.025}
    buckets = f"{m.REQUEST_DURATION.name}_bucket"
    p99 = f"round(histogram_quantile(0.99, sum by (le) (rate({buckets}[5m]))), 0.001)"
    judge(
        traffic(10, 0, 4 * 60, spread),
        [
            {"expr": p99, "eval_time": "1h", "exp_samples": [{"labels": "{}", "value": 0.8}]},
            nothing_fires("4h", ', severity="page"'),
            firing_at("4h", burn("latency-500ms", "3d")),
        ],
        every="5m",
    )


def test_a_fifth_of_requests_slower_than_500_ms_pages(judge):
    judge(
        traffic(10, 0, 30, {100: 0.8, 1000: 0.2}),
        [firing_at("5m", burn("latency-500ms", "1h"))],
    )


# --- promtool test rules: operational alerts --------------------------------------------------


def test_a_crash_looping_pod_pages(judge):
    def waiting(pod: str, reason: str, container: str = m.ERLMCP_CONTAINER) -> dict[str, str]:
        labels = {**pod_labels(pod, container), "reason": reason}
        return _gauge(m.KSM_WAITING_REASON.name, labels, 1, 20)

    series = [
        *traffic(10, 0, 20),
        waiting("erlmcp-cluster-1", m.CRASH_LOOP_REASON),
        waiting("erlmcp-cluster-0", "ContainerCreating"),
        # Another container crash-looping is not erlmcp's alert.
        waiting("aws-node-x", m.CRASH_LOOP_REASON, "aws-node"),
    ]
    expected = pod_alert(CRASH_LOOP_ALERT, "erlmcp-cluster-1", "page", "availability")
    judge(series, [firing_at("15m", expected)])


def _limit(pod: str, resource: str, unit: str, value: float) -> dict[str, str]:
    labels = {**pod_labels(pod), "resource": resource, "unit": unit, "node": "ip-10-30-1-1"}
    return _gauge(m.KSM_LIMITS.name, labels, value, 30)


def test_memory_near_its_limit_opens_a_ticket(judge):
    gib = 1024**3
    working_set = m.CADVISOR_MEMORY_WORKING_SET.name
    cadvisor = {"id": "/kubepods/x", "image": "ghcr.io/seanchatmangpt/erlmcp"}
    series = [
        *traffic(10, 0, 30),
        _limit("erlmcp-cluster-0", "memory", "byte", 4 * gib),
        _limit("erlmcp-cluster-1", "memory", "byte", 4 * gib),
        _gauge(working_set, {**pod_labels("erlmcp-cluster-0"), **cadvisor}, 2 * gib, 30),
        _gauge(working_set, {**pod_labels("erlmcp-cluster-1"), **cadvisor}, 3.6 * gib, 30),
    ]
    expected = pod_alert(MEMORY_ALERT, "erlmcp-cluster-1", "ticket", "availability")
    judge(series, [firing_at("20m", expected)])


def test_cpu_near_its_limit_opens_a_ticket(judge):
    usage = m.CADVISOR_CPU_USAGE.name
    series = [
        *traffic(10, 0, 30),
        _limit("erlmcp-cluster-0", "cpu", "core", 2),
        _limit("erlmcp-cluster-1", "cpu", "core", 2),
        _counter(usage, pod_labels("erlmcp-cluster-0"), 60, 30),  # 1 core
        _counter(usage, pod_labels("erlmcp-cluster-1"), 1.8 * 60, 30),  # 1.8 cores
    ]
    expected = pod_alert(CPU_ALERT, "erlmcp-cluster-1", "ticket", "latency-250ms")
    judge(series, [firing_at("20m", expected)])
