"""Reading a role's trust policy for web-identity (OIDC) statements, shared by the
iam-oidc-trust-* policies.

A statement trusts an OIDC issuer when it allows `sts:AssumeRoleWithWebIdentity` to a
`Principal.Federated`: an IAM OIDC provider's ARN (`arn:aws:iam::<account>:oidc-provider/<issuer>`)
or a built-in web identity provider's name (`accounts.google.com`, ...). STS then checks the
token's claims against condition keys named `<issuer>:<claim>` (IAM User Guide, "Available keys
for AWS web identity federation"): `aud`, the audience the token was made for, and `sub`, who it
was issued to. Without conditions on both, any token the issuer signs for anyone is accepted:
for GitHub's issuer, any workflow of any repository on github.com.

A claim is *pinned* by a positive string condition (`StringEquals`, `StringLike`) whose values
are not all wildcards. `...IfExists` operators do not pin: they pass when the claim is missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from erlmcp_policies.common import contains_unknown, is_unknown, prop

ROLE = "aws:iam/role:Role"
WEB_IDENTITY_ACTIONS = frozenset({"sts:AssumeRoleWithWebIdentity", "sts:*", "*"})
PINNING_OPERATORS = ("StringEquals", "StringLike")
WILDCARDS = frozenset("*?")
GITHUB_ISSUER = "token.actions.githubusercontent.com"
_PROVIDER_ARN_MARK = ":oidc-provider/"


@dataclass(frozen=True)
class WebIdentityTrust:
    """One issuer trusted by one statement, with the statement's conditions."""

    issuer: str
    conditions: Mapping[str, Any]
    """Operator -> {condition key -> value or list of values}, as written."""

    def claim_conditions(self, claim: str) -> list[tuple[str, list[Any]]]:
        """(operator, values) of every condition on `<issuer>:<claim>`."""
        key = f"{self.issuer}:{claim}"
        found = []
        for operator, keys in self.conditions.items():
            if isinstance(keys, Mapping) and key in keys:
                found.append((str(operator), _as_list(keys[key])))
        return found

    def pinned_values(self, claim: str) -> list[Any] | None:
        """The values a pinning condition allows for `claim`; None when nothing pins it."""
        for operator, values in self.claim_conditions(claim):
            if operator in PINNING_OPERATORS and values and all(_pins(v) for v in values):
                return values
        return None


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def _pins(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and not set(value) <= WILDCARDS


def _plain(value: Any) -> Any:
    """A proxied document (the input's object form) as plain data; unknowns stay UNKNOWN."""
    if isinstance(value, Mapping):
        return {k: _plain(prop(value, k)) for k in value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(prop(value, i)) for i in range(len(value))]
    return value


def trust_document(props: Any) -> dict[str, Any] | None:
    """The role's `assumeRolePolicy` as a dict; None while any of it is unknown (preview) or
    when it is not a JSON object (the provider refuses that itself)."""
    raw = prop(props, "assumeRolePolicy")
    if raw is None or is_unknown(raw):
        return None
    if isinstance(raw, str):
        if contains_unknown(raw):
            return None
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    document = _plain(raw)
    return document if isinstance(document, dict) else None


def issuer_of(federated: Any) -> str | None:
    """`token.actions.githubusercontent.com` from an OIDC provider's ARN; a built-in provider's
    name as it is; None for an unknown value."""
    if not isinstance(federated, str) or is_unknown(federated) or contains_unknown(federated):
        return None
    if federated.startswith("arn:") and _PROVIDER_ARN_MARK in federated:
        return federated.split(_PROVIDER_ARN_MARK, 1)[1]
    return federated


def web_identity_trusts(props: Any) -> Iterator[WebIdentityTrust]:
    """Every issuer an Allow statement of the trust policy lets assume the role by web
    identity."""
    document = trust_document(props)
    if document is None:
        return
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        actions = {a for a in _as_list(statement.get("Action")) if isinstance(a, str)}
        principal = statement.get("Principal")
        if not actions & WEB_IDENTITY_ACTIONS or not isinstance(principal, Mapping):
            continue
        conditions = statement.get("Condition")
        conditions = conditions if isinstance(conditions, Mapping) else {}
        for federated in _as_list(principal.get("Federated")):
            issuer = issuer_of(federated)
            if issuer is not None:
                yield WebIdentityTrust(issuer=issuer, conditions=conditions)
