"""Hostile input, as a user could give it: every case runs the real ``homesim`` command in
a subprocess and must end with exit code 2 and one line on standard error that names the
file, key path or option and says what was expected; no traceback, nothing written.

Each case must also answer quickly and in little memory. Wall time on a loaded machine
says little (importing pandas and Mesa alone takes about 3 s of CPU), so the bound is on
the child's CPU time (``CPU_SECONDS``: start-up plus a few seconds of work) and its peak
memory (``MAX_RSS_MB``); the wall-clock ``TIMEOUT`` only stops a runaway. An alias bomb
or a 10^9-citizen scenario would break both bounds long before the timeout.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOMESIM = [sys.executable, "-m", "sim.cli"]
#: The same command, writing its own peak memory (``VmHWM``, kB) to the file descriptor
#: ``PEAK_FD`` names as it exits: the peak of the process after ``exec``, whatever the
#: forking parent used (the rusage of a child keeps the parent's peak at the fork).
MEASURED = [
    sys.executable,
    "-c",
    "import atexit, os, runpy, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            os.write(int(os.environ['PEAK_FD']), line.split()[1].encode())\n"
    "atexit.register(peak)\n"
    "sys.argv = ['homesim', *sys.argv[1:]]\n"
    "runpy.run_module('sim.cli', run_name='__main__')\n",
]
#: Wall-clock limit of one case (s): generous, since CI machines are shared.
TIMEOUT = 90
#: CPU time one case may use (s): start-up (about 3 s) plus a few seconds.
CPU_SECONDS = 12.0
#: Peak memory of one case (MB): start-up takes about 200 MB.
MAX_RSS_MB = 700

BASE = """name: tiny
setting: {years: 1}
initial:
  counts: {own: 20, shelter: 5}
transitions:
  low: {own: {at_risk: 0.02}, shelter: {own: 0.1}}
"""

TARGETS = """name: t
targets:
  - {measure: pit, year: 2015, observed: 5, cv: 0.2}
free:
  transitions.low.shelter.own: {low: 0.01, high: 0.2}
"""


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A few hundred bytes that expand to width**levels values."""
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def with_base(extra: str) -> str:
    """The tiny scenario with top-level sections replaced by ``extra``."""
    keep = [block for block in BASE.split("\n") if block]
    heads = {line.split(":")[0] for line in extra.splitlines() if line and line[0] != " "}
    out, skip = [], False
    for line in keep:
        if line[0] != " ":
            skip = line.split(":")[0] in heads
        if not skip:
            out.append(line)
    return "\n".join(out) + "\n" + extra + "\n"


@dataclass
class Case:
    """One hostile input: the files to create, the command, and what the message says."""

    argv: list[str]
    names: str  # the file, key path or option the message must name
    expects: str  # words saying what was expected
    files: dict[str, str | bytes] = field(default_factory=dict)
    folders: tuple[str, ...] = ()


def scenario_case(text: str | bytes, names: str, expects: str, command: str = "validate") -> Case:
    argv = (
        ["validate", "s.yaml"]
        if command == "validate"
        else ["run", "s.yaml", "-n", "1", "-q", "--out", "out"]
    )
    return Case(argv, names, expects, {"s.yaml": text})


def batch_case(text: str, names: str, expects: str) -> Case:
    return Case(
        ["batch", "b.yaml", "-q", "--workers", "1", "--out", "out"],
        names,
        expects,
        {"b.yaml": text, "tiny.yaml": BASE},
    )


