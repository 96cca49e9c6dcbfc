"""Which inputs of each AWS resource type the program uses force a replacement.

pulumi-aws is bridged from terraform-provider-aws: an update that changes an attribute the
Terraform schema marks `ForceNew: true` (SDKv2 resources) or gives a `RequiresReplace` plan
modifier (plugin-framework resources) is a replacement, delete and create. This script reads
those marks from a terraform-provider-aws source tree and writes the table the offline plan uses
(planning/force_new.json):

    python tools/force_new.py SOURCE_DIR --provider-version "v6.x (commit ...)" \\
        [--files tools/force_new_files.tsv] [--out planning/force_new.json]

SOURCE_DIR holds the provider's files at their repository paths (a checkout, or the files named
in --files); `names/attr_consts_gen.go` resolves `names.AttrX` keys. Every Terraform attribute
path is turned into the engine's camelCase names, and each name is checked against the
pulumi-aws class's own properties: a name the class does not have is reported, since the plan
would never see it change.

The scan is textual and deliberately small: it follows the braces of schema literals, records
each attribute entry (`"name": {`, `names.AttrName: {`, `"name": schema.StringAttribute{`) and
marks it when `ForceNew: true` or `RequiresReplace` (also the conditional `RequiresReplaceIf`,
counted as a replacement: the plan should rather warn once too often) appears directly in its
own block. Attributes built by helper functions elsewhere are not followed (listed as a limit in
the output's `notes`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from offline.sdk_types import engine_names, resource_class

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = ROOT / "tools" / "force_new_files.tsv"
DEFAULT_OUT = ROOT / "planning" / "force_new.json"
CONSTANTS = "names/attr_consts_gen.go"

_CONSTANT = re.compile(r"\b(Attr\w+)\s*=\s*\"([^\"]+)\"")
# An attribute entry: its key, then ':' and the start of its literal.
_ENTRY = re.compile(
    r'(?:"(?P<literal>[a-z0-9_]+)"|names\.(?P<constant>Attr\w+))\s*:\s*'
    r"(?:&?(?:schema|\w+)\.\w+)?\{"
)
_FORCE_NEW = re.compile(r"ForceNew:\s*true")
_COMPUTED = re.compile(r"Computed:\s*true")
# Plugin-framework attributes list plan modifiers one literal deeper: `PlanModifiers: []...{...}`.
_REQUIRES_REPLACE = re.compile(r"RequiresReplace(?:If\w*)?\(")


def load_constants(source: Path) -> dict[str, str]:
    path = source / CONSTANTS
    if not path.exists():
        return {}
    return dict(_CONSTANT.findall(path.read_text(encoding="utf-8")))


def _strip(text: str) -> str:
    """Comments and string contents blanked out (same length), so braces inside them don't count;
    the quotes stay so that keys can still be read from the original text."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(" " * (j - i))
            i = j
        elif c in '"`':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if c == '"' and text[j] == "\\" else 1
            out.append(c + " " * (j - i - 1) + (c if j < n else ""))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


# Functions that hold a schema other than the resource's current one: state upgraders
# (`resourceBucketV0`), state movers from another resource type (`moveStateResource...`).
_OTHER_SCHEMA = re.compile(r"^func\s+(?:\([^)]*\)\s*)?\w*(?:V\d+\(|[Mm]oveState|[Uu]pgrade)")


def current_schema_text(text: str) -> str:
    """The file with the functions that describe older or other schemas blanked out."""
    chunks = re.split(r"(?m)^(?=func\s)", text)
    return "".join(
        re.sub(r"[^\n]", " ", chunk) if _OTHER_SCHEMA.match(chunk) else chunk for chunk in chunks
    )


def force_new_paths(text: str, constants: dict[str, str]) -> dict[tuple[str, ...], bool]:
    """Terraform attribute paths (snake_case, nested blocks included) that force a replacement,
    each with whether the attribute is also `Computed` (AWS fills it in when it is not set)."""
    text = current_schema_text(text)
    code = _strip(text)
    entries = {m.end() - 1: m for m in _ENTRY.finditer(text)}  # position of each entry's '{'
    stack: list[tuple[str, int]] = []  # (attribute, depth inside its block)
    depth = 0
    forced: list[tuple[str, ...]] = []
    computed: set[tuple[str, ...]] = set()
    for position, char in enumerate(code):
        if char == "{":
            depth += 1
            entry = entries.get(position)
            if entry is not None:
                name = entry["literal"] or constants.get(entry["constant"] or "", "")
                if name:
                    stack.append((name, depth))
            continue
        if char == "}":
            if stack and stack[-1][1] == depth:
                stack.pop()
            depth -= 1
            continue
        if not stack or char not in "FRC":
            continue
        path = tuple(name for name, _ in stack)
        own_block = depth == stack[-1][1]
        if own_block and _COMPUTED.match(code, position):
            computed.add(path)
            continue
        replaces = (own_block and _FORCE_NEW.match(code, position)) or (
            depth in (stack[-1][1], stack[-1][1] + 1) and _REQUIRES_REPLACE.match(code, position)
        )
        if replaces and path not in forced:
            forced.append(path)
    return {path: path in computed for path in forced}


