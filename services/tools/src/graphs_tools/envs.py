"""Isolated tool environments: ``graphs tools install NAME`` puts a registry tool into its own venv.

A tool that is on a package registry (GenZ as ``genz-llm``, ``llm-analysis``, ``scalesim``,
``vidur``, ``nn-meter``) never goes into graphs' own environment: its pins (numpy < 2 for
SCALE-Sim, ``huggingface-hub < 0.15`` for llm-analysis ...) would fight graphs' and each
other's. As pipx does, each gets a virtual environment of its own::

    <tools home>/<adapter name>/venv/            python -m venv, then pip install <requirements>
    <tools home>/<adapter name>/manifest.json    what was installed: requirements, version, python, pip freeze

The tools home is ``$GRAPHS_TOOLS_DIR``, else ``$XDG_DATA_HOME/graphs/tools``, else
``~/.local/share/graphs/tools``. The manifest is written last: a folder without one is a failed
or interrupted install, and ``install`` starts it over.

What to install comes from the adapter (its ``package``: a :class:`PackageSpec`), so graphs-tools
names no tool. Every install is run with a constraints file that pins ``torch==2.13.0`` (the
only torch this project allows), so a tool that pulls torch in cannot pull an unpinned one.
An adapter runs its tool with :func:`tool_python` (``$GRAPHS_<TOOL>_PYTHON`` first, then the
managed environment) and a small driver script it ships (``run_driver``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from graphs.errors import GraphsError

MANIFEST = "manifest.json"
TORCH_PIN = "torch==2.13.0"
INSTALL_TIMEOUT_S = 1800.0
# what every tool run gets: no network look-ups, no telemetry, no user site, no graphs packages on its path
RUN_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "WANDB_MODE": "disabled",
           "PYTHONNOUSERSITE": "1", "PYTHONPATH": "", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass(frozen=True)
class PackageSpec:
    """How a registry-installable tool goes into its own environment.

    :param package: the name users type (``graphs tools install genz-llm``) and the registry's name.
    :param requirements: pip requirement strings, pins included (``("scalesim==3.0.0", "numpy<2")``).
    :param distribution: the installed distribution whose version is recorded (default ``package``).
    :param module: the module the tool is imported as (``GenZ``, ``llm_analysis``, ``scalesim``).
    :param constraints: extra pip constraints for everything the tool pulls in (``torch==2.13.0`` always).
    :param env: environment variables for the tool's runs, on top of :data:`RUN_ENV`.
    """

    package: str
    requirements: tuple[str, ...]
    module: str
    distribution: str = ""
    constraints: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def dist(self) -> str:
        return self.distribution or self.package

    def env_var(self, tool: str) -> str:
        """``GRAPHS_<TOOL>_PYTHON``: an interpreter that already has the tool (overrides the managed venv)."""
        return f"GRAPHS_{re.sub(r'[^A-Za-z0-9]', '_', tool).upper()}_PYTHON"


def tools_home() -> Path:
    """Where managed tool environments live (see the module docstring)."""
    env = os.environ.get("GRAPHS_TOOLS_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "graphs" / "tools"


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / (f"{name}.exe" if os.name == "nt" else name)


@dataclass(frozen=True)
class InstalledTool:
    """A managed environment with its manifest."""

    tool: str
    root: Path
    manifest: Mapping[str, Any]

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    @property
    def python(self) -> Path:
        return _bin(self.venv, "python")

    @property
    def version(self) -> str:
        return str(self.manifest.get("version", "unknown"))

    def script(self, name: str) -> Path:
        """A console script the tool installed into its venv (``nn-meter`` ...)."""
        return _bin(self.venv, name)


def tool_dir(tool: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", tool):
        raise GraphsError(f"tool name {tool!r}: letters, digits, '.', '_' and '-' only")
    return tools_home() / tool


def installed(tool: str) -> InstalledTool | None:
    """The managed environment of ``tool`` if a complete install is there, else None."""
    root = tool_dir(tool)
    m = root / MANIFEST
    if not m.is_file():
        return None
    try:
        manifest = json.loads(m.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    inst = InstalledTool(tool, root, manifest)
    return inst if inst.python.exists() else None


def tool_python(tool: str, spec: PackageSpec) -> tuple[str | None, str, str]:
    """``(python, where, why_not)``: ``$GRAPHS_<TOOL>_PYTHON`` first, then the managed venv."""
    var = spec.env_var(tool)
    raw = os.environ.get(var, "").strip()
    if raw:
        p = Path(raw).expanduser()
        if p.is_file() and os.access(p, os.X_OK):
            return str(p), f"${var}", ""
        found = shutil.which(raw)
        if found:
            return found, f"${var}", ""
        return None, "", f"{var}={raw} is not an executable interpreter"
    inst = installed(tool)
    if inst is not None:
        return str(inst.python), f"managed environment {inst.venv}", ""
    return None, "", (f"{spec.package} is not installed (${var} is unset and there is no managed environment "
                      f"under {tool_dir(tool)})")


def probe_code(spec: PackageSpec) -> str:
    """Python run by the tool's interpreter: is the module there (without importing it), which version."""
    return ("import importlib.util, importlib.metadata as md, sys\n"
            f"spec = importlib.util.find_spec({spec.module!r})\n"
            f"print('found' if spec else 'missing')\n"
            "try:\n"
            f"    print(md.version({spec.dist!r}))\n"
            "except md.PackageNotFoundError:\n"
            "    print('unknown')\n"
            "print(sys.version.split()[0])\n")


