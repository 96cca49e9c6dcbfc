"""The dry run's offline plan: every step of a rollout rendered the way `make plan` renders the
stack (the real program under the SDK's mock runtime) and compared with the step before, so the
dry run shows what each step changes in the program's own terms, and refuses a step that would
change more than the rollout may (`driver.allowed`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from offline.recorder import RecordedStack
from offline.stacks import run_stack_file
from operations.outage import changed_resources
from operations.rollout.plan import Change, RolloutPlan, allowed
from operations.rollout.state import with_state

Render = Callable[[dict[str, Any]], RecordedStack]
_OPS = {"create": "create", "update": "update", "delete": "delete"}


def render_offline(config: dict[str, Any]) -> RecordedStack:
    return run_stack_file(config)


def offline_plan_lines(
    plan: RolloutPlan, config: dict[str, Any], render: Render = render_offline
) -> tuple[list[str], bool]:
    """One line per remaining step with what its offline plan changes; False when a step would
    change something it may not."""
    lines = ["Offline plan of each step (the program rendered as `make plan` renders it):"]
    ok = True
    before = render(config)
    for index, step in enumerate(plan.steps[plan.start :], start=plan.start + 1):
        after = render(with_state(config, plan.state_of(step), plan.version_of(step)))
        by_urn = {**before.by_urn(), **after.by_urn()}
        changes = [
            Change(op=_OPS[op], urn=urn, type=by_urn[urn].type)
            for urn, op in sorted(changed_resources(before, after).items())
        ]
        refused = [c for c in changes if not allowed(c, step)]
        names = ", ".join(f"{c.name} ({c.op})" for c in changes) or "nothing"
        lines.append(f"  {index}. {step.label}: {names}")
        if refused:
            ok = False
            lines.append(
                "     REFUSED: the step may not change "
                + ", ".join(f"{c.name} ({c.op})" for c in refused)
            )
        before = after
    return lines, ok
