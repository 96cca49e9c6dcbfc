"""The memory of the DB instance classes the stack may use, and the default `max_connections`
of PostgreSQL on RDS and Aurora that follows from it.

Both RDS for PostgreSQL and Aurora PostgreSQL default `max_connections` to
`LEAST({DBInstanceClassMemory/9531392},5000)`: RDS user guide, "Quotas and constraints for
Amazon RDS", section "Maximum number of database connections" (awsdocs/amazon-rds-user-guide
doc_source/CHAP_Limits.md), and Aurora user guide, "Maximum connections to an Aurora PostgreSQL
DB instance" (awsdocs/amazon-aurora-user-guide doc_source/AuroraPostgreSQL.Managing.md).

`DBInstanceClassMemory` is "smaller than the value in gibibytes (GiB) shown in Hardware
specifications for DB instance classes" (memory reserved for the OS and RDS's own processes;
CHAP_Limits.md) and AWS publishes no exact value. Computed from the class's nominal memory the
limit is an upper bound: 1802 for db.r6g.large and 3604 for db.r6g.xlarge, where Aurora's own
table of defaults says 1722 and 3479 (AuroraPostgreSQL.Managing.md), about 4 % lower. An alarm
at 80 % of the computed limit therefore fires at about 84 % of the real one: still before it.

Memory in GiB: Aurora user guide, "Hardware specifications for DB instance classes for Aurora"
(awsdocs/amazon-aurora-user-guide doc_source/Concepts.DBInstanceClass.md); the RDS user guide's
table of the same name gives the same memory for these classes. A class not listed here is
refused by the config (`regions.<r>.database.instanceClass`) rather than guessed: add its row,
from that table, to use it.
"""

from __future__ import annotations

GIB = 1024**3
# LEAST({DBInstanceClassMemory/9531392},5000): bytes per connection, and the cap.
BYTES_PER_CONNECTION = 9_531_392
MAX_DEFAULT_CONNECTIONS = 5_000

INSTANCE_CLASS_MEMORY_GIB: dict[str, float] = {
    "db.r6g.large": 16,
    "db.r6g.xlarge": 32,
    "db.r6g.2xlarge": 64,
    "db.r6g.4xlarge": 128,
    "db.r6g.8xlarge": 256,
    "db.r6g.12xlarge": 384,
    "db.r6g.16xlarge": 512,
    "db.r6i.large": 16,
    "db.r6i.xlarge": 32,
    "db.r6i.2xlarge": 64,
    "db.r6i.4xlarge": 128,
    "db.r5.large": 16,
    "db.r5.xlarge": 32,
    "db.r5.2xlarge": 64,
    "db.r5.4xlarge": 128,
    "db.x2g.large": 32,
    "db.x2g.xlarge": 64,
    "db.x2g.2xlarge": 128,
    "db.t4g.medium": 4,
    "db.t4g.large": 8,
    "db.t3.medium": 4,
    "db.t3.large": 8,
}


def unknown_instance_class(instance_class: str) -> str | None:
    """Why `instance_class` cannot be used, or None when its memory is known."""
    if instance_class in INSTANCE_CLASS_MEMORY_GIB:
        return None
    return (
        f"{instance_class} has no memory in regions/db_instance_classes.py, from which the "
        "database connections alarm computes max_connections; add its row (memory in GiB from "
        'AWS\'s "Hardware specifications for DB instance classes") rather than guess'
    )


def default_max_connections(instance_class: str) -> int:
    """PostgreSQL's default max_connections on RDS and Aurora for `instance_class`, from its
    nominal memory (an upper bound: see the module docstring)."""
    problem = unknown_instance_class(instance_class)
    if problem is not None:
        raise ValueError(problem)
    memory = INSTANCE_CLASS_MEMORY_GIB[instance_class] * GIB
    return min(int(memory // BYTES_PER_CONNECTION), MAX_DEFAULT_CONNECTIONS)
