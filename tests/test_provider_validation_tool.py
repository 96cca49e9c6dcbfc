"""tools/provider_validation.py reads terraform-provider-aws' input validation into a table."""

from __future__ import annotations

import force_new
import go_source
import provider_validation as tool
import validator_rules

SDK_V2 = """
import "github.com/aws/aws-sdk-go-v2/service/backup/types"

func resourceThing() *schema.Resource {
	return &schema.Resource{
		Schema: map[string]*schema.Schema{
			"name": {
				Type:     schema.TypeString,
				Required: true,
				ValidateFunc: validation.All(
					validation.StringLenBetween(1, 50), // a comment
					validation.StringMatch(regexache.MustCompile(`^[0-9A-Za-z_.-]+$`), "chars"),
				),
				ConflictsWith: []string{"name_prefix"},
			},
			"name_prefix": {
				Type:         schema.TypeString,
				Optional:     true,
				ValidateFunc: validation.StringLenBetween(0, 63-id.UniqueIDSuffixLength),
				ExactlyOneOf: []string{"name", "name_prefix"},
			},
			"retention": {
				Type:         schema.TypeInt,
				ValidateFunc: validation.IntBetween(1, maxRetention),
				RequiredWith: []string{"mode"},
				AtLeastOneOf: []string{"retention", "mode"},
			},
			"mode": {
				Type:             schema.TypeString,
				ValidateDiagFunc: enum.Validate[types.Mode](),
			},
			"kind": {
				Type:         schema.TypeString,
				ValidateFunc: validation.StringInSlice([]string{"a", "b"}, false),
			},
			"identifier": {
				Type:         schema.TypeString,
				ValidateFunc: validIdentifier,
			},
			"url": {
				Type:         schema.TypeString,
				ValidateFunc: somethingUnreadable,
			},
		},
	}
}
"""

PACKAGE = """
const maxRetention = 35

func validIdentifier(v interface{}, k string) (ws []string, errors []error) {
	value := v.(string)
	if !regexache.MustCompile(`^[a-z]`).MatchString(value) {
		errors = append(errors, fmt.Errorf("first character must be a letter"))
	}
	if len(value) > 63 {
		errors = append(errors, fmt.Errorf("too long"))
	}
	return
}
"""

FRAMEWORK = """
func (r *thingResource) Schema(ctx context.Context, request resource.SchemaRequest, response *r) {
	response.Schema = schema.Schema{
		Attributes: map[string]schema.Attribute{
			"from_port": schema.Int64Attribute{
				Optional: true,
				Validators: []validator.Int64{
					int64validator.Between(-1, 65535),
				},
			},
			"cidr_ipv4": schema.StringAttribute{
				Validators: []validator.String{
					fwvalidators.IPv4CIDRNetworkAddress(),
				},
			},
		},
	}
}

func (r *thingResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		resourcevalidator.ExactlyOneOf(
			path.MatchRoot("cidr_ipv4"),
			path.MatchRoot("prefix_list_id"),
		),
	}
}
"""


def _read(text: str, package: str = PACKAGE, enums=None):
    context = validator_rules.Context(
        package=go_source.package_definitions_from_text(package),
        verify={},
        enums={"backup.Mode": ["ON", "OFF"]} if enums is None else enums,
        service="backup",
        constants=go_source.constants_from_text(package),
    )
    return tool.read_file(text, {}, context, "thing.go")


def _kinds(rules):
    return [{k: v for k, v in r.items() if k not in ("source", "message")} for r in rules]


def test_sdk_v2_value_validators():
    rules, _, untranslated = _read(SDK_V2)
    assert _kinds(rules["name"]) == [
        {"kind": "length", "min": 1, "max": 50},
        {"kind": "pattern", "regex": "^[0-9A-Za-z_.-]+$"},
    ]
    assert _kinds(rules["name_prefix"]) == [{"kind": "length", "min": 0, "max": 37}]
    assert _kinds(rules["retention"]) == [{"kind": "range", "min": 1, "max": 35}]
    assert _kinds(rules["mode"]) == [{"kind": "oneOf", "values": ["ON", "OFF"]}]
    assert _kinds(rules["kind"]) == [{"kind": "oneOf", "values": ["a", "b"]}]
    assert _kinds(rules["identifier"]) == [
        {"kind": "pattern", "regex": "^[a-z]"},
        {"kind": "length", "max": 63},
    ]
    assert rules["name"][0]["source"] == "thing.go:10"
    # A validator the tool cannot translate is listed by name, not dropped.
    assert untranslated == {"url": ["somethingUnreadable"]}


def test_sdk_v2_relations():
    _, relations, _ = _read(SDK_V2)
    assert {(r["kind"], r["attribute"], tuple(r["with"])) for r in relations} == {
        ("conflictsWith", "name", ("name_prefix",)),
        ("exactlyOneOf", "name_prefix", ("name", "name_prefix")),
        ("requiredWith", "retention", ("mode",)),
        ("atLeastOneOf", "retention", ("retention", "mode")),
    }


def test_an_enum_botocore_does_not_know_is_listed():
    _, _, untranslated = _read(SDK_V2, enums={})
    assert untranslated["mode"] == ["enum backup.Mode (not in botocore's models)"]


def test_plugin_framework_validators_and_config_validators():
    rules, relations, _ = _read(FRAMEWORK)
    assert _kinds(rules["from_port"]) == [{"kind": "range", "min": -1, "max": 65535}]
    assert _kinds(rules["cidr_ipv4"]) == [{"kind": "cidr", "network": True, "version": 4}]
    assert [(r["kind"], r["attribute"], r["with"]) for r in relations] == [
        ("exactlyOneOf", "cidr_ipv4", ["prefix_list_id"])
    ]


def test_every_name_in_the_table_is_a_pulumi_aws_property():
    """Names the table holds but the class lacks would never be checked: only the attributes
    pulumi-aws v7 removed may be missing (its migration guide), and each is named here."""
    removed_in_v7 = {
        "aws:ec2/eip:Eip": ["vpc"],
        "aws:ec2/flowLog:FlowLog": ["logGroupName"],
        "aws:eks/addon:Addon": ["resolveConflicts"],
    }
    table = tool.load_json(tool.DEFAULT_OUT)
    for type_, entry in table["resources"].items():
        known = force_new.pulumi_properties(type_)
        assert known is not None, type_
        heads = {name.split(".")[0] for name in entry["inputs"]}
        heads |= {r["attribute"].split(".")[0] for r in entry["relations"]}
        assert sorted(heads - known) == removed_in_v7.get(type_, []), type_
    assert table["notes"]["namesNotOnThePulumiClass"] == removed_in_v7
