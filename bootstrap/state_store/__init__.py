"""The `erlmcp-state` stack's program: config, providers, the multi-Region key, the state
buckets and their two-way replication (see ../README.md)."""
