"""EKS plumbing shared by the EKS policies (not a policy)."""

from __future__ import annotations

CLUSTER = "aws:eks/cluster:Cluster"
