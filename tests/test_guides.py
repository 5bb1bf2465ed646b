"""Every guide's example runs: blocks after ``<!-- test: write PATH -->`` are written to a temporary
folder, blocks after ``<!-- test: run -->`` are executed there (python or bash), in order.

A guide that drifts from the code fails here.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDES = sorted((DOCS / "guides").glob("*.md"))
BLOCK = re.compile(r"<!-- test: (write (?P<path>\S+)|run) -->\s*\n```(?P<lang>\w+)\n(?P<body>.*?)\n```", re.S)


def blocks(path: Path):
    return [(m["path"], m["lang"], m["body"] + "\n") for m in BLOCK.finditer(path.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("guide", [g for g in GUIDES if blocks(g)], ids=lambda p: p.name)
def test_guide_examples_run(guide, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    ran = 0
    for path, lang, body in blocks(guide):
        if path:
            dest = tmp_path / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(body, encoding="utf-8")
            continue
        argv = [sys.executable, "-c", body] if lang == "python" else ["bash", "-euo", "pipefail", "-c", body]
        r = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"{guide.name}: block {ran + 1} failed:\n{body}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
        ran += 1
    assert ran, f"{guide.name} has blocks to write but none to run"


def test_every_guide_is_tested():
    """A new guide must carry runnable examples (calibrate.md documents a measurement loop of minutes)."""
    untested = [g.name for g in GUIDES if not blocks(g) and g.name not in ("calibrate.md",)]
    assert not untested, f"guides without test blocks: {untested}"
