"""The stack config model: every rule accepts good input and names the key of bad input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
import yaml

from offline.mocks import RealisticMocks
from offline.recorder import RecordingMonitor, flatten_config
from offline.stacks import run_stack_file, stack_file_config
from regions.config import (
    PATTERN_MEANING,
    ConfigError,
    StackConfig,
    load_stack_config,
    parse_cpu,
    parse_memory,
    parse_stack_config,
    unknown_namespaces,
)
from regions.config import loading as config_module


def rejects(values: dict[str, Any], *fragments: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(values)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    return message


def test_prod_config_matches_the_brief(prod_values):
    config = parse_stack_config(prod_values)
    roles = {name: (r.role, r.pods) for name, r in config.regions.items()}
    assert roles == {
        "us-east-1": ("primary", 3),
        "us-west-2": ("standby", 0),
        "eu-west-1": ("primary", 2),
        "eu-central-1": ("standby", 0),
        "ap-southeast-1": ("primary", 2),
        "ap-northeast-1": ("primary", 2),
    }
    pairs = {(p.primary, p.standby): (p.rto_minutes, p.rpo_minutes) for p in config.dr_pairs}
    assert pairs == {
        ("us-east-1", "us-west-2"): (5, 1),
        ("eu-west-1", "eu-central-1"): (10, 5),
        ("ap-southeast-1", "ap-northeast-1"): (15, 5),
        ("ap-northeast-1", "ap-southeast-1"): (15, 5),
    }
    assert config.pair_for_standby("ap-northeast-1").primary == "ap-southeast-1"
    assert config.dns.health_check.interval_seconds == 30
    assert config.dns.health_check.failure_threshold == 3


def test_region_defaults_fill_what_a_region_leaves_out(prod_values):
    config = parse_stack_config(prod_values)
    assert config.regions["us-west-2"].kubernetes_version == "1.33"
    assert config.regions["us-west-2"].nodes.desired_size == 2  # region's own value wins
    assert config.regions["us-west-2"].nodes.instance_types == ["m6i.xlarge"]  # default


def test_unknown_top_level_key_is_rejected(prod_values):
    prod_values["domian"] = "typo.example"
    rejects(prod_values, "erlmcp-infra:domian: unknown key")


def test_unknown_nested_key_is_rejected(prod_values):
    prod_values["regions"]["eu-west-1"]["database"]["instanceClas"] = "db.r6g.large"
    rejects(prod_values, "erlmcp-infra:regions.eu-west-1.database.instanceClas: unknown key")


def test_region_name_must_be_an_aws_region(prod_values):
    prod_values["regions"]["us-east-9"] = prod_values["regions"].pop("us-west-2")
    rejects(prod_values, "erlmcp-infra:regions.us-east-9", "not an AWS region code")


def test_pair_regions_must_exist(prod_values):
    prod_values["drPairs"][1]["standby"] = "eu-north-1"
    rejects(prod_values, "erlmcp-infra:drPairs[1].standby", "eu-north-1 is not a region")


def test_pair_regions_must_differ(prod_values):
    prod_values["drPairs"][0]["standby"] = "us-east-1"
    rejects(prod_values, "erlmcp-infra:drPairs[0].standby", "cannot stand by for itself")


def test_a_standby_stands_by_for_one_primary_only(prod_values):
    prod_values["drPairs"][1]["standby"] = "us-west-2"
    rejects(prod_values, "erlmcp-infra:drPairs[1].standby", "already stands by for us-east-1")


def test_pair_primary_must_have_the_primary_role(prod_values):
    prod_values["drPairs"][0] = {
        "primary": "eu-central-1",
        "standby": "us-west-2",
        "rtoMinutes": 5,
        "rpoMinutes": 1,
    }
    rejects(prod_values, "erlmcp-infra:drPairs[0].primary", "has role standby")


def test_a_standby_region_must_be_named_by_a_pair(prod_values):
    del prod_values["drPairs"][1]
    rejects(prod_values, "erlmcp-infra:regions.eu-central-1.role", "no drPairs entry")


def test_vpc_cidrs_must_not_overlap(prod_values):
    prod_values["regions"]["eu-west-1"]["vpcCidr"] = "10.10.128.0/17"
    rejects(prod_values, "erlmcp-infra:regions.", "vpcCidr", "overlaps")


@pytest.mark.parametrize(
    ("cidr", "reason"),
    [
        ("10.0.0.0/8", "between /16 and /20"),
        ("8.8.0.0/16", "private"),
        ("10.1.2.3/16", "host bits set"),
    ],
)
def test_vpc_cidr_shape(prod_values, cidr, reason):
    prod_values["regions"]["us-east-1"]["vpcCidr"] = cidr
    rejects(prod_values, "erlmcp-infra:regions.us-east-1.vpcCidr", reason)


def test_at_most_100_pods_per_region(prod_values):
    prod_values["regions"]["us-east-1"]["pods"] = 101
    rejects(prod_values, "erlmcp-infra:regions.us-east-1.pods", "less than or equal to 100")


def test_hpa_ceiling_is_also_capped_at_100(prod_values):
    prod_values["regions"]["us-east-1"]["hpa"]["maxReplicas"] = 150
    rejects(prod_values, "erlmcp-infra:regions.us-east-1.hpa.maxReplicas")


def test_pods_must_lie_within_the_hpa_range(prod_values):
    prod_values["regions"]["us-east-1"]["pods"] = 25
    rejects(prod_values, "erlmcp-infra:regions.us-east-1.pods", "outside the HPA range")


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("cpuLimit", "4500m", "above the 4 CPU"),
        ("memoryLimit", "9Gi", "above the 8Gi"),
        ("cpuRequest", "3", "above cpuLimit"),
        ("memoryRequest", "6Gi", "above memoryLimit"),
        ("cpuLimit", "two", "not a CPU quantity"),
    ],
)
def test_pod_limits(prod_values, key, value, reason):
    prod_values["regionDefaults"]["pod"][key] = value
    rejects(prod_values, f"pod.{key}", reason)


def test_pod_limits_at_the_maximum_are_accepted(prod_values):
    prod_values["regionDefaults"]["pod"].update(cpuLimit="4", memoryLimit="8Gi")
    parse_stack_config(prod_values)


@pytest.mark.parametrize(
    ("path", "value", "key", "reason"),
    [
        (("regionDefaults", "kubernetesVersion"), "1.27", "kubernetesVersion", "Kubernetes 1.27"),
        (
            ("regions", "eu-west-1", "database", "engineVersion"),
            "14.9",
            "engineVersion",
            "PostgreSQL 14.9",
        ),
        (("regions", "eu-west-1", "cache", "engineVersion"), "6.2", "engineVersion", "Redis 6.2"),
    ],
)
def test_minimum_versions(prod_values, path, value, key, reason):
    target = prod_values
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    rejects(prod_values, key, reason, "below the supported minimum")


def test_minimum_versions_are_accepted(prod_values):
    prod_values["regionDefaults"]["kubernetesVersion"] = "1.28"
    prod_values["regionDefaults"]["addons"]["kube-proxy"] = "v1.28.15-eksbuild.4"
    prod_values["regions"]["eu-west-1"]["database"]["engineVersion"] = "15.4"
    prod_values["regions"]["eu-west-1"]["cache"]["engineVersion"] = "7.0"
    parse_stack_config(prod_values)


def test_a_standby_runs_no_pods_and_no_hpa(prod_values):
    prod_values["regions"]["us-west-2"]["pods"] = 2
    rejects(prod_values, "erlmcp-infra:regions.us-west-2.pods", "runs 0 pods")


def test_a_standby_takes_database_size_from_its_primary(prod_values):
    prod_values["regions"]["us-west-2"]["database"] = prod_values["regions"]["us-east-1"][
        "database"
    ]
    rejects(prod_values, "erlmcp-infra:regions.us-west-2.database", "from its primary")


def test_a_primary_needs_a_database(prod_values):
    del prod_values["regions"]["eu-west-1"]["database"]
    rejects(prod_values, "erlmcp-infra:regions.eu-west-1.database", "needs this block")


def test_release_version_must_be_pinned(prod_values):
    prod_values["release"]["version"] = "latest"
    rejects(prod_values, "erlmcp-infra:release.version", "pin a release version")


def test_eks_api_must_not_be_open_to_the_internet(prod_values):
    prod_values["apiAccessCidrs"] = ["0.0.0.0/0"]
    rejects(prod_values, "erlmcp-infra:apiAccessCidrs[0]", "whole internet")


def test_health_check_interval_is_10_or_30(prod_values):
    prod_values["dns"]["healthCheck"]["intervalSeconds"] = 20
    rejects(prod_values, "erlmcp-infra:dns.healthCheck.intervalSeconds")


def test_glacier_needs_90_days_before_expiry(prod_values):
    prod_values["backups"]["objects"]["postgres"]["glacierAfterDays"] = 1
    rejects(prod_values, "backups.objects.postgres.glacierAfterDays", "90-day minimum")
    prod_values["backups"]["objects"]["postgres"].update(expireDays=365, glacierAfterDays=30)
    parse_stack_config(prod_values)


def test_database_backup_retention_is_within_rds_limits(prod_values):
    prod_values["backups"]["database"]["retentionDays"] = 40
    rejects(prod_values, "erlmcp-infra:backups.database.retentionDays")


def test_every_problem_is_reported_at_once(prod_values):
    prod_values["regions"]["us-east-1"]["pods"] = 500
    prod_values["release"]["version"] = "latest"
    message = rejects(prod_values, "regions.us-east-1.pods", "release.version")
    assert len(message.splitlines()) == 2


def test_quantities_parse_like_kubernetes():
    assert parse_cpu("500m") == parse_cpu("0.5")
    assert parse_memory("8Gi") == 8 * 1024**3
    assert parse_memory("1G") == 10**9


def test_load_stack_config_stops_with_a_run_error_naming_the_key(prod_config):
    prod_config["erlmcp-infra:regions"]["us-east-1"]["pods"] = 500
    pulumi.runtime.set_all_config(flatten_config("erlmcp-infra", prod_config))
    with pytest.raises(pulumi.RunError) as caught:
        load_stack_config()
    assert "erlmcp-infra:regions.us-east-1.pods" in str(caught.value)


def test_load_stack_config_reads_the_engine_config(prod_config):
    # Outside the mock runtime, as under the real engine: placeholders would stop it.
    prod_config["erlmcp-infra:apiAccessCidrs"] = ["8.8.8.0/24"]
    prod_config["erlmcp-infra:accountId"] = "210987654321"
    prod_config["erlmcp-infra:pagerEndpoints"] = {
        "page": {"pagerduty": "https://events.example.com/x"}
    }
    secret = ["erlmcp-infra:pagerEndpoints"]
    pulumi.runtime.set_all_config(flatten_config("erlmcp-infra", prod_config), secret)
    assert load_stack_config().regions["us-east-1"].kubernetes_version == "1.33"


def test_home_region_must_be_one_of_the_regions(prod_values):
    prod_values["homeRegion"] = "eu-north-1"
    rejects(prod_values, "erlmcp-infra:homeRegion", "not under 'regions'")


def test_a_serving_region_needs_a_standby_or_a_stated_exception(prod_values):
    del prod_values["drPairs"][3]
    rejects(prod_values, "erlmcp-infra:regions.ap-northeast-1", "its data has no standby")
    prod_values["noStandby"] = {"ap-northeast-1": "accepted for now: Japan data is rebuildable"}
    parse_stack_config(prod_values)


def test_no_standby_exception_must_name_an_unpaired_serving_region(prod_values):
    prod_values["noStandby"] = {"us-east-1": "no reason that should be accepted"}
    rejects(prod_values, "erlmcp-infra:noStandby.us-east-1", "has a standby in drPairs")
    prod_values["noStandby"] = {"us-west-2": "a standby region serves nothing"}
    rejects(prod_values, "erlmcp-infra:noStandby.us-west-2", "not a serving region")


def test_a_standby_must_absorb_its_primary_within_100_pods(prod_values):
    regions = prod_values["regions"]
    regions["ap-southeast-1"]["hpa"]["maxReplicas"] = 60
    regions["ap-northeast-1"]["hpa"]["maxReplicas"] = 50
    rejects(prod_values, "erlmcp-infra:drPairs[2].standby", "50 pods of its own plus 60", "= 110")


def test_capacity_at_exactly_100_pods_is_accepted(prod_values):
    prod_values["regions"]["ap-southeast-1"]["hpa"]["maxReplicas"] = 50
    prod_values["regions"]["ap-northeast-1"]["hpa"]["maxReplicas"] = 50
    parse_stack_config(prod_values)


def test_warm_standby_pods_cannot_exceed_the_primarys(prod_values):
    prod_values["drPairs"][0]["standbyPods"] = 21
    rejects(prod_values, "erlmcp-infra:drPairs[0].standbyPods", "exceed us-east-1's maximum 20")


@pytest.mark.parametrize(
    ("key", "value"), [("database", "dynamodb"), ("healthCheckIntervalSeconds", 20)]
)
def test_pair_knobs_take_only_known_values(prod_values, key, value):
    prod_values["drPairs"][0][key] = value
    rejects(prod_values, f"erlmcp-infra:drPairs[0].{key}")


def test_pair_knobs_default_to_the_runbook_design(prod_values):
    pair = parse_stack_config(prod_values).dr_pairs[2]
    assert (pair.database, pair.health_check_interval_seconds, pair.standby_pods) == (
        "rds",
        None,
        0,
    )


def test_failover_names_a_pair_and_its_own_standby(prod_values):
    prod_values["failover"] = {"us-east-1": "us-west-2"}
    config = parse_stack_config(prod_values)
    assert config.failed_over(config.dr_pairs[0])
    assert not config.failed_over(config.dr_pairs[1])
    prod_values["failover"] = {"us-east-1": "eu-central-1"}
    rejects(prod_values, "erlmcp-infra:failover.us-east-1", "its standby us-west-2")
    prod_values["failover"] = {"us-west-2": "us-east-1"}
    rejects(prod_values, "erlmcp-infra:failover.us-west-2", "not the primary of a drPair")


def test_mutual_standbys_cannot_both_be_failed_over(prod_values):
    prod_values["failover"] = {
        "ap-southeast-1": "ap-northeast-1",
        "ap-northeast-1": "ap-southeast-1",
    }
    rejects(prod_values, "cannot fail over to each other")


def test_failback_follows_a_failover_and_names_a_known_stage(prod_values):
    prod_values["failover"] = {"us-east-1": "us-west-2"}
    prod_values["failback"] = {"us-east-1": "resync"}
    config = parse_stack_config(prod_values)
    assert config.dr_stage(config.dr_pairs[0]) == "resync"
    assert config.dr_stage(config.dr_pairs[1]) == "normal"
    prod_values["failback"] = {"us-east-1": "switchback"}
    rejects(prod_values, "erlmcp-infra:failback.us-east-1", "'resync', 'drain' or 'cutover'")
    prod_values["failback"] = {"eu-west-1": "resync"}
    rejects(prod_values, "erlmcp-infra:failback.eu-west-1", "eu-west-1 is not failed over")


def test_retired_generations_are_earlier_and_listed_once(prod_values):
    pair = prod_values["drPairs"][0]
    pair.update(generation=3, retiredGenerations=[1, 2])
    assert parse_stack_config(prod_values).dr_pairs[0].retired_generations == [1, 2]
    pair["retiredGenerations"] = [3]
    rejects(
        prod_values,
        "erlmcp-infra:drPairs[0].retiredGenerations[0]",
        "3 is not an earlier generation than the current 3",
    )
    pair["retiredGenerations"] = [2, 2]
    rejects(prod_values, "erlmcp-infra:drPairs[0].retiredGenerations[1]", "listed twice")
    pair["generation"] = 0
    rejects(prod_values, "erlmcp-infra:drPairs[0].generation")


# --- holes and misleading messages (issue: config's last holes) ---------------------------------


def test_an_image_that_already_carries_a_tag_or_digest_is_rejected(prod_values):
    prod_values["release"]["image"] = "ghcr.io/seanchatmangpt/erlmcp:3.0.0"
    rejects(
        prod_values,
        "erlmcp-infra:release.image: 'ghcr.io/seanchatmangpt/erlmcp:3.0.0' already names a tag",
        "(ghcr.io/seanchatmangpt/erlmcp) and the tag as release.version",
    )
    prod_values["release"]["image"] = "ghcr.io/seanchatmangpt/erlmcp@sha256:0123abcd"
    rejects(prod_values, "erlmcp-infra:release.image", "already names a tag or digest")


def test_the_release_version_needs_its_image_digest(prod_values):
    prod_values["release"]["version"] = "3.1.0"
    rejects(
        prod_values,
        "erlmcp-infra:release.imageDigests: no digest for version '3.1.0'",
        "add `3.1.0: sha256:<digest>`",
        "ghcr.io/seanchatmangpt/erlmcp:3.1.0",
    )


@pytest.mark.parametrize("digest", ["sha256:abc", "sha512:" + "0" * 64, "SHA256:" + "A" * 64])
def test_an_image_digest_must_be_a_sha256_digest(prod_values, digest):
    prod_values["release"]["imageDigests"]["3.0.0"] = digest
    rejects(
        prod_values,
        "erlmcp-infra:release.imageDigests.3.0.0",
        "an image digest: sha256: and 64 lowercase hex digits",
    )


def test_a_registry_port_is_not_a_tag(prod_values):
    prod_values["release"]["image"] = "registry.internal:5000/erlmcp"
    assert parse_stack_config(prod_values).release.image == "registry.internal:5000/erlmcp"


@pytest.mark.parametrize(
    "cidrs",
    [
        ["0.0.0.0/1", "128.0.0.0/1"],  # together: the whole internet
        ["1.0.0.0/8", "2.0.0.0/24"],  # one /8 and a little more
        ["4.0.0.0/7"],
    ],
)
def test_api_ranges_that_together_open_too_much_are_rejected(prod_values, cidrs):
    prod_values["apiAccessCidrs"] = cidrs
    rejects(prod_values, "erlmcp-infra:apiAccessCidrs: together these ranges open", "one /8")


def test_api_ranges_up_to_a_slash_8_together_are_accepted(prod_values):
    prod_values["apiAccessCidrs"] = ["1.0.0.0/9", "1.128.0.0/9"]
    assert parse_stack_config(prod_values).api_access_cidrs == ["1.0.0.0/9", "1.128.0.0/9"]


def test_a_region_defaults_typo_is_named_once_where_it_is_written(prod_values):
    prod_values["regionDefaults"]["kubernetesVersin"] = "1.33"
    prod_values["regionDefaults"]["nodes"]["instanceTyps"] = ["m6i.large"]
    message = rejects(prod_values)
    assert sorted(message.splitlines()) == [
        "erlmcp-infra:regionDefaults.kubernetesVersin: unknown key (typo?); "
        "it would be silently ignored",
        "erlmcp-infra:regionDefaults.nodes.instanceTyps: unknown key (typo?); "
        "it would be silently ignored",
    ]


def test_an_overlapping_range_is_blamed_on_the_region_written_later(prod_values):
    # eu-central-1 comes after us-east-1 in the file: its range is the one that collides.
    prod_values["regions"]["eu-central-1"]["vpcCidr"] = "10.10.0.0/16"
    message = rejects(prod_values)
    assert message == (
        "erlmcp-infra:regions.eu-central-1.vpcCidr: 10.10.0.0/16 overlaps "
        "regions.us-east-1.vpcCidr (10.10.0.0/16); peered or replicated VPCs need distinct ranges"
    )


def test_an_invalid_region_code_is_named_without_a_placeholder(prod_values):
    prod_values["regions"]["us-east-9"] = prod_values["regions"].pop("us-west-2")
    message = rejects(prod_values, "erlmcp-infra:regions.us-east-9: 'us-east-9' is not an AWS")
    assert "[key]" not in message


def test_a_bad_domain_is_explained_not_printed_as_a_regex(prod_values):
    prod_values["domain"] = "Not A Domain"
    message = rejects(
        prod_values, "erlmcp-infra:domain: 'Not A Domain' is not a DNS domain name like erlmcp.io"
    )
    assert "^" not in message


def _patterns(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        if isinstance(schema.get("pattern"), str):
            yield schema["pattern"]
        for value in schema.values():
            yield from _patterns(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _patterns(value)


def test_every_pattern_in_the_model_has_a_readable_meaning():
    used = set(_patterns(StackConfig.model_json_schema()))
    assert used, "the model has patterns"
    assert used <= set(PATTERN_MEANING), sorted(used - set(PATTERN_MEANING))


def test_a_config_key_in_an_unknown_namespace_stops_the_program(prod_config):
    prod_config["erlmcp-infr:tags"] = {"owner": "someone"}
    monitor = RecordingMonitor(RealisticMocks())
    with pytest.raises(pulumi.RunError) as caught:
        run_stack_file(prod_config, monitor=monitor)
    assert (
        "erlmcp-infr:tags: unknown config namespace 'erlmcp-infr' (typo of 'erlmcp-infra'?)"
        in str(caught.value)
    )
    assert monitor.recorded == []


def test_the_engines_namespace_is_known():
    assert unknown_namespaces(["pulumi:tags", "erlmcp-infra:domain"]) == []


@pytest.mark.parametrize("key", ["aws:region", "aws:profile", "kubernetes:context", "random:x"])
def test_provider_config_is_refused_because_no_explicit_provider_reads_it(key):
    [problem] = unknown_namespaces([key])
    assert problem.startswith(f"{key}: no provider reads it; every provider is explicit")


def test_a_stack_that_leaves_default_providers_on_stops_the_program(prod_config):
    del prod_config["pulumi:disable-default-providers"]
    monitor = RecordingMonitor(RealisticMocks())
    with pytest.raises(pulumi.RunError) as caught:
        run_stack_file(prod_config, monitor=monitor)
    assert 'pulumi:disable-default-providers: must be ["*"]' in str(caught.value)
    assert monitor.recorded == []


def test_disabling_only_some_default_providers_is_not_enough(prod_config):
    prod_config["pulumi:disable-default-providers"] = ["aws"]
    with pytest.raises(pulumi.RunError, match="disable-default-providers"):
        run_stack_file(prod_config, monitor=RecordingMonitor(RealisticMocks()))


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        (["us-east-1a", "us-east-1b"], "at least 3 items"),
        (["us-east-1a", "us-east-1b", "us-west-2c"], "us-west-2c not in us-east-1"),
        (["us-east-1a", "us-east-1a", "us-east-1b"], "names a zone twice"),
        (["us-east-1a", "us-east-1b", "use1-az1"], "an availability zone name like us-east-1a"),
    ],
)
def test_bad_availability_zones_are_named_with_their_region(prod_values, zones, message):
    prod_values["regions"]["us-east-1"]["availabilityZones"] = zones
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(prod_values)
    assert "erlmcp-infra:regions.us-east-1.availabilityZones" in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize("account", ["12345678901", "1234567890123", "abcdefghijkl", 123456789012])
def test_a_bad_account_id_is_refused(prod_values, account):
    prod_values["accountId"] = account
    with pytest.raises(ConfigError, match="erlmcp-infra:accountId"):
        parse_stack_config(prod_values)


def test_a_key_written_twice_in_the_stack_file_is_an_error(tmp_path):
    stack_file = tmp_path / "Pulumi.dup.yaml"
    stack_file.write_text(
        "config:\n  erlmcp-infra:domain: a.io\n  aws:region: us-east-1\n"
        "  erlmcp-infra:domain: b.io\n"
    )
    with pytest.raises(yaml.YAMLError) as caught:
        stack_file_config(stack_file)
    message = str(caught.value)
    assert "the key 'erlmcp-infra:domain' is written twice (first at line 2)" in message
    assert f'in "{stack_file}", line 4' in message


def test_a_yaml_error_names_the_file_and_line(tmp_path):
    stack_file = tmp_path / "Pulumi.broken.yaml"
    stack_file.write_text("config:\n  erlmcp-infra:domain: [a\n")
    with pytest.raises(yaml.YAMLError) as caught:
        stack_file_config(stack_file)
    assert f'in "{stack_file}", line 2' in str(caught.value)
    assert "<unicode string>" not in str(caught.value)


@pytest.mark.parametrize(
    "cidr", ["10.20.0.0/16", "192.168.1.0/24", "100.64.0.0/10", "127.0.0.1/32"]
)
def test_a_private_api_access_range_is_refused(prod_values, cidr):
    prod_values["apiAccessCidrs"] = [cidr]
    rejects(prod_values, "erlmcp-infra:apiAccessCidrs[0]", "is not a public range")


@pytest.mark.parametrize("cidr", ["192.0.2.0/24", "198.51.100.0/25", "203.0.113.7/32"])
def test_a_documentation_range_is_a_placeholder(prod_values, cidr):
    prod_values["apiAccessCidrs"] = ["8.8.8.0/24", cidr]
    [placeholder] = [p for p in parse_stack_config(prod_values).placeholders() if cidr in p]
    assert "documentation range (RFC 5737)" in placeholder


def test_real_values_are_no_placeholders(prod_values):
    prod_values["apiAccessCidrs"] = ["8.8.8.0/24"]
    prod_values["accountId"] = "210987654321"
    prod_values["pagerEndpoints"] = {"page": {"pagerduty": "https://events.example.com/x"}}
    assert parse_stack_config(prod_values).placeholders() == []


def test_a_real_update_refuses_placeholders_before_registering_anything(prod_config, monkeypatch):
    monkeypatch.setattr(config_module, "_rendered_offline", lambda: False)
    monitor = RecordingMonitor(RealisticMocks())
    with pytest.raises(pulumi.RunError) as caught:
        run_stack_file(prod_config, monitor=monitor)
    message = str(caught.value)
    assert "still holds placeholders; replace them before `pulumi up`" in message
    assert "198.51.100.0/24 is a documentation range" in message
    assert "123456789012 is AWS's documentation account" in message
    assert monitor.recorded == []


def test_a_preview_only_warns_about_placeholders(prod_values, monkeypatch):
    monkeypatch.setattr(config_module, "_rendered_offline", lambda: False)
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: True)
    warned: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: warned.append(message))
    config_module._refuse_placeholders_in_a_real_update(parse_stack_config(prod_values))
    assert len(warned) == 3 and all(w.startswith("placeholder in the stack file") for w in warned)


def test_every_cluster_runs_the_required_add_ons(prod_values):
    del prod_values["regionDefaults"]["addons"]["metrics-server"]
    rejects(prod_values, "erlmcp-infra:regions.us-east-1.addons", "missing metrics-server")


def test_kube_proxy_follows_the_kubernetes_version(prod_values):
    prod_values["regions"]["eu-west-1"]["kubernetesVersion"] = "1.32"
    rejects(
        prod_values,
        "erlmcp-infra:regions.eu-west-1.addons.kube-proxy",
        "v1.33.5-eksbuild.2 does not match kubernetesVersion 1.32",
    )


def test_an_add_on_version_must_be_an_eks_build(prod_values):
    prod_values["regionDefaults"]["addons"]["coredns"] = "1.12"
    rejects(prod_values, "coredns", "an EKS add-on version like v1.20.1-eksbuild.3")
