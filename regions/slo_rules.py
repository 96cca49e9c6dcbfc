"""The Prometheus rules of one serving region, generated from `observability.slo`: the plain
`groups:` file aws.amp.RuleGroupNamespace takes (its `data`).

- SLI recordings in sloth's convention (slok/sloth pkg/common/conventions/slo.go:8-29):
  `slo:sli_error:ratio_rate<window>` labelled `sloth_id`, `sloth_service`, `sloth_slo`,
  `sloth_window`, over 5m ... 3d, plus the request rate each SLI divides by
  (`slo:sli_requests:rate<window>`, which the low-traffic guard reads) and sloth's meta
  recordings (objective, budget, burn rate, budget left over the period).
- Multi-window multi-burn-rate alerts, the SRE Workbook's four pairs ("Alerting on SLOs",
  recommended parameters; sloth's internal/alert/windows/google-30d.yaml): `ErrorBudgetBurn`,
  pyrra's name, one rule per SLO and window pair.
- `SLOMetricAbsent` when an SLI's series disappear, and the runbook's operational alerts (crash
  loop, memory and CPU near their limits).

Every alert carries `severity` (page or ticket), `region` and `slo`. Pages are for symptoms (the
fast burns) and for a crash loop; causes (memory, CPU) and slow burns open tickets. Where this
differs from the runbook, and why: docs/observability.md "SLOs and burn-rate alerts".
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from regions import erlmcp_metrics as m
from regions.config.observability import SloConfig

Severity = Literal["page", "ticket"]

SERVICE = "erlmcp"
SLI_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
BURN_ALERT = "ErrorBudgetBurn"
ABSENT_ALERT = "SLOMetricAbsent"
CRASH_LOOP_ALERT = "ErlmcpPodCrashLooping"
MEMORY_ALERT = "ErlmcpMemoryNearLimit"
CPU_ALERT = "ErlmcpCpuNearLimit"

# Runbook §10.1: memory above 85 % of the limit, CPU above 80 %, each for 10 minutes.
MEMORY_LIMIT_RATIO = 0.85
CPU_LIMIT_RATIO = 0.8

GROUP_SLI = "erlmcp-slo-sli"
GROUP_META = "erlmcp-slo-meta"
GROUP_ALERTS = "erlmcp-slo-alerts"
GROUP_OPERATIONS = "erlmcp-operations"
GROUPS = (GROUP_SLI, GROUP_META, GROUP_ALERTS, GROUP_OPERATIONS)


@dataclass(frozen=True)
class BurnRateWindow:
    """Alert when `budget_percent` of the period's error budget would be spent within `long`,
    and the `short` window shows it is still happening (it resets the alert soon after a fix)."""

    long: str
    short: str
    budget_percent: float
    severity: Severity
    for_: str

    def factor(self, window_days: int) -> float:
        """The burn rate that spends `budget_percent` in `long`: 14.4 for 2 % in 1 h of 30 days."""
        return round(self.budget_percent / 100 * window_days * 24 / _hours(self.long), 6)


# The Workbook's table for 30 days (14.4, 6, 3, 1); other periods scale as sloth's do.
BURN_RATE_WINDOWS = (
    BurnRateWindow("1h", "5m", 2, "page", "2m"),
    BurnRateWindow("6h", "30m", 5, "page", "15m"),
    BurnRateWindow("1d", "2h", 10, "ticket", "1h"),
    BurnRateWindow("3d", "6h", 10, "ticket", "3h"),
)


@dataclass(frozen=True)
class Sli:
    """One SLO's indicator: the rate of bad events and of all events over a window."""

    slo: str
    objective: float
    bad: str
    """PromQL with `$window` for the window: bad events per second."""
    total: str
    """PromQL with `$window`: all events per second."""
    present: str
    """The series whose absence blinds this SLI."""
    description: str

    @property
    def error_budget(self) -> float:
        return round(1 - self.objective, 12)

    def labels(self, region: str) -> dict[str, str]:
        return {
            "sloth_id": f"{SERVICE}-{self.slo}",
            "sloth_service": SERVICE,
            "sloth_slo": self.slo,
            "region": region,
        }

    def selector(self) -> str:
        return f'{{sloth_id="{SERVICE}-{self.slo}"}}'


def slis(slo: SloConfig) -> tuple[Sli, ...]:
    """The error SLI (5xx share) and one latency SLI per threshold (share slower than it)."""
    responses = m.RESPONSES.name
    errors = f'{responses}{{{m.STATUS_LABEL}=~"{m.SERVER_ERROR_STATUS}"}}'
    availability = Sli(
        slo="availability",
        objective=slo.availability / 100,
        # A region without a single 5xx yet has no 5xx series (erlmcp creates a label set on
        # its first use): its error ratio is 0, not missing.
        bad=f"(sum(rate({errors}[$window])) or vector(0))",
        total=f"sum(rate({responses}[$window]))",
        present=responses,
        description="requests answered with a 5xx",
    )
    return (availability, *(_latency_sli(s.threshold_ms, s.target) for s in slo.latency))


