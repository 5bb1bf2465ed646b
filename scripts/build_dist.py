"""Build every distribution's sdist and wheel into one folder (``make dist``), offline.

    .venv/bin/python scripts/build_dist.py                          # all of them into dist/
    .venv/bin/python scripts/build_dist.py --only graphs-core graphs-mapper-h100 --out /tmp/w
    .venv/bin/python scripts/build_dist.py --check                  # also compare each wheel with its source

Each distribution is built with ``python -m build --no-isolation``: the sdist first, then the
wheel *from the unpacked sdist*, so a data file missing from the sdist also goes missing from the
wheel (and a build directory left in the tree cannot leak stale files into it). ``--no-isolation``
uses this interpreter's setuptools, so no network is needed.

``--check`` lists, for every wheel built, the files of its source packages (everything under
``src/`` except bytecode and ``*.egg-info``: modules, spec YAMLs, calibrations, templates, op
tables ...) that the wheel does not contain, and exits 1 if there are any: editable installs read
the source tree, so only a non-editable install shows a file that package-data forgot.

``--taken FILE`` checks names instead of building: FILE lists distribution names already used
elsewhere (first tab-separated column, one a line, e.g. a mirror list of PyPI's names); every one
of ours found there is printed (PEP 503-normalized comparison) and the exit code is 1.

Distributions are named by their ``[project] name`` (``graphs-mapper-h100``), or by folder
(``mappers_gpu/devices/h100``); the umbrella at the root is ``graphs-estimator``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("core", "services", "frontends_fx", "frontends_onnx", "frontends_tflite", "mappers_gpu", "mappers_cpu",
            "mappers_accel", "mappers_edge", "plugins")
SKIP_PARTS = {"build", "dist", ".venv", "__pycache__"}


def distributions() -> dict[str, Path]:
    """Every distribution in the tree: name -> folder (the umbrella ``graphs-estimator`` at the root included)."""
    out: dict[str, Path] = {}
    for fam in FAMILIES:
        for p in sorted((ROOT / fam).rglob("pyproject.toml")):
            parts = p.relative_to(ROOT).parts
            if any(part.startswith((".", "template")) or part in SKIP_PARTS for part in parts):
                continue
            out[tomllib.loads(p.read_text(encoding="utf-8"))["project"]["name"]] = p.parent
    out[tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]] = ROOT
    return out


def normalize(name: str) -> str:
    """PEP 503: runs of ``-``, ``_`` and ``.`` are one ``-``, case does not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def taken_names(ours: list[str], listing: Path) -> list[str]:
    """Those of ``ours`` that the name list ``listing`` (first tab-separated column) already has."""
    want = {normalize(n): n for n in ours}
    hits = set()
    with open(listing, encoding="utf-8", errors="replace") as f:
        for line in f:
            n = normalize(line.split("\t", 1)[0].strip())
            if n in want:
                hits.add(want[n])
    return sorted(hits)


def select(names: list[str] | None) -> dict[str, Path]:
    dists = distributions()
    if not names:
        return dists
    by_folder = {str(f.relative_to(ROOT)).rstrip("/") or ".": n for n, f in dists.items()}
    by_name = {normalize(n): n for n in dists}
    chosen: dict[str, Path] = {}
    for want in names:
        n = by_name.get(normalize(want)) or by_folder.get(want.rstrip("/"))
        if n is None:
            raise SystemExit(f"build_dist: no distribution {want!r} (names are [project] names such as "
                             f"graphs-mapper-h100, or folders such as mappers_gpu/devices/h100)")
        chosen[n] = dists[n]
    return chosen


def build_one(name: str, folder: Path, out: Path, wheel_only: bool) -> tuple[str, int, str]:
    # --no-isolation: this interpreter's setuptools; the sdist goes to a private folder first so a
    # parallel build never sees another distribution's half-written file.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory(prefix="graphs-dist-") as tmp:
        cmd = [sys.executable, "-m", "build", "--no-isolation", "--outdir", tmp, str(folder)]
        if wheel_only:
            cmd.insert(-1, "--wheel")
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if r.returncode:
            tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-15:])
            return name, r.returncode, tail
        for f in Path(tmp).iterdir():
            os.replace(f, out / f.name)
    return name, 0, ""


def source_files(folder: Path, with_py: bool = True) -> set[str]:
    """Files of the packages under ``folder/src`` as wheel paths (``pkg/data/x.yaml``); ``with_py=False``: data only."""
    src = folder / "src"
    files: set[str] = set()
    if not src.is_dir():
        return files
    for p in src.rglob("*"):
        rel = p.relative_to(src)
        if not p.is_file() or any(part.endswith(".egg-info") or part == "__pycache__" for part in rel.parts):
            continue
        if p.suffix == ".pyc" or (p.suffix == ".py" and not with_py):
            continue
        files.add(rel.as_posix())
    return files


def wheel_for(name: str, out: Path) -> Path | None:
    stem = name.replace("-", "_") + "-"
    found = sorted(p for p in out.glob("*.whl") if p.name.startswith(stem) and p.name[len(stem):][:1].isdigit())
    return found[-1] if found else None


def missing_from_wheel(name: str, folder: Path, out: Path) -> list[str]:
    whl = wheel_for(name, out)
    if whl is None:
        return ["<no wheel built>"]
    with zipfile.ZipFile(whl) as z:
        inside = set(z.namelist())
    return sorted(source_files(folder) - inside)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", metavar="DIST", help="build only these distributions (names or folders)")
    ap.add_argument("--out", default=str(ROOT / "dist"), help="output folder (default: dist/ at the repository root)")
    ap.add_argument("--wheel-only", action="store_true", help="wheels only, no sdists (faster; tests use this)")
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="parallel builds (default: CPUs)")
    ap.add_argument("--check", action="store_true", help="fail when a wheel lacks a file of its source tree")
    ap.add_argument("--list", action="store_true", help="print the distributions (name and folder) and exit")
    ap.add_argument("--taken", metavar="FILE", help="build nothing: fail if a name of ours is in this list of used names")
    args = ap.parse_args(argv)
    chosen = select(args.only)
    if args.taken:
        if not Path(args.taken).is_file():
            print(f"build_dist: --taken {args.taken}: no such file", file=sys.stderr)
            return 2
        hits = taken_names(list(chosen), Path(args.taken))
        print(f"{len(chosen)} distribution names checked against {args.taken}: "
              + (f"taken: {', '.join(hits)}" if hits else "none of them is taken"))
        return 1 if hits else 0
    if args.list:
        for n, f in sorted(chosen.items()):
            print(f"{n}\t{f.relative_to(ROOT).as_posix() or '.'}")
        return 0
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    failed = []
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for name, rc, tail in pool.map(lambda item: build_one(item[0], item[1], out, args.wheel_only), chosen.items()):
            if rc:
                failed.append(name)
                print(f"FAILED {name}:\n{tail}", file=sys.stderr)
    built = len(chosen) - len(failed)
    print(f"built {built} distribution(s) into {out}" + (f"; {len(failed)} failed: {', '.join(failed)}" if failed else ""))
    if failed:
        return 1
    if args.check:
        bad = {n: m for n, f in chosen.items() if (m := missing_from_wheel(n, f, out))}
        for n, m in sorted(bad.items()):
            print(f"{n}: wheel lacks {', '.join(m)}", file=sys.stderr)
        print(f"checked {len(chosen)} wheel(s) against their source trees: "
              + ("every source file is inside" if not bad else f"{len(bad)} incomplete"))
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