def run_env(spec: PackageSpec | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(RUN_ENV)
    if spec is not None:
        env.update(spec.env)
    if extra:
        env.update(extra)
    return env


# --- install / uninstall ---------------------------------------------------------------------------
@dataclass
class InstallReport:
    tool: str
    package: str
    ok: bool
    version: str = ""
    where: str = ""
    wall_s: float = 0.0
    reason: str = ""
    skipped: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _log(progress: Any, msg: str) -> None:
    if progress is not None:
        progress(msg)


def install(tool: str, spec: PackageSpec, *, force: bool = False, python: str | None = None,
            progress: Any = None, timeout_s: float = INSTALL_TIMEOUT_S) -> InstallReport:
    """Create ``<tools home>/<tool>/venv`` and pip-install ``spec.requirements`` into it (never raises for a
    failed install: the report says why, and the half-made folder is removed)."""
    from graphs_tools.base import run_command

    t0 = time.monotonic()
    root = tool_dir(tool)
    have = installed(tool)
    if have is not None and not force and list(have.manifest.get("requirements", [])) == list(spec.requirements):
        return InstallReport(tool, spec.package, True, have.version, str(have.venv), 0.0,
                             "already installed (use --force to reinstall)", skipped=True)
    if root.exists():
        _remove_tree(root)
    root.mkdir(parents=True, exist_ok=True)
    logs = root / "logs"
    venv = root / "venv"
    base_python = python or sys.executable

    def fail(why: str) -> InstallReport:
        keep = logs.is_dir()
        if keep:   # keep the logs for a look; the environment itself goes
            shutil.rmtree(venv, ignore_errors=True)
        else:
            _remove_tree(root)
        return InstallReport(tool, spec.package, False, wall_s=time.monotonic() - t0,
                             reason=why + (f" (logs: {logs})" if keep else ""))

    _log(progress, f"{tool}: creating {venv}")
    r = run_command([base_python, "-m", "venv", str(venv)], log_dir=logs, name="venv", timeout_s=300)
    if not r.ok:
        return fail(f"python -m venv failed: {r.describe()}")
    py = _bin(venv, "python")
    constraints = root / "constraints.txt"
    constraints.write_text("\n".join((TORCH_PIN,) + tuple(spec.constraints)) + "\n", encoding="utf-8")
    if spec.requirements:
        _log(progress, f"{tool}: pip install {' '.join(spec.requirements)}")
        r = run_command([str(py), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
                         "-c", str(constraints), *spec.requirements], log_dir=logs, name="pip-install",
                        timeout_s=timeout_s, env={"PIP_REQUIRE_VIRTUALENV": "1", "PYTHONNOUSERSITE": "1"})
        if not r.ok:
            return fail(f"pip install failed: {r.describe()}")
    probe = run_command([str(py), "-c", probe_code(spec)], log_dir=logs, name="probe", timeout_s=120)
    lines = probe.stdout().split()
    if not probe.ok or not lines or lines[0] != "found":
        return fail(f"{spec.module} is not importable after the install: {probe.describe()}")
    version = lines[1] if len(lines) > 1 else "unknown"
    freeze = run_command([str(py), "-m", "pip", "freeze", "--all", "--disable-pip-version-check"], log_dir=logs,
                         name="freeze", timeout_s=120)
    manifest = {"tool": tool, "package": spec.package, "module": spec.module, "distribution": spec.dist,
                "requirements": list(spec.requirements), "constraints": [TORCH_PIN, *spec.constraints],
                "version": version, "python": str(py), "python_version": lines[2] if len(lines) > 2 else "",
                "base_python": base_python, "installed_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "install_s": round(time.monotonic() - t0, 1),
                "freeze": freeze.stdout().split() if freeze.ok else []}
    tmp = root / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.replace(tmp, root / MANIFEST)
    return InstallReport(tool, spec.package, True, version, str(venv), time.monotonic() - t0)


def uninstall(tool: str) -> bool:
    """Remove the managed environment of ``tool``; False when there is none."""
    root = tool_dir(tool)
    if not root.exists():
        return False
    _remove_tree(root)
    return True


def _remove_tree(root: Path) -> None:
    """Delete a tool folder, refusing anything that is not directly below the tools home."""
    home = tools_home().resolve()
    r = root.resolve()
    if r.parent != home or not r.name:
        raise GraphsError(f"refusing to delete {root}: not a tool folder directly under {home}")
    shutil.rmtree(r)


def managed(adapters: Sequence[Any]) -> dict[str, Any]:
    """adapter name -> adapter, for the adapters that declare a registry package."""
    return {a.name: a for a in adapters if isinstance(getattr(a, "package", None), PackageSpec)}


def resolve_install_name(name: str, adapters: Sequence[Any]) -> Any:
    """The adapter for ``name`` (its adapter name or its package name, case-insensitive)."""
    import difflib

    pkgs = managed(adapters)
    low = name.lower()
    for a in pkgs.values():
        if low in (a.name.lower(), a.package.package.lower()):
            return a
    known = sorted({a.package.package for a in pkgs.values()})
    unmanaged = sorted(a.name for a in adapters if a.name not in pkgs)
    close = difflib.get_close_matches(low, known + sorted(pkgs), n=2)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    if low in (n.lower() for n in unmanaged):
        raise GraphsError(f"{name} is not on a package registry: graphs finds it on PATH or through its "
                          f"GRAPHS_<TOOL>_* variables (graphs tools doctor {name} says how to get it)")
    raise GraphsError(f"no installable tool {name!r}{hint} (installable: {', '.join(known) or 'none'})")
