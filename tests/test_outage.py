"""A failover while the failed region is down, for every DR pair of prod: the failover stack
renders with that region answering every invoke, read and provider configure with an error, and
the targeted update to the standby region needs nothing from it, changes nothing in Route 53 and
nothing stateful beyond the promotion. The harness itself is tested first: it must catch each
kind of call, or the pair tests could not fail."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from offline.recorder import RecordedStack, RecordingMonitor, run_program
from offline.stacks import PROD_STACK_FILE, stack_file_config
from operations.failover_environment import (
    secrets_key_problems,
    secrets_key_regions,
    secrets_provider_of,
)
from operations.outage import (
    Call,
    OutageMocks,
    RegionDown,
    calls_into,
    changed_resources,
    skipped_creates_needed,
    targeted_operations,
    targeted_set,
)
from regions.providers import GLOBAL_SERVICES_REGION
from tests.conftest import STATEFUL_TYPES, recorded_resource

PAIRS = [(p["primary"], p["standby"]) for p in stack_file_config()["erlmcp-infra:drPairs"]]


def render_down(program, region: str = "eu-west-1", strict: bool = True):
    mocks = OutageMocks(failed=frozenset({region}), strict=strict)
    recorded = run_program(program, monitor=RecordingMonitor(mocks))
    return recorded, mocks.calls


def provider_skipping_sts(name: str = "aws-eu-west-1") -> aws.Provider:
    """An eu-west-1 provider that makes no STS call when it is configured (a failed-over
    primary's, regions/providers.py): only what goes through it can reach the region."""
    return aws.Provider(
        name,
        region="eu-west-1",
        skip_credentials_validation=True,
        skip_requesting_account_id=True,
    )


# --- the harness catches each kind of call ----------------------------------------------------


def test_an_invoke_into_the_failed_region_is_an_error():
    def program():
        provider = provider_skipping_sts()
        aws.get_availability_zones_output(
            region="eu-west-1", opts=pulumi.InvokeOutputOptions(provider=provider)
        ).names.apply(lambda names: names)

    with pytest.raises(
        Exception, match="eu-west-1 is down: invoke of aws:index/getAvailabilityZones"
    ):
        render_down(program)


def test_an_invoke_through_a_provider_of_the_failed_region_is_an_error():
    def program():
        provider = provider_skipping_sts()
        aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider))

    with pytest.raises(Exception, match="eu-west-1 is down: invoke of aws:index/getCallerId"):
        render_down(program)


def test_a_provider_that_validates_credentials_there_fails_its_configure():
    def program():
        aws.Provider("aws-eu-west-1", region="eu-west-1", allowed_account_ids=["123456789012"])

    with pytest.raises(Exception, match="eu-west-1 is down: configure of provider aws-eu-west-1"):
        render_down(program)


def test_skipping_only_the_credentials_check_still_looks_up_the_account():
    # terraform-provider-aws then asks IAM and STS for the account id (regions/providers.py).
    def program():
        aws.Provider("aws-eu-west-1", region="eu-west-1", skip_credentials_validation=True)

    _, calls = render_down(program, strict=False)
    assert calls == [Call("configure", "eu-west-1", "provider aws-eu-west-1")]


def test_a_resource_on_the_default_provider_configures_it_in_its_region():
    def program():
        aws.s3.Bucket("b", region="eu-west-1")

    _, calls = render_down(program, region="us-east-1", strict=False)
    assert calls == [Call("configure", "us-east-1", "the default aws provider")]


def test_a_read_of_a_resource_in_the_failed_region_is_an_error():
    def program():
        aws.s3.Bucket.get(
            "b",
            "bucket-name",
            opts=pulumi.ResourceOptions(provider=provider_skipping_sts("p")),
        )

    with pytest.raises(Exception, match="eu-west-1 is down: read of"):
        render_down(program)


def test_nothing_in_other_regions_is_an_error():
    def program():
        provider = aws.Provider("aws-us-west-2", region="us-west-2")
        aws.s3.Bucket("b", region="us-west-2", opts=pulumi.ResourceOptions(provider=provider))

    _, calls = render_down(program)
    assert calls == []


def test_region_down_is_what_the_failover_command_reports():
    assert issubclass(RegionDown, Exception)


# --- the targeted update, on a small graph ---------------------------------------------------


def _stack(*resources: tuple[str, str | None, list[str], dict]) -> RecordedStack:
    return RecordedStack(
        project="p",
        stack="s",
        resources=[
            recorded_resource(
                urn, "aws:s3/bucket:Bucket", region=region, inputs=inputs, dependencies=deps
            )
            for urn, region, deps, inputs in resources
        ],
    )