def _latency_sli(threshold_ms: int, target: float) -> Sli:
    histogram = m.REQUEST_DURATION.name
    within = f'{histogram}_bucket{{le=~"{m.latency_le_regex(threshold_ms)}"}}'
    count = f"{histogram}_count"
    return Sli(
        slo=f"latency-{threshold_ms}ms",
        objective=target / 100,
        # From _count, never le="+Inf": erlmcp prints +Inf as 0 (erlmcp_metrics.py).
        bad=f"(sum(rate({count}[$window])) - sum(rate({within}[$window])))",
        total=f"sum(rate({count}[$window]))",
        present=within,
        description=f"requests slower than {threshold_ms} ms",
    )


@functools.cache
def rules_yaml(slo: SloConfig, region: str, environment: str) -> str:
    """The rules file of one serving region (its own workspace holds only its own metrics, so
    no expression filters by region; the `region` label says where an alert comes from)."""
    indicators = slis(slo)
    document = {
        "groups": [
            {"name": GROUP_SLI, "rules": _sli_recordings(indicators, region)},
            {"name": GROUP_META, "rules": _meta_recordings(indicators, region, slo.window_days)},
            {"name": GROUP_ALERTS, "rules": _slo_alerts(indicators, slo, region, environment)},
            {"name": GROUP_OPERATIONS, "rules": _operational_alerts(slo, region)},
        ]
    }
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=1000, allow_unicode=True)


# --- recordings ------------------------------------------------------------------------------


def _sli_recordings(indicators: tuple[Sli, ...], region: str) -> list[dict[str, Any]]:
    rules = []
    for sli in indicators:
        for window in SLI_WINDOWS:
            labels = {**sli.labels(region), "sloth_window": window}
            bad, total = (q.replace("$window", window) for q in (sli.bad, sli.total))
            rules.append(_record(f"slo:sli_error:ratio_rate{window}", f"{bad}\n/\n{total}", labels))
            rules.append(_record(f"slo:sli_requests:rate{window}", total, labels))
    return rules


def _meta_recordings(
    indicators: tuple[Sli, ...], region: str, window_days: int
) -> list[dict[str, Any]]:
    """sloth's metadata recordings (internal/plugin/slo/core/metadata_rules_v1/plugin.go:73-119):
    what a dashboard and the budget policy (runbook §5.4) read."""
    period = f"{window_days}d"
    rules = []
    for sli in indicators:
        labels = sli.labels(region)
        selector = sli.selector()
        # The period's ratio as sloth computes it: the average of the 5m ratios (a rate over
        # 30 days of raw samples every minute would be the costliest query in the workspace).
        five_minutes = f"slo:sli_error:ratio_rate5m{selector}"
        rules += [
            _record(
                f"slo:sli_error:ratio_rate{period}",
                f"sum_over_time({five_minutes}[{period}])\n/ ignoring (sloth_window)\n"
                f"count_over_time({five_minutes}[{period}])",
                {**labels, "sloth_window": period},
            ),
            _record("slo:objective:ratio", f"vector({sli.objective:g})", labels),
            _record("slo:error_budget:ratio", f"vector({sli.error_budget:g})", labels),
            _record("slo:time_period:days", f"vector({window_days})", labels),
            _record(
                "slo:current_burn_rate:ratio",
                f"{five_minutes}\n/ on (sloth_id, sloth_slo, sloth_service) group_left\n"
                f"slo:error_budget:ratio{selector}",
                labels,
            ),
            _record(
                "slo:period_burn_rate:ratio",
                f"slo:sli_error:ratio_rate{period}{selector}\n"
                "/ on (sloth_id, sloth_slo, sloth_service) group_left\n"
                f"slo:error_budget:ratio{selector}",
                labels,
            ),
            _record(
                "slo:period_error_budget_remaining:ratio",
                f"1 - slo:period_burn_rate:ratio{selector}",
                labels,
            ),
        ]
    return rules


def _record(name: str, expr: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"record": name, "expr": expr, "labels": labels}


# --- SLO alerts ------------------------------------------------------------------------------


def _slo_alerts(
    indicators: tuple[Sli, ...], slo: SloConfig, region: str, environment: str
) -> list[dict[str, Any]]:
    rules = []
    for sli in indicators:
        rules += [_burn_alert(sli, w, slo, region, environment) for w in BURN_RATE_WINDOWS]
        rules.append(_absent_alert(sli, region, environment))
    return rules


