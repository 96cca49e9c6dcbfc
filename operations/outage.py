"""What a failover update asks of the region that failed, rendered the way the Pulumi engine runs
it while that region is down.

A `pulumi up --target ... --target-dependents` during an outage still runs the whole program, and
the engine still handles every provider (pulumi/pulumi pkg/resource/deploy/step_generator.go:
providers and the root stack are "implicitly targeted", lines 1287-1300; a provider that is the
same is loaded and configured by providers/registry.go `Same`, line 861). What it skips is the
untargeted resources: their `Check` is stubbed with the old inputs (step_generator.go lines
1308-1318), no `Diff` runs and they get a SameStep (lines 1560-1580), an untargeted creation is
skipped (lines 480-540) and an untargeted deletion is kept (lines 2440-2455). So during an outage
the program fails if it makes any of these calls into the failed region:

- an invoke (a data-source read) executed there, or through a provider configured there;
- a provider configure that calls AWS: pulumi-aws validates credentials through STS unless
  `skipCredentialsValidation`, terraform-provider-aws looks up the account id unless
  `skip_requesting_account_id` as well (regions/providers.py has the sources). A Kubernetes
  provider whose cluster cannot be reached does not fail its configure: pulumi-kubernetes marks
  the cluster unreachable and fails only operations on it (provider/pkg/provider/provider.go
  lines 988-999, 1706-1707), so it is counted apart, as a tolerated attempt;
- a resource read (`get`, an import) there;
- an operation (create, update, delete) the targeted update carries out on a resource there, or
  on a global service (IAM, Route 53), whose API is in us-east-1.

`OutageMocks` answers the first three the way an outage would (an error), or only counts them;
`targeted_operations` and `calls_into` work out the fourth from the plans before and after.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

from offline.mocks import DEFAULT_REGION, RealisticMocks
from offline.recorder import RecordedResource, RecordedStack, RecordingMonitor, reveal
from regions.providers import GLOBAL_PROVIDER, GLOBAL_SERVICES_REGION

CallKind = Literal["invoke", "configure", "read", "operation", "tolerated"]


class RegionDown(Exception):
    """What the failed region answers (the shape of the SDK's own error for a dead endpoint)."""


@dataclass(frozen=True)
class Call:
    kind: CallKind
    region: str
    what: str


def _flag(value: Any) -> bool:
    """A provider's boolean input, which the SDK sends as JSON text ("true")."""
    value = reveal(value)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return False
    return value is True


def configure_calls_aws(inputs: dict[str, Any]) -> bool:
    """Whether an AWS provider with these inputs calls STS (or IAM) when it is configured."""
    return not (
        _flag(inputs.get("skipCredentialsValidation"))
        and _flag(inputs.get("skipRequestingAccountId"))
    )


@dataclass
class OutageMocks(RealisticMocks):
    """RealisticMocks with `failed` regions down: each call the engine would make into them
    raises `RegionDown` (strict) or is only counted (to measure a program that is not yet fit).

    `default_region` is where a default provider would be configured (the old `aws:region`)."""

    failed: frozenset[str] = frozenset()
    strict: bool = True
    default_region: str = DEFAULT_REGION
    calls: list[Call] = field(default_factory=list)
    _provider_regions: dict[str, str] = field(default_factory=dict)
    _default_configured: bool = False

    def _attempt(self, kind: CallKind, region: str | None, what: str) -> None:
        if region not in self.failed:
            return
        call = Call(kind, region, what)
        self.calls.append(call)
        if self.strict and kind != "tolerated":
            raise RegionDown(f"{region} is down: {kind} of {what}")

    def _provider_region(self, reference: str) -> str:
        if not reference:
            self._configure_default_provider()
            return self.default_region
        name = reference.split("::")[-2]
        return self._provider_regions.get(name, self.default_region)

    def _configure_default_provider(self) -> None:
        if not self._default_configured:
            self._default_configured = True
            self._attempt("configure", self.default_region, "the default aws provider")

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = reveal(dict(args.inputs))
        if args.typ == "pulumi:providers:aws":
            region = inputs.get("region") or self.default_region
            self._provider_regions[args.name] = region
            if configure_calls_aws(inputs):
                self._attempt("configure", region, f"provider {args.name}")
        elif args.typ == "pulumi:providers:kubernetes":
            region = RecordingMonitor.kubeconfig_region(inputs.get("kubeconfig"))
            self._attempt("tolerated", region, f"cluster discovery of provider {args.name}")
        elif args.custom and args.typ.startswith("aws:") and not args.provider:
            self._configure_default_provider()
        if args.resource_id:
            region = inputs.get("region") or self._provider_region(args.provider or "")
            self._attempt("read", region, f"{args.typ} {args.name}")
        return super().new_resource(args)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list]:
        region = reveal(args.args).get("region") if isinstance(args.args, dict) else None
        through = self._provider_region(args.provider or "")
        # The invoke runs where its arguments say, through a provider configured where it is.
        self._attempt("invoke", region or through, args.token)
        if region and region != through:
            self._attempt("invoke", through, f"{args.token} (through its provider)")
        return super().call(args)


