"""s3-backup-replicated-cross-region through AnalyzeStack."""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, fake_resource, messages, only, resource_named

POLICY = "s3-backup-replicated-cross-region"
BUCKET = "aws:s3/bucket:Bucket"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"


def bucket(name: str, region: str) -> object:
    outputs = {"region": region, "bucket": f"{name}-1a2b", "arn": f"arn:aws:s3:::{name}-1a2b"}
    return fake_resource(BUCKET, {"region": region}, name=name, outputs=outputs)


def replication(source: object, *targets: object, statuses: tuple[str, ...] = ()) -> object:
    rules = [
        {
            "id": f"to-{target.name}",
            "status": statuses[i] if statuses else "Enabled",
            "destination": {"bucket": target.outputs["arn"]},
        }
        for i, target in enumerate(targets)
    ]
    props = {"region": source.outputs["region"], "bucket": source.outputs["bucket"], "rules": rules}
    config = fake_resource(REPLICATION, props, name=f"{source.name}-replication")
    config.property_dependencies = {"bucket": [source.urn], "rules": [t.urn for t in targets]}
    return config


def violations(analyze_stack, resources, config=None, preview=False) -> list[str]:
    return messages(analyze_stack(resources, config, preview=preview), POLICY)


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_prod_replication_to_its_own_region_is_caught(analyze_stack, broken_prod):
    config = resource_named(broken_prod, "us-east-1-backups-to-us-west-2-config")
    own = resource_named(broken_prod, "us-east-1-backups-bucket").outputs["arn"]
    for props in (config.inputs, config.outputs):
        props["rules"][0]["destination"]["bucket"] = own
    [found] = only(analyze_stack(broken_prod, policies=[POLICY]), POLICY)
    assert found.urn == config.urn
    assert found.detail.endswith(
        "in the same region (us-east-1); a backup copy must live in another region."
    )
    assert found.enforcement_level == "mandatory"


def test_cross_region_replication_passes(analyze_stack):
    source, target = bucket("src", "us-east-1"), bucket("dst", "us-west-2")
    assert violations(analyze_stack, [source, target, replication(source, target)]) == []


def test_same_region_replication_is_a_violation(analyze_stack):
    source, near = bucket("src", "us-east-1"), bucket("near", "us-east-1")
    far = bucket("far", "eu-west-1")
    found = violations(analyze_stack, [source, near, far, replication(source, far, near)])
    assert found == [
        "bucket 'src-1a2b' replicates to 'near-1a2b' in the same region (us-east-1); a backup "
        "copy must live in another region."
    ]


def test_destination_outside_the_stack_is_a_violation(analyze_stack):
    source, elsewhere = bucket("src", "us-east-1"), bucket("elsewhere", "us-west-2")
    config = replication(source, elsewhere)
    config.property_dependencies["rules"] = []
    found = violations(analyze_stack, [source, config])
    assert found[0] == (
        "bucket 'src-1a2b' replicates to 'arn:aws:s3:::elsewhere-1a2b', which is not a bucket "
        "of this stack: its region cannot be verified."
    )


def test_no_enabled_rule_is_a_violation(analyze_stack):
    source, target = bucket("src", "us-east-1"), bucket("dst", "us-west-2")
    config = replication(source, target, statuses=("Disabled",))
    found = violations(analyze_stack, [source, target, config])
    assert "replication of bucket 'src-1a2b' has no enabled rule." in found


def test_buckets_without_any_replication_are_a_violation(analyze_stack):
    found = only(analyze_stack([bucket("a", "us-east-1"), bucket("b", "us-west-2")]), POLICY)
    assert [d.detail for d in found] == [
        "0 bucket(s) replicate to another region; at least 1 must (a BucketReplicationConfig "
        "whose destination bucket is in a different region)."
    ]
    assert found[0].urn == ""


def test_config_sets_how_many_buckets_must_replicate(analyze_stack):
    source, target = bucket("src", "us-east-1"), bucket("dst", "us-west-2")
    resources = [source, target, replication(source, target)]
    assert violations(analyze_stack, resources, {POLICY: {"min_replicated_buckets": 1}}) == []
    assert len(violations(analyze_stack, resources, {POLICY: {"min_replicated_buckets": 2}})) == 1
    alone = [bucket("a", "us-east-1")]
    assert violations(analyze_stack, alone, {POLICY: {"min_replicated_buckets": 0}}) == []


def unknown_destination(config: object) -> None:
    """The destination ARN as a first preview has it: unknown, in inputs and outputs alike (a
    stack policy reads the outputs)."""
    for props in (config.inputs, config.outputs):
        props["rules"][0]["destination"]["bucket"] = UNKNOWN


def test_unknown_destination_resolves_through_dependencies(analyze_stack):
    source, near = bucket("src", "us-east-1"), bucket("near", "us-east-1")
    config = replication(source, near)
    unknown_destination(config)
    found = violations(analyze_stack, [source, near, config], preview=True)
    assert len(found) == 2 and "in the same region (us-east-1)" in found[0]
    # Only the rules' dependency names `near`: without it there is nothing to judge.
    config.property_dependencies["rules"] = []
    assert violations(analyze_stack, [source, near, config], preview=True) == []


def test_unresolvable_destination_is_not_a_violation(analyze_stack):
    source, target = bucket("src", "us-east-1"), bucket("dst", "us-west-2")
    config = replication(source, target)
    unknown_destination(config)
    config.property_dependencies["rules"] = []
    assert only(analyze_stack([source, target, config], preview=True), POLICY) == []
