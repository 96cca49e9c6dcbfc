"""Who watches whom for automatic failover, and what each pair's trigger needs: pure decisions,
no Pulumi (regions/region_switch.py builds them; docs/failover.md "Automatic failover").

For a pair (primary P, standby S) with witness W (a third region):

* probes: S and W each run an endpoint probe of `https://<P>.<domain>/health` once a minute and
  publish `erlmcp/Probe Up{Target=P}` (1 or 0) in their own region. When S also serves traffic
  of its own (the mutual APAC pair), W probes S too.
* signal alarms (never paging; a machine reads them), all named
  `erlmcp-<env>-autofailover-<region>-...` so that the rollout driver's health gate, which reads
  `erlmcp-<env>-<region>-*`, never holds a wave on them:
  - `<S>-probe-<P>-down`, `<W>-probe-<P>-down`: the probe ran and found P down in each of the
    last `detectionMinutes` minutes (missing data is not down: a probe that did not run says
    nothing about P);
  - `<S>-probe-stopped`: S's own probe published nothing (missing data breaches): S cannot run
    code or reach CloudWatch, so S is not healthy enough to take over;
  - `<S>-lag-of-<P>`: the standby's copy was behind by more than the pair's RPO at its last
    report (missing data keeps the state: a copy whose primary went silent keeps the lag it
    had, so a lag above the RPO before the outage keeps blocking);
  - `<S>-ran-for-<P>`: the marker, `erlmcp/AutoFailover Ran{Primary=P}` at 1 (set by the
    plan's Lambda when it runs, by `make failover` and by its AFTER_AUTO converge; cleared to 0
    by `make failover PRIMARY=P REARM=1`); missing data keeps the state;
  - `<S>-blocked-for-<P>`: composite, in ALARM when any interlock holds:
    `ALARM(ran) OR ALARM(lag) OR NOT OK(probe-stopped)`, and `OR TRUE` while config disarms the
    pair (`autoFailover.enabled: false`, or a rollout touching P or S).
* the plan's one trigger (activate S) fires when all its conditions hold: both probes of P red,
  blocked green, and, when S serves, W's probe of S green. That last condition is the mutual
  pair's interlock: the plan for P needs W to see S up, the plan for S needs W to see S down;
  one alarm cannot be both, so the two plans can never both fire.
"""

from __future__ import annotations

from dataclasses import dataclass

from regions.config import DrPairConfig, StackConfig
from regions.database_backups import geography

PROBE_NAMESPACE = "erlmcp/Probe"
PROBE_METRIC = "Up"
MARKER_NAMESPACE = "erlmcp/AutoFailover"
MARKER_METRIC = "Ran"
# The probe runs once a minute (EventBridge's finest schedule, `rate(1 minute)`).
PROBE_PERIOD_SECONDS = 60
# ARC Region switch plan names: 1-32 of letters, digits and '-' (botocore arc-region-switch
# service-2.json Plan.name: pattern [a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?).
MAX_PLAN_NAME = 32


@dataclass(frozen=True)
class Condition:
    region: str
    """Where the alarm lives."""
    what: str
    """The alarm's name after `erlmcp-<env>-autofailover-<region>-`."""
    state: str
    """`red` (ALARM) or `green` (OK): ARC's TriggerCondition values."""


def planned_pairs(stack: StackConfig) -> list[DrPairConfig]:
    """The pairs that get a Region switch plan: every pair, when the stack has a third region to
    witness (the config refuses `autoFailover.enabled` without one; such a pair fails over by
    `make failover` only)."""
    return list(stack.dr_pairs) if len(stack.regions) >= 3 else []


def witness_region(stack: StackConfig, pair: DrPairConfig) -> str:
    """The pair's configured witness, else another region of the stack: one in the primary's
    area first (closest to the primary's users' view), then the home region, then the first by
    name; so the choice is the same at every run."""
    if pair.auto_failover.witness_region is not None:
        return pair.auto_failover.witness_region
    others = [r for r in stack.regions if r not in (pair.primary, pair.standby)]
    return min(
        others,
        key=lambda r: (geography(r) != geography(pair.primary), r != stack.home_region, r),
    )


def standby_serves(stack: StackConfig, pair: DrPairConfig) -> bool:
    """S has traffic of its own (it is the primary of another pair or a serving region)."""
    return stack.regions[pair.standby].serving


def probe_targets(stack: StackConfig) -> dict[str, list[str]]:
    """Region -> the regions its probe watches, for every pair (sorted, no repeats)."""
    targets: dict[str, set[str]] = {}
    for pair in planned_pairs(stack):
        witness = witness_region(stack, pair)
        targets.setdefault(pair.standby, set()).add(pair.primary)
        targets.setdefault(witness, set()).add(pair.primary)
        if standby_serves(stack, pair):
            targets.setdefault(witness, set()).add(pair.standby)
    return {region: sorted(watched) for region, watched in sorted(targets.items())}


def probe_down(target: str) -> str:
    return f"probe-{target}-down"


PROBE_STOPPED = "probe-stopped"


def lag_signal(pair: DrPairConfig) -> str:
    return f"lag-of-{pair.primary}"


def marker_signal(pair: DrPairConfig) -> str:
    return f"ran-for-{pair.primary}"


