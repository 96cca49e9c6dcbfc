"""erlmcp v3 in every region of the stack config; see README.md."""

from regions.config import load_stack_config
from regions.topology import build_topology, export_outputs

export_outputs(build_topology(load_stack_config()))
