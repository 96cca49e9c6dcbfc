"""`build/plan.md`: the plan as a page to paste into a pull request."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from planning.alerts import alerts_section
from planning.reading import number, resources_in
from regions.dr_budget import FIGURES

RDS = "aws:rds/instance:Instance"
AURORA = "aws:rds/cluster:Cluster"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
BUCKET_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
EKS = "aws:eks/cluster:Cluster"
NODES = "aws:eks/nodeGroup:NodeGroup"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"


def node_id(region: str) -> str:
    return re.sub(r"[^a-z0-9]", "_", region)


def regions_of(plan: dict[str, Any]) -> list[str]:
    return sorted({r["region"] for r in resources_in(plan, EKS) if r["region"]})


def _role(plan: dict[str, Any], region: str) -> str:
    serving = any(
        "replicateSourceDb" not in r["inputs"] for r in resources_in(plan, RDS, region)
    ) or any("masterUsername" in r["inputs"] for r in resources_in(plan, AURORA, region))
    holds = [p["primary"] for p in plan["dr"]["pairs"] if p["standby"] == region]
    role = "primary" if serving else "standby"
    return f"{role}, standby of {', '.join(holds)}" if serving and holds else role


def mermaid(plan: dict[str, Any]) -> str:
    """Regions with their roles, DR pairs with their replication, and DNS."""
    lines = ["graph LR", '  dns(["Route 53 latency DNS"])']
    for region in regions_of(plan):
        lines.append(f'  {node_id(region)}["{region}<br/>{_role(plan, region)}"]')
    for pair in plan["dr"]["pairs"]:
        p, s = node_id(pair["primary"]), node_id(pair["standby"])
        lines.append(f"  {p} -->|database: {pair['database']}| {s}")
        lines.append(f"  {p} -.->|cache: Global Datastore| {s}")
        lines.append(f"  {p} -.->|backups: S3 replication| {s}")
    for pair in plan["dr"]["pairs"]:
        lines.append(
            f"  dns -->|latency, fails over to {pair['standby']}| {node_id(pair['primary'])}"
        )
    return "\n".join(lines)


def _pods(plan: dict[str, Any], region: str) -> str:
    counts = [
        f"{s['inputs']['metadata']['namespace']}: {number(s['inputs']['spec']['replicas'])}"
        for s in resources_in(plan, STATEFULSET, region)
    ]
    return ", ".join(counts) or "—"


def _databases(plan: dict[str, Any], region: str) -> str:
    found = [
        f"RDS {r['inputs'].get('instanceClass')}"
        + (
            " replica"
            if "replicateSourceDb" in r["inputs"]
            else f" postgres {r['inputs'].get('engineVersion')}"
        )
        for r in resources_in(plan, RDS, region)
        if "restoreToPointInTime" not in r["inputs"]
    ] + [
        "Aurora " + ("writer" if "masterUsername" in r["inputs"] else "secondary")
        for r in resources_in(plan, AURORA, region)
        if "restoreToPointInTime" not in r["inputs"]
    ]
    found += [
        f"{'Aurora' if r['type'] == AURORA else 'RDS'} restored to "
        f"{point.get('restoreToTime') or point.get('restoreTime')}"
        for r in resources_in(plan, RDS, region) + resources_in(plan, AURORA, region)
        if (point := r["inputs"].get("restoreToPointInTime"))
    ]
    return ", ".join(found) or "—"


def _addon_rows(plan: dict[str, Any]) -> list[list[Any]]:
    """What runs in each cluster besides erlmcp (README "What runs in every cluster")."""
    rows = []
    for region in regions_of(plan):
        addons = sorted(
            f"{a['inputs'].get('addonName')} {a['inputs'].get('addonVersion')}"
            + (" (network policies enforced)" if "enableNetworkPolicy" in str(a["inputs"]) else "")
            for a in resources_in(plan, "aws:eks/addon:Addon", region)
        )
        charts = sorted(
            f"{h['inputs'].get('chart')} {h['inputs'].get('version')}"
            for h in resources_in(plan, "kubernetes:helm.sh/v3:Release", region)
        )
        rows.append([region, ", ".join(addons) or "—", ", ".join(charts) or "—"])
    return rows


def _table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def render(plan: dict[str, Any]) -> str:
    policy = plan["policy"]
    verdict = "passed" if policy["passed"] else "**FAILED**"
    out = [
        f"# Plan of stack `{plan['stack']}` ({len(plan['resources'])} resources)",
        "",
        f"Policy pack: {verdict} — {policy['mandatory']} mandatory, "
        f"{policy['advisory']} advisory violations.",
        "",
    ]
    out += _loud(plan)
    out += ["## Topology", "", "```mermaid", mermaid(plan), "```", "", "## Regions", ""]
    rows = []
    for region in regions_of(plan):
        [cluster] = resources_in(plan, EKS, region)
        nodes = resources_in(plan, NODES, region)
        scaling = nodes[0]["inputs"].get("scalingConfig", {}) if nodes else {}
        caches = [
            c["inputs"].get("nodeType", "secondary") for c in resources_in(plan, CACHE, region)
        ]
        rows.append(
            [
                region,
                _role(plan, region),
                f"EKS {cluster['inputs'].get('version')}, nodes "
                f"{number(scaling.get('minSize'))}-{number(scaling.get('maxSize'))}",
                _pods(plan, region),
                _databases(plan, region),
                ", ".join(caches) or "—",
                ", ".join(b["name"] for b in resources_in(plan, "aws:s3/bucket:Bucket", region))
                or "—",
                plan["counts"]["byRegion"].get(region, 0),
            ]
        )
    out += _table(
        [
            "region",
            "role",
            "Kubernetes",
            "pods",
            "PostgreSQL",
            "Redis",
            "buckets",
            "resources",
        ],
        rows,
    )
    out += ["", "### Add-ons and controllers", ""]
    out += _table(["region", "EKS add-ons", "controllers (Helm)"], _addon_rows(plan))
    out += ["", "## DR pairs", ""]
    out += _table(
        ["pair", "database", "RTO / target", "RPO / target", "verdict"],
        [
            [
                f"{p['primary']} → {p['standby']}",
                p["database"],
                f"{number(p['rtoMinutes'])} / {number(p['rtoTargetMinutes'])} min",
                f"{number(p['rpoMinutes'])} / {number(p['rpoTargetMinutes'])} min",
                "meets targets" if p["meetsTargets"] else "**MISSES TARGET**",
            ]
            for p in plan["dr"]["pairs"]
        ],
    )
    out += ["", *_restore_section(plan)]
    out += auto_failover_section(plan)
    out += ["", *alerts_section(plan, regions_of(plan))]
    out += ["## Policy verdicts", ""]
    if policy["diagnostics"]:
        out += _table(
            ["level", "policy", "resource", "message"],
            [
                [d["level"], d["policy"], d["urn"] or "(stack)", d["message"]]
                for d in policy["diagnostics"]
            ],
        )
    else:
        out.append("No violations.")
    if "diff" in plan:
        out += ["", *_diff_section(plan["diff"])]
    return "\n".join(out) + "\n"


def auto_failover_section(plan: dict[str, Any]) -> list[str]:
    """Each pair's ARC Region switch plan: when it fires, what holds it, what it does, and how
    long each step is budgeted (docs/failover.md "Automatic failover")."""
    pairs = plan["dr"].get("autoFailover", [])
    if not pairs:
        return []
    out = ["", "### Automatic failover (ARC Region switch)", ""]
    for pair in pairs:
        state = "armed" if pair["armed"] else "disarmed: " + "; ".join(pair["disarmedBecause"])
        out += [
            f"**{pair['primary']} → {pair['standby']}**: plan `{pair['plan']}`, {state}. "
            f"Fires when every condition holds ({pair['detectionMinutes']} one-minute probe "
            f"periods, witness {pair['witness']}; at most once per {pair['minDelayMinutes']} min):",
            "",
        ]
        out += _table(
            ["alarm", "region", "must be"],
            [
                [f"`{c['alarm']}`", c["region"], "ALARM" if c["condition"] == "red" else "OK"]
                for c in pair["trigger"]
            ],
        )
        out += ["", "Held while: " + "; ".join(pair["interlocks"]) + ".", ""]
        out += _table(
            ["step (in parallel)", "what", "budget", "source"],
            [
                [
                    step["block"],
                    step["what"],
                    f"{number(FIGURES[step['figure']].minutes)} min",
                    FIGURES[step["figure"]].source,
                ]
                for step in pair["steps"]
            ],
        )
        out.append("")
    return out


def _loud(plan: dict[str, Any]) -> list[str]:
    notes = [
        f"> **WARNING** {p['primary']} → {p['standby']} misses its recovery target "
        f"(RTO {p['rtoMinutes']}/{p['rtoTargetMinutes']} min, RPO {p['rpoMinutes']}/"
        f"{p['rpoTargetMinutes']} min)."
        for p in plan["dr"]["pairs"]
        if not p["meetsTargets"]
    ]
    notes += [
        f"> **WARNING** {region} serves with no standby for its data: {reason}"
        for region, reason in sorted(plan["dr"]["noStandby"].items())
    ]
    notes += [
        f"> **FAILOVER ACTIVE** {primary}'s traffic and data are served from {standby}."
        for primary, standby in sorted(plan["dr"]["failover"].items())
    ]
    notes += [
        f"> **FAILBACK {stage.upper()}** {primary}: {FAILBACK_STAGES[stage]}"
        for primary, stage in sorted(plan["dr"].get("failback", {}).items())
    ]
    notes += [
        f"> **RESTORE {restore['stage'].upper()}** {primary}"
        + (f" to {restore['to']}" if restore["to"] else "")
        + f": {RESTORE_STAGES[restore['stage']]}"
        for primary, restore in sorted(plan["dr"].get("restore", {}).items())
    ]
    notes += [
        f"> **RETIRED COPIES KEPT** {primary}: database generation(s) "
        f'{", ".join(str(g) for g in kept["retired"])} (stale, protected; README "Failback by '
        'config" says how to let them go).' + _restored_away(kept)
        for primary, kept in sorted(plan["dr"].get("generations", {}).items())
        if kept["retired"]
    ]
    notes += [f"> **{w}**" for w in plan.get("diff", {}).get("warnings", [])]
    notes += [
        f"> **PLACEHOLDER** (`pulumi up` refuses it): {p}" for p in plan.get("placeholders", [])
    ]
    notes += [
        f"> **REFUSED BY THE PROVIDER** (`pulumi preview` fails): `{c['urn']}` "
        f"`{c['argument']}` = `{c['value']}`: {c['rule']} ({c['source']})"
        for c in plan.get("providerChecks", [])
    ]
    if plan.get("stage") == "zone-only":
        notes.insert(
            0,
            "> **STAGE: ZONE ONLY** (`dns.delegated: false`): only the hosted zone, signed and "
            "logged. Delegate the domain to its name servers, then set `dns.delegated: true` "
            '(README "First deployment").',
        )
    return [*notes, ""] if notes else []


# What each failback stage does to the pair's users (docs/failover.md "Failback by config").
FAILBACK_STAGES = {
    "resync": "a new copy of the data is built at home from the promoted standby; the standby "
    "still serves.",
    "drain": "the standby's release is stopped: writes stop and the pair's users get errors "
    "until the cutover.",
    "cutover": "the new copy is promoted and serves at home; next, the pair's next generation "
    "(README step 4) gives it a standby.",
}


# What each restore stage does to the pair's users (docs/restore.md).
RESTORE_STAGES = {
    "writes-stopped": "its release and its standby's run no pods: no write lands, and Route 53 "
    "answers its users from the next-nearest healthy region. Find the last good time, export "
    "what came after it (docs/restore.md), then the next stage.",
    "restored": "a new database is restored beside the damaged one, which stays as it is; the "
    "pods are still stopped. Every write after the restore time is lost unless exported from "
    "the damaged database first.",
    "switched": "the release serves from the restored database; it has no standby copy until "
    "the restore's last stage (the pair's next generation).",
}


def _restored_away(kept: dict[str, Any]) -> str:
    """Retired generations that a restore left: each holds the writes after its restore time,
    which nothing else holds."""
    restored = kept.get("restored", {})
    left = [g for g in kept["retired"] if str(g + 1) in restored]
    return "".join(
        f" Generation {g} holds every write after {restored[str(g + 1)]}, which generation "
        f"{g + 1} was restored to: export it before letting generation {g} go."
        for g in left
    )


def _restore_section(plan: dict[str, Any]) -> list[str]:
    """What restoring each pair's primary to a point in time costs (regions/dr_budget.py)."""
    out = ["## Restore to a point in time", ""]
    out += _table(
        ["primary", "database", "restore window", "out of service", "no standby copy", "lost"],
        [
            [
                c["primary"],
                c["database"],
                f"{c['restoreWindowDays']} days back to {number(c['latestRestorableMinutes'])} "
                "min ago",
                f"{number(c['outOfServiceMinutes'])} min",
                f"{number(c['withoutStandbyMinutes'])} min",
                c["dataLost"],
            ]
            for c in plan["dr"].get("restoreCosts", [])
        ],
    )
    out += ["", "How each stage runs and how to export what would be lost: docs/restore.md.", ""]
    return out


def _diff_section(diff: dict[str, Any]) -> list[str]:
    out = [
        "## Changes against the previous plan",
        "",
        f"{len(diff['added'])} added, {len(diff['removed'])} removed, "
        f"{len(diff['changed'])} changed, {len(diff.get('replaced', []))} of them replaced.",
        "",
    ]
    out += [f"- added `{u}`" for u in diff["added"]]
    out += [f"- removed `{u}`" for u in diff["removed"]]
    out += [
        f"- {'**REPLACED**' if c.get('replacedBy') else 'changed'} `{c['urn']}`: "
        f"{', '.join(c['inputs']) or 'no input'}"
        + (
            f"; provider {c['provider']['from']} -> {c['provider']['to']}"
            if "provider" in c
            else ""
        )
        + (f" (replaced because of {', '.join(c['replacedBy'])})" if c.get("replacedBy") else "")
        for c in diff["changed"]
    ]
    return out
