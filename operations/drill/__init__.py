"""`make restore-drill`: restore each database's newest AWS Backup recovery point into a scratch
database in its DR region, check it, delete it, and measure it against the DR budget
(docs/restore-drill.md). `scratch` (the scratch database: restore,
wait, delete, leftovers), `probes` (the check query: Data API or a one-shot pod), `run` (one
drill, its result and budget), `__main__` (the command)."""
