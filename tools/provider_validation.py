"""What terraform-provider-aws refuses in each input of every AWS resource type the program uses.

pulumi-aws is bridged from terraform-provider-aws, and the bridge runs the provider's own input
validation in `Check`, at `pulumi preview`: SDKv2 schemas' `ValidateFunc` / `ValidateDiagFunc`
and `ConflictsWith`, `ExactlyOneOf`, `AtLeastOneOf`, `RequiredWith`; plugin-framework schemas'
`Validators` and `ConfigValidators`. The mock runtime never runs `Check`. This script reads that
validation from a terraform-provider-aws source tree and writes the table `make plan` checks
every recorded input against (offline/provider_validation.json):

    python tools/provider_validation.py SOURCE_DIR --provider-version "<tag or commit>" \\
        [--files tools/force_new_files.tsv] [--out offline/provider_validation.json]

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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import force_new
import regex

ROOT = force_new.ROOT
DEFAULT_OUT = ROOT / "offline" / "provider_validation.json"
# AWS SDK Go package -> botocore service name, where they differ.
SDK_SERVICES = {"cloudwatchlogs": "logs"}

# --- A small reader of Go expressions: calls, selectors, generics, literals -------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<raw>`[^`]*`)|(?P<str>\"(?:\\.|[^\"\\])*\")|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_][\w.]*(?:\[[\w.]+\])?)|(?P<punct>\.\.\.|[(){}\[\],:&*+-]))"
)


@dataclass
class Call:
    name: str
    args: list[Any]


@dataclass
class Name:
    name: str


@dataclass
class Composite:
    """`[]string{...}`: its elements."""

    items: list[Any]


# Constants the provider's validators use from outside the package.
# terraform-plugin-sdk helper/id/id.go:27 `const UniqueIDSuffixLength = 26`.
EXTERNAL_CONSTANTS = {"id.UniqueIDSuffixLength": 26}


class _Parser:
    def __init__(self, text: str, constants: dict[str, Any] | None = None):
        self.constants = {**EXTERNAL_CONSTANTS, **(constants or {})}
        text = _drop_comments(text)
        self.tokens = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if not match or match.end() == position:
                if text[position:].strip():
                    raise ValueError(f"cannot read Go expression at: {text[position:][:40]!r}")
                break
            self.tokens.append((match.lastgroup, match.group(match.lastgroup)))
            position = match.end()
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expression(self) -> Any:
        """A term, and `+`/`-` between numbers (`63-id.UniqueIDSuffixLength`)."""
        left = self.term()
        while self.peek() and self.peek()[1] in "+-" and self.peek()[0] == "punct":
            operator = self.take()[1]
            right = self.term()
            if not (isinstance(left, int) and isinstance(right, int)):
                raise ValueError("arithmetic on something other than integer constants")
            left = left + right if operator == "+" else left - right
        return left

    def term(self) -> Any:
        kind, value = self.take()
        if kind == "raw":
            return value[1:-1]
        if kind == "str":
            return json.loads(value)
        if kind == "num":
            return float(value) if "." in value else int(value)
        if value == "&":
            return self.term()
        if value == "(":
            inner = self.expression()
            self.take()
            return inner
        if value == "[":  # []string{...}
            while self.peek() and self.peek()[1] != "{":
                self.take()
            return Composite(self._items("{", "}"))
        if kind != "name":
            raise ValueError(f"unexpected {value!r}")
        constant = self.constants.get(value, self.constants.get(value.lower()))
        if constant is not None and not (self.peek() and self.peek()[1] == "("):
            return constant
        node: Any = Name(value)
        while self.peek() and self.peek()[1] in ("(", "{"):
            opening = self.peek()[1]
            items = self._items(opening, ")" if opening == "(" else "}")
            node = Call(value, items) if opening == "(" else Composite(items)
        if self.peek() and self.peek()[1] == "...":
            self.take()
        return node

    def _items(self, opening: str, closing: str) -> list[Any]:
        assert self.take()[1] == opening
        items = []
        while self.peek() and self.peek()[1] != closing:
            items.append(self.expression())
            if self.peek() and self.peek()[1] == ",":
                self.take()
        self.take()
        return items


def parse_go(text: str, constants: dict[str, Any] | None = None) -> Any:
    return _Parser(text, constants).expression()


def _drop_comments(text: str) -> str:
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif text[i] in '"`':
            quote, j = text[i], i + 1
            while j < n and text[j] != quote:
                j += 2 if quote == '"' and text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


# --- Attribute blocks and their fields ---------------------------------------------------------


def _matching(code: str, start: int) -> int:
    """Index of the bracket closing the one at `start` (code has strings and comments blanked)."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    depth = 0
    for position in range(start, len(code)):
        char = code[position]
        if char in pairs:
            depth += 1
        elif char in ")}]":
            depth -= 1
            if depth == 0:
                return position
    return len(code)


