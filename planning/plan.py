"""The offline plan: `make plan` renders a stack with no CLI and no cloud, checks it, and writes
`build/plan.json` (schema: planning/schema.py) and `build/plan.md` for a pull request.

    python -m planning.plan [--stack prod] [--config Pulumi.x.yaml] [--against old/plan.json]
                           [--allow-replace urn,...] [--out build]

Exit 0 when the pack passes, 1 on a mandatory policy violation, on an input a provider's own
checks refuse (planning/provider_checks.py: what `pulumi preview` would reject) or on a replacement
of a stateful
resource that `--allow-replace` does not name (the files are still written), 2 on a bad stack
file (naming the key) or an unreadable `--against` plan.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from offline.policy_runner import (
    PolicyReport,
    StackFileError,
    analyze_recorded,
    record_stack_file,
)
from offline.recorder import RecordedStack, is_secret
from offline.stacks import REPO_ROOT, project_values, stack_file_of
from planning.diff import blocks_the_plan, diff_plans
from planning.kubernetes_names import check_kubernetes
from planning.markdown import render
from planning.provider_checks import Violation, check_aws
from planning.schema import SCHEMA_VERSION, SECRET
from regions.auto_failover import describe as describe_auto_failover
from regions.auto_failover import planned_pairs
from regions.config import ConfigError, parse_stack_config
from regions.config.restore import rfc3339_utc
from regions.dr_budget import restore_costs, stack_budget


def redact(value: Any) -> Any:
    """Every secret, however deep, becomes "[secret]"."""
    if is_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def plan_resources(recorded: RecordedStack) -> list[dict[str, Any]]:
    """Every resource as plan.json lists it (secrets redacted)."""
    return [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "provider": r.provider,
            "region": r.region,
            "inputs": redact(r.inputs),
            "dependencies": list(r.dependencies),
            "protect": r.protect,
            "retainOnDelete": r.retain_on_delete,
            "aliases": r.aliases,
            "replaceOnChanges": list(r.replace_on_changes),
        }
        # URN order, not registration order: the SDK registers in whatever order its tasks
        # finish, and a plan must read the same on every run of the same program.
        for r in sorted(recorded.resources, key=lambda r: r.urn)
    ]


def check_stack(recorded: RecordedStack) -> list[Violation]:
    """Every input the AWS provider or the Kubernetes API server would refuse."""
    return check_aws(recorded) + check_kubernetes(recorded)


def build_plan(
    recorded: RecordedStack,
    stack_config: dict[str, Any],
    stack_file: Path,
    report: PolicyReport | None = None,
) -> dict[str, Any]:
    """The plan of a recording; `report`: the pack's report on it, when already at hand."""
    report = report or analyze_recorded(recorded, stack_config=stack_config)
    try:
        stack = parse_stack_config(project_values(stack_config))
    except ConfigError as error:  # the program accepted it, so this cannot happen quietly
        raise StackFileError(f"{stack_file}: {error}") from None
    resources = plan_resources(recorded)
    return {
        "schemaVersion": SCHEMA_VERSION,
        "project": recorded.project,
        "stack": recorded.stack,
        "stackFile": str(stack_file),
        "resources": resources,
        "outputs": redact(recorded.outputs),
        "policy": {
            "passed": report.passed,
            "mandatory": len(report.mandatory),
            "advisory": len(report.advisory),
            "diagnostics": [
                {
                    "policy": d.policy,
                    "level": d.enforcement_level,
                    "urn": d.urn,
                    "message": d.detail,
                }
                for d in sorted(report.diagnostics, key=lambda d: (d.policy, d.urn, d.detail))
            ],
        },
        "dr": {
            "pairs": [b.as_dict() for b in stack_budget(stack)],
            "failover": dict(stack.failover),
            "failback": dict(stack.failback),
            "generations": {
                p.primary: {
                    "current": p.generation,
                    "retired": sorted(p.retired_generations),
                    "restored": {
                        str(g): rfc3339_utc(t) for g, t in sorted(p.restored_generations.items())
                    },
                }
                for p in stack.dr_pairs
            },
            "noStandby": dict(stack.no_standby),
            "restore": {
                primary: {"to": restore.to and rfc3339_utc(restore.to), "stage": restore.stage}
                for primary, restore in sorted(stack.restore.items())
            },
            "restoreCosts": [c.as_dict() for c in restore_costs(stack)],
            # Each pair's ARC Region switch plan: trigger, interlocks, steps.
            "autoFailover": [describe_auto_failover(stack, p) for p in planned_pairs(stack)],
        },
        # What `pulumi up` refuses until replaced (regions/config/stack.py `placeholders`).
        "placeholders": stack.placeholders(),
        # What the providers' own input checks refuse: `pulumi preview` itself fails on these.
        "providerChecks": [asdict(v) for v in check_stack(recorded)],
        "stage": "full" if stack.dns.delegated else "zone-only",
        "counts": {
            "byRegion": dict(sorted(Counter(r["region"] or "global" for r in resources).items())),
            "byType": dict(sorted(Counter(r["type"] for r in resources).items())),
        },
    }


def write_plan(plan: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "plan.json", out / "plan.md"
    json_path.write_text(json.dumps(plan, indent=2, sort_keys=False) + "\n")
    md_path.write_text(render(plan))
    return json_path, md_path


STAGE_LINES = {
    "full": "Stage: full (dns.delegated: true): every region, its data, releases and DNS",
    "zone-only": (
        "Stage: ZONE ONLY (dns.delegated: false): the hosted zone, signed and logged, and nothing "
        "else. Give the registrar the nameServers (and dnssecDsRecord) outputs, check "
        "`dig NS <domain>` answers with them, then set dns.delegated: true (README "
        '"First deployment")'
    ),
}


def summary(plan: dict[str, Any], paths: tuple[Path, Path]) -> str:
    policy = plan["policy"]
    by_region = ", ".join(f"{r} {n}" for r, n in plan["counts"]["byRegion"].items())
    lines = [
        f"Plan of stack '{plan['stack']}': {len(plan['resources'])} resources ({by_region})",
        STAGE_LINES[plan["stage"]],
        f"Policy pack: {'passed' if policy['passed'] else 'FAILED'} "
        f"({policy['mandatory']} mandatory, {policy['advisory']} advisory violations)",
    ]
    lines += [
        f"  !! placeholder, refused by `pulumi up`: {p}" for p in plan.get("placeholders", [])
    ]
    checks = plan.get("providerChecks", [])
    if checks:
        lines.append(
            f"Provider input checks: FAILED ({len(checks)} inputs `pulumi preview` refuses)"
        )
        lines += [
            f"  !! {c['urn']}\n       {c['argument']} = {c['value']}: {c['rule']} ({c['source']})"
            for c in checks
        ]
    if "diff" in plan:
        diff = plan["diff"]
        lines.append(
            f"Against the old plan: {len(diff['added'])} added, {len(diff['removed'])} removed, "
            f"{len(diff['changed'])} changed ({len(diff['replaced'])} replaced)"
        )
        moves = [c for c in diff["changed"] if "provider" in c]
        if moves:
            lines.append(
                f"  {len(moves)} moved to another provider "
                f"({sum(1 for c in moves if not c['inputs'])} with no other change), "
                f"{sum(1 for c in moves if c['provider']['replaces'])} replaced by the move"
            )
        lines += [
            f"  replaced: {r['urn']} (because of {', '.join(r['because'])})"
            + (" [allowed]" if r["allowed"] else "")
            for r in diff["replaced"]
        ]
        lines += [f"  !! {w}" for w in diff["warnings"]]
    lines.append(f"Wrote {paths[0]} and {paths[1]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m planning.plan", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--stack",
        default=None,
        help="stack name (default: prod, or the name in --config's file name, Pulumi.<stack>.yaml)",
    )
    parser.add_argument("--config", type=Path, help="the stack file (default: Pulumi.<stack>.yaml)")
    parser.add_argument("--against", type=Path, help="an earlier plan.json to diff against")
    parser.add_argument(
        "--allow-replace",
        default="",
        help="comma-separated URNs of stateful resources whose replacement is intended",
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build")
    args = parser.parse_args(argv)
    stack_file = stack_file_of(args.stack, args.config)
    try:
        old = json.loads(args.against.read_text()) if args.against else None
    except (OSError, json.JSONDecodeError) as error:
        print(f"cannot read --against plan {args.against}: {error}", file=sys.stderr)
        return 2
    print(f"Recording the program against {stack_file} (offline, ~4 s)...", file=sys.stderr)
    try:
        recorded, config = record_stack_file(stack_file, stack=args.stack)
        print(
            f"Checking {len(recorded.resources)} resources against the policy pack...",
            file=sys.stderr,
        )
        plan = build_plan(recorded, config, stack_file)
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if old is not None:
        allowed = [urn.strip() for urn in args.allow_replace.split(",") if urn.strip()]
        plan["diff"] = diff_plans(old, plan, allow_replace=allowed)
    paths = write_plan(plan, args.out)
    print(summary(plan, paths))
    if "diff" in plan and blocks_the_plan(plan["diff"]):
        print(
            "error: the plan replaces a stateful resource (see above); ALLOW_REPLACE=<urn,...> "
            "if that is the intent",
            file=sys.stderr,
        )
        return 1
    return exit_code(plan)


def exit_code(plan: dict[str, Any]) -> int:
    """0, or 1 when the pack fails or a provider would refuse an input (`pulumi preview` fails)."""
    return 0 if plan["policy"]["passed"] and not plan["providerChecks"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
