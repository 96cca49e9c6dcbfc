"""tools/force_new.py reads ForceNew / RequiresReplace marks from provider source."""

from __future__ import annotations

import force_new

SDK_V2 = """
func resourceThing() *schema.Resource {
	return &schema.Resource{
		Schema: map[string]*schema.Schema{
			"identifier": {
				Type:     schema.TypeString,
				Optional: true,
				Computed: true,
				ForceNew: true,
			},
			names.AttrDescription: {
				Type:     schema.TypeString,
				Optional: true, // ForceNew: true in a comment does not count
			},
			"vpc_config": {
				Type:     schema.TypeList,
				Required: true,
				Elem: &schema.Resource{
					Schema: map[string]*schema.Schema{
						"subnet_ids": {
							Type:     schema.TypeSet,
							Required: true,
							ForceNew: true,
						},
						"endpoint_public_access": {
							Type:     schema.TypeBool,
							Optional: true,
						},
					},
				},
			},
			"note": {
				Type:        schema.TypeString,
				Description: "ForceNew: true, inside a string",
			},
		},
	}
}

func resourceThingV0() *schema.Resource {
	return &schema.Resource{
		Schema: map[string]*schema.Schema{
			"old_field": {Type: schema.TypeString, ForceNew: true},
		},
	}
}
"""

FRAMEWORK = """
func (r *thingResource) Schema(ctx context.Context, request resource.SchemaRequest, response *r) {
	response.Schema = schema.Schema{
		Attributes: map[string]schema.Attribute{
			names.AttrName: schema.StringAttribute{
				Required: true,
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.RequiresReplace(),
				},
			},
			"port": schema.Int64Attribute{
				Optional: true,
			},
		},
	}
}
"""

CONSTANTS = {"AttrDescription": "description", "AttrName": "name"}


def test_sdk_v2_marks_nested_blocks_and_computed():
    marks = force_new.force_new_paths(SDK_V2, CONSTANTS)
    assert marks == {("identifier",): True, ("vpc_config", "subnet_ids"): False}


def test_plugin_framework_plan_modifiers():
    assert force_new.force_new_paths(FRAMEWORK, CONSTANTS) == {("name",): False}


def test_engine_names_follow_the_bridge():
    assert force_new.camel("vpc_config") == "vpcConfig"
    known = {"clientIdLists", "url"}
    assert force_new._engine_path(("client_id_list",), known) == "clientIdLists"
    assert force_new._engine_path(("vpc_config", "subnet_ids"), None) == "vpcConfig.subnetIds"


def test_a_table_from_a_source_tree(tmp_path):
    (tmp_path / "names").mkdir()
    (tmp_path / "names" / "attr_consts_gen.go").write_text('AttrName = "name"\n')
    (tmp_path / "thing.go").write_text(FRAMEWORK)
    files = [("aws:kms/alias:Alias", "thing.go", "abc123"), ("aws:kms/key:Key", "gone.go", "")]
    table = force_new.build_table(tmp_path, files, "test")
    assert table["resources"] == {"aws:kms/alias:Alias": ["name", "region"]}
    assert table["files"]["aws:kms/alias:Alias"] == {"path": "thing.go", "revision": "abc123"}
    assert table["notes"]["missingFiles"] == ["gone.go"]
