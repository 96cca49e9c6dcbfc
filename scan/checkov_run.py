"""checkov's registry and its reports on both frameworks from one checkov interpreter.

Runs under checkov's interpreter, not the program's:

    .venv-scan/bin/python -I scan/checkov_run.py <checkov's command-line arguments>

and prints `{"registry": <scan/checkov_registry.py's registry>, "reports": [one report per
framework]}` as JSON, exiting with checkov's own code. checkov takes about two seconds of CPU to
start; `make scan` started it three times (the registry, then one run per framework) before the
three were put in one interpreter. The report is what the `checkov` command prints: its console
script is `sys.exit(Checkov().run())` (checkov/main.py), run here with the same arguments.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import logging
import sys
import warnings
from pathlib import Path

from checkov.main import Checkov


def _registry() -> dict:
    # By path: -I keeps scan/ (whose modules are named `coverage`, `scan`) off sys.path, where
    # it could shadow a package checkov imports.
    path = Path(__file__).with_name("checkov_registry.py")
    spec = importlib.util.spec_from_file_location("checkov_registry", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    logging.disable(logging.CRITICAL)
    try:
        return module.registry()
    finally:
        logging.disable(logging.NOTSET)


def main(argv: list[str]) -> int:
    registry = _registry()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), warnings.catch_warnings():
        warnings.simplefilter("ignore", category=SyntaxWarning)
        code = Checkov(argv=argv).run()
    reports = json.loads(printed.getvalue())
    reports = reports if isinstance(reports, list) else [reports]
    # Written once, past colorama: checkov's output modules call `colorama.init(autoreset=True)`
    # on import (checkov 3.3.30, common/output/report.py:36), which wraps sys.stdout in a stream
    # that scans and flushes every write; json.dump's ~800k small writes of the 3.5 MB answer
    # took about 1.5 s of CPU there. JSON has no terminal codes for it to strip.
    sys.__stdout__.write(json.dumps({"registry": registry, "reports": reports}))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
