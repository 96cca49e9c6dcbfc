"""Check a stack against the erlmcp policy pack with no Pulumi CLI and no cloud.

    python -m offline.policy_runner [--stack prod] [--config Pulumi.prod.yaml]
                                    [--policy-config file.json] [--preview]

Runs the real program (`__main__.py`) under the recording mock runtime, hands every recorded
resource to the pack's analyzer as the engine would (`offline/analyzer.py`): `Analyze` once per
resource with its inputs, `AnalyzeStack` once with every resource's outputs. Prints a report that
names policy, enforcement level, resource URN and message for each violation.

Exit status: 0 when no mandatory policy is violated (advisory violations are shown but pass),
1 on any mandatory violation, 2 when the stack file or the pack config is invalid.

By default the program runs as an update (`preview=False`): the mocks answer with realistic,
known values (ARNs, endpoints), so stack policies can follow references between resources.
`--preview` runs it as `pulumi preview` does; a value that is unknown then stays unknown for the
policies, which must not report it as a violation (pulumi-policy reports an advisory
"can't run policy ... during preview" instead when a policy reads one).

`analyze_stack_file()` is the same thing as a function; it returns a `PolicyReport`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi_policy import StackValidationPolicy

from offline.analyzer import (
    Diagnostic,
    PackAnalyzer,
    PolicyConfigError,
    StackPresentation,
    merge_policy_config,
)
from offline.mocks import RealisticMocks
from offline.recorder import UNKNOWN, RecordedStack, RecordingMonitor
from offline.stacks import (
    PROD_STACK_FILE,
    PROJECT,
    REPO_ROOT,
    project_values,
    run_stack_file,
    stack_file_config,
    stack_file_of,
    stack_name_of,
)
from regions.auto_failover import disarmed_by_config, planned_pairs, standby_serves
from regions.config import ConfigError, StackConfig, parse_stack_config
from regions.dr_budget import stack_budget

POLICIES_DIR = REPO_ROOT / "policies"
# The stack policy that checks DR pairs; the runner gives it the stack file's pairs.
DR_POLICY = "dr-standby-holds-replicas"
DR_BUDGET_POLICY = "dr-budget-meets-targets"
DR_LAG_POLICY = "dr-copies-lag-alarmed"
AUTO_FAILOVER_POLICY = "dr-auto-failover-interlocked"
DR_STANDBY_POLICY = "dr-serving-region-has-standby"
DNS_EMPTY_REGIONS_POLICY = "dns-no-traffic-to-empty-regions"
ROLLOUT_ORDER_POLICY = "rollout-waves-in-order"
ROLLOUT_VERSIONS_POLICY = "rollout-at-most-two-versions"


class FirstPreviewMocks(RealisticMocks):
    """What a provider answers in the first `pulumi preview` of a stack: nothing it computes.

    Every output the real service would assign (ids, ARNs, endpoints, a load balancer's hostname)
    is unknown; only the resource's own inputs are known. Values derived from them in the program
    then reach the engine as unknowns, as they do in a real preview of a new stack.
    """

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        _, state = super().new_resource(args)
        for key in state:
            if key not in args.inputs:
                state[key] = UNKNOWN
        return "", state


class StackFileError(Exception):
    """The stack file cannot be read or the program rejects its config."""


def _load_pack() -> Any:
    """Import the pack from policies/, as the Pulumi CLI does (policies/ on sys.path)."""
    for path in (str(POLICIES_DIR), str(REPO_ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)
    import erlmcp_policies

    return erlmcp_policies


def pack_version() -> str:
    """The version the CLI would report: `version` in PulumiPolicy.yaml."""
    document = yaml.safe_load((POLICIES_DIR / "PulumiPolicy.yaml").read_text()) or {}
    return str(document.get("version", "0.0.1"))


def pack_analyzer(
    config: Mapping[str, Any] | None = None,
    stack_tags: Mapping[str, str] | None = None,
    only: Sequence[str] | None = None,
) -> PackAnalyzer:
    """The erlmcp pack's analyzer, configured with `config` (a --policy-pack-config document).

    `only` loads just the named policies (tests use it to keep one policy's checks fast).
    """
    pack = _load_pack()
    policies = pack.ALL_POLICIES
    if only is not None:
        policies = [p for p in policies if p.name in set(only)]
        missing = set(only) - {p.name for p in policies}
        if missing:
            raise PolicyConfigError(f"the pack has no policy named {', '.join(sorted(missing))}")
    return PackAnalyzer(
        policies,
        name=pack.PACK_NAME,
        version=pack_version(),
        enforcement_level=pack.PACK_ENFORCEMENT_LEVEL,
        config=config,
        stack_tags=stack_tags,
    )


@dataclass
class PolicyReport:
    """What the pack found in one stack."""

    stack: str
    resources: int
    policies: int
    diagnostics: list[Diagnostic] = field(default_factory=list)
    preview: bool = False

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.mandatory]

    @property
    def advisory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.mandatory]

    @property
    def passed(self) -> bool:
        return not self.mandatory

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def by_policy(self, name: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.policy == name]

    def format(self) -> str:
        mode = "preview" if self.preview else "update"
        lines = [
            f"Policy pack check of stack {self.stack!r} ({mode}): "
            f"{self.resources} resources, {self.policies} policies",
        ]
        for d in sorted(self.diagnostics, key=lambda d: (not d.mandatory, d.policy, d.urn)):
            lines.append("")
            lines.append(f"[{d.enforcement_level}] {d.policy}")
            lines.append(f"    resource: {d.urn or '(the stack)'}")
            lines.append(f"    rule:     {d.description}")
            for line in (d.detail or d.message).splitlines():
                lines.append(f"    {line}")
        lines.append("")
        verdict = "FAILED" if self.mandatory else "PASSED"
        lines.append(
            f"{verdict}: {len(self.mandatory)} mandatory, {len(self.advisory)} advisory violations"
        )
        return "\n".join(lines)


def stack_policy_config(stack_config: Mapping[str, Any]) -> dict[str, Any]:
    """Pack config that the stack file implies: its DR pairs, failovers, accepted exceptions and
    each pair's recovery budget (regions/dr_budget.py) for the DR policies."""
    try:
        stack = parse_stack_config(project_values(dict(stack_config)))
    except ConfigError:
        return {}  # the program run reports the bad key; nothing to derive here
    if not stack.dns.delegated:
        return {}  # the zone-only stage builds no region: no pair to hold yet
    pairs = [{"primary": p.primary, "standby": p.standby} for p in stack.dr_pairs]
    failed_over = [pair for pair in pairs if stack.failover.get(pair["primary"]) == pair["standby"]]
    # Pairs whose primary's data is being restored (regions/config/restore.py).
    restoring = [pair for pair in pairs if pair["primary"] in stack.restore]
    budgets = [b.as_dict() for b in stack_budget(stack)]
    return {
        DR_POLICY: {"dr_pairs": pairs, "failed_over": failed_over},
        DR_BUDGET_POLICY: {"budgets": budgets, "failed_over": failed_over, "restoring": restoring},
        DR_LAG_POLICY: {"budgets": budgets, "failed_over": failed_over},
        DR_STANDBY_POLICY: {
            "no_standby": sorted(stack.no_standby),
            "failed_over": failed_over,
            "restoring": restoring,
        },
        DNS_EMPTY_REGIONS_POLICY: {"failed_over": failed_over, "restoring": restoring},
        AUTO_FAILOVER_POLICY: {"pairs": auto_failover_pairs(stack)},
        **_rollout_policy_config(stack),
    }


def auto_failover_pairs(stack: StackConfig) -> list[dict[str, Any]]:
    """What dr-auto-failover-interlocked checks each pair's plan against."""
    return [
        {
            "primary": pair.primary,
            "standby": pair.standby,
            "rtoMinutes": pair.rto_minutes,
            "rpoMinutes": pair.rpo_minutes,
            "database": pair.database,
            "armed": not disarmed_by_config(stack, pair),
            "standbyServes": standby_serves(stack, pair),
        }
        for pair in planned_pairs(stack)
    ]


def _rollout_policy_config(stack: StackConfig) -> dict[str, Any]:
    if stack.rollout is None:
        return {}
    return {
        ROLLOUT_ORDER_POLICY: {
            "waves": stack.rollout.waves,
            "from_version": stack.release.version,
        },
        ROLLOUT_VERSIONS_POLICY: {"from_version": stack.release.version},
    }


def stack_tags(project: str = PROJECT) -> dict[str, str]:
    """The tags the engine gives every stack of this project."""
    document = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text()) or {}
    runtime = document.get("runtime", "python")
    return {
        "pulumi:project": project,
        "pulumi:runtime": runtime["name"] if isinstance(runtime, Mapping) else str(runtime),
        "pulumi:description": str(document.get("description", "")),
    }


def analyze_recorded(
    recorded: RecordedStack,
    *,
    stack_config: Mapping[str, Any] | None = None,
    policy_config: Mapping[str, Any] | None = None,
    preview: bool = False,
) -> PolicyReport:
    """Run the whole pack over a recorded stack (e.g. a mutated copy of prod)."""
    stack_config = stack_config or {}
    config = merge_policy_config(stack_policy_config(stack_config), policy_config)
    analyzer = pack_analyzer(config, stack_tags(recorded.project))
    presentation = StackPresentation(recorded, stack_config=stack_config, preview=preview)
    diagnostics = analyzer.analyze_all(presentation.analyze_requests())
    diagnostics.extend(analyzer.analyze_stack(presentation.analyze_stack_request()))
    return PolicyReport(
        stack=recorded.stack,
        resources=len(recorded.resources),
        policies=len(analyzer.info.policies),
        diagnostics=diagnostics,
        preview=preview,
    )


def read_stack_file(path: Path) -> dict[str, Any]:
    """A stack file's `config:` mapping; StackFileError when it cannot be read."""
    try:
        return stack_file_config(Path(path))
    except (OSError, yaml.YAMLError, ValueError) as error:
        raise StackFileError(f"cannot read stack file {path}: {error}") from None


def record_stack_file(
    path: Path = PROD_STACK_FILE,
    *,
    stack: str | None = None,
    preview: bool = False,
    config: dict[str, Any] | None = None,
) -> tuple[RecordedStack, dict[str, Any]]:
    """Run the program against a stack file; StackFileError names what is wrong with it."""
    path = Path(path)
    config = read_stack_file(path) if config is None else config
    try:
        monitor = RecordingMonitor(FirstPreviewMocks()) if preview else None
        recorded = run_stack_file(
            config, stack=stack or stack_name_of(path), monitor=monitor, preview=preview
        )
    except pulumi.RunError as error:
        raise StackFileError(f"{path}: {error}") from None
    return recorded, config


def load_policy_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise PolicyConfigError(f"cannot read policy config {path}: {error}") from None
    if not isinstance(document, dict):
        raise PolicyConfigError(f"{path}: a policy pack config is a JSON object")
    return document


def analyze_stack_file(
    path: Path = PROD_STACK_FILE,
    *,
    stack: str | None = None,
    policy_config: Mapping[str, Any] | Path | None = None,
    preview: bool = False,
) -> PolicyReport:
    """Record the program against a stack file and run the whole pack over it.

    Raises StackFileError (bad stack file) or PolicyConfigError (bad pack config).
    """
    if policy_config is None or isinstance(policy_config, Path | str):
        policy_config = load_policy_config(Path(policy_config) if policy_config else None)
    config = read_stack_file(path)
    # A bad pack config fails here, before the program runs.
    pack_analyzer(merge_policy_config(stack_policy_config(config), policy_config))
    recorded, config = record_stack_file(path, stack=stack, preview=preview, config=config)
    return analyze_recorded(
        recorded, stack_config=config, policy_config=policy_config, preview=preview
    )


def policy_table() -> str:
    """The README's table of policies: level, control, config keys and defaults, from the pack."""
    pack = _load_pack()
    lines = [
        "| Policy | Checks | Level | Control | Config keys (default) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for policy in pack.ALL_POLICIES:
        level = (policy.enforcement_level or pack.PACK_ENFORCEMENT_LEVEL).value
        control = policy.description.rsplit("[", 1)[-1].rstrip().rstrip("]")
        schema = policy.config_schema.properties if policy.config_schema else {}
        knobs = "<br>".join(f"`{k}` (`{json.dumps(v.get('default'))}`)" for k, v in schema.items())
        kind = "stack" if isinstance(policy, StackValidationPolicy) else "resource"
        lines.append(f"| `{policy.name}` | {kind} | {level} | {control} | {knobs or '—'} |")
    return "\n".join(lines)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m offline.policy_runner",
        description="Run the erlmcp policy pack over a stack, offline.",
    )
    parser.add_argument("--stack", default=None, help="stack name (default: from the file name)")
    parser.add_argument(
        "--config", type=Path, default=None, help="stack file (default: Pulumi.<stack>.yaml)"
    )
    parser.add_argument(
        "--policy-config", type=Path, default=None, help="pack config JSON (--policy-pack-config)"
    )
    parser.add_argument(
        "--preview", action="store_true", help="run the program as a preview (unknown outputs)"
    )
    parser.add_argument(
        "--print-policy-config",
        action="store_true",
        help="print the pack config this stack implies (for pulumi --policy-pack-config) and exit",
    )
    parser.add_argument(
        "--list-policies",
        action="store_true",
        help="print the pack's policies as the markdown table in policies/README.md and exit",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    path = stack_file_of(args.stack, args.config)
    if args.list_policies:
        print(policy_table())
        return 0
    try:
        if args.print_policy_config:
            config = stack_policy_config(read_stack_file(path))
            merged = merge_policy_config(config, load_policy_config(args.policy_config))
            print(json.dumps(merged, indent=2))
            return 0
        report = analyze_stack_file(
            path, stack=args.stack, policy_config=args.policy_config, preview=args.preview
        )
    except (StackFileError, PolicyConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report.format())
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
