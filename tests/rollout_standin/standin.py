"""A stand-in for the Pulumi CLI, run as `pulumi` by the Automation API in
tests/rollout_driver/ (a per-test `bin/pulumi` wrapper execs it, compiled once per package by
conftest.py `standin_bytecode`, with the scenario's path in ROLLOUT_STANDIN_SCENARIO).

It answers what `python -m operations.rollout` makes the Automation API run: `version`, `stack
select`, `stack output --json`, `stack history --json`, `stack export`, `refresh --target` and
`preview` and `up`.

The cluster it pretends to be runs `live_pods` (scenario: region -> the HPA's count, else the
configured pods); `unready` pods of a region are not Ready. A StatefulSet's revisions are named
`erlmcp-cluster-<version, dots as dashes>` (`revision`; the stand-in Prometheus,
tests/rollout_driver/prometheus_standin.py, reads the version back from the name): a partitioned
one's current revision is the fleet's `release.version`, its update revision the version it was
given; without a partition both are the latter, as the StatefulSet controller leaves them once
every pod is updated. `stack export` shows a StatefulSet as
the last `refresh` (or `up`) of it saw the cluster, like Pulumi's state. A refresh of a
partitioned StatefulSet leaves init errors, so the next `preview`/`up` updates it. An `up` of a
canary fails as pulumi-kubernetes' `pulumi.com/waitFor` would when the stack file's count for a
region (livePods, else pods) is not what the region runs.

For `preview` and `up` it
reads the stack file in its working directory and decides, from a small model of what each
release runs (the rules of regions/rollout.py, written again here so the driver is checked
against an independent reading), which erlmcp StatefulSets differ from what it last deployed.
It sends engine events as the CLI does: over gRPC to the `tcp://` address `--event-log` names
(CLI > 3.205) or as JSON lines into the `--event-log` file (older CLIs), resource pre-events for
every StatefulSet (`same` or `update`, or the scenario's op for it) plus what the scenario adds,
a summary, and the final cancel event. Every call is appended to the scenario's `calls` file,
with the rollout state the stack file held and the StatefulSets it reported changing.
"""

from __future__ import annotations

import os
import sys
import time

# Every `pulumi` call starts this file afresh: pathlib and typing would cost a third of its
# start, json (its `re`) nearly half (c_json.py).
from c_json import dumps, loads

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PROJECT = "erlmcp-infra"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
PARENT = "erlmcp:regions:Region$erlmcp:components:ErlmcpRelease"
DATETIME = "%Y-%m-%dT%H:%M:%S.000Z"


def releases(config: dict[str, Any]) -> dict[str, list[Any]]:
    """StatefulSet name -> [version, partition] for a stack file's config."""
    release = str(config[f"{PROJECT}:release"]["version"])
    rollout = config.get(f"{PROJECT}:rollout")
    defaults = config.get(f"{PROJECT}:regionDefaults") or {}
    regions = {
        name: {**defaults, **(settings or {})}
        for name, settings in config[f"{PROJECT}:regions"].items()
    }

    def wave_of(region: str) -> int | None:
        for number, wave in enumerate(rollout["waves"], start=1):
            if region in wave:
                return number
        return None

    def own(region: str, replicas: int) -> list[Any]:
        if not rollout:
            return [release, 0]
        wave = wave_of(region)
        if wave is None or wave > rollout["wave"]:
            return [release, 0]
        canary = rollout.get("canaryPods", 0)
        if wave == rollout["wave"] and canary:
            replicas = (rollout.get("livePods") or {}).get(region, replicas)
            return [str(rollout["version"]), replicas - min(canary, replicas)]
        return [str(rollout["version"]), 0]

    def settled(primary: str) -> str:
        if not rollout:
            return release
        wave = wave_of(primary)
        canary = rollout.get("canaryPods", 0)
        done = wave is not None and (
            wave < rollout["wave"] or (wave == rollout["wave"] and not canary)
        )
        return str(rollout["version"]) if done else release

    result: dict[str, list[Any]] = {}
    for name, settings in regions.items():
        if settings.get("role") == "primary":
            result[f"{name}-erlmcp-statefulset"] = own(name, int(settings.get("pods", 0)))
    for pair in config.get(f"{PROJECT}:drPairs") or []:
        name = f"{pair['standby']}-standby-of-{pair['primary']}-erlmcp-statefulset"
        result[name] = [settled(pair["primary"]), 0]
    return result


