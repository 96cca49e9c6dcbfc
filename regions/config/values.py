"""The stack config's values: limits, quantities, versions, ranges and names, each checked once."""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from regions.aws_regions import why_not_deployable

PROJECT = "erlmcp-infra"

# Runbook §2.3 limits, §1.4 minimum versions.
MAX_PODS_PER_REGION = 100
MAX_POD_CPU = Decimal(4)
MAX_POD_MEMORY_BYTES = 8 * 1024**3
MIN_KUBERNETES = (1, 28)
MIN_POSTGRES_MAJOR = 15
MIN_REDIS_MAJOR = 7

# The failback stages, in order (docs/failover.md "Failback by config").
FailbackStage = Literal["resync", "drain", "cutover"]
DrStage = Literal["normal", "failover", "resync", "drain", "cutover"]


class ConfigError(Exception):
    """Bad stack configuration; the message names each key path and reason."""


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


# --- value checks -----------------------------------------------------------------------------

_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
_BINARY = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def parse_cpu(quantity: str) -> Decimal:
    """Kubernetes CPU quantity ("500m", "2") in cores."""
    found = _QUANTITY.match(quantity)
    if not found or found.group(2) not in (None, "m"):
        raise ValueError(f"{quantity!r} is not a CPU quantity such as '500m' or '2'")
    value = Decimal(found.group(1))
    return value / 1000 if found.group(2) == "m" else value


def parse_memory(quantity: str) -> int:
    """Kubernetes memory quantity ("512Mi", "8Gi") in bytes."""
    found = _QUANTITY.match(quantity)
    if not found or found.group(2) == "m":
        raise ValueError(f"{quantity!r} is not a memory quantity such as '512Mi' or '8Gi'")
    unit = found.group(2) or ""
    factor = _BINARY.get(unit) or _DECIMAL.get(unit) or 1
    return int(Decimal(found.group(1)) * factor)


def _version_tuple(version: str) -> tuple[int, ...]:
    if not re.fullmatch(r"\d+(\.\d+)*", version):
        raise ValueError(f"{version!r} is not a version such as '1.33'")
    return tuple(int(part) for part in version.split("."))


def _at_least(minimum: tuple[int, ...], what: str):
    def check(version: str) -> str:
        if _version_tuple(version)[: len(minimum)] < minimum:
            wanted = ".".join(map(str, minimum))
            raise ValueError(f"{what} {version} is below the supported minimum {wanted}")
        return version

    return check


def _cpu(quantity: str) -> str:
    parse_cpu(quantity)
    return quantity


def _memory(quantity: str) -> str:
    parse_memory(quantity)
    return quantity


def _aws_region(name: str) -> str:
    reason = why_not_deployable(name)
    if reason:
        raise ValueError(reason)
    return name


def _cidr(value: str) -> str:
    network = ipaddress.ip_network(value, strict=True)
    if network.version != 4:
        raise ValueError(f"{value} is not an IPv4 network")
    return str(network)


def _vpc_cidr(value: str) -> str:
    network = ipaddress.ip_network(_cidr(value))
    if not network.is_private:
        raise ValueError(f"{value} is not a private (RFC 1918) range")
    if not 16 <= network.prefixlen <= 20:
        raise ValueError(f"{value}: a VPC range must be between /16 and /20")
    return value


# The most addresses the EKS API allowlist may open, all ranges together: one /8. VPN and CI
# egress ranges are /32 to /24; anything near this size is the internet with extra steps.
MAX_API_ACCESS_ADDRESSES = 2**24


# RFC 5737's documentation ranges: nobody's address, so a stack listing one locks its deployer
# out of every cluster. The shipped stack file carries one as a placeholder (see `placeholders`).
DOCUMENTATION_RANGES = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)
# AWS's own documentation account id, the shipped stack file's placeholder.
EXAMPLE_ACCOUNT_ID = "123456789012"


def _is_documentation(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    return any(network.subnet_of(doc) for doc in DOCUMENTATION_RANGES)  # type: ignore[arg-type]


def _public_access_cidr(value: str) -> str:
    network = ipaddress.ip_network(_cidr(value))
    if network.prefixlen == 0:
        raise ValueError("0.0.0.0/0 would open the Kubernetes API to the whole internet")
    if not network.is_global and not _is_documentation(network):
        # The public endpoint only ever sees public source addresses (a VPN's or NAT's egress).
        raise ValueError(
            f"{value} is not a public range: the EKS public endpoint sees your egress address, "
            "never a private one (use the VPN's or CI's public egress)"
        )
    return value


def _api_access_bounded(cidrs: list[str]) -> list[str]:
    networks = list(ipaddress.collapse_addresses(ipaddress.ip_network(c) for c in cidrs))
    opened = sum(n.num_addresses for n in networks)
    if opened > MAX_API_ACCESS_ADDRESSES:
        raise ValueError(
            f"together these ranges open the Kubernetes API to {opened:,} addresses "
            f"({', '.join(map(str, networks))}); at most {MAX_API_ACCESS_ADDRESSES:,} (one /8) "
            "are allowed: list your VPN and CI egress ranges"
        )
    return cidrs


def _image_repository(image: str) -> str:
    """`release.image` is a repository; the tag comes from `release.version`."""
    repository = image.split("@", 1)[0]
    if ":" in repository.rsplit("/", 1)[-1]:  # a registry port ("host:5000/x") is not a tag
        repository = repository.rsplit(":", 1)[0]
    if repository != image:
        raise ValueError(
            f"{image!r} already names a tag or digest; give the repository only "
            f"({repository}) and the tag as release.version"
        )
    return image


KubernetesVersion = Annotated[str, AfterValidator(_at_least(MIN_KUBERNETES, "Kubernetes"))]
PostgresVersion = Annotated[str, AfterValidator(_at_least((MIN_POSTGRES_MAJOR,), "PostgreSQL"))]
RedisVersion = Annotated[str, AfterValidator(_at_least((MIN_REDIS_MAJOR,), "Redis"))]
CpuQuantity = Annotated[str, AfterValidator(_cpu)]
MemoryQuantity = Annotated[str, AfterValidator(_memory)]
AwsRegionName = Annotated[str, AfterValidator(_aws_region)]
VpcCidr = Annotated[str, AfterValidator(_vpc_cidr)]
PublicAccessCidr = Annotated[str, AfterValidator(_public_access_cidr)]
TimeWindow = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")]
# An availability zone's name (`us-east-1a`); its region is checked against the region's key.
ZoneName = Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$")]
# Three zones: the network's subnet layout holds three (components/network.py).
ZONES_PER_REGION = 3


class _KeyedError(ValueError):
    """A cross-field rule broken at a key path, relative to the model that raised it."""

    def __init__(self, path: tuple[str | int, ...], reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason
