"""The plugin manager: entry-point group ``graphs``, one pluggy project ``graphs``.

Loading rules:

* every entry point in group ``graphs`` is a module (or object) with ``@hookimpl`` functions;
* ``GRAPHS_LOAD_PLUGINS=a,b`` loads only those (entry-point or distribution names); set but
  empty loads none;
* a plugin that fails to import, or whose hook raises, is recorded as failed with its error
  and skipped; the others keep working;
* registrations go through core's ``register`` callbacks, which refuse duplicate keys and
  name both plugins;
* ``pm.check_pending()`` runs after loading, so a misspelt hook fails loudly (that plugin
  is marked failed).
"""

from __future__ import annotations

import importlib.metadata as md
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import pluggy

from graphs import hookspecs
from graphs.errors import DuplicateRegistrationError, GraphsError, RegistrationError, UnknownHardwareError
from graphs.frontends import Frontend, ZooEntry
from graphs.hardware.schema import HardwareSpec, load_spec, parse_spec
from graphs.ops import kinds as _kinds
from graphs.ops.registry import OpRegistry

ENTRY_POINT_GROUP = "graphs"
HOOKS = ("frontends", "op_handlers", "hardware", "mappers", "models", "tools", "runners")


@dataclass
class PluginInfo:
    name: str
    distribution: str = ""
    version: str = ""
    hooks: list[str] = field(default_factory=list)
    status: str = "ok"      # ok | failed | partial
    errors: list[str] = field(default_factory=list)
    registered: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "distribution": self.distribution, "version": self.version, "hooks": self.hooks,
                "status": self.status, "errors": self.errors, "registered": self.registered}


@dataclass
class HardwareEntry:
    spec: HardwareSpec
    plugin: str
    calibration: Any = None
    origin: str = ""