def attribute_blocks(
    text: str, constants: dict[str, str]
) -> Iterator[tuple[tuple[str, ...], int, int]]:
    """(Terraform attribute path, start, end) of every attribute's own literal block."""
    text = force_new.current_schema_text(text)
    code = force_new._strip(text)
    entries = {m.end() - 1: m for m in force_new._ENTRY.finditer(text)}
    stack: list[tuple[str, int]] = []  # (attribute, the index where its block ends)
    for position, char in enumerate(code):
        while stack and position > stack[-1][1]:
            stack.pop()
        if char != "{" or position not in entries:
            continue
        entry = entries[position]
        name = entry["literal"] or constants.get(entry["constant"] or "", "")
        if not name:
            continue
        end = _matching(code, position)
        stack.append((name, end))
        yield tuple(n for n, _ in stack), position, end


_FIELD = re.compile(r"\s*(\w+)\s*:")


def own_fields(text: str, code: str, start: int, end: int) -> dict[str, tuple[str, int]]:
    """The fields written directly in a block: name -> (its expression's text, its offset)."""
    fields = {}
    position = start + 1
    while position < end:
        match = _FIELD.match(code, position)
        value_start = match.end() if match else position
        stop = value_start
        while stop < end and code[stop] != ",":
            stop = _matching(code, stop) + 1 if code[stop] in "({[" else stop + 1
        if match:
            fields[match.group(1)] = (text[value_start:stop].strip(), value_start)
        position = stop + 1
    return fields


# --- Translation of validators into rules ------------------------------------------------------


class Untranslated(Exception):
    """A validator this tool cannot express as rules; its name is listed in the table."""


@dataclass
class Context:
    package: dict[str, str]  # function or variable name -> its Go source, from the package
    verify: dict[str, str]
    enums: dict[str, list[str]]  # "<service>.<Shape>" -> values
    service: str  # the file's AWS SDK service (botocore name)
    constants: dict[str, Any]  # the package's constants, and the AWS SDK's enum constants


def _regex(node: Any) -> str:
    """A literal regular expression that the checker can compile (with `regex`, as RE2)."""
    if isinstance(node, Call) and node.name.endswith("MustCompile") and node.args:
        pattern = node.args[0]
        if isinstance(pattern, str):
            try:
                regex.compile(pattern)
            except regex.error:
                raise Untranslated(f"regular expression {pattern!r}") from None
            return pattern
    raise Untranslated(_label(node))


def _label(node: Any) -> str:
    if isinstance(node, Call):
        return f"{node.name}(...)"
    if isinstance(node, Name):
        return node.name
    return repr(node)


