"""The SLO rules file of a serving region (issue 21, part 2).

PLACEHOLDER, replaced at merge: another branch writes the real generator (multi-window,
multi-burn-rate alerts, sloth-style names). This stand-in keeps its signature and returns a
minimal valid rules file, one recording rule, so that the metrics backend
(regions/observability.py) can be built and tested on its own.
"""

from __future__ import annotations

import yaml

from regions.config.observability import SloConfig


def rules_yaml(slo: SloConfig, region: str, environment: str) -> str:
    """The plain Prometheus rules file (`groups:`) that `aws.amp.RuleGroupNamespace` takes."""
    ratio = round(1 - slo.availability / 100, 6)
    group = {
        "name": f"erlmcp-{environment}-{region}-slo",
        "rules": [
            {
                "record": "slo:objective:ratio",
                "expr": f"vector({ratio})",
                "labels": {"region": region, "sloth_slo": "availability"},
            }
        ],
    }
    return yaml.safe_dump({"groups": [group]}, sort_keys=False)
