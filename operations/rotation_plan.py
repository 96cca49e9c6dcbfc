"""The steps of a secret rotation, from where the stack file stands to the end, and what each step
may change (the rotation's model: regions/config/secrets.py; what each step renders:
regions/rotation.py). Nothing here touches a stack: operations/rotation_driver.py carries the
steps out, `make rotate DRY_RUN=1` renders them (operations/rotate.py).

Steps: `prepare` (the new value made, and accepted by its store beside the old one), `roll`
wave by wave (the releases of the wave's regions restart onto it), `retire` (the store drops the
old value; a database password and a Redis token only), and `finish`, which raises the
generation in `secrets.generations` and removes the rotation: the program then renders what the
last step left, so nothing changes but the removal of a finished role Job.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from offline.stacks import PROJECT
from operations.stack_file import StackFileError, edit_stack_file, stack_config
from regions.config import StackConfig
from regions.config.secrets import REGIONAL_SECRETS, SECRET_NAMES, SecretName
from regions.rotation import default_waves, retires_in_store

SECRETS_KEY = f"{PROJECT}:secrets"
PREPARE, ROLL, RETIRE, FINISH = "prepare", "roll", "retire", "finish"

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
DATABASE_TYPES = ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster")
K8S_SECRET = "kubernetes:core/v1:Secret"
K8S_CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
ROLE_JOB_COMPONENT = "erlmcp:components:PostgresRoleJob"
REPLACE_OPS = frozenset({"replace", "create-replacement", "delete-replaced"})


@dataclass(frozen=True)
class Step:
    kind: str
    wave: int = 0
    regions: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if self.kind == ROLL:
            return f"roll wave {self.wave} ({', '.join(self.regions)})"
        return self.kind


@dataclass(frozen=True)
class Change:
    """A resource a step makes the engine act on (a preview event or an offline diff)."""

    op: str
    """create, update, replace or delete (the engine's replace family counts as replace)."""
    type: str
    name: str
    urn: str = ""


@dataclass(frozen=True)
class RotationPlan:
    stack: str
    stack_file: Path
    secret: SecretName
    region: str | None
    generation: int
    """The generation in service before the rotation."""
    waves: tuple[tuple[str, ...], ...]
    steps: tuple[Step, ...]
    start: int
    """The first step this run carries out (the step in progress, when resuming)."""
    resumed: bool

    @property
    def to(self) -> int:
        return self.generation + 1

    @property
    def title(self) -> str:
        scope = f" of {self.region}" if self.region else ""
        return f"{self.secret}{scope}: generation {self.generation} -> {self.to}"

    def rotation_of(self, step: Step) -> dict[str, Any] | None:
        """The `secrets.rotation` mapping the step writes (None at the finish)."""
        if step.kind == FINISH:
            return None
        mapping: dict[str, Any] = {"secret": self.secret}
        if self.region is not None:
            mapping["region"] = self.region
        mapping.update(to=self.to, step=step.kind)
        if step.kind == ROLL:
            mapping["wave"] = step.wave
        mapping["waves"] = [list(wave) for wave in self.waves]
        return mapping

    def config_at(self, config: dict[str, Any], step: Step) -> dict[str, Any]:
        """The stack file's config as the step leaves it, in memory."""
        changed = copy.deepcopy(config)
        secrets = dict(changed.get(SECRETS_KEY) or {})
        rotation = self.rotation_of(step)
        if rotation is None:
            secrets.pop("rotation", None)
            secrets["generations"] = self._raised(secrets.get("generations") or {})
        else:
            secrets["rotation"] = rotation
        changed[SECRETS_KEY] = secrets
        return changed

    def _raised(self, generations: dict[str, Any]) -> dict[str, Any]:
        raised = copy.deepcopy(generations)
        if self.region is None:
            raised[self.secret] = self.to
        else:
            raised.setdefault(self.secret, {})[self.region] = self.to
        return raised


def plan_rotation(
    config: dict[str, Any],
    *,
    stack: str,
    stack_file: Path,
    secret: str,
    region: str | None,
) -> RotationPlan:
    """The steps from where the stack file stands; StackFileError, before anything is written,
    for anything the rotation cannot start or go on with."""
    if secret not in SECRET_NAMES:
        raise StackFileError(f"unknown secret {secret!r}: one of {', '.join(SECRET_NAMES)}")
    parsed = stack_config(config)
    the_secret: SecretName = secret  # type: ignore[assignment]
    _check_scope(the_secret, region, parsed)
    rotation = parsed.secrets.rotation
    if rotation is not None and (rotation.secret, rotation.region) != (secret, region):
        scope = f" REGION={rotation.region}" if rotation.region else ""
        raise StackFileError(
            f"a rotation of {rotation.secret}{scope} is in progress (step {rotation.step}): "
            f"finish it first (make rotate SECRET={rotation.secret}{scope})"
        )
    _check_dr_stages(parsed, the_secret, region)
    waves = (
        tuple(map(tuple, rotation.waves))
        if rotation is not None
        else tuple(map(tuple, default_waves(parsed, the_secret, region)))
    )
    steps = _steps(the_secret, waves)
    start = 0
    if rotation is not None:
        kind, wave = rotation.step, rotation.wave
        start = next(i for i, s in enumerate(steps) if (s.kind, s.wave) == (kind, wave))
    generation = parsed.secrets.generation(the_secret, region)
    plan = RotationPlan(
        stack=stack,
        stack_file=stack_file,
        secret=the_secret,
        region=region,
        generation=generation,
        waves=waves,
        steps=steps,
        start=start,
        resumed=rotation is not None,
    )
    for step in plan.steps[plan.start :]:
        try:
            stack_config(plan.config_at(config, step))
        except StackFileError as error:
            raise StackFileError(f"the program would refuse {step.label}: {error}") from None
    return plan


def _steps(secret: SecretName, waves: tuple[tuple[str, ...], ...]) -> tuple[Step, ...]:
    steps = [Step(PREPARE)]
    steps += [Step(ROLL, number, wave) for number, wave in enumerate(waves, start=1)]
    if retires_in_store(secret):
        steps.append(Step(RETIRE))
    steps.append(Step(FINISH))
    return tuple(steps)


def _check_scope(secret: SecretName, region: str | None, stack: StackConfig) -> None:
    serving = [name for name, r in stack.regions.items() if r.serving]
    if secret in REGIONAL_SECRETS:
        if region is None:
            raise StackFileError(
                f"{secret} belongs to a serving region: give REGION= (one of {', '.join(serving)})"
            )
        if region not in serving:
            raise StackFileError(
                f"{region} is not a serving region of this stack ({', '.join(serving)})"
            )
    elif region is not None:
        raise StackFileError(f"{secret} is the whole fleet's: leave REGION out")


def _check_dr_stages(stack: StackConfig, secret: SecretName, region: str | None) -> None:
    """A failed-over pair runs its traffic from the standby release with the other side fenced:
    the waves would restart the wrong side first. Fail back first."""
    pairs = [p for p in stack.dr_pairs if region is None or p.primary == region]
    moving = [p for p in pairs if stack.dr_stage(p) != "normal"]
    if moving:
        names = ", ".join(f"{p.primary} ({stack.dr_stage(p)})" for p in moving)
        raise StackFileError(
            f"{names} is failed over or failing back: rotate {secret} once the pair is back "
            "to normal (docs/failover.md)"
        )


def write_step(path: Path, plan: RotationPlan, step: Step) -> None:
    """Write the step into the stack file, keeping comments and layout (operations/stack_file.py);
    a new `secrets` key goes at the end of `config:`."""

    def change(config: CommentedMap) -> None:
        secrets = config.get(SECRETS_KEY)
        if not isinstance(secrets, dict):
            secrets = CommentedMap()
            config[SECRETS_KEY] = secrets
        rotation = plan.rotation_of(step)
        if rotation is None:
            secrets.pop("rotation", None)
            _raise_generation(secrets, plan)
            return
        mapping = CommentedMap(rotation)
        waves = CommentedSeq([_flow(list(wave)) for wave in rotation["waves"]])
        waves.fa.set_flow_style()
        mapping["waves"] = waves
        mapping.fa.set_flow_style()
        secrets["rotation"] = mapping

    edit_stack_file(path, change)


def _raise_generation(secrets: CommentedMap, plan: RotationPlan) -> None:
    generations = secrets.get("generations")
    if not isinstance(generations, dict):
        generations = CommentedMap()
        secrets.insert(0, "generations", generations)
    if plan.region is None:
        generations[plan.secret] = plan.to
        return
    scoped = generations.get(plan.secret)
    if not isinstance(scoped, dict):
        scoped = CommentedMap()
        scoped.fa.set_flow_style()
        generations[plan.secret] = scoped
    scoped[plan.region] = plan.to


def _flow(values: list[str]) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


# -- what a step may change ------------------------------------------------------------------


def release_names(stack: StackConfig, plan: RotationPlan, host: str) -> list[str]:
    """The releases hosted in `host` that use the secret (regions/region.py names them)."""
    if plan.region is not None:
        return [
            f"{host}-erlmcp" if host == plan.region else f"{host}-standby-of-{plan.region}-erlmcp"
        ]
    names = [f"{host}-erlmcp"] if stack.regions[host].serving else []
    names += [f"{host}-standby-of-{p.primary}-erlmcp" for p in stack.dr_pairs if p.standby == host]
    return names


def allowed(change: Change, stack: StackConfig, plan: RotationPlan, step: Step) -> bool:
    """Whether `step` may make `change`. Never a replacement or removal of anything stateful:
    only the secret's RandomPasswords, its stores' password inputs (in place), the role Job,
    and the wave's releases' Secret, ConfigMap (the database user) and StatefulSet."""
    role_job = plan.secret == "db-password" and (change.name.startswith(f"{plan.region}-db-roles"))
    if role_job and (change.op == "delete" or step.kind in (PREPARE, RETIRE)):
        return True
    if step.kind == FINISH:
        return False
    if step.kind == ROLL:
        return _rolls(change, stack, plan, step)
    if change.type == RANDOM_PASSWORD:
        return change.op in ("create", "replace") and change.name in _slot_names(plan, step)
    if change.op != "update":
        return False
    primary = plan.region
    if plan.secret == "redis-auth-token" and change.type == REPLICATION_GROUP:
        return change.name in (f"{primary}-redis-group", *_standby_groups(stack, plan))
    if plan.secret == "db-password" and step.kind == RETIRE and change.type in DATABASE_TYPES:
        return change.name.startswith(f"{primary}-")
    return False


def _slot_names(plan: RotationPlan, step: Step) -> tuple[str, ...]:
    base = plan.secret if plan.region is None else f"{plan.region}-{plan.secret}"
    if step.kind == RETIRE and plan.secret == "db-password":
        return (f"{plan.region}-db-master-password",)
    return (base, f"{base}-b") if step.kind == PREPARE else ()


def _standby_groups(stack: StackConfig, plan: RotationPlan) -> tuple[str, ...]:
    return tuple(
        f"{p.standby}-standby-of-{p.primary}-redis-group"
        for p in stack.dr_pairs
        if p.primary == plan.region
    )


def _rolls(change: Change, stack: StackConfig, plan: RotationPlan, step: Step) -> bool:
    releases = [name for host in step.regions for name in release_names(stack, plan, host)]
    expected = {
        (STATEFULSET, "update"): "statefulset",
        (K8S_SECRET, "replace"): "secrets",
    }
    if plan.secret == "db-password":
        expected[(K8S_CONFIG_MAP, "replace")] = "config"  # the database user
    suffix = expected.get((change.type, change.op))
    return suffix is not None and change.name in {f"{r}-{suffix}" for r in releases}


def normalised(op: str) -> str:
    return "replace" if op in REPLACE_OPS else op
