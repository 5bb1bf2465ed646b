"""Generate a new device distribution from the template (``graphs hardware new``)."""

from __future__ import annotations

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
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", hw_id):
        raise GraphsError(f"device id {hw_id!r}: use lower-case letters, digits, '.', '_' or '-'")
    package = "graphs_mapper_" + re.sub(r"[^a-z0-9]", "_", hw_id)
    dest = out_dir / f"graphs-mapper-{hw_id}"
    if dest.exists():
        raise GraphsError(f"{dest} already exists; choose another --output or remove it")
    fam = base.family if base else family
    values = {"id": hw_id, "name": name, "family": fam, "vendor": vendor or (base.vendor if base else "TODO"),
              "package": package, "engine": engine or ENGINES.get(fam, f"graphs-mappers-{fam}"), "version": "0.1.0"}
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
