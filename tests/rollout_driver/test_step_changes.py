"""What a step may change (operations/rollout/plan.py `allowed`), the rule both the driver's preview
check and the dry run's offline plan apply: a canary moves only its regions' own StatefulSets, the
full step also the standby releases of its primaries, the finish nothing; never a replacement."""

from __future__ import annotations

import pytest

from operations.names import own_statefulset_name, standby_statefulset_name
from operations.rollout.plan import CANARY, FINISH, FULL, STATEFULSET, Change, Step, allowed

URN = "urn:pulumi:prod::erlmcp-infra::erlmcp:components:ErlmcpRelease${}::{}"
US_CANARY = Step(CANARY, 1, ("us-east-1",), canary_pods=1)
US_FULL = Step(FULL, 1, ("us-east-1",))
FINISHED = Step(FINISH, 2, ())
OWN = own_statefulset_name("us-east-1")
ITS_STANDBY = standby_statefulset_name("us-west-2", "us-east-1")
OTHER_STANDBY = standby_statefulset_name("eu-central-1", "eu-west-1")
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
INTERLOCK = "us-west-2-autofailover-signals-blocked-for-us-east-1"


def change(name: str, op: str = "update", type_: str = STATEFULSET) -> Change:
    return Change(op=op, urn=URN.format(type_, name), type=type_)


@pytest.mark.parametrize(
    ("step", "made", "may"),
    [
        (US_CANARY, change(OWN), True),
        (US_CANARY, change(ITS_STANDBY), False),
        (US_CANARY, change(own_statefulset_name("eu-west-1")), False),
        (US_CANARY, change(OTHER_STANDBY), False),
        (US_FULL, change(OWN), True),
        (US_FULL, change(ITS_STANDBY), True),
        (US_FULL, change(OTHER_STANDBY), False),
        (US_FULL, change(own_statefulset_name("eu-west-1")), False),
        (FINISHED, change(OWN), False),
        (FINISHED, change(ITS_STANDBY), False),
        # Only in-place updates: a replacement restarts every pod at once.
        (US_CANARY, change(OWN, "replace"), False),
        (US_FULL, change(ITS_STANDBY, "create-replacement"), False),
        (US_FULL, change(OWN, "delete"), False),
        # Nothing but the releases' StatefulSets.
        (US_FULL, change(OWN, type_="kubernetes:apps/v1:Deployment"), False),
        (US_FULL, change("us-east-1-network-vpc", "update", "aws:ec2/vpc:Vpc"), False),
        # The automatic failover's interlocks close at the first step and open at the finish
        # (a rollout holds the Region switch triggers); no other alarm, and never replaced.
        (US_CANARY, change(INTERLOCK, type_=COMPOSITE), True),
        (FINISHED, change(INTERLOCK, type_=COMPOSITE), True),
        (FINISHED, change(INTERLOCK, "replace", COMPOSITE), False),
        (FINISHED, change("us-west-2-alarms-x", type_=COMPOSITE), False),
    ],
    ids=lambda value: value.label if isinstance(value, Step) else None,
)
def test_what_a_step_may_change(step: Step, made: Change, may: bool) -> None:
    assert allowed(made, step) is may