def _strings(node: Any, context: Context) -> list[Any]:
    if isinstance(node, Composite):
        return [v for item in node.items for v in _strings(item, context)]
    if isinstance(node, (str, int)):
        return [node]
    if isinstance(node, Call) and node.name.endswith("_Values") and "." in node.name:
        service, shape = node.name.rsplit("_Values", 1)[0].split(".")  # aws-sdk-go v1
        return _enum(f"{SDK_SERVICES.get(service, service)}.{shape}", context)
    if isinstance(node, Call) and node.name in context.package:  # the package's X_Values()
        returned = re.search(r"\breturn\s+(.+?)\n}", context.package[node.name], re.S)
        if returned:
            return _strings(parse_go(returned[1], context.constants), context)
    if isinstance(node, Call) and node.name in ("enum.Slice",):
        return [v for arg in node.args for v in _strings(arg, context)]
    if isinstance(node, Name) and node.name.startswith("types."):
        raise Untranslated(node.name)
    raise Untranslated(_label(node))


def _enum(key: str, context: Context) -> list[str]:
    if key not in context.enums:
        raise Untranslated(f"enum {key} (not in botocore's models)")
    return context.enums[key]


_GENERIC = re.compile(r"^enum\.(?:Validate|FrameworkValidate|Values)\[types\.(\w+)\]$")


def rules_of(node: Any, context: Context, depth: int = 0) -> list[dict[str, Any]]:
    """The rules one validator expression stands for; raises Untranslated."""
    if depth > 4:
        raise Untranslated(_label(node))
    if isinstance(node, Call):
        name, args = node.name, node.args
        if name in KNOWN_FUNCTIONS and not args:
            return KNOWN_FUNCTIONS[name]
        generic = _GENERIC.match(name)
        if generic:
            return [{"kind": "oneOf", "values": _enum(f"{context.service}.{generic[1]}", context)}]
        simple = _simple(name, args, context)
        if simple is not None:
            if not _literal(simple):
                raise Untranslated(_label(node))
            return simple
        if name in ("validation.All", "validation.AllDiag"):
            return [rule for arg in args for rule in rules_of(arg, context, depth + 1)]
        if name in ("validation.Any", "validation.AnyDiag"):
            return [{"kind": "anyOf", "of": [rules_of(a, context, depth + 1) for a in args]}]
        if name in ("validation.ToDiagFunc",) and args:
            return rules_of(args[0], context, depth + 1)
        if name in context.package:
            return _parametric(node, context, depth)
        raise Untranslated(_label(node))
    if isinstance(node, Name):
        return _named(node.name, context, depth)
    raise Untranslated(_label(node))


def _simple(name: str, args: list[Any], context: Context) -> list[dict[str, Any]] | None:
    short = name.split(".")[-1]
    if short in ("StringLenBetween", "LengthBetween"):
        return [{"kind": "length", "min": args[0], "max": args[1]}]
    if short == "LengthAtMost":
        return [{"kind": "length", "max": args[0]}]
    if short == "LengthAtLeast":
        return [{"kind": "length", "min": args[0]}]
    if short in ("StringMatch", "RegexMatches"):
        return [{"kind": "pattern", "regex": _regex(args[0]), "message": _message(args)}]
    if short == "StringDoesNotMatch":
        return [{"kind": "notPattern", "regex": _regex(args[0]), "message": _message(args)}]
    if short in ("StringInSlice", "IntInSlice"):
        ignore_case = len(args) > 1 and isinstance(args[1], Name) and args[1].name == "true"
        rule: dict[str, Any] = {"kind": "oneOf", "values": _strings(args[0], context)}
        return [{**rule, "ignoreCase": True} if ignore_case else rule]
    if short == "OneOf" and name.startswith(("stringvalidator", "int64validator")):
        return [{"kind": "oneOf", "values": [v for a in args for v in _strings(a, context)]}]
    if short in ("IntBetween", "Between", "FloatBetween"):
        return [{"kind": "range", "min": args[0], "max": args[1]}]
    if short in ("IntAtLeast", "AtLeast"):
        return [{"kind": "range", "min": args[0]}]
    if short in ("IntAtMost", "AtMost"):
        return [{"kind": "range", "max": args[0]}]
    if short == "FloatGreaterThan":
        return [{"kind": "range", "exclusiveMin": args[0]}]
    if short == "IntDivisibleBy":
        return [{"kind": "divisibleBy", "divisor": args[0]}]
    if short in ("StringIsNotEmpty", "StringIsNotWhiteSpace"):
        return [{"kind": "notEmpty"}]
    if short == "IsCIDRNetwork":
        return [{"kind": "cidr", "minPrefix": args[0], "maxPrefix": args[1]}]
    if short == "StringDoesNotContainAny":
        return [{"kind": "notContainAny", "characters": args[0]}]
    return None


