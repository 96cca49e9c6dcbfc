"""Fixtures of the pipeline's tests."""

from __future__ import annotations

from offline.stacks import REPO_ROOT

__all__ = ["REPO_ROOT"]