# --- what a targeted update operates on ------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    urn: str
    op: Literal["create", "update", "delete"]
    region: str | None
    """Where the operation's API calls go (global services: us-east-1); None: nowhere (random)."""


def failure_domain(
    resource: RecordedResource, providers: dict[str, RecordedResource]
) -> str | None:
    """The region whose APIs an operation on `resource` needs."""
    if resource.region:
        return resource.region
    if resource.provider:
        provider = providers.get(resource.provider.rsplit("::", 1)[0])
        if provider is not None and provider.name == GLOBAL_PROVIDER:
            return GLOBAL_SERVICES_REGION
    if resource.type.startswith("aws:"):
        return GLOBAL_SERVICES_REGION  # an IAM or Route 53 resource on any provider
    return None


def changed_resources(before: RecordedStack, after: RecordedStack) -> dict[str, str]:
    """URN -> create, update or delete, for custom resources (providers apart)."""
    old, new = before.by_urn(), after.by_urn()
    changes: dict[str, str] = {}
    for urn, resource in new.items():
        if not resource.custom or resource.is_provider:
            continue
        if urn not in old:
            changes[urn] = "create"
        elif old[urn].inputs != resource.inputs:
            changes[urn] = "update"
    for urn, resource in old.items():
        if resource.custom and not resource.is_provider and urn not in new:
            changes[urn] = "delete"
    return changes


def targeted_set(
    after: RecordedStack, before: RecordedStack, targets: Iterable[str], dependents: bool = True
) -> set[str]:
    """The explicit targets and, with `--target-dependents`, everything depending on them:
    children, dependencies, property dependencies and provider (step_generator.go
    `isTargetedForUpdate`; for deletions the old graph, `getTargetDependents`)."""
    targeted = set(targets)
    if not dependents:
        return targeted
    graph: dict[str, set[str]] = {}
    for stack in (after, before):
        for resource in stack.resources:
            edges = graph.setdefault(resource.urn, set())
            edges.update(resource.dependencies)
            for urns in resource.property_dependencies.values():
                edges.update(urns)
            if resource.parent:
                edges.add(resource.parent)
            if resource.provider:
                edges.add(resource.provider.rsplit("::", 1)[0])
    grew = True
    while grew:
        grew = False
        for urn, edges in graph.items():
            if urn not in targeted and edges & targeted:
                targeted.add(urn)
                grew = True
    return targeted


def targeted_operations(
    before: RecordedStack, after: RecordedStack, targets: Iterable[str]
) -> list[Operation]:
    """What `pulumi up --target <targets> --target-dependents` creates, updates or deletes."""
    targeted = targeted_set(after, before, targets)
    providers = {r.urn: r for r in [*before.resources, *after.resources] if r.is_provider}
    resources = {**before.by_urn(), **after.by_urn()}
    return [
        Operation(urn, op, failure_domain(resources[urn], providers))  # type: ignore[arg-type]
        for urn, op in sorted(changed_resources(before, after).items())
        if urn in targeted
    ]


def skipped_creates_needed(
    before: RecordedStack, after: RecordedStack, targets: Iterable[str]
) -> list[str]:
    """Targeted resources that depend on a creation the targets leave out: the engine stops the
    update with "untargeted create" (step_generator.go lines 480-540)."""
    targeted = targeted_set(after, before, targets)
    skipped = {
        urn
        for urn, op in changed_resources(before, after).items()
        if op == "create" and urn not in targeted
    }
    problems = []
    for resource in after.resources:
        if resource.urn not in targeted:
            continue
        needs = set(resource.dependencies)
        for urns in resource.property_dependencies.values():
            needs.update(urns)
        problems += [f"{resource.urn} needs {urn}" for urn in sorted(needs & skipped)]
    return problems


def calls_into(
    failed: str, before: RecordedStack, after: RecordedStack, targets: Iterable[str]
) -> list[Call]:
    """The operations of the targeted update that need the failed region's APIs."""
    return [
        Call("operation", failed, f"{op.op} {op.urn}")
        for op in targeted_operations(before, after, targets)
        if op.region == failed
    ]