def load_config(path: str, root: str) -> dict[str, Any]:
    """The stack file's `config:`. An `up` mostly reads the very text its `preview` read: the
    parse of the last text read is kept (parsed.json), so such a call skips importing PyYAML,
    two thirds of its start. Both ways give the parse as JSON gives it back."""
    with open(path, encoding="utf-8") as stream:
        text = stream.read()
    last = read_json(root, "parsed.json", {})
    if last.get("text") == text:
        return last["config"]
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    config = loads(dumps((yaml.load(text, Loader=loader) or {}).get("config") or {}))
    write_json(root, "parsed.json", {"text": text, "config": config})
    return config


def read_json(root: str, name: str, default: Any) -> Any:
    path = os.path.join(root, name)
    if not os.path.exists(path):
        return default
    with open(path, encoding="utf-8") as stream:
        return loads(stream.read())


def write_json(root: str, name: str, value: Any) -> None:
    with open(os.path.join(root, name), "w", encoding="utf-8") as stream:
        stream.write(dumps(value))


def deployed_state(scenario: dict[str, Any], root: str) -> dict[str, list[Any]]:
    """StatefulSet name -> [version, partition] as last deployed (at first: the initial file)."""
    initial = read_json(root, "deployed.json", None)
    return initial if initial is not None else releases(scenario["initial_config"])


def option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def matches(when: dict[str, Any] | None, config: dict[str, Any]) -> bool:
    """`when` is a subset of the stack file's rollout mapping; None matches no rollout key."""
    rollout = config.get(f"{PROJECT}:rollout")
    if when is None:
        return rollout is None
    return rollout is not None and all(rollout.get(k) == v for k, v in when.items())


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _event_request(text: str) -> bytes:
    """pulumirpc.EventRequest {string event = 1}, encoded by hand (no protobuf import)."""
    data = text.encode("utf-8")
    return b"\x0a" + _varint(len(data)) + data


def send(address: str, events: list[dict[str, Any]]) -> None:
    stamped = [
        {"sequence": n, "timestamp": int(time.time()), **event}
        for n, event in enumerate(events, start=1)
    ]
    if address.startswith("tcp://"):
        import grpc

        with grpc.insecure_channel(address.removeprefix("tcp://")) as channel:
            stream = channel.stream_unary(
                "/pulumirpc.Events/StreamEvents",
                request_serializer=_event_request,
                response_deserializer=lambda data: data,
            )
            stream(iter(dumps(e) for e in stamped), timeout=10)
    else:
        with open(address, "a", encoding="utf-8") as stream:
            for event in stamped:
                stream.write(dumps(event) + "\n")


def pre_event(urn: str, kind: str, op: str, planning: bool) -> dict[str, Any]:
    metadata = {"op": op, "urn": urn, "type": kind, "provider": ""}
    return {"resourcePreEvent": {"metadata": metadata, "planning": planning}}


def program_pods(config: dict[str, Any]) -> dict[str, int]:
    """Region -> the pod count the program sizes its own release to."""
    rollout = config.get(f"{PROJECT}:rollout") or {}
    defaults = config.get(f"{PROJECT}:regionDefaults") or {}
    pods = {
        name: int({**defaults, **(settings or {})}.get("pods", 0))
        for name, settings in config[f"{PROJECT}:regions"].items()
    }
    return {**pods, **(rollout.get("livePods") or {})}


def cluster_pods(scenario: dict[str, Any], region: str) -> int:
    initial = program_pods(scenario["initial_config"])
    return int((scenario.get("live_pods") or {}).get(region, initial.get(region, 0)))


def revision(version: str) -> str:
    """A ControllerRevision's name: `<StatefulSet>-<hash>` in Kubernetes, the version here."""
    return "erlmcp-cluster-" + version.replace(".", "-")


def namespace(scenario: dict[str, Any]) -> str:
    """The namespace of a region's own release (`release.namespace`)."""
    return str(scenario["initial_config"][f"{PROJECT}:release"]["namespace"])


def observed(scenario: dict[str, Any], name: str, version: str, partition: int) -> dict[str, Any]:
    """A region's own StatefulSet's outputs as the cluster shows it now."""
    region = name.removesuffix("-erlmcp-statefulset")
    live = cluster_pods(scenario, region)
    ready = max(0, live - int((scenario.get("unready") or {}).get(region, 0)))
    fleet = str(scenario["initial_config"][f"{PROJECT}:release"]["version"])
    return {
        "metadata": {"name": "erlmcp-cluster", "namespace": namespace(scenario)},
        "spec": {"replicas": live, "updateStrategy": {"rollingUpdate": {"partition": partition}}},
        "status": {
            "replicas": live,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "updatedReplicas": max(0, live - partition),
            "currentRevision": revision(fleet if partition else version),
            "updateRevision": revision(version),
        },
    }