def blocked_signal(pair: DrPairConfig) -> str:
    return f"blocked-for-{pair.primary}"


def signal_prefix(environment: str, region: str) -> str:
    return f"erlmcp-{environment}-autofailover-{region}-"


def disarmed_by_config(stack: StackConfig, pair: DrPairConfig) -> list[str]:
    """Why config disarms the pair's trigger (empty: armed). A pair already failed over (or on
    its way back) is disarmed too: its standby serves, there is nothing left to take over."""
    reasons = []
    if stack.dr_stage(pair) != "normal":
        reasons.append(f"{pair.primary} is failed over to {pair.standby}")
    if not pair.auto_failover.enabled:
        reasons.append("autoFailover.enabled is false")
    rollout = stack.rollout
    if rollout is not None:
        touched = [r for r in (pair.primary, pair.standby) if rollout.wave_of(r) is not None]
        if touched:
            reasons.append(f"a rollout of {rollout.version} is in progress in {', '.join(touched)}")
    return reasons


def blocked_rule(pair: DrPairConfig, disarmed: bool) -> str:
    """The composite alarm rule over the standby's signals, each written `{what}`
    (components/signal_alarms.py fills in the full names)."""
    rule = (
        f"ALARM({{{marker_signal(pair)}}}) OR ALARM({{{lag_signal(pair)}}}) "
        f"OR NOT OK({{{PROBE_STOPPED}}})"
    )
    return f"{rule} OR TRUE" if disarmed else rule


def trigger_conditions(stack: StackConfig, pair: DrPairConfig) -> list[Condition]:
    """Everything the pair's trigger needs, in the order plan.md shows it."""
    witness = witness_region(stack, pair)
    conditions = [
        Condition(pair.standby, probe_down(pair.primary), "red"),
        Condition(witness, probe_down(pair.primary), "red"),
        Condition(pair.standby, blocked_signal(pair), "green"),
    ]
    if standby_serves(stack, pair):
        conditions.append(Condition(witness, probe_down(pair.standby), "green"))
    return conditions


def plan_name(environment: str, pair: DrPairConfig) -> str:
    """`erlmcp-prod-use1-to-usw2`-style, within ARC's 32 characters."""
    name = f"erlmcp-{environment}-{_short(pair.primary)}-to-{_short(pair.standby)}"
    if len(name) > MAX_PLAN_NAME:
        raise ValueError(f"plan name {name!r} is longer than {MAX_PLAN_NAME} characters")
    return name


def _short(region: str) -> str:
    """us-east-1 -> use1, ap-southeast-1 -> apse1 (AWS's own short forms)."""
    area, direction, number = region.split("-")
    compass = {"east": "e", "west": "w", "north": "n", "south": "s", "central": "c"}
    for word, letter in (
        ("northeast", "ne"),
        ("northwest", "nw"),
        ("southeast", "se"),
        ("southwest", "sw"),
    ):
        compass[word] = letter
    return f"{area}{compass.get(direction, direction[:2])}{number}"


# -- what plan.md shows --------------------------------------------------------------------------

STEPS = {
    "aurora-global": (
        "AuroraGlobalDatabase",
        "Global Database failover (allow data loss) to the standby cluster",
        "aurora_managed_failover",
    ),
    "rds": ("RdsPromoteReadReplica", "promote the standby's read replica", "rds_promotion"),
}


def describe(stack: StackConfig, pair: DrPairConfig) -> dict[str, object]:
    """A pair's plan as plan.md shows it: trigger, interlocks and steps (figures' keys name
    regions/dr_budget.py FIGURES, where each has its source)."""
    block, what, figure = STEPS[pair.database]
    disarmed = disarmed_by_config(stack, pair)
    witness = witness_region(stack, pair)
    prefix = signal_prefix
    return {
        "primary": pair.primary,
        "standby": pair.standby,
        "plan": plan_name(stack.environment, pair),
        "armed": not disarmed,
        "disarmedBecause": disarmed,
        "witness": witness,
        "detectionMinutes": pair.auto_failover.detection_minutes,
        "minDelayMinutes": pair.auto_failover.min_delay_minutes,
        "trigger": [
            {
                "alarm": f"{prefix(stack.environment, c.region)}{c.what}",
                "region": c.region,
                "condition": c.state,
            }
            for c in trigger_conditions(stack, pair)
        ],
        "interlocks": [
            f"the standby copy's lag above the RPO ({pair.rpo_minutes:g} min), last reported",
            "the automatic failover already ran (marker; cleared by `make failover "
            f"PRIMARY={pair.primary} REARM=1`), and {pair.auto_failover.min_delay_minutes} min "
            "between executions",
            f"{pair.standby}'s own probe stopped",
            "config: autoFailover.enabled false, a rollout in progress in the pair, or the pair "
            "already failed over",
        ],
        "steps": [
            {"block": block, "what": what, "figure": figure},
            {
                "block": "CustomActionLambda",
                "what": "make the Global Datastore's standby group primary (skipped in "
                "ungraceful mode)",
                "figure": "cache_promotion",
            },
            {
                "block": "EKSResourceScaling",
                "what": "scale the standby release to 100 % of the primary's pods",
                "figure": "pod_start",
            },
        ],
    }
