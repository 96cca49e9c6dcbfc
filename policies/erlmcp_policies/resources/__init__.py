"""Resource policies (one per module); filled in by the resource-policy work."""

RESOURCE_POLICIES = []
