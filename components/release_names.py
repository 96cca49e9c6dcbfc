"""The names of the objects an erlmcp release creates, shared by the release
(components/release.py) and the pod template that refers to them (components/release_pod.py)."""

from __future__ import annotations

APP = "erlmcp"
STATEFULSET_NAME = "erlmcp-cluster"
HEADLESS_SERVICE_NAME = "erlmcp-headless"
SERVICE_NAME = "erlmcp"
SERVICE_ACCOUNT_NAME = "erlmcp"
SECRET_NAME = "erlmcp-secrets"
CONFIG_MAP_NAME = "erlmcp-config"
CONTAINER_NAME = "erlmcp"
