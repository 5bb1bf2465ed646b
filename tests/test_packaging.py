"""Packaging invariants: every distribution folder is a proper plugin and reachable from `graphs-estimator[all]`."""

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("core", "frontends_fx", "frontends_onnx", "frontends_tflite", "mappers_gpu", "mappers_cpu",
            "mappers_accel", "mappers_edge", "plugins", "services")


def distributions():
    out = {}
    for fam in FAMILIES:
        for p in sorted((ROOT / fam).rglob("pyproject.toml")):
            if any(part.startswith((".", "template")) or part == "build" for part in p.relative_to(ROOT).parts):
                continue
            out[p.parent] = tomllib.loads(p.read_text())
    return out


def test_top_level_layout_is_the_designed_one():
    expected = {"pyproject.toml", "core", "plugins", "frontends_fx", "frontends_onnx", "frontends_tflite",
                "mappers_gpu", "mappers_cpu", "mappers_accel", "mappers_edge", "tests", "docs"}
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode == 0 and tracked.stdout:
        present = {line.split("/", 1)[0] for line in tracked.stdout.splitlines() if not line.startswith(".")}
    else:  # not a git checkout: look at the folder, minus build artefacts
        present = {p.name for p in ROOT.iterdir() if not p.name.startswith(".") and not p.name.endswith(".egg-info")}
    assert expected <= present
    extra = present - expected - {"README.md", "Makefile", "MANIFEST.in", "constraints-dev.txt", "benchmarks", "services", "scripts"}
    assert not extra, f"unexpected top-level entries: {sorted(extra)}"


def test_every_distribution_is_a_plugin_with_src_layout():
    for folder, meta in distributions().items():
        name = meta["project"]["name"]
        assert (folder / "src").is_dir(), f"{name}: no src/ layout"
        if name == "graphs-core":
            continue
        eps = meta["project"].get("entry-points", {}).get("graphs", {})
        assert eps, f"{name}: no entry point in group 'graphs'"
        assert list(eps) == [name.removeprefix("graphs-")], f"{name}: entry point should be named {name.removeprefix('graphs-')!r}"
        assert "graphs-core" in meta["project"]["dependencies"], f"{name}: must depend on graphs-core"


def test_every_distribution_is_in_the_all_extra():
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = root["project"]["optional-dependencies"]

    def expand(names, seen=()):
        out = set()
        for n in names:
            m = re.fullmatch(r"graphs-estimator\[(.*)\]", n)
            if m:
                for e in m.group(1).split(","):
                    out |= expand(extras[e.strip()])
            else:
                out.add(n)
        return out

    listed = expand(extras["all"]) | {"graphs-core"}
    names = {m["project"]["name"] for m in distributions().values()}
    assert names - listed == set(), f"not in graphs-estimator[all]: {sorted(names - listed)}"
    assert listed - names == set(), f"listed but no such folder: {sorted(listed - names)}"


def test_generated_packaging_is_current():
    """Device distributions' pyproject.toml/__init__.py and the root extras are generated, never hand-kept."""
    import sys
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_packaging.py"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_ops_page_is_current():
    """docs/ops.md lists exactly the registry's kinds, attributes, formulas and handlers."""
    import sys
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_ops_doc.py"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
