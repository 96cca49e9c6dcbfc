"""Every command that changes or reads the live fleet: failover (and its converge after an
automatic one, `auto_failover`), rollout, point-in-time restore (`restore`), secret rotation
(`rotate`, `rotation_plan`, `rotation_driver`), the restore drill (`drill/`) and the daily check
(`check/`); and the parts they share: the stack file (`stack_file`), the Pulumi CLI through the
Automation API (`automation`), health and pod readings (`health`, `live`, `names`), what the
fleet should hold by name (`fleet`), boto3 clients (`aws_clients`), the Kubernetes API with an
EKS token (`kubernetes_api`), AWS Backup recovery points (`recovery_points`) and time
(`clock`)."""
