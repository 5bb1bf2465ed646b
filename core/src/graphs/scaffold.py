"""Generate a new device distribution from the template (``graphs hardware new``)."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from string import Template

import yaml

from graphs.errors import GraphsError
from graphs.hardware.schema import HardwareSpec

ENGINES = {"gpu": "graphs-mappers-gpu", "cpu": "graphs-mappers-cpu", "accel": "graphs-mappers-accel",
           "edge": "graphs-mappers-edge"}


def new_device(hw_id: str, out_dir: Path, *, name: str, family: str, vendor: str = "",
               base: HardwareSpec | None = None, engine: str | None = None) -> Path:
    """Write ``out_dir/graphs-mapper-<id>/`` and return it.

    With ``base`` the spec starts as a copy of an installed device's (sources included),
    renamed; without it, a skeleton whose TODO sources fail validation until filled in.
    """
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", hw_id):
        raise GraphsError(f"device id {hw_id!r}: use 1-64 lower-case letters, digits, '_' or '-' "
                          "(it names a distribution, a package and an entry point)")
    package = "graphs_mapper_" + re.sub(r"[^a-z0-9]", "_", hw_id)
    dist = f"graphs-mapper-{hw_id}"
    try:
        import importlib.metadata as md
        md.distribution(dist)
        raise GraphsError(f"a distribution named {dist} is already installed; choose another id")
    except md.PackageNotFoundError:
        pass
    fam = base.family if base else family
    if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", fam):
        raise GraphsError(f"family {fam!r}: use lower-case letters, digits, '_' or '-' (the family engine's name)")
    vendor = vendor or (base.vendor if base else "TODO")
    for what, text in (("--name", name), ("--vendor", vendor)):
        if not text.strip() or len(text) > 200 or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            raise GraphsError(f"{what} {text[:40]!r}: one line of 1-200 printable characters")
    if out_dir.exists() and not out_dir.is_dir():
        raise GraphsError(f"--output {out_dir}: not a folder (the new distribution is created inside one)")
    dest = out_dir / dist
    if dest.exists():
        raise GraphsError(f"{dest} already exists; choose another --output or remove it")
    engine = engine or ENGINES.get(fam, f"graphs-mappers-{fam}")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", engine):
        raise GraphsError(f"engine distribution {engine!r} is not a distribution name")
    # every substitution escaped for where it lands: TOML and YAML strings (JSON escapes are valid in both),
    # a Python docstring (repr), a Markdown heading (plain)
    values = {"id": hw_id, "family": fam, "package": package, "engine": engine, "version": "0.1.0",
              "name": name, "name_toml": json.dumps(name)[1:-1], "name_py": repr(name)[1:-1].replace('"', '\\"'),
              "name_yaml": json.dumps(name), "vendor_yaml": json.dumps(vendor)}
    tmpl = files("graphs") / "templates" / "device"
    src = dest / "src" / package
    src.mkdir(parents=True)
    (dest / "pyproject.toml").write_text(Template((tmpl / "pyproject.toml.tmpl").read_text()).substitute(values))
    (dest / "README.md").write_text(Template((tmpl / "README.md.tmpl").read_text()).substitute(values))
    (src / "__init__.py").write_text(Template((tmpl / "__init__.py.tmpl").read_text()).substitute(values))
    if base is not None:
        data = base.model_dump(mode="json", exclude_none=True)
        data.update(id=hw_id, name=name, aliases=[])
        spec_text = f"# {name}: copied from {base.id}; check every value and source.\n" + yaml.safe_dump(
            data, sort_keys=False, allow_unicode=True)
    else:
        spec_text = Template((tmpl / "spec.yaml.tmpl").read_text()).substitute(values)
    (src / f"{hw_id}.yaml").write_text(spec_text)
    return dest