class GraphsPlugins:
    """Everything the installed plugins contributed."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("graphs")
        self.pm.add_hookspecs(hookspecs)
        self.ops = OpRegistry()
        for info in _kinds.KINDS.values():
            self.ops.add_kind(info)
        self.frontends: dict[str, Frontend] = {}
        self.hardware: dict[str, HardwareEntry] = {}
        self.aliases: dict[str, str] = {}
        self.mappers: dict[str, tuple[type, str]] = {}
        self.models: dict[str, tuple[ZooEntry, str]] = {}
        self.tools: dict[str, tuple[Any, str]] = {}
        self.runners: dict[str, tuple[Any, str]] = {}
        self.plugins: dict[str, PluginInfo] = {}
        self._owners: dict[tuple[str, str], str] = {}

    # --- loading -------------------------------------------------------------------------------
    def load_entry_points(self, only: Iterable[str] | None = None) -> None:
        allowed = set(only) if only is not None else None
        for ep in sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist else ""
            if allowed is not None and ep.name not in allowed and dist not in allowed:
                continue
            info = PluginInfo(ep.name, dist, ep.dist.version if ep.dist else "")
            self.plugins[ep.name] = info
            try:
                obj = ep.load()
            except BaseException as e:  # a broken plugin must not break the rest
                if isinstance(e, (KeyboardInterrupt, SystemExit)):
                    raise
                info.status, info.errors = "failed", [f"import failed: {type(e).__name__}: {_one_line(e)}"]
                continue
            self.add_plugin(obj, ep.name, info)

    def add_plugin(self, obj: Any, name: str, info: PluginInfo | None = None) -> PluginInfo:
        """Register a plugin object (module or instance with hookimpls) under ``name``."""
        info = info or self.plugins.get(name) or PluginInfo(name)
        self.plugins[name] = info
        try:
            self.pm.register(obj, name=name)
        except Exception as e:
            info.status, info.errors = "failed", [f"register failed: {type(e).__name__}: {_one_line(e)}"]
            return info
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as e:
            self.pm.unregister(name=name)
            info.status, info.errors = "failed", [f"unknown hook: {_one_line(e)}"]
            return info
        info.hooks = sorted(h.name for h in (self.pm.get_hookcallers(obj) or []))
        return info

    def collect(self) -> None:
        """Call every registration hook, plugin by plugin, committing only what succeeds."""
        for hook in HOOKS:
            caller = getattr(self.pm.hook, f"graphs_register_{hook}")
            for impl in reversed(caller.get_hookimpls()):
                self._collect_one(hook, impl)

    def _collect_one(self, hook: str, impl: Any) -> None:
        name = impl.plugin_name
        info = self.plugins.setdefault(name, PluginInfo(name))
        staged: list[tuple] = []
        try:
            impl.function(register=lambda *a, **k: staged.append((a, k)))
        except Exception as e:
            info.status = "failed" if not info.registered else "partial"
            info.errors.append(f"graphs_register_{hook} raised {type(e).__name__}: {_one_line(e)}")
            return
        adder = getattr(self, f"_add_{hook}")
        for a, k in staged:
            try:
                key = adder(name, *a, **k)
            except GraphsError as e:
                info.status = "partial"
                info.errors.append(str(e))
                continue
            except Exception as e:
                info.status = "partial"
                info.errors.append(f"graphs_register_{hook}: {type(e).__name__}: {_one_line(e)}")
                continue
            info.registered.setdefault(hook, []).append(key)

    def _claim(self, what: str, key: str, plugin: str) -> None:
        owner = self._owners.get((what, key))
        if owner is not None:
            raise DuplicateRegistrationError(f"{what} {key!r} registered by both {owner!r} and {plugin!r}")
        self._owners[(what, key)] = plugin

    # --- register callbacks, one per hook ------------------------------------------------------
    def _add_frontends(self, plugin: str, frontend: Frontend) -> str:
        if not isinstance(frontend, Frontend):
            raise RegistrationError(f"plugin {plugin!r}: {frontend!r} is not a Frontend (name, sniff, load)")
        self._claim("frontend", frontend.name, plugin)
        self.frontends[frontend.name] = frontend
        return frontend.name

    def _add_op_handlers(self, plugin: str, op_type: str, kind: str, formula: Callable) -> str:
        if op_type in self.ops.handlers:
            prev = self.ops.handlers[op_type].plugin
            raise DuplicateRegistrationError(f"op type {op_type!r} registered by both {prev!r} and {plugin!r}")
        self.ops.register(op_type, kind, formula, plugin)
        return op_type

    def _add_hardware(self, plugin: str, spec: Any, calibration: Any = None) -> str:
        if isinstance(spec, (str, Path)):
            origin = str(spec)
            spec = load_spec(spec)
        else:
            origin = plugin
            spec = parse_spec(spec, f"plugin {plugin!r}")
        self._claim("hardware", spec.id, plugin)
        for a in spec.aliases:
            if a in self.aliases or a in self.hardware:
                raise DuplicateRegistrationError(f"hardware alias {a!r} of {spec.id!r} ({plugin!r}) is already taken")
        self.hardware[spec.id] = HardwareEntry(spec, plugin, calibration, origin)
        for a in spec.aliases:
            self.aliases[a] = spec.id
        return spec.id

    def _add_mappers(self, plugin: str, family: str, mapper_cls: type) -> str:
        self._claim("mapper family", family, plugin)
        self.mappers[family] = (mapper_cls, plugin)
        return family

    def _add_models(self, plugin: str, entry: ZooEntry) -> str:
        self._claim("model", entry.name, plugin)
        for a in entry.aliases:
            self._claim("model", a, plugin)
        self.models[entry.name] = (entry, plugin)
        return entry.name

    def _add_tools(self, plugin: str, adapter: Any) -> str:
        self._claim("tool", adapter.name, plugin)
        self.tools[adapter.name] = (adapter, plugin)
        return adapter.name

    def _add_runners(self, plugin: str, runner: Any) -> str:
        from graphs.bench import Runner
        if not isinstance(runner, Runner):
            raise RegistrationError(f"plugin {plugin!r}: {runner!r} is not a benchmark Runner")
        self._claim("runner", runner.name, plugin)
        self.runners[runner.name] = (runner, plugin)
        return runner.name

    # --- queries -------------------------------------------------------------------------------
    def find_model(self, name: str) -> ZooEntry | None:
        key = name.lower()
        for entry, _ in self.models.values():
            if entry.name == key or key in entry.aliases:
                return entry
        return None

    def model_names(self) -> list[str]:
        return sorted(list(self.models) + [a for e, _ in self.models.values() for a in e.aliases])

    def hardware_entry(self, hw_id: str) -> HardwareEntry:
        """The installed device ``hw_id`` (id or alias), or a spec file given by path (``*.yaml``)."""
        if hw_id.endswith((".yaml", ".yml")) or os.sep in hw_id:
            spec = load_spec(hw_id)
            return HardwareEntry(spec, plugin="file", origin=hw_id)
        key = self.aliases.get(hw_id.lower(), hw_id.lower())
        if key not in self.hardware:
            import difflib
            close = difflib.get_close_matches(key, list(self.hardware) + list(self.aliases), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else "; see `graphs hardware list`"
            installed = "" if self.hardware else " (no hardware plugins installed)"
            raise UnknownHardwareError(f"unknown hardware {hw_id!r}{installed}{hint}")
        return self.hardware[key]

    def calibration_for(self, hw_id: str) -> Any:
        """The device's calibration: the user's file (``graphs calibrate``) if there is one, else
        the one its distribution registered (or None)."""
        from graphs.calibration import find_user_calibration

        entry = self.hardware_entry(hw_id)
        return find_user_calibration(entry.spec.id) or entry.calibration

    def mapper_for(self, hw_id: str, calibration: Any = None):
        """A family engine instance bound to the device's spec and calibration (``calibration``
        given explicitly, else :meth:`calibration_for`)."""
        entry = self.hardware_entry(hw_id)
        fam = entry.spec.family
        if fam not in self.mappers:
            raise UnknownHardwareError(
                f"hardware {entry.spec.id!r} needs the {fam!r} family engine, which is not installed")
        cls, _ = self.mappers[fam]
        return cls(entry.spec, calibration if calibration is not None else self.calibration_for(hw_id))

    def failed(self) -> list[PluginInfo]:
        return [p for p in self.plugins.values() if p.status != "ok"]


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def _allowed_from_env() -> list[str] | None:
    raw = os.environ.get("GRAPHS_LOAD_PLUGINS")
    if raw is None:
        return None
    return [p.strip() for p in raw.split(",") if p.strip()]


_current: GraphsPlugins | None = None


def get_plugins(refresh: bool = False) -> GraphsPlugins:
    """The process-wide plugin registry, loaded on first use."""
    global _current
    if _current is None or refresh:
        gp = GraphsPlugins()
        gp.load_entry_points(_allowed_from_env())
        gp.collect()
        _current = gp
    return _current


def set_plugins(gp: GraphsPlugins | None) -> None:
    """Replace the process-wide registry (tests)."""
    global _current
    _current = gp
