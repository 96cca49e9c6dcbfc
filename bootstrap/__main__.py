"""erlmcp-state: where the erlmcp stacks keep their Pulumi state and secrets (README.md)."""

from state_store.config import load_config
from state_store.stack import build, export

export(build(load_config()))
