"""What terraform-provider-aws refuses in each input of every AWS resource type the program uses.

pulumi-aws is bridged from terraform-provider-aws, and the bridge runs the provider's own input
validation in `Check`, at `pulumi preview`: SDKv2 schemas' `ValidateFunc` / `ValidateDiagFunc`
and `ConflictsWith`, `ExactlyOneOf`, `AtLeastOneOf`, `RequiredWith`; plugin-framework schemas'
`Validators` and `ConfigValidators`. The mock runtime never runs `Check`. This script reads that
validation from a terraform-provider-aws source tree and writes the table `make plan` checks
every recorded input against (planning/provider_validation.json):

    python tools/provider_validation.py SOURCE_DIR --provider-version "<tag or commit>" \\
        [--files tools/force_new_files.tsv] [--out planning/provider_validation.json]

The files are the ones tools/force_new.py reads (the pulumi-aws type and its Go file). Rules:
`length`, `pattern` / `notPattern` (Go RE2, matched anywhere as `MatchString` does), `oneOf`
(strings or integers; AWS SDK enums are resolved from botocore's service models, the same models
the Go SDKs are generated from), `range` (integers and floats), `divisibleBy`, `notEmpty`,
`json`, `cidr`, `ip`, `arn`, `anyOf`, plus the four relations. Package-local validator functions
(`validIdentifier`, ...) are followed into the package's other files and translated when they
are made of `if` checks on `len(value)` and regular expressions. Anything else is listed by name
under `untranslated`, never dropped.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import force_new
from go_source import (
    Call,
    Composite,
    Name,
    attribute_blocks,
    matching_bracket,
    own_fields,
    package_constants,
    package_definitions,
    parse_go,
)
from validator_rules import (
    Context,
    Untranslated,
    botocore_enums,
    file_service,
    label_of,
    rules_of,
    sdk_constants,
)

ROOT = force_new.ROOT
DEFAULT_OUT = ROOT / "planning" / "provider_validation.json"

# --- Reading a file ----------------------------------------------------------------------------

_VALIDATOR_FIELDS = ("ValidateFunc", "ValidateDiagFunc", "Validators")
RELATIONS = {
    "ConflictsWith": "conflictsWith",
    "ExactlyOneOf": "exactlyOneOf",
    "AtLeastOneOf": "atLeastOneOf",
    "RequiredWith": "requiredWith",
}
_FRAMEWORK_RELATION = re.compile(
    r"(?:stringvalidator|int64validator|listvalidator|setvalidator|objectvalidator|resourcevalidator)"
    r"\.(ConflictsWith|ExactlyOneOf|AtLeastOneOf|AlsoRequires|RequiredTogether)\("
)
_MATCH_ROOT = re.compile(r"path\.MatchRoot\(\"([a-z0-9_]+)\"\)")


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def read_file(
    text: str, constants: dict[str, str], context: Context, path: str
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]], dict[str, list[str]]]:
    """(attribute path -> rules, relations, attribute path -> untranslated validator names)."""
    schema_text = force_new.current_schema_text(text)
    code = force_new._strip(schema_text)
    rules: dict[str, list[dict[str, Any]]] = {}
    relations: list[dict[str, Any]] = []
    untranslated: dict[str, list[str]] = {}
    for attribute, start, end in attribute_blocks(text, constants):
        key = ".".join(attribute)
        for field, (expression, offset) in own_fields(schema_text, code, start, end).items():
            source = f"{path}:{line_of(schema_text, offset)}"
            if field in _VALIDATOR_FIELDS:
                nodes = _validator_nodes(field, expression, context.constants)
                for node in nodes:
                    try:
                        found = rules_of(node, context)
                    except Untranslated as error:
                        untranslated.setdefault(key, []).append(str(error))
                        continue
                    except (ValueError, IndexError):
                        untranslated.setdefault(key, []).append(label_of(node))
                        continue
                    rules.setdefault(key, []).extend({**r, "source": source} for r in found)
                if field == "Validators":
                    relations += _framework_relations(attribute, expression, source)
            elif field in RELATIONS:
                others = [v for v in _strings_or_empty(expression, constants) if isinstance(v, str)]
                if others:
                    relations.append(
                        {
                            "kind": RELATIONS[field],
                            "attribute": key,
                            "with": others,
                            "source": source,
                        }
                    )
    relations += _config_validators(schema_text, path)
    return rules, relations, untranslated


def _validator_nodes(field: str, expression: str, constants: dict[str, Any]) -> list[Any]:
    try:
        node = parse_go(expression, constants)
    except (ValueError, IndexError):
        return [Name(f"unreadable Go: {' '.join(expression.split())[:80]}")]
    if field != "Validators":
        return [node]
    items = node.items if isinstance(node, Composite) else [node]
    # Relations written as validators are read by _framework_relations.
    return [
        item
        for item in items
        if not (isinstance(item, Call) and _FRAMEWORK_RELATION.match(item.name + "("))
    ]


def _strings_or_empty(expression: str, constants: dict[str, str]) -> list[Any]:
    expression = re.sub(
        r"names\.(Attr\w+)", lambda m: json.dumps(constants.get(m[1], m[0])), expression
    )
    try:
        node = parse_go(expression)
    except ValueError:
        return []
    return node.items if isinstance(node, Composite) else []


_FRAMEWORK_KIND = {
    "ConflictsWith": "conflictsWith",
    "ExactlyOneOf": "exactlyOneOf",
    "AtLeastOneOf": "atLeastOneOf",
    "AlsoRequires": "requiredWith",
    "RequiredTogether": "requiredTogether",
}


def _framework_relations(
    attribute: tuple[str, ...], expression: str, source: str
) -> list[dict[str, Any]]:
    found = []
    for match in _FRAMEWORK_RELATION.finditer(expression):
        call_end = expression.find(")\n", match.end())
        others = _MATCH_ROOT.findall(expression[match.end() : call_end if call_end > 0 else None])
        found.append(
            {
                "kind": _FRAMEWORK_KIND[match[1]],
                "attribute": ".".join(attribute),
                "with": others,
                "source": source,
            }
        )
    return found


def _config_validators(text: str, path: str) -> list[dict[str, Any]]:
    """A framework resource's `ConfigValidators`: relations between root attributes."""
    start = text.find(") ConfigValidators(")
    if start < 0:
        return []
    body = text[start : text.find("\n}\n", start)]
    relations = []
    for match in _FRAMEWORK_RELATION.finditer(body):
        close = force_new._strip(body)
        end = matching_bracket(close, match.end() - 1)
        names = _MATCH_ROOT.findall(body[match.end() : end])
        if names:
            relations.append(
                {
                    "kind": _FRAMEWORK_KIND[match[1]],
                    "attribute": names[0],
                    "with": names[1:],
                    "source": f"{path}:{line_of(text, start + match.start())}",
                }
            )
    return relations


