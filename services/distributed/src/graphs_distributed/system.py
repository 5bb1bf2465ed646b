"""Multi-GPU systems: nodes of identical devices joined by an intra-node and an inter-node network.

A system is a YAML spec like a hardware spec — every number a quantity with a unit and a
source — naming its device by hardware id. Shipped systems live in ``graphs_distributed/systems``
(``dgx-h100``, ``hgx-a100-8gpu``, ``dgx-a100-320gb``); any other spec file works by path.

```yaml
id: dgx-h100
device: h100
gpus_per_node: {value: 8, source: "@datasheet"}
max_nodes: {value: 32, source: ...}          # optional: the largest system the spec describes
intra_node:
  name: nvlink4-nvswitch
  topology: switch                           # switch | ring | tree
  bandwidth: {value: 450, unit: GB/s, source: ...}   # per GPU, per direction
  step_latency: {value: 3.4, unit: us, source: ...}  # per algorithm step
  base_latency: {value: 8.4, unit: us, source: ...}  # per collective
  bus_bandwidth_cap: {value: 235, unit: GB/s, source: ...}   # optional (NCCL's model for A100)
  in_network_reduction: false                # NVLink SHARP (NVLS) all-reduce
inter_node: {...}                            # per GPU (rail-optimised: one NIC per GPU)
```
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from graphs.errors import GraphsError, SpecError
from graphs.hardware.schema import first_error, read_yaml, resolve_source_refs
from graphs.hardware.units import Bandwidth, Count, Duration

TOPOLOGIES = ("switch", "ring", "tree")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NetworkLevel(_Frozen):
    """One network level as seen by one GPU."""

    name: str
    topology: Literal["switch", "ring", "tree"] = "switch"
    bandwidth: Bandwidth                    # per GPU, per direction
    step_latency: Duration                  # α: per algorithm step (one hop of a ring)
    base_latency: Duration | None = None    # fixed cost per collective (launch, protocol)
    bus_bandwidth_cap: Bandwidth | None = None
    in_network_reduction: bool = False

    @property
    def beta(self) -> float:
        """Usable bandwidth per GPU per direction, B/s."""
        b = self.bandwidth.si
        return min(b, self.bus_bandwidth_cap.si) if self.bus_bandwidth_cap else b


class SystemSpec(_Frozen):
    schema_version: int = 1
    id: str
    name: str
    device: str
    gpus_per_node: Count
    max_nodes: Count | None = None
    intra_node: NetworkLevel
    inter_node: NetworkLevel | None = None
    sources: dict[str, str] = {}
    notes: str = ""

    @model_validator(mode="before")
    @classmethod
    def _resolve_sources(cls, data: Any) -> Any:
        return resolve_source_refs(data)

    @property
    def node_size(self) -> int:
        return int(self.gpus_per_node.value)

    def check_gpus(self, n: int) -> None:
        if n < 1:
            raise GraphsError(f"{self.id}: need at least one GPU")
        if n > self.node_size and self.inter_node is None:
            raise GraphsError(f"{self.id}: {n} GPUs need more than one node but the spec has no inter_node network")
        if self.max_nodes is not None and n > self.node_size * int(self.max_nodes.value):
            raise GraphsError(f"{self.id}: {n} GPUs exceed {int(self.max_nodes.value)} nodes of {self.node_size}")

    def all_sources(self) -> list[tuple[str, str]]:
        out = []
        for lvl_name in ("intra_node", "inter_node"):
            lvl = getattr(self, lvl_name)
            if lvl is None:
                continue
            for f in ("bandwidth", "step_latency", "base_latency", "bus_bandwidth_cap"):
                q = getattr(lvl, f)
                if q is not None:
                    out.append((f"{lvl_name}.{f}", q.source))
        out.append(("gpus_per_node", self.gpus_per_node.source))
        return out


def parse_system(data: Any, origin: str = "<system>") -> SystemSpec:
    if not isinstance(data, Mapping):
        raise SpecError(f"{origin}: a system spec must be a mapping")
    try:
        return SystemSpec.model_validate(data)
    except ValidationError as e:
        raise SpecError(f"{origin}: {first_error(e)}") from None


def load_system_file(path: str | Path) -> SystemSpec:
    p = Path(path)
    return parse_system(read_yaml(p, "system spec"), p.name)


@lru_cache(maxsize=1)
def builtin_systems() -> dict[str, SystemSpec]:
    out = {}
    for f in sorted(files("graphs_distributed").joinpath("systems").iterdir(), key=lambda f: f.name):
        if f.name.endswith(".yaml"):
            s = parse_system(yaml.safe_load(f.read_text(encoding="utf-8")), f.name)
            out[s.id] = s
    return out


def find_system(ref: str) -> SystemSpec | None:
    """A shipped system by id, a spec file by path, or None."""
    if ref.endswith((".yaml", ".yml")) and Path(ref).exists():
        try:
            data = yaml.safe_load(Path(ref).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            return None
        return parse_system(data, Path(ref).name) if isinstance(data, Mapping) and "gpus_per_node" in data else None
    return builtin_systems().get(ref.lower())


def system_for(ref: str, plugins: Any = None) -> SystemSpec:
    """``ref`` as a system id/file, or the shipped system built from device ``ref`` (h100 → dgx-h100)."""
    s = find_system(ref)
    if s is not None:
        return s
    systems = builtin_systems()
    dev_id = ref
    if plugins is not None:
        try:
            dev_id = plugins.hardware_entry(ref).spec.id
        except GraphsError:
            dev_id = ref
    for s in systems.values():
        if s.device == dev_id:
            return s
    raise GraphsError(f"{ref!r} is neither a multi-GPU system ({', '.join(sorted(systems))}, or a system YAML) "
                      "nor a device one of them is built from; give --hardware a system id")
