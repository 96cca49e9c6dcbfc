"""A stand-in for the Pulumi CLI, run as `pulumi` by the Automation API in
tests/test_rollout_driver.py (a per-test `bin/pulumi` wrapper execs it with the scenario's path
in ROLLOUT_STANDIN_SCENARIO).

It answers what `python -m rollout` makes the Automation API run: `version`, `stack select`,
`stack output --json`, `stack history --json`, `preview` and `up`. For `preview` and `up` it
reads the stack file in its working directory and decides, from a small model of what each
release runs (the rules of regions/rollout.py, written again here so the driver is checked
against an independent reading), which erlmcp StatefulSets differ from what it last deployed.
It sends engine events as the CLI does: over gRPC to the `tcp://` address `--event-log` names
(CLI > 3.205) or as JSON lines into the `--event-log` file (older CLIs), resource pre-events for
every StatefulSet (`same` or `update`) plus what the scenario adds, a summary, and the final
cancel event. Every call is appended to the scenario's `calls` file, with the rollout state the
stack file held and the StatefulSets it reported changing.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
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


def load_config(path: Path) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return (yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}).get("config") or {}


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
            stream(iter(json.dumps(e) for e in stamped), timeout=10)
    else:
        with open(address, "a", encoding="utf-8") as stream:
            for event in stamped:
                stream.write(json.dumps(event) + "\n")


def pre_event(urn: str, kind: str, op: str, planning: bool) -> dict[str, Any]:
    metadata = {"op": op, "urn": urn, "type": kind, "provider": ""}
    return {"resourcePreEvent": {"metadata": metadata, "planning": planning}}


def engine(command: str, args: list[str], scenario: dict[str, Any], root: Path) -> int:
    stack = option(args, "--stack") or "prod"
    config = load_config(Path.cwd() / f"Pulumi.{stack}.yaml")
    state_file = root / "deployed.json"
    if state_file.exists():
        deployed = json.loads(state_file.read_text())
    else:
        deployed = releases(load_config(Path(scenario["initial_stack_file"])))
    wanted = releases(config)
    changed = sorted(name for name in wanted if wanted[name] != deployed.get(name))
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
    for name in sorted(wanted):
        op = "update" if name in changed else "same"
        events.append(
            pre_event(f"{prefix}{PARENT}${STATEFULSET}::{name}", STATEFULSET, op, planning)
        )
    extra = [e for e in scenario.get("extra_changes", []) if matches(e["when"], config)]
    for change in extra:
        events.append(pre_event(change["urn"], change["type"], change["op"], planning))
    fail = command == "up" and any(matches(w, config) for w in scenario.get("fail_up", []))
    if fail:
        urn = f"{prefix}{PARENT}${STATEFULSET}::{(changed or ['?'])[0]}"
        events.append(
            {
                "diagnosticEvent": {
                    "urn": urn,
                    "message": "1 out of 2 replicas succeeded readiness checks",
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
        history_file = root / "history.json"
        history = json.loads(history_file.read_text()) if history_file.exists() else []
        now = time.strftime(DATETIME, time.gmtime())
        history.append(
            {
                "kind": "update",
                "startTime": now,
                "endTime": now,
                "message": "",
                "environment": {},
                "config": {},
                "result": "failed" if fail else "succeeded",
                "version": len(history) + 1,
                "resourceChanges": counts,
            }
        )
        history_file.write_text(json.dumps(history))
        if fail:
            print("error: update failed", file=sys.stderr)
            return 255
        state_file.write_text(json.dumps(wanted))
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
        stream.write(json.dumps(entry) + "\n")


def main(argv: list[str]) -> int:
    scenario_path = Path(os.environ["ROLLOUT_STANDIN_SCENARIO"])
    scenario = json.loads(scenario_path.read_text())
    args = [arg for arg in argv if arg != "--non-interactive"]
    if args[:1] in (["preview"], ["up"]):
        return engine(args[0], args, scenario, scenario_path.parent)
    log_call(scenario, args)
    if args[:1] == ["version"]:
        print(f"v{scenario['version']}")
        return 0
    if args[:2] == ["stack", "select"]:
        return 0
    if args[:2] == ["stack", "output"]:
        print(json.dumps(scenario["outputs"]))
        return 0
    if args[:2] == ["stack", "history"]:
        history_file = scenario_path.parent / "history.json"
        history = json.loads(history_file.read_text()) if history_file.exists() else []
        print(json.dumps(list(reversed(history))[:1]))
        return 0
    print(f"pulumi stand-in: unsupported command: {' '.join(args)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
