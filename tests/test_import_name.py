"""``homesim`` is the import name: the same package and module objects as ``sim``.

``sim`` still imports, with a DeprecationWarning when code outside the package uses that
name; the command line and ``homesim``'s own imports never warn. The batch engine
knows nothing of the command line (its options live beside the commands).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import homesim
import sim

REPO = Path(__file__).resolve().parents[1]


def _python(*args: str) -> subprocess.CompletedProcess:
    """Run this interpreter in a fresh process from the repository root."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=120
    )


def test_homesim_is_the_sim_package_and_its_modules_are_the_same_objects():
    assert homesim is sim
    for name in ("model", "plots.psa", "batch.engine", "scenario.loader", "compare"):
        assert importlib.import_module(f"homesim.{name}") is importlib.import_module(f"sim.{name}")
    assert homesim.HomelessnessModel is sim.model.HomelessnessModel
    assert callable(homesim.compare), "importing homesim.compare replaced the function"
    assert sys.modules["homesim.model"].__spec__.name == "sim.model"


def test_from_homesim_imports_work_and_never_warn():
    code = (
        "import homesim, homesim.model, sim.model\n"
        "from homesim.plots import psa\n"
        "from homesim import HomelessnessModel, load_scenario\n"
        "import sim.plots.psa\n"
        "assert psa is sim.plots.psa and homesim.model is sim.model\n"
        "print(homesim.__name__)"
    )
    out = _python("-W", "error::DeprecationWarning", "-c", code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "sim"


def test_importing_sim_by_its_old_name_warns_once_and_still_works():
    out = _python("-W", "always::DeprecationWarning", "-c", "import sim.model, sim\nprint('ok')")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
    assert out.stderr.count("the import name 'sim' is deprecated; import homesim") == 1, out.stderr


def test_python_m_homesim_and_the_old_module_run_without_a_warning():
    for args in (["-m", "homesim", "--version"], ["-m", "sim.cli", "--version"]):
        out = _python(*args)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("homesim "), out.stdout
        assert out.stderr == "", out.stderr


def test_a_console_script_installed_before_the_new_name_does_not_warn(tmp_path):
    script = tmp_path / "homesim"
    script.write_text("import sys\nfrom sim.cli import main\nsys.exit(main())\n")
    out = _python("-W", "always::DeprecationWarning", str(script), "--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("homesim ") and out.stderr == "", out.stderr


def test_the_batch_engine_does_not_import_the_command_line():
    code = (
        "import sys, homesim.batch, homesim.batch.cache, homesim.batch.progress\n"
        "print(sorted(m for m in sys.modules if m.startswith(('sim.commands', 'sim.cli'))))"
    )
    out = _python("-c", code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
