"""`make rollout VERSION=<v>`: erlmcp goes out wave by wave (canary, soak, health, next wave),
driven through the Pulumi Automation API and resumable from the stack file (README "Rolling out
a new version")."""
