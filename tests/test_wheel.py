"""The wheel holds what a user needs: built, installed into a fresh virtual environment
and used from an empty folder, with no network.

The fresh environment gets the wheel alone (``--no-deps``); its dependencies come from
this test's own interpreter through a ``.pth`` file naming that interpreter's
site-packages (a ``.pth`` line adds a folder but does not run the ``.pth`` files in it,
so the source tree's editable install is not seen). Building needs setuptools here
(the ``dev`` extra) since the build runs without isolation.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    out = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"{args} failed:\n{out.stdout}\n{out.stderr}"
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a clean copy of the sources (the tree itself stays untouched)."""
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("setuptools is not installed (it comes with the dev extra)")
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, src / name)
    for package in ("sim", "homesim"):
        shutil.copytree(
            REPO / package,
            src / package,
            symlinks=False,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    dist = tmp_path_factory.mktemp("dist")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "-w",
            str(dist),
            str(src),
        ],
        cwd=src,
    )
    (found,) = dist.glob("homesim-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed; returns its bin folder."""
    root = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(root)], cwd=root)
    py = root / "bin" / "python"
    purelib = Path(
        _run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=root
        ).stdout.strip()
    )
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (purelib / "homesim_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        cwd=root,
    )
    return root / "bin"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "MPLBACKEND": "Agg"}


def test_wheel_holds_scenarios_batches_targets_and_licence(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = sorted(
        p.relative_to(REPO / "sim").as_posix()
        for p in (REPO / "sim" / "scenarios").rglob("*")
        if p.suffix in (".yaml", ".csv")  # scenarios, targets, posterior samples
    )
    assert shipped, "no shipped scenarios in the source tree"
    missing = [p for p in shipped if f"sim/{p}" not in names]
    assert not missing, f"not in the wheel: {missing}"
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert "sim/py.typed" in names
    assert {"homesim/__init__.py", "homesim/__main__.py"} <= names


def test_quick_start_from_an_empty_folder(venv, tmp_path):
    work = tmp_path / "empty"
    work.mkdir()
    env = _env()
    where = _run(
        [
            str(venv / "python"),
            "-W",
            "error::DeprecationWarning",
            "-c",
            "import homesim, homesim.dashboard as d, homesim.model, sim.model\n"
            "assert homesim.model is sim.model and homesim.HomelessnessModel\n"
            "print(homesim.__file__); print(d.DEFAULT_SCENARIO)",
        ],
        work,
        env,
    ).stdout
    package, default = where.split()
    assert Path(package).is_relative_to(venv.parent), f"imported homesim from {package}"
    assert Path(default).is_file() and Path(default).is_relative_to(venv.parent)
    homesim = str(venv / "homesim")
    assert _run([homesim, "--version"], work, env).stdout.startswith("homesim ")
    module = [str(venv / "python"), "-m", "homesim", "--version"]
    assert _run(module, work, env).stdout.startswith("homesim ")
    listed = _run([homesim, "scenarios", "list"], work, env).stdout
    assert "randers_baseline" in listed and "randers_policies" in listed
    _run([homesim, "validate", "randers_housing_first"], work, env)
    _run(
        [homesim, "run", "randers_baseline", "-n", "2", "--years", "1", "--out", "base", "--quiet"],
        work,
        env,
    )
    assert {"manifest.json", "weekly.parquet", "summary.csv"} <= {
        p.name for p in (work / "base").iterdir()
    }
    _run([homesim, "scenarios", "copy", "randers_housing_first", "mine"], work, env)
    _run([homesim, "validate", "mine/randers_housing_first.yaml"], work, env)
    _run([homesim, "docs", "--out", "ref"], work, env)
    assert (work / "ref" / "scenario-reference.md").is_file()
    site_files = {p for p in venv.parent.rglob("*.md")}
    assert not any(p.name == "scenario-reference.md" for p in site_files)
