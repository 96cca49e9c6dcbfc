"""Validator expressions of terraform-provider-aws turned into the rules planning/provider_checks.py
applies: each translation names the Go function it stands for; anything else is `Untranslated`
and listed by name in the table. AWS SDK enums are read from botocore's service models."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import force_new
import regex
from go_source import Call, Composite, Name, matching_bracket, parse_go

# AWS SDK Go package -> botocore service name, where they differ.
SDK_SERVICES = {"cloudwatchlogs": "logs"}

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
    raise Untranslated(label_of(node))


def label_of(node: Any) -> str:
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
    raise Untranslated(label_of(node))


def _enum(key: str, context: Context) -> list[str]:
    if key not in context.enums:
        raise Untranslated(f"enum {key} (not in botocore's models)")
    return context.enums[key]


_GENERIC = re.compile(r"^enum\.(?:Validate|FrameworkValidate|Values)\[types\.(\w+)\]$")


def rules_of(node: Any, context: Context, depth: int = 0) -> list[dict[str, Any]]:
    """The rules one validator expression stands for; raises Untranslated."""
    if depth > 4:
        raise Untranslated(label_of(node))
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
                raise Untranslated(label_of(node))
            return simple
        if name in ("validation.All", "validation.AllDiag"):
            return [rule for arg in args for rule in rules_of(arg, context, depth + 1)]
        if name in ("validation.Any", "validation.AnyDiag"):
            return [{"kind": "anyOf", "of": [rules_of(a, context, depth + 1) for a in args]}]
        if name in ("validation.ToDiagFunc",) and args:
            return rules_of(args[0], context, depth + 1)
        if name in context.package:
            return _parametric(node, context, depth)
        raise Untranslated(label_of(node))
    if isinstance(node, Name):
        return _named(node.name, context, depth)
    raise Untranslated(label_of(node))


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
    return (
        value[: matching_bracket(force_new._strip(value), opening) + 1] if opening >= 0 else value
    )


_RETURNS = re.compile(
    r"^func\s+\w+\((?P<params>[^)]*)\)[^{]*\{\s*return\s+(?P<body>.*)\}\s*$", re.S
)


def _parametric(node: Call, context: Context, depth: int) -> list[dict[str, Any]]:
    """A package function that returns a validator built from its arguments:
    `func validResourceName(max int) ... { return validation.All(...) }`."""
    match = _RETURNS.match(context.package[node.name].strip())
    if not match:
        raise Untranslated(label_of(node))
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


# --- AWS SDK enums -----------------------------------------------------------------------------


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
