"""The container security context of Pod Security's "restricted" profile, which the release's
namespace enforces (components/release.py, `pod-security.kubernetes.io/enforce`): the release's
containers and the database-role Job's carry it."""

from __future__ import annotations

from typing import Any


def restricted_container_context(user: int) -> dict[str, Any]:
    """Non-root as `user` (user and group), read-only root filesystem, no escalation or
    privilege, every capability dropped, the runtime's default seccomp profile."""
    return {
        "run_as_non_root": True,
        "run_as_user": user,
        "run_as_group": user,
        "read_only_root_filesystem": True,
        "allow_privilege_escalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccomp_profile": {"type": "RuntimeDefault"},
    }
