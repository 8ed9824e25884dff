"""Every notebook in notebooks/ runs top to bottom on small sizes (HOMESIM_SMALL=1).

Notebooks are stored without outputs; this checks that too, so that results never
end up in version control by accident.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "homesim-test-python"
#: Modules of ``homesim`` the notebooks may use beside the names it exports (its docstring
#: lists them as public: the analysis modules and the plots).
PUBLIC_MODULES = {"plots", "cea", "psa", "sensitivity", "calibration", "compare"}


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    """A kernel spec that runs this interpreter (the project's venv), not a system one.

    The kernel imports ``homesim`` from this source tree, whatever an older install of
    the package holds.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    root = tmp_path_factory.mktemp("jupyter")
    pythonpath = os.environ.get("PYTHONPATH", "")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "homesim",
                "language": "python",
                "env": {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), pythonpath]))},
            }
        )
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(root))
        assert KERNEL in KernelSpecManager().find_kernel_specs()
        yield KERNEL


def test_there_are_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert "01_quickstart.ipynb" in names and "05_own_policy.ipynb" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                f"{path.name}: clear outputs before committing"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_uses_only_the_public_api_under_the_name_homesim(path):
    import homesim

    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"^\s*(import|from)\s+sim\b", code, re.MULTILINE), path.name
    used = set(re.findall(r"\bhomesim\.(\w+)", code))
    assert used, f"{path.name} does not use homesim"
    outside = used - set(homesim.__all__) - PUBLIC_MODULES
    assert not outside, f"{path.name} uses names homesim does not export: {sorted(outside)}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, kernel_name, monkeypatch):
    monkeypatch.setenv("HOMESIM_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name=kernel_name, resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors
