"""docs/api.md runs: its ```pycon blocks are one doctest (shared names, in order), run in a temporary
folder that holds the files the page writes (``<!-- test: write PATH -->`` before a block). A wrong
example — or an output that drifted from what graphs prints — fails here."""

from __future__ import annotations

import doctest
import re
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
PYCON = re.compile(r"```pycon\n(.*?)```", re.S)
WRITE = re.compile(r"<!-- test: write (\S+) -->\s*\n```\w+\n(.*?)\n```", re.S)


def doctest_text(md: str) -> str:
    """Only the pycon blocks, every other line blank (so doctest's line numbers are the page's)."""
    keep = set()
    for m in PYCON.finditer(md):
        start = md.count("\n", 0, m.start(1))
        keep.update(range(start, start + m.group(1).count("\n")))
    return "\n".join(line if i in keep else "" for i, line in enumerate(md.split("\n")))


def test_api_doc_examples_run(tmp_path, monkeypatch):
    for mod in ("graphs_frontend_fx", "graphs_frontend_onnx", "graphs_mapper_h100", "pandas", "onnx"):
        pytest.importorskip(mod)
    md = DOC.read_text(encoding="utf-8")
    for path, body in WRITE.findall(md):
        (tmp_path / path).write_text(body + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("GRAPHS_PROGRESS", "0")
    text = doctest_text(md)
    test = doctest.DocTestParser().get_doctest(text, {"__name__": "api_md"}, "api.md", str(DOC), 0)
    assert len(test.examples) > 40, "docs/api.md lost its examples"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    try:
        result = runner.run(test, out=out.append)
    finally:
        sys.modules.pop("tiny_mlp", None)
    assert result.failed == 0, "".join(out)


def test_doctest_text_keeps_line_numbers():
    md = "text\n```pycon\n>>> 1 + 1\n2\n```\nmore\n"
    lines = doctest_text(md).split("\n")
    assert lines[2] == ">>> 1 + 1" and lines[3] == "2" and lines[0] == lines[5] == ""