def _literal(value: Any) -> bool:
    """Only numbers, strings, booleans, lists and dicts of them: a Go name is not a value."""
    if isinstance(value, dict):
        return all(_literal(v) for v in value.values())
    if isinstance(value, list):
        return all(_literal(v) for v in value)
    return isinstance(value, (str, int, float, bool))


def _message(args: list[Any]) -> str:
    return args[1] if len(args) > 1 and isinstance(args[1], str) else ""


# Validators that are plain functions (no arguments): what they check, from their source.
KNOWN_FUNCTIONS: dict[str, list[dict[str, Any]]] = {
    "validation.NoZeroValues": [{"kind": "notEmpty"}],
    "validation.StringIsNotEmpty": [{"kind": "notEmpty"}],
    "validation.StringIsJSON": [{"kind": "json"}],
    "validation.IsCIDR": [{"kind": "cidr"}],
    "validation.IsIPAddress": [{"kind": "ip"}],
    "validation.IsIPv4Address": [{"kind": "ip", "version": 4}],
    "validation.IsIPv6Address": [{"kind": "ip", "version": 6}],
    "validation.IsPortNumber": [{"kind": "range", "min": 1, "max": 65535}],
    "validation.IsRFC3339Time": [{"kind": "rfc3339"}],
    # internal/verify/validate.go
    "verify.ValidARN": [{"kind": "arn"}],
    "verify.ValidAccountID": [{"kind": "pattern", "regex": "^\\d{12}$", "message": ""}],
    "verify.ValidCIDRNetworkAddress": [{"kind": "cidr", "network": True}],
    "verify.ValidIPv4CIDRNetworkAddress": [{"kind": "cidr", "network": True, "version": 4}],
    "verify.ValidIPv6CIDRNetworkAddress": [{"kind": "cidr", "network": True, "version": 6}],
    "verify.ValidIAMPolicyJSON": [{"kind": "json", "object": True}],
    "verify.ValidKMSKeyID": [{"kind": "length", "min": 1, "max": 2048}],
    "verify.ValidUTCTimestamp": [{"kind": "rfc3339"}],
    # internal/types/timestamp/timestamp.go ValidateOnceADayWindowFormat / ...AWeek...
    "verify.ValidOnceADayWindowFormat": [
        {
            "kind": "pattern",
            "regex": "^(([0-1][0-9]|2[0-3]):([0-5][0-9])-([0-1][0-9]|2[0-3]):([0-5][0-9])|)$",
            "message": "must satisfy the format of hh24:mi-hh24:mi",
        }
    ],
    "verify.ValidOnceAWeekWindowFormat": [
        {
            "kind": "pattern",
            "regex": (
                "(?i)^((sun|mon|tue|wed|thu|fri|sat):([0-1][0-9]|2[0-3]):([0-5][0-9])-"
                "(sun|mon|tue|wed|thu|fri|sat):([0-1][0-9]|2[0-3]):([0-5][0-9])|)$"
            ),
            "message": "must satisfy the format of ddd:hh24:mi-ddd:hh24:mi",
        }
    ],
    # internal/framework/validators/cidr.go
    "fwvalidators.IPv4CIDRNetworkAddress": [{"kind": "cidr", "network": True, "version": 4}],
    "fwvalidators.IPv6CIDRNetworkAddress": [{"kind": "cidr", "network": True, "version": 6}],
}

