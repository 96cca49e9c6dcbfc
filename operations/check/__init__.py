"""`make check`: the morning check of the whole fleet (runbook §7.1), read-only
(docs/daily-check.md). `run` walks the regions; each concern is its own module: `endpoints`
(HTTPS /health), `route53` (health checks and alarms), `replication` (DR lag), `backups`
(recovery points and replicated objects), `certificates`, `pods` (the Kubernetes API);
`findings` holds what they find, `__main__` prints and writes it."""