# Attributes pulumi-aws renames (its resources.go field overrides), by type: Terraform's name as
# the engine would spell it -> pulumi-aws's. Found through `namesNotOnThePulumiClass`.
PULUMI_RENAMES = {
    "aws:sns/topicSubscription:TopicSubscription": {"topicArn": "topic"},
    "aws:cloudwatch/metricAlarm:MetricAlarm": {"alarmName": "name"},
    # `filename` (a local zip) is bridged as `code`, an Archive (pulumi-aws provider/resources.go).
    "aws:lambda/function:Function": {"functionName": "name", "filename": "code"},
    "aws:lambda/permission:Permission": {"functionName": "function"},
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _engine_path(
    path: tuple[str, ...], known: set[str] | None, renames: dict[str, str] | None = None
) -> str:
    """camelCase, with the top-level name as pulumi-aws spells it: the bridge pluralizes list
    attributes (`client_id_list` -> `clientIdLists`, `validation_option` -> `validationOptions`,
    `alias` -> `aliases`, `latency_routing_policy` -> `latencyRoutingPolicies`), and renames a
    few (`renames`, this type's PULUMI_RENAMES)."""
    head, *rest = (camel(part) for part in path)
    if known is not None and head not in known:
        plurals = [f"{head}s", f"{head}es", f"{head[:-1]}ies" if head.endswith("y") else ""]
        head = next((p for p in plurals if p in known), head)
    return ".".join([(renames or {}).get(head, head), *rest])


def pulumi_properties(type_: str) -> set[str] | None:
    """The engine names of a pulumi-aws resource class's properties (None if not importable)."""
    try:
        cls = resource_class(type_)
    except (ImportError, AttributeError):
        return None
    return set(engine_names(cls).values())


def build_table(source: Path, files: list[tuple[str, str, str]], version: str) -> dict[str, object]:
    constants = load_constants(source)
    resources: dict[str, list[str]] = {}
    computed: dict[str, list[str]] = {}
    unknown: dict[str, list[str]] = {}
    missing = []
    for type_, path, _ in files:
        file = source / path
        if not file.exists():
            missing.append(path)
            continue
        known = pulumi_properties(type_)
        marks = force_new_paths(file.read_text(encoding="utf-8"), constants)
        renames = PULUMI_RENAMES.get(type_, {})
        paths = sorted(_engine_path(p, known, renames) for p in marks)
        computed[type_] = sorted(
            _engine_path(p, known, renames) for p, is_computed in marks.items() if is_computed
        )
        if known is not None and "region" in known:
            # pulumi-aws v7's per-resource `region`: changing it moves the resource to another
            # region, which AWS can only do by creating it there (pulumi-aws v7 migration guide).
            paths = sorted({*paths, "region"})
        resources[type_] = paths
        if known is not None:
            strays = sorted({p.split(".")[0] for p in paths} - known)
            if strays:
                unknown[type_] = strays
    return {
        "provider": "hashicorp/terraform-provider-aws",
        "version": version,
        "generatedBy": "tools/force_new.py",
        "files": {type_: {"path": path, "revision": revision} for type_, path, revision in files},
        "resources": resources,
        # ForceNew attributes that are also Computed: when the program did not set one, the state
        # holds what AWS filled in, so setting it to that same value later changes nothing.
        "computed": {type_: paths for type_, paths in computed.items() if paths},
        "notes": {
            "namesNotOnThePulumiClass": unknown,
            "missingFiles": missing,
            "limits": (
                "attributes defined by helper functions in other files, and replacements decided "
                "in code (CustomizeDiff, ModifyPlan), are not read"
            ),
        },
    }


def add_new_types(
    table: dict[str, Any], source: Path, rows: list[tuple[str, str, str]]
) -> dict[str, Any]:
    """The table with the rows it lacks read from `source` and merged in; nothing it already has
    changes. The top-level `version` stays; each type's `files` entry names its own revision."""
    new_rows = [row for row in rows if row[0] not in table["files"]]
    if not new_rows:
        return table
    added = build_table(source, new_rows, table["version"])
    merged = json.loads(json.dumps(table))
    for key in ("files", "resources", "computed"):
        merged[key] = dict(sorted({**merged[key], **added[key]}.items()))
    notes, new_notes = merged["notes"], added["notes"]
    notes["namesNotOnThePulumiClass"] = dict(
        sorted(
            {**notes["namesNotOnThePulumiClass"], **new_notes["namesNotOnThePulumiClass"]}.items()
        )
    )
    notes["missingFiles"] = sorted({*notes["missingFiles"], *new_notes["missingFiles"]})
    return merged


def read_files(path: Path) -> list[tuple[str, str, str]]:
    """(pulumi type, provider source file, the revision of that file to read) per row."""
    rows = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            type_, file, *revision = line.split("\t")
            rows.append((type_, file, revision[0] if revision else ""))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/force_new.py", description=__doc__)
    parser.add_argument("source", type=Path, help="terraform-provider-aws source tree")
    parser.add_argument("--provider-version", required=True, help="what SOURCE is (tag, commit)")
    parser.add_argument("--files", type=Path, default=DEFAULT_FILES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--add-new",
        action="store_true",
        help="keep the types already in --out as they are; read only the rows of --files that "
        "are not in it (each row records the revision it was read at)",
    )
    args = parser.parse_args(argv)
    rows = read_files(args.files)
    if args.add_new:
        table = add_new_types(json.loads(args.out.read_text()), args.source, rows)
    else:
        table = build_table(args.source, rows, args.provider_version)
    args.out.write_text(json.dumps(table, indent=2, sort_keys=True) + "\n")
    notes = table["notes"]
    print(f"wrote {args.out}: {len(table['resources'])} resource types", file=sys.stderr)
    for type_, names in notes["namesNotOnThePulumiClass"].items():  # type: ignore[union-attr]
        print(f"  {type_}: not a pulumi-aws property: {', '.join(names)}", file=sys.stderr)
    for path in notes["missingFiles"]:  # type: ignore[union-attr]
        print(f"  missing: {path}", file=sys.stderr)
    return 1 if notes["missingFiles"] else 0


if __name__ == "__main__":
    sys.exit(main())