_IF = re.compile(r"\bif\s+(?P<cond>[^{]+)\{")
_MATCH_COND = re.compile(
    r"^(?P<neg>!)?regexache\.MustCompile\((?P<re>`[^`]*`|\w+)\)\.MatchString\(value\)$"
)
_LEN_COND = re.compile(r"^len\(value\)\s*(?P<op>[<>]=?)\s*(?P<n>\d+)$")


def _named(name: str, context: Context, depth: int) -> list[dict[str, Any]]:
    if name in KNOWN_FUNCTIONS:
        return KNOWN_FUNCTIONS[name]
    table = context.verify if name.startswith("verify.") else context.package
    source = table.get(name.split(".")[-1])
    if source is None:
        raise Untranslated(name)
    if source.startswith("var"):  # `var validX = validation.All(...)`
        return rules_of(parse_go(_first_expression(source), context.constants), context, depth + 1)
    return _function_rules(name, source)


def _first_expression(source: str) -> str:
    """`var x T = f(...)` -> `f(...)`, without what follows the definition."""
    value = source.split("=", 1)[1]
    opening = value.find("(")
    return value[: _matching(force_new._strip(value), opening) + 1] if opening >= 0 else value


_RETURNS = re.compile(
    r"^func\s+\w+\((?P<params>[^)]*)\)[^{]*\{\s*return\s+(?P<body>.*)\}\s*$", re.S
)


def _parametric(node: Call, context: Context, depth: int) -> list[dict[str, Any]]:
    """A package function that returns a validator built from its arguments:
    `func validResourceName(max int) ... { return validation.All(...) }`."""
    match = _RETURNS.match(context.package[node.name].strip())
    if not match:
        raise Untranslated(_label(node))
    params = [p.split()[0] for p in match["params"].split(",") if p.strip()]
    bound = {**context.constants, **dict(zip(params, node.args, strict=False))}
    return rules_of(parse_go(match["body"], bound), context, depth + 1)


def _function_rules(name: str, source: str) -> list[dict[str, Any]]:
    """A validator function made only of `if` checks on len(value) and regular expressions."""
    variables = dict(re.findall(r"(\w+)\s*:=\s*(`[^`]*`)", source))
    body = source.split("{", 1)[1]
    if re.search(r"\bswitch\b|\bfor\b|strings\.|\bstrconv\.", body):
        raise Untranslated(name)
    rules: list[dict[str, Any]] = []
    for match in _IF.finditer(body):
        for part in (p.strip() for p in match["cond"].split("||")):
            rules.append(_condition_rule(name, part, variables))
    if not rules:
        raise Untranslated(name)
    return rules


def _condition_rule(name: str, condition: str, variables: dict[str, str]) -> dict[str, Any]:
    """The rule an error condition breaks (the function errs when `condition` holds)."""
    match = _MATCH_COND.match(condition)
    if match:
        regex = variables.get(match["re"], match["re"]).strip("`")
        return {"kind": "pattern" if match["neg"] else "notPattern", "regex": regex, "message": ""}
    length = _LEN_COND.match(condition)
    if length:
        n, op = int(length["n"]), length["op"]
        bound = {">": ("max", n), ">=": ("max", n - 1), "<": ("min", n), "<=": ("min", n + 1)}
        key, value = bound[op]
        return {"kind": "length", key: value}
    raise Untranslated(name)


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
                        untranslated.setdefault(key, []).append(_label(node))
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
        end = _matching(close, match.end() - 1)
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


# --- The package around a file, botocore's enums -----------------------------------------------

_DEFINITION = re.compile(r"^(?:func\s+(\w+)\s*\(|var\s+(\w+)(?:\s+[\w.]+)?\s*=)", re.M)
_CONST_BLOCK = re.compile(r"^const\s*\((.*?)^\)", re.M | re.S)
_CONST = re.compile(r'^\s*(?:const\s+)?(\w+)(?:\s+\w+)?\s*=\s*(-?\d+|"[^"\\]*")\s*(?://.*)?$', re.M)


