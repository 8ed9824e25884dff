"""A newcomer's path: the README's quick-start commands run as written.

The shell tour's fast commands (validate, run, report) and the whole Python snippet are
taken from README.md verbatim and executed, so the README cannot drift from the code.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
FAST = ("validate", "run", "report")


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", README, flags=re.S)


def test_readme_opens_with_the_two_commands():
    head = README.split("## A five-minute tour")[0]
    assert "make demo" in head and "make test" in head


@pytest.mark.slow
def test_shell_tour_commands_run_verbatim():
    tour = blocks("")[0]
    lines = [ln for ln in tour.splitlines() if ln.startswith(".venv/bin/homesim ")]
    fast = [ln for ln in lines if ln.split()[1] in FAST]
    assert len(fast) >= 3
    homesim = Path(sys.executable).with_name("homesim")
    for line in fast:
        args = shlex.split(line.split("#")[0])
        done = subprocess.run(
            [str(homesim), *args[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, (line, done.stderr[-2000:])


@pytest.mark.slow
def test_python_snippet_runs_verbatim(monkeypatch):
    monkeypatch.chdir(ROOT)
    code = blocks("python")[0]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert len(namespace["res"].summary) == 20
    assert not namespace["cmp"].table.empty