def own_release(name: str) -> bool:
    return "-standby-of-" not in name


def canary_wait_failure(
    scenario: dict[str, Any],
    config: dict[str, Any],
    wanted: dict[str, list[Any]],
    changed: list[str],
) -> str | None:
    """What pulumi.com/waitFor reports when a canary's count is not the cluster's."""
    counts = program_pods(config)
    for name in changed:
        partition = wanted[name][1]
        if not own_release(name) or not partition:
            continue
        region = name.removesuffix("-erlmcp-statefulset")
        live = cluster_pods(scenario, region)
        if counts.get(region) != live:
            return (
                f"{name}: waitFor jsonpath={{.status.availableReplicas}}={counts.get(region)} "
                f"not met: .status.availableReplicas is {live}"
            )
    return None


def export(scenario: dict[str, Any], root: str) -> dict[str, Any]:
    deployed = deployed_state(scenario, root)
    counts = program_pods(scenario["initial_config"])
    refreshed = read_json(root, "refreshed.json", {})
    prefix = f"urn:pulumi:prod::{PROJECT}::"
    resources = [
        {"urn": f"{prefix}pulumi:pulumi:Stack::{PROJECT}-prod", "type": "pulumi:pulumi:Stack"}
    ]
    for name, (_, partition) in sorted(deployed.items()):
        region = name.removesuffix("-erlmcp-statefulset")
        outputs = refreshed.get(name) or {
            "spec": {
                "replicas": counts.get(region, 0),
                "updateStrategy": {"rollingUpdate": {"partition": partition}},
            },
            "status": {},
        }
        resources.append(
            {
                "urn": f"{prefix}{PARENT}${STATEFULSET}::{name}",
                "type": STATEFULSET,
                "outputs": outputs,
            }
        )
    return {"version": 3, "deployment": {"manifest": {}, "resources": resources}}


def refresh(args: list[str], scenario: dict[str, Any], root: str) -> int:
    targets = [args[i + 1] for i, arg in enumerate(args) if arg == "--target"]
    deployed = deployed_state(scenario, root)
    refreshed = read_json(root, "refreshed.json", {})
    init_errors = set(read_json(root, "init_errors.json", []))
    for urn in targets:
        name = urn.rsplit("::", 1)[-1]
        if name not in deployed:
            print(f"error: target {urn} does not exist in the stack", file=sys.stderr)
            return 255
        refreshed[name] = observed(scenario, name, *deployed[name])
        if deployed[name][1]:
            # pulumi-kubernetes' StatefulSet read await calls a partitioned StatefulSet not
            # initialized (its revisions differ); the engine warns, keeps the refresh, and
            # records init errors that make the next `up` update the resource.
            print(f"warning: {name}: Refreshed resource is in an unhealthy state")
            init_errors.add(name)
    write_json(root, "refreshed.json", refreshed)
    write_json(root, "init_errors.json", sorted(init_errors))
    append_history(root, "refresh", "succeeded", {"same": len(targets)})
    log_call(scenario, args)
    return 0


def append_history(root: str, kind: str, result: str, counts: dict[str, int]) -> None:
    history = read_json(root, "history.json", [])
    now = time.strftime(DATETIME, time.gmtime())
    history.append(
        {
            "kind": kind,
            "startTime": now,
            "endTime": now,
            "message": "",
            "environment": {},
            "config": {},
            "result": result,
            "version": len(history) + 1,
            "resourceChanges": counts,
        }
    )
    write_json(root, "history.json", history)


