"""Each package reaches only down the layers: the program (components/, then regions/) knows
nothing of the harness that runs it offline (offline/), nor of what is built on that harness
(planning/ and scan/), nor of the commands that change or read the live fleet (operations/),
nor of the review and deploy pipeline that drives them all (pipeline/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# A package may import the packages listed after it, not those before it.
LAYERS = ("pipeline", "operations", "scan", "planning", "offline", "regions", "components")
ALLOWED = {
    "components": {"components"},
    "regions": {"components", "regions"},
    "offline": {"components", "regions", "offline"},
    "planning": {"components", "regions", "offline", "planning"},
    "scan": {"components", "regions", "offline", "planning", "scan"},
    "operations": set(LAYERS) - {"pipeline"},
    "pipeline": set(LAYERS),
}


def imported_packages(path: Path) -> set[str]:
    """The top-level names of this repository's packages a module imports, anywhere in it
    (a function-level import counts as much as one at the top)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(LAYERS)


@pytest.mark.parametrize("package", LAYERS)
def test_packages_import_only_downwards(package):
    wrong = {
        f"{path.relative_to(REPO_ROOT)} imports {name}"
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        for name in imported_packages(path) - ALLOWED[package]
    }
    assert not wrong, "\n".join(sorted(wrong))


def test_a_function_level_import_counts(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def main():\n    from offline.stacks import stack_file_config\n")
    assert imported_packages(module) == {"offline"}