def package_constants(directory: Path) -> dict[str, Any]:
    """The number and string constants of a Go package (`const X = 28`, `const ( Y = "z" )`)."""
    found: dict[str, Any] = {}
    for text in _go_files(directory):
        found.update(constants_from_text(text))
    return found


def constants_from_text(text: str) -> dict[str, Any]:
    blocks = [m[1] for m in _CONST_BLOCK.finditer(text)]
    singles = re.findall(r"^const\s+\w+.*$", text, re.M)
    return {
        name: json.loads(value)
        for chunk in [*blocks, *singles]
        for name, value in _CONST.findall(chunk)
    }


def load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def sdk_constants(enums: dict[str, list[str]], service: str) -> dict[str, str]:
    """`types.TenancyDefault` -> "default": the AWS SDK's Go enum constants, named by its
    generator as the shape's name followed by the value's letters and digits."""
    found = {}
    for key, values in enums.items():
        enum_service, shape = key.split(".", 1)
        if enum_service == service:
            for value in values:
                found[f"types.{shape}{re.sub(r'[^0-9A-Za-z]', '', value)}".lower()] = value
    return found


def _go_files(directory: Path) -> list[str]:
    return [
        file.read_text(encoding="utf-8")
        for file in sorted(directory.glob("*.go"))
        if not file.name.endswith("_test.go")
    ]


def package_definitions(directory: Path) -> dict[str, str]:
    """Every top-level function and variable of a Go package (test files aside)."""
    found: dict[str, str] = {}
    for text in _go_files(directory):
        found.update(package_definitions_from_text(text))
    return found


def package_definitions_from_text(text: str) -> dict[str, str]:
    found = {}
    matches = list(_DEFINITION.finditer(text))
    for match, following in zip(matches, [*matches[1:], None], strict=False):
        end = following.start() if following else len(text)
        found[match[1] or match[2]] = text[match.start() : end]
    return found


_SDK_IMPORT = re.compile(r'"github\.com/aws/aws-sdk-go(?:-v2)?/service/(\w+)(?:/types)?"')


def file_service(text: str) -> str:
    services = _SDK_IMPORT.findall(text)
    service = services[0] if services else ""
    return SDK_SERVICES.get(service, service)


def botocore_enums(services: set[str]) -> tuple[dict[str, list[str]], str]:
    """Every string enum shape of those services' models, and botocore's version."""
    import botocore
    from botocore.loaders import Loader

    loader = Loader()
    enums: dict[str, list[str]] = {}
    for service in sorted(services):
        try:
            model = loader.load_service_model(service, "service-2")
        except Exception:
            continue
        for shape_name, shape in model["shapes"].items():
            if shape.get("type") == "string" and "enum" in shape:
                enums[f"{service}.{shape_name}"] = list(shape["enum"])
    return enums, botocore.__version__


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
        entry = {
            "inputs": {_engine(a, known): r for a, r in sorted(rules.items())},
            "relations": [_engine_relation(r, known) for r in relations],
        }
        if entry["inputs"] or entry["relations"]:
            resources[type_] = entry
        if missing:
            untranslated[type_] = {_engine(a, known): n for a, n in sorted(missing.items())}
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


def _engine(attribute: str, known: set[str] | None) -> str:
    """camelCase, with the top-level name as pulumi-aws spells it: the bridge pluralizes list
    attributes (`rule` -> `rules`, `alias` -> `aliases`, `latency_routing_policy` ->
    `latencyRoutingPolicies`)."""
    head, *rest = (force_new.camel(part) for part in attribute.split("."))
    if known is not None and head not in known:
        plurals = [f"{head}s", f"{head}es", f"{head[:-1]}ies" if head.endswith("y") else ""]
        head = next((p for p in plurals if p in known), head)
    return ".".join([head, *rest])


def _engine_relation(relation: dict[str, Any], known: set[str] | None) -> dict[str, Any]:
    """Relation keys are Terraform paths from the root (`rule.0.name`): engine names, with the
    list index kept."""

    def engine(path: str) -> str:
        return _engine(path, known)

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