def engine(command: str, args: list[str], scenario: dict[str, Any], root: str) -> int:
    stack = option(args, "--stack") or "prod"
    config = load_config(os.path.join(os.getcwd(), f"Pulumi.{stack}.yaml"), root)
    deployed = deployed_state(scenario, root)
    wanted = releases(config)
    init_errors = set(read_json(root, "init_errors.json", []))
    changed = sorted(
        name for name in wanted if wanted[name] != deployed.get(name) or name in init_errors
    )
    prefix = f"urn:pulumi:{stack}::{PROJECT}::"
    planning = command == "preview"
    events: list[dict[str, Any]] = [{"preludeEvent": {"config": {}}}]
    events.append(
        pre_event(
            f"{prefix}pulumi:pulumi:Stack::{PROJECT}-{stack}",
            "pulumi:pulumi:Stack",
            "same",
            planning,
        )
    )
    extra = [e for e in scenario.get("extra_changes", []) if matches(e["when"], config)]
    # A scenario's change of a modelled StatefulSet takes its place (one event per resource).
    instead = {e["urn"]: e["op"] for e in extra}
    for name in sorted(wanted):
        urn = f"{prefix}{PARENT}${STATEFULSET}::{name}"
        op = instead.pop(urn, "update" if name in changed else "same")
        events.append(pre_event(urn, STATEFULSET, op, planning))
    for change in extra:
        if change["urn"] in instead:
            events.append(pre_event(change["urn"], change["type"], change["op"], planning))
    wait_failure = canary_wait_failure(scenario, config, wanted, changed)
    fail = command == "up" and (
        any(matches(w, config) for w in scenario.get("fail_up", [])) or wait_failure is not None
    )
    if fail:
        urn = f"{prefix}{PARENT}${STATEFULSET}::{(changed or ['?'])[0]}"
        events.append(
            {
                "diagnosticEvent": {
                    "urn": urn,
                    "message": wait_failure or "1 out of 2 replicas succeeded readiness checks",
                    "color": "never",
                    "severity": "error",
                }
            }
        )
        events.append(
            {
                "resOpFailedEvent": {
                    "metadata": {"op": "update", "urn": urn, "type": STATEFULSET, "provider": ""},
                    "status": 1,
                    "steps": 1,
                }
            }
        )
    counts = {"same": len(wanted) + 1 - len(changed), "update": len(changed) + len(extra)}
    events.append(
        {
            "summaryEvent": {
                "maybeCorrupt": False,
                "durationSeconds": 1,
                "resourceChanges": counts,
                "PolicyPacks": {},
            }
        }
    )
    events.append({"cancelEvent": {}})
    send(option(args, "--event-log") or "", events)
    log_call(scenario, args, config, changed + [e["urn"] for e in extra])
    if command == "up":
        append_history(root, "update", "failed" if fail else "succeeded", counts)
        if fail:
            print(
                f"error: update failed{': ' + wait_failure if wait_failure else ''}",
                file=sys.stderr,
            )
            return 255
        write_json(root, "deployed.json", wanted)
        write_json(root, "init_errors.json", sorted(init_errors - set(changed)))
        # pulumi-kubernetes keeps the live object it awaited as the outputs of what it updated.
        refreshed = read_json(root, "refreshed.json", {})
        for name in changed:
            if own_release(name):
                refreshed[name] = observed(scenario, name, *wanted[name])
        write_json(root, "refreshed.json", refreshed)
    print(f"{command}: {len(changed)} to update")
    return 0


def log_call(
    scenario: dict[str, Any],
    args: list[str],
    config: dict[str, Any] | None = None,
    changed: list[str] | None = None,
) -> None:
    entry: dict[str, Any] = {"args": args}
    if config is not None:
        entry["rollout"] = config.get(f"{PROJECT}:rollout")
        entry["release"] = str(config[f"{PROJECT}:release"]["version"])
        entry["changed"] = changed
    with open(scenario["calls"], "a", encoding="utf-8") as stream:
        stream.write(dumps(entry) + "\n")


def main(argv: list[str]) -> int:
    scenario_path = os.environ["ROLLOUT_STANDIN_SCENARIO"]
    root = os.path.dirname(scenario_path)
    with open(scenario_path, encoding="utf-8") as stream:
        scenario = loads(stream.read())
    args = [arg for arg in argv if arg != "--non-interactive"]
    if args[:1] in (["preview"], ["up"]):
        return engine(args[0], args, scenario, root)
    if args[:1] == ["refresh"]:
        return refresh(args, scenario, root)
    log_call(scenario, args)
    if args[:1] == ["version"]:
        print(f"v{scenario['version']}")
        return 0
    if args[:2] == ["stack", "select"]:
        return 0
    if args[:2] == ["stack", "export"]:
        print(dumps(export(scenario, root)))
        return 0
    if args[:2] == ["stack", "output"]:
        print(dumps(scenario["outputs"]))
        return 0
    if args[:2] == ["stack", "history"]:
        history = read_json(root, "history.json", [])
        print(dumps(list(reversed(history))[:1]))
        return 0
    print(f"pulumi stand-in: unsupported command: {' '.join(args)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
