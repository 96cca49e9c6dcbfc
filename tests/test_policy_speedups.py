"""offline/policy_speedups.py builds pulumi-policy's unknown-checking proxies on access, not up
front. A policy must not be able to tell: every read gives the same value, of the same proxy
class, and reading an unknown raises the same `UnknownValueError`, naming the same path."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from offline.policy_speedups import _DeserializeOnce, _lazy_unknown_checking_proxy


def props() -> dict[str, Any]:
    return {
        "name": "b",
        "tags": {"env": "prod", "owner": UNKNOWN_STRING_VALUE},
        "rules": [
            {"id": "r1", "filter": {"prefix": ""}},
            {"id": UNKNOWN_STRING_VALUE, "ports": [443, 5005]},
        ],
        "empty": [],
        "count": 3,
    }


def plain(value: Any) -> Any:
    """What a policy reads, all of it, unknowns as a marker."""
    if isinstance(value, Mapping):
        out = {}
        for key in value:
            try:
                out[key] = plain(value[key])
            except UnknownValueError as error:
                out[key] = ("unknown", error.message)
        return out
    if isinstance(value, Sequence) and not isinstance(value, str):
        out_list = []
        for index in range(len(value)):
            try:
                out_list.append(plain(value[index]))
            except UnknownValueError as error:
                out_list.append(("unknown", error.message))
        return out_list
    return value


READS: list[Callable[[Any], Any]] = [
    lambda p: p["tags"]["env"],
    lambda p: p["tags"].get("env"),
    lambda p: p["tags"].get("owner"),
    lambda p: "owner" in p["tags"],
    lambda p: p["rules"][1]["id"],
    lambda p: p["rules"][-1]["ports"][-1],
    lambda p: plain(p["rules"][0:1]),
    lambda p: p["rules"][5],
    lambda p: p["missing"],
    lambda p: len(p["rules"]),
    lambda p: sorted(p),
    lambda p: [isinstance(r, Mapping) for r in p["rules"]],
    lambda p: isinstance(p["tags"], Mapping) and isinstance(p["empty"], Sequence),
    lambda p: dict(p["rules"][0]["filter"].items()),
    lambda p: p["rules"][0]["filter"] == {"prefix": ""},
    lambda p: plain(p),
    lambda p: plain(p["rules"]["__target"]),
    lambda p: plain(p["__target"]),
]


def outcome(read: Callable[[Any], Any], proxy: Any) -> Any:
    try:
        return "value", read(proxy)
    except UnknownValueError as error:
        return "unknown", error.message
    except (KeyError, IndexError) as error:
        return "error", type(error).__name__


@pytest.mark.parametrize("read", READS)
def test_a_read_gives_what_the_eager_proxy_gives(read):
    assert outcome(read, _lazy_unknown_checking_proxy(props())) == outcome(
        read, unknown_checking_proxy(props())
    )


def test_the_proxies_are_pulumi_policys_classes():
    eager, lazy = unknown_checking_proxy(props()), _lazy_unknown_checking_proxy(props())
    for path in (lambda p: p, lambda p: p["tags"], lambda p: p["rules"]):
        assert isinstance(path(lazy), type(path(eager)))


def test_an_unknown_is_named_by_its_path():
    with pytest.raises(UnknownValueError) as raised:
        _lazy_unknown_checking_proxy(props())["rules"][1]["id"]
    assert raised.value.message == "string value at .rules.1.id can't be known during preview"


def writes(proxy: Any) -> Any:
    """A policy that writes into its props, then reads them back."""
    proxy["added"] = {"x": 1}
    proxy["name"] = "renamed"
    proxy["tags"]["env"] = "dev"
    return (
        list(proxy),
        len(proxy),
        proxy["added"],
        proxy["name"],
        proxy["tags"]["env"],
        plain(proxy["__target"]["tags"]),
    )


def test_a_write_reads_back_as_in_pulumi_policys_proxy():
    assert writes(_lazy_unknown_checking_proxy(props())) == writes(unknown_checking_proxy(props()))


def test_a_write_reaches_no_other_policy():
    """Every policy of a call gets a proxy over one shared tree (`_DeserializeOnce`)."""
    shared = props()
    writes(_lazy_unknown_checking_proxy(shared))
    assert shared == props()
    assert plain(_lazy_unknown_checking_proxy(shared)) == plain(unknown_checking_proxy(props()))


def test_each_message_is_converted_once_per_call():
    convert = _DeserializeOnce()
    decoded, other = {"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}
    assert convert(decoded) is convert(decoded)
    assert convert(other) is not convert(decoded)
    assert convert(other) == convert(decoded) == {"a": [1, {"b": 2}]}
    assert convert(decoded, True) is not convert(decoded, True)  # remediation's: not shared


def test_only_the_policies_of_a_resources_type_are_asked_and_in_order():
    from types import SimpleNamespace

    from offline.policy_speedups import _only_policies_for

    anything = SimpleNamespace(name="tags")  # no resource_types: looks at every resource
    buckets = SimpleNamespace(name="s3", resource_types=frozenset({"aws:s3/bucket:Bucket"}))
    keys = SimpleNamespace(name="kms", resource_types=frozenset({"aws:kms/key:Key"}))
    servicer = SimpleNamespace(_PolicyAnalyzerServicer__policies=[buckets, anything, keys])
    with _only_policies_for(servicer, "aws:s3/bucket:Bucket"):
        assert [p.name for p in servicer._PolicyAnalyzerServicer__policies] == ["s3", "tags"]
    assert [p.name for p in servicer._PolicyAnalyzerServicer__policies] == ["s3", "tags", "kms"]