def test_target_dependents_reach_what_depends_on_a_target_and_the_model_counts_it():
    before = _stack(("a", "west", [], {"x": 1}), ("b", "east", ["a"], {"y": 1}))
    after = _stack(("a", "west", [], {"x": 2}), ("b", "east", ["a"], {"y": 2}))
    assert targeted_set(after, before, ["a"]) == {"a", "b"}
    assert [(o.urn, o.op, o.region) for o in targeted_operations(before, after, ["a"])] == [
        ("a", "update", "west"),
        ("b", "update", "east"),
    ]
    assert [c.what for c in calls_into("east", before, after, ["a"])] == ["update b"]


def test_an_untargeted_creation_a_target_needs_stops_the_engine():
    before = _stack(("a", "west", [], {"x": 1}))
    after = _stack(("a", "west", ["n"], {"x": 2}), ("n", "east", [], {}))
    assert changed_resources(before, after) == {"a": "update", "n": "create"}
    assert skipped_creates_needed(before, after, ["a"]) == ["a needs n"]
    assert skipped_creates_needed(before, after, ["a", "n"]) == []


# --- every pair of prod ----------------------------------------------------------------------


@pytest.fixture(scope="module", params=PAIRS, ids=[f"{p}-to-{s}" for p, s in PAIRS])
def pair(request, prod_stack, dr_stage_stack):
    primary, standby = request.param
    # dr_stage_stack renders a failover with the primary's region down (tests/conftest.py):
    # any invoke, read or provider configure there would have failed the recording.
    return primary, standby, prod_stack, dr_stage_stack(primary, "failover")


def standby_targets(before: RecordedStack, after: RecordedStack, standby: str) -> list[str]:
    by_urn = {**before.by_urn(), **after.by_urn()}
    return sorted(u for u in changed_resources(before, after) if by_urn[u].region == standby)


def test_the_failover_renders_while_the_primary_is_down(pair):
    primary, _, _, failed_over = pair
    providers = {r.name: r for r in failed_over.resources if r.is_provider}
    assert providers[f"aws-{primary}"].plain_inputs["skipCredentialsValidation"] == "true"


def test_the_stack_loads_with_aws_region_set_to_the_standby(pair):
    # Pulumi decrypts the stack's secrets with the key in the region AWS_REGION names, the
    # standby's in the failover's commands (operations/failover_environment.py): the erlmcp-state
    # stack must have put a replica there, and the failed region must not be the one asked.
    primary, standby, _, _ = pair
    url = secrets_provider_of(PROD_STACK_FILE)
    assert url and url.startswith("awskms://")
    assert secrets_key_problems(url, secrets_key_regions(), standby, {primary}) == []
    # The same lookup fails when the key is only where the outage is.
    assert secrets_key_problems(url, {primary}, primary, {primary})


def test_the_targeted_update_needs_nothing_from_the_failed_region(pair):
    primary, standby, before, after = pair
    targets = standby_targets(before, after, standby)
    assert targets
    assert calls_into(primary, before, after, targets) == []
    assert skipped_creates_needed(before, after, targets) == []
    regions = {op.region for op in targeted_operations(before, after, targets)}
    assert regions == {standby}  # nothing global (us-east-1's IAM and Route 53 APIs) either


def test_the_failover_changes_nothing_in_route53_and_nothing_stateful_but_the_promotion(pair):
    _, standby, before, after = pair
    by_urn = {**before.by_urn(), **after.by_urn()}
    changes = changed_resources(before, after)
    assert not [u for u in changes if by_urn[u].type.startswith("aws:route53/")]
    assert not [u for u in changes if by_urn[u].region is None]
    stateful = {u: op for u, op in changes.items() if by_urn[u].type in STATEFUL_TYPES}
    # The promoted copy (an RDS replica or an Aurora secondary) is updated in place, nothing
    # stateful is created or deleted (tests/test_failover.py checks which inputs change).
    assert set(stateful.values()) == {"update"}
    assert {by_urn[u].region for u in stateful} == {standby}


def test_what_the_targets_leave_is_the_failed_regions_release(pair):
    primary, standby, before, after = pair
    targets = standby_targets(before, after, standby)
    by_urn = {**before.by_urn(), **after.by_urn()}
    left = {
        by_urn[u].name: op
        for u, op in changed_resources(before, after).items()
        if u not in targeted_set(after, before, targets)
    }
    assert left == {f"{primary}-erlmcp-statefulset": "update", f"{primary}-erlmcp-hpa": "delete"}


def test_global_services_live_where_the_outage_of_us_east_1_would_stop_them(prod_stack):
    providers = {r.urn: r for r in prod_stack.resources if r.is_provider}
    for resource in prod_stack.resources:
        if resource.type.startswith(("aws:iam/", "aws:route53/")):
            provider = providers[resource.provider.rsplit("::", 1)[0]]
            assert provider.name == "aws-global", resource.urn
            assert provider.plain_inputs["region"] == GLOBAL_SERVICES_REGION