def _burn_alert(
    sli: Sli, window: BurnRateWindow, slo: SloConfig, region: str, environment: str
) -> dict[str, Any]:
    factor = window.factor(slo.window_days)
    threshold = f"({factor:g} * {sli.error_budget:g})"

    def over(w: str) -> str:
        ratio = f"slo:sli_error:ratio_rate{w}{sli.selector()}"
        return f"max without (sloth_window) ({ratio} > {threshold})"

    # The guard: below the minimum rate over the long window, a few bad requests are no
    # evidence, and the alert stays quiet (the absent-metric alert still watches the SLI).
    guard = (
        f"max without (sloth_window) (slo:sli_requests:rate{window.long}{sli.selector()}"
        f" >= {slo.min_requests_per_second:g})"
    )
    return {
        "alert": BURN_ALERT,
        "expr": f"{over(window.long)}\nand\n{over(window.short)}\nand\n{guard}",
        "for": window.for_,
        "labels": {
            "severity": window.severity,
            "region": region,
            "slo": sli.slo,
            "long": window.long,
            "short": window.short,
        },
        "annotations": {
            "summary": f"erlmcp {environment} {region}: {sli.slo} error budget burning "
            f"{factor:g}x too fast",
            "description": f"{{{{ $value | humanizePercentage }}}} of {sli.description} over "
            f"{window.long} (and still over {window.short}), against a budget of "
            f"{sli.error_budget:g}: at this rate {window.budget_percent:g} % of the "
            f"{slo.window_days}-day budget is spent in {window.long}.",
        },
    }


def _absent_alert(sli: Sli, region: str, environment: str) -> dict[str, Any]:
    return {
        "alert": ABSENT_ALERT,
        "expr": f"absent({sli.present})",
        "for": "15m",
        "labels": {"severity": "ticket", "region": region, "slo": sli.slo},
        "annotations": {
            "summary": f"erlmcp {environment} {region}: the {sli.slo} SLI has no data",
            "description": f"No {sli.present} series for 15 minutes: the {sli.slo} SLO and its "
            "burn-rate alerts are blind (erlmcp not scraped, or not exporting it).",
        },
    }


# --- operational alerts (runbook §9.1, §10.1) ------------------------------------------------


def _operational_alerts(slo: SloConfig, region: str) -> list[dict[str, Any]]:
    container = f'container="{m.ERLMCP_CONTAINER}"'
    per_container = "max by (namespace, pod, container)"
    limit = f"{per_container} ({m.KSM_LIMITS.name}{{{container}, resource="
    availability = "availability"
    # CPU starvation shows first as latency: the tightest latency SLO is the one it endangers.
    tightest = min(slo.latency, key=lambda s: s.threshold_ms, default=None)
    latency = _latency_sli(tightest.threshold_ms, tightest.target).slo if tightest else availability
    return [
        _operational(
            CRASH_LOOP_ALERT,
            f"{per_container} (max_over_time({m.KSM_WAITING_REASON.name}{{{container}, "
            f'reason="{m.CRASH_LOOP_REASON}"}}[5m])) >= 1',
            "5m",
            "page",
            region,
            availability,
            "{{ $labels.pod }} is crash-looping (runbook §9.1 rolls back on this)",
        ),
        _operational(
            MEMORY_ALERT,
            f"{per_container} ({m.CADVISOR_MEMORY_WORKING_SET.name}{{{container}}})\n/\n"
            f'{limit}"memory", unit="byte"}})\n> {MEMORY_LIMIT_RATIO:g}',
            "10m",
            "ticket",
            region,
            availability,
            "{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its memory limit "
            "(OOM kill ahead)",
        ),
        _operational(
            CPU_ALERT,
            "sum by (namespace, pod, container) "
            f"(rate({m.CADVISOR_CPU_USAGE.name}{{{container}}}[5m]))\n/\n"
            f'{limit}"cpu", unit="core"}})\n> {CPU_LIMIT_RATIO:g}',
            "10m",
            "ticket",
            region,
            latency,
            "{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its CPU limit "
            "(throttling ahead)",
        ),
    ]


def _operational(
    name: str, expr: str, for_: str, severity: Severity, region: str, slo: str, summary: str
) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity, "region": region, "slo": slo},
        "annotations": {"summary": summary},
    }


# --- helpers ---------------------------------------------------------------------------------


def _hours(window: str) -> float:
    units = {"m": 1 / 60, "h": 1, "d": 24}
    return int(window[:-1]) * units[window[-1]]


# libyaml's emitter when PyYAML has it (a rules file is ~30 KB, written for every region at every
# render); the representers below are the same either way.
class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Multi-line PromQL as YAML block literals, readable in the plan and in AMP's console; no
    anchors and aliases for repeated label sets."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)
