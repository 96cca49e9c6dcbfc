"""Every command that changes or reads the live fleet (failover, rollout; restore, rotate, drill
and check next), and the parts they share: the stack file (`stack_file`), the Pulumi CLI through
the Automation API (`automation`), health and pod readings (`health`, `live`, `names`)."""
