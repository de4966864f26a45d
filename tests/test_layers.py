"""The house rules, checked by tools: the layer contract of pyproject.toml (import-linter, which sees
function-level imports too), module size, and one home for the version."""
from __future__ import annotations

import subprocess
import sys

from centers import ROOT

PACKAGE = ROOT / "ccsim"


def test_import_layers_hold():
    # lint-imports from the test extra, on the contract in pyproject.toml
    run = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                          "sys.exit(lint_imports(no_cache=True, no_logo=True))"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ccsim layers KEPT" in run.stdout


def test_no_module_over_500_lines_but_the_kernel():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 500}
    assert set(long) <= {"ccsim/engines/numba_kernel.py"}, long


def test_the_version_has_one_home():
    hits = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py") if "__version__ =" in p.read_text()]
    assert hits == ["ccsim/version.py"]
    import ccsim
    from importlib.metadata import version

    assert ccsim.__version__ == version("ccsim")
