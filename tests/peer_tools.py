"""Helpers for the registry-tool adapter tests: a stand-in interpreter that replays a recorded driver output."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "tool_runs"


def standin_python(tmp_path: Path, recorded_out: Path, version: str, name: str = "python-standin") -> Path:
    """An interpreter stand-in: answers the doctor's probe (module found, ``version``); run as
    ``python <driver> jobs.json out.json`` it checks the jobs file and writes the recorded real ``out.json``
    (tests graphs' wiring on what the tool really printed, not the tool)."""
    py = tmp_path / name
    py.write_text(f"""#!{sys.executable}
import json, shutil, sys
if sys.argv[1] == "-c":
    print("found"); print({version!r}); print("3.11.7"); sys.exit(0)
jobs = json.load(open(sys.argv[2]))["jobs"]
rec = json.load(open({str(recorded_out)!r}))
assert len(jobs) == len(rec["results"]), (len(jobs), len(rec["results"]))
shutil.copy({str(recorded_out)!r}, sys.argv[3])
""")
    py.chmod(py.stat().st_mode | stat.S_IXUSR)
    return py