def load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


# --- The table ---------------------------------------------------------------------------------


def build_table(source: Path, files: list[tuple[str, str, str]], version: str) -> dict[str, Any]:
    constants = force_new.load_constants(source) or _legacy_constants(source)
    texts = {
        type_: (path, (source / path).read_text(encoding="utf-8"))
        for type_, path, _ in files
        if (source / path).exists()
    }
    enums, botocore_version = botocore_enums({file_service(t) for _, t in texts.values()})
    verify = package_definitions(source / "internal" / "verify")
    resources: dict[str, Any] = {}
    untranslated: dict[str, Any] = {}
    unknown_names: dict[str, list[str]] = {}
    for type_, (path, text) in sorted(texts.items()):
        package = (source / path).parent
        context = Context(
            package_definitions(package),
            verify,
            enums,
            file_service(text),
            {**sdk_constants(enums, file_service(text)), **package_constants(package)},
        )
        rules, relations, missing = read_file(text, constants, context, path)
        known = force_new.pulumi_properties(type_)
        renames = force_new.PULUMI_RENAMES.get(type_, {})
        entry = {
            "inputs": {_engine(a, known, renames): r for a, r in sorted(rules.items())},
            "relations": [_engine_relation(r, known, renames) for r in relations],
        }
        if entry["inputs"] or entry["relations"]:
            resources[type_] = entry
        if missing:
            untranslated[type_] = {
                _engine(a, known, renames): n for a, n in sorted(missing.items())
            }
        if known is not None:
            heads = {name.split(".")[0] for name in entry["inputs"]}
            heads |= {r["attribute"].split(".")[0] for r in entry["relations"]}
            strays = sorted(heads - known)
            if strays:
                unknown_names[type_] = strays
    return {
        "provider": "hashicorp/terraform-provider-aws",
        "version": version,
        "enumsFrom": f"botocore {botocore_version} service models",
        "generatedBy": "tools/provider_validation.py",
        "resources": resources,
        "untranslated": untranslated,
        "notes": {
            "namesNotOnThePulumiClass": unknown_names,
            "missingFiles": sorted(p for _, p, _ in files if not (source / p).exists()),
            "limits": (
                "validation decided in code (CustomizeDiff, ModifyPlan, Create) and attributes "
                "built by helper functions in other files are not read"
            ),
        },
    }


def _legacy_constants(source: Path) -> dict[str, str]:
    """Older provider trees keep `names.AttrX` in names/attr_consts.go."""
    path = source / "names" / "attr_consts.go"
    return dict(force_new._CONSTANT.findall(path.read_text())) if path.exists() else {}


def _engine(attribute: str, known: set[str] | None, renames: dict[str, str]) -> str:
    return force_new._engine_path(tuple(attribute.split(".")), known, renames)


def _engine_relation(
    relation: dict[str, Any], known: set[str] | None, renames: dict[str, str]
) -> dict[str, Any]:
    """Relation keys are Terraform paths from the root (`rule.0.name`): engine names, with the
    list index kept."""

    def engine(path: str) -> str:
        return _engine(path, known, renames)

    return {
        **relation,
        "attribute": engine(relation["attribute"]),
        "with": [engine(w) for w in relation["with"]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tools/provider_validation.py", description=__doc__
    )
    parser.add_argument("source", type=Path, help="terraform-provider-aws source tree")
    parser.add_argument("--provider-version", required=True, help="what SOURCE is (tag, commit)")
    parser.add_argument("--files", type=Path, default=force_new.DEFAULT_FILES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    table = build_table(args.source, force_new.read_files(args.files), args.provider_version)
    args.out.write_text(json.dumps(table, indent=2, sort_keys=True) + "\n")
    rules = sum(len(r) for t in table["resources"].values() for r in t["inputs"].values())
    relations = sum(len(t["relations"]) for t in table["resources"].values())
    untranslated = sum(len(n) for t in table["untranslated"].values() for n in t.values())
    print(
        f"wrote {args.out}: {len(table['resources'])} types, {rules} rules, {relations} relations, "
        f"{untranslated} validators untranslated (listed)",
        file=sys.stderr,
    )
    for type_, names in table["notes"]["namesNotOnThePulumiClass"].items():
        print(f"  {type_}: not a pulumi-aws property: {', '.join(names)}", file=sys.stderr)
    for path in table["notes"]["missingFiles"]:
        print(f"  missing: {path}", file=sys.stderr)
    return 1 if table["notes"]["missingFiles"] else 0


if __name__ == "__main__":
    sys.exit(main())
