"""`python -m planning.budget [Pulumi.<stack>.yaml]`: each DR pair's RTO/RPO budget
(regions/dr_budget.py) as a Markdown table, the one docs/failover.md shows, then what a
point-in-time restore of each pair's primary costs (the table docs/restore.md shows); exits 1
when a pair misses its target, 2 when the stack file is invalid."""

from __future__ import annotations

import sys
from pathlib import Path

from offline.stacks import project_values, stack_file_config
from regions.config import ConfigError, parse_stack_config
from regions.dr_budget import budget_table, restore_costs, restore_table, stack_budget


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "Pulumi.prod.yaml")
    try:
        stack = parse_stack_config(project_values(stack_file_config(path)))
    except ConfigError as error:
        print(f"{path}: invalid stack configuration:\n{error}", file=sys.stderr)
        return 2
    budgets = stack_budget(stack)
    print(budget_table(budgets))
    print()
    print(restore_table(restore_costs(stack)))
    return 0 if all(b.meets_targets for b in budgets) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