CASES: dict[str, Case] = {
    # --- files: what the file is, before any YAML is read
    "missing file": Case(["validate", "nope.yaml"], "nope.yaml", "file not found"),
    "folder as scenario": Case(
        ["validate", "d.yaml"], "d.yaml", "is a folder", folders=("d.yaml",)
    ),
    "folder as scenario of run": Case(
        ["run", "d", "-q", "--out", "out"], "d", "is a folder", folders=("d",)
    ),
    "binary file": scenario_case(b"name: x\n\x00\x01\x02\xff", "s.yaml", "binary data"),
    "not UTF-8": scenario_case("name: Århus\n".encode("latin-1"), "s.yaml", "not UTF-8"),
    "empty file": scenario_case("", "s.yaml", "is empty", command="run"),
    "only comments": scenario_case("# nothing here\n\n", "s.yaml", "is empty"),
    "too large": scenario_case(
        "name: x\n" + "# padding\n" * 300_000, "s.yaml", "more than the 2.0 MiB"
    ),
    "device as scenario": Case(["validate", "/dev/zero"], "/dev/zero", "not a regular file"),
    # --- YAML that must not be expanded, constructed or misread
    "alias bomb": scenario_case(alias_bomb(), "s.yaml", "alias bomb"),
    "alias bomb in run": scenario_case(
        alias_bomb(), "s.yaml", "refused before expanding", command="run"
    ),
    "recursive alias": scenario_case("name: &a [*a]\n", "s.yaml", "recursive"),
    "deep nesting": scenario_case(
        "a: " + "[" * 3000 + "]" * 3000 + "\n", "s.yaml", "nested more than"
    ),
    "duplicate key": scenario_case(
        BASE + "name: again\n", "s.yaml", "duplicate key 'name' on lines 1 and 7"
    ),
    "python tag": scenario_case(
        "name: !!python/object/apply:os.system [ls]\n",
        "s.yaml",
        "could not determine a constructor",
    ),
    "two documents": scenario_case(BASE + "---\nname: b\n", "s.yaml", "expected a single document"),
    "malformed YAML": scenario_case("name: x\n  setting: 3\n", "s.yaml", "malformed YAML"),
    "control character": scenario_case("name: a\x07b\n", "s.yaml", "control character"),
    "date as key": scenario_case(
        BASE + "2015-01-01: 3\n", "s.yaml", "expected a key of text or a whole number"
    ),
    "impossible date": scenario_case(
        BASE + "description: 2015-13-45\n", "s.yaml", "month must be in 1..12"
    ),
    "list at the top": scenario_case("- a\n- b\n", "s.yaml", "expected a mapping"),
    # --- extends
    "extends a folder": Case(
        ["validate", "s.yaml"],
        "extends",
        "is a folder",
        {"s.yaml": "extends: d\nname: x\n"},
        folders=("d",),
    ),
    "extends a missing file": scenario_case(
        "extends: gone.yaml\nname: x\n", "extends", "not found"
    ),
    "extends a cycle": Case(
        ["validate", "a.yaml"],
        "extends",
        "forms a cycle",
        {"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: a.yaml\n"},
    ),
    "extends a binary file": Case(
        ["validate", "s.yaml"],
        "p.yaml",
        "binary data",
        {"s.yaml": "extends: p.yaml\n", "p.yaml": b"\x00\x00"},
    ),
    "extends a number": scenario_case("extends: 3\nname: x\n", "extends", "expected a file name"),
    # --- values
    "capacity 24.7": scenario_case(
        with_base("places: {starter: {capacity: 24.7}}"),
        "places.starter.capacity",
        "expected a whole number",
        command="run",
    ),
    "fractional count": scenario_case(
        with_base("initial: {counts: {own: 10.5}}"), "initial.counts.own", "expected a whole number"
    ),
    "count 1e9": scenario_case(
        with_base("initial: {counts: {own: 1000000000}}"),
        "initial.counts.own",
        "[0, 1,000,000]",
        command="run",
    ),
    "entries 1e9": scenario_case(
        with_base("entries: {per_week: 1.0e+9}"), "entries.per_week", "[0, 10,000]", command="run"
    ),
    "1.0e9 read as text": scenario_case(
        with_base("entries: {per_week: 1.0e9}"), "entries.per_week", "write 1.0e+9"
    ),
    "too many citizens": scenario_case(
        with_base("setting: {years: 1, scale: 10000}\ninitial: {counts: {own: 900000}}"),
        "setting.scale",
        "at most 60,000,000",
        command="run",
    ),
    "years 1000 in file": scenario_case(
        with_base("setting: {years: 1000}"), "setting.years", "[1, 100]"
    ),
    "500-digit number": scenario_case(
        with_base("initial: {counts: {own: " + "9" * 500 + "}}"),
        "initial.counts.own",
        "about 500 digits",
    ),
    "probability above 1": scenario_case(
        with_base("transitions: {low: {own: {rough: 1.5}}}"), "transitions.low.own.rough", "[0, 1]"
    ),
    "negative capacity": scenario_case(
        with_base("places: {shelter: {capacity: -3}}"), "places.shelter.capacity", "[0, inf]"
    ),
    "unknown key": scenario_case(
        with_base("setting: {yeras: 3}"), "setting.yeras", "did you mean 'years'"
    ),
    "infinite multiplier": scenario_case(
        with_base("rehousing: {multiplier: .inf}"), "rehousing.multiplier", "expected a number"
    ),
    # --- batch files
    "batch years 1000": batch_case("scenarios: [tiny.yaml]\nyears: 1000\n", "years", "at most 100"),
    "batch replications 1e9": batch_case(
        "scenarios: [tiny.yaml]\nreplications: 1000000000\n", "replications", "at most 100,000"
    ),
    "batch replications as text": batch_case(
        "scenarios: [tiny.yaml]\nreplications: 1e9\n", "replications", "write 1.0e+9"
    ),
    "batch scenario is a folder": Case(
        ["batch", "b.yaml", "-q", "--out", "out"],
        "scenarios[0]",
        "is a folder",
        {"b.yaml": "scenarios: [d]\n"},
        folders=("d",),
    ),
    "batch file is a folder": Case(
        ["batch", "b", "-q", "--out", "out"], "b", "is a folder", folders=("b",)
    ),
    "batch duplicate key": batch_case(
        "scenarios: [tiny.yaml]\nseed: 1\nseed: 2\n", "b.yaml", "duplicate key 'seed'"
    ),
    "batch empty": Case(
        ["batch", "b.yaml", "-q", "--out", "out"], "b.yaml", "is empty", {"b.yaml": ""}
    ),
    # --- targets files
    "targets binary": Case(
        ["calibrate", "tiny.yaml", "t.yaml", "-q", "--out", "out"],
        "t.yaml",
        "binary data",
        {"tiny.yaml": BASE, "t.yaml": b"\x00"},
    ),
    "targets empty": Case(
        ["calibrate", "tiny.yaml", "t.yaml", "-q", "--out", "out"],
        "t.yaml",
        "is empty",
        {"tiny.yaml": BASE, "t.yaml": ""},
    ),
    # --- options, checked against the same bounds as their YAML twins
    "run --seed -5": Case(
        ["run", "tiny.yaml", "--seed", "-5", "--out", "out"],
        "--seed",
        "a seed from 0 to",
        {"tiny.yaml": BASE},
    ),
    "run --years 0": Case(
        ["run", "tiny.yaml", "--years", "0", "--out", "out"],
        "--years",
        "from 1 to 100",
        {"tiny.yaml": BASE},
    ),
    "run --years 101": Case(
        ["run", "tiny.yaml", "--years", "101", "--out", "out"],
        "--years",
        "from 1 to 100",
        {"tiny.yaml": BASE},
    ),
    "run --replications 1e9": Case(
        ["run", "tiny.yaml", "-n", "1000000000", "--out", "out"],
        "--replications",
        "from 1 to 100,000",
        {"tiny.yaml": BASE},
    ),
    "run --replications 0": Case(
        ["run", "tiny.yaml", "-n", "0", "--out", "out"],
        "--replications",
        "from 1 to 100,000",
        {"tiny.yaml": BASE},
    ),
    "run --out empty": Case(
        ["run", "tiny.yaml", "--out", ""], "--out", "empty", {"tiny.yaml": BASE}
    ),
    "compare --wtp-day nan": Case(
        ["compare", "tiny.yaml", "tiny.yaml", "--out", "out", "--wtp-day", "0,nan,inf"],
        "--wtp-day",
        "expected a finite number",
        {"tiny.yaml": BASE},
    ),
    "compare --wtp-day negative": Case(
        ["compare", "tiny.yaml", "tiny.yaml", "--out", "out", "--wtp-day=-5"],
        "--wtp-day",
        "at least 0",
        {"tiny.yaml": BASE},
    ),
    "batch --scheduler notaurl": Case(
        ["batch", "b.yaml", "--scheduler", "notaurl"],
        "--scheduler",
        "tcp://",
        {"b.yaml": "scenarios: [x]\n"},
    ),
    "batch --workers 0": Case(
        ["batch", "b.yaml", "--workers", "0"],
        "--workers",
        "from 1 to",
        {"b.yaml": "scenarios: [x]\n"},
    ),
    "dashboard --port -1": Case(["dashboard", "--port", "-1"], "--port", "from 1 to 65535"),
    "dashboard --port 70000": Case(["dashboard", "--port", "70000"], "--port", "from 1 to 65535"),
    "psa --wtp-max inf": Case(
        ["psa", "tiny.yaml", "--draws", "2", "--wtp-max", "inf"],
        "--wtp-max",
        "finite",
        {"tiny.yaml": BASE},
    ),
    "psa --population 0": Case(
        ["psa", "tiny.yaml", "--draws", "2", "--population", "0"],
        "--population",
        "above 0",
        {"tiny.yaml": BASE},
    ),
    "psa --posterior folder": Case(
        ["psa", "tiny.yaml", "--draws", "2", "--posterior", "d", "--out", "out"],
        "d",
        "is a folder",
        {"tiny.yaml": BASE},
        folders=("d",),
    ),
    "calibrate --accept 2": Case(
        ["calibrate", "tiny.yaml", "t.yaml", "--accept", "2"],
        "--accept",
        "at most 1",
        {"tiny.yaml": BASE, "t.yaml": TARGETS},
    ),
    "sensitivity --years 1000": Case(
        ["sensitivity", "tiny.yaml", "--years", "1000"],
        "--years",
        "from 1 to 100",
        {"tiny.yaml": BASE},
    ),
}


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def run_homesim(argv: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``homesim argv`` in ``cwd``: the result, its CPU seconds and peak memory (MB).

    The child is reaped with ``os.wait4``, which gives its own resource use (the
    children's totals of ``getrusage`` hold the largest peak of any child so far, such
    as one that compiled the model's loops in an earlier test).
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    with (
        tempfile.TemporaryFile("w+") as out_f,
        tempfile.TemporaryFile("w+") as err_f,
        tempfile.TemporaryFile("w+") as peak_f,
    ):
        child = subprocess.Popen(
            [*MEASURED, *argv],
            cwd=cwd,
            env={**env, "PEAK_FD": str(peak_f.fileno())},
            stdout=out_f,
            stderr=err_f,
            pass_fds=(peak_f.fileno(),),
        )
        timer = threading.Timer(TIMEOUT, child.kill)  # only stops a runaway
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        out_f.seek(0)
        err_f.seek(0)
        peak_f.seek(0)
        out, err, peak = out_f.read(), err_f.read(), peak_f.read()
    proc = subprocess.CompletedProcess(child.args, child.returncode, out, err)
    cpu = usage.ru_utime + usage.ru_stime
    return proc, cpu, int(peak or 0) / 1024  # kB


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input(name, tmp_path):
    case = CASES[name]
    for rel, content in case.files.items():
        path = tmp_path / rel
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    for rel in case.folders:
        (tmp_path / rel).mkdir()
    before = _tree(tmp_path)
    proc, cpu, rss = run_homesim(case.argv, tmp_path)
    err = proc.stderr
    lines = [line for line in err.splitlines() if line.strip()]
    assert proc.returncode == 2, (proc.returncode, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    assert len(lines) == 1, err
    assert case.names in lines[0] and case.expects in lines[0], lines[0]
    assert _tree(tmp_path) == before, "something was written"
    assert cpu < CPU_SECONDS, f"{cpu:.1f} s of CPU"
    assert rss < MAX_RSS_MB, f"{rss:.0f} MB"


def test_validate_reports_every_bad_file(tmp_path):
    """``validate a b c`` checks each file: every bad one gets its line, exit code 2."""
    (tmp_path / "good.yaml").write_text(BASE)
    (tmp_path / "bad1.yaml").write_text(with_base("places: {starter: {capacity: 24.7}}"))
    (tmp_path / "bad2.yaml").write_text("")
    proc, _, _ = run_homesim(["validate", "bad1.yaml", "good.yaml", "bad2.yaml"], tmp_path)
    assert proc.returncode == 2
    errors = proc.stderr.splitlines()
    assert errors[0].startswith("homesim: error: bad1.yaml at 'places.starter.capacity'")
    assert errors[1].startswith("homesim: error: bad2.yaml: is empty")
    assert errors[2] == "homesim: 2 of 3 files have errors"
    assert proc.stdout.startswith("good.yaml: ok (tiny")
    assert "Traceback" not in proc.stderr


def test_a_closed_pipe_ends_quietly(tmp_path):
    """``homesim validate ... | head -1``: no BrokenPipe traceback when the reader goes."""
    names = []
    for i in range(400):
        (tmp_path / f"s{i}.yaml").write_text(BASE)
        names.append(f"s{i}.yaml")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [*HOMESIM, "validate", *names],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = proc.stdout.readline()
    proc.stdout.close()  # what head does after its first line
    err = proc.stderr.read().decode()
    proc.wait(timeout=TIMEOUT)
    assert first.startswith(b"s0.yaml: ok")
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert proc.returncode in (0, 141)


def test_dashboard_port_taken_is_reported(tmp_path):
    """A port another program listens on is refused before the URL is printed."""
    pytest.importorskip("solara")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc, _, _ = run_homesim(["dashboard", "--port", str(port)], tmp_path)
    assert proc.returncode == 2
    assert f"--port {port}: the port is taken" in proc.stderr
    assert "http://" not in proc.stdout
    assert len(proc.stderr.splitlines()) == 1


def test_psa_bad_effect_lists_the_valid_effects(tmp_path):
    """``psa --effect bogus`` names the option and lists effect columns, not cost ones."""
    (tmp_path / "tiny.yaml").write_text(
        with_base(
            "transitions:\n  low: {own: {at_risk: {value: 0.02, dist: {beta: [2, 98]}}}, "
            "shelter: {own: 0.1}}"
        )
    )
    proc, _, _ = run_homesim(
        ["psa", "tiny.yaml", "--draws", "2", "--effect", "bogus", "--out", "out", "-q"], tmp_path
    )
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert "--effect: the runs give no column 'bogus'; valid effect columns:" in line
    assert "homeless_days" in line and "cost_total" not in line
    assert not (tmp_path / "out").exists()
