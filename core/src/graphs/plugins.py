"""The plugin manager: entry-point group ``graphs``, one pluggy project ``graphs``.

Loading is lazy and in two steps:

1. **metadata** — the entry points of group ``graphs`` are listed (no plugin code runs);
2. **import** — on the first question about plugins, every entry-point module is imported and
   registered with pluggy. A plugin module must import little at its top (its hooks import
   what they need), so this step is cheap;
3. **collect, per hook** — ``graphs_register_hardware`` is called only when something asks for
   hardware, ``graphs_register_mappers`` only when a family engine is needed, and so on.
   ``graphs --version`` runs none of this; ``graphs --help`` only collects commands.

Rules:

* ``GRAPHS_LOAD_PLUGINS=a,b`` loads only those (entry-point or distribution names); set but
  empty loads none (core's built-in commands stay);
* a plugin that fails to import, or whose hook raises, is recorded as failed with its error
  and skipped; the others keep working;
* registrations go through core's ``register`` callbacks, which refuse duplicate keys and
  name both plugins — the first registration (built-ins first, then plugins by name) stays;
* ``pm.check_pending()`` runs after loading, so a misspelt hook fails loudly (that plugin
  is marked failed).
"""

from __future__ import annotations

import importlib.metadata as md
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import pluggy

from graphs import hookspecs
from graphs.interrupts import real_interrupt as _real_interrupt
from graphs.errors import DuplicateRegistrationError, GraphsError, RegistrationError, UnknownHardwareError

if TYPE_CHECKING:  # the registries' value types; imported when a hook is collected
    from graphs.calibration import Calibration
    from graphs.frontends import Frontend, ZooEntry
    from graphs.hardware.schema import HardwareSpec
    from graphs.mapper import Mapper
    from graphs.ops.registry import OpRegistry

ENTRY_POINT_GROUP = "graphs"
# collection order: a hook may rely on the ones before it (handlers name kinds)
HOOKS = ("op_kinds", "op_handlers", "frontends", "hardware", "mappers", "models", "tools", "runners", "datasets",
         "commands")
# core's own commands, registered like any plugin's (first, so no plugin can replace them)
BUILTINS = ("graphs.commands.analyze", "graphs.commands.hardware", "graphs.commands.plugins", "graphs.commands.zoo")


def _quiet_stdout() -> Any:
    """Plugin code (its import, its registration hooks) printing to stdout would corrupt a command's
    JSON or CSV there: what it prints goes to stderr."""
    import sys
    from contextlib import redirect_stdout
    return redirect_stdout(sys.stderr)


@dataclass
class PluginInfo:
    name: str
    distribution: str = ""
    version: str = ""
    hooks: list[str] = field(default_factory=list)
    status: str = "ok"      # ok | failed | partial
    errors: list[str] = field(default_factory=list)
    registered: dict[str, list[str]] = field(default_factory=dict)
    builtin: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "distribution": self.distribution, "version": self.version, "hooks": self.hooks,
                "status": self.status, "errors": self.errors, "registered": self.registered, "builtin": self.builtin}


class HardwareEntry:
    """One installed device: its spec (parsed when registered, or by a loader on first use) and
    its calibration (a :class:`~graphs.calibration.Calibration`, or a file read on first use)."""

    def __init__(self, plugin: str, *, spec: "HardwareSpec | None" = None,
                 loader: Callable[[], Any] | None = None, id: str = "", family: str = "", name: str = "",
                 aliases: Iterable[str] = (), calibration: Any = None, origin: str = "",
                 ready: Callable[[], bool] | None = None) -> None:
        self.plugin, self.origin = plugin, origin
        self._ready = ready
        self._spec, self._loader = spec, loader
        self._error: GraphsError | None = None
        self._calibration = calibration
        self.id = spec.id if spec is not None else id
        self.family = spec.family if spec is not None else family
        self.name = spec.name if spec is not None else (name or id)
        self.aliases = tuple(spec.aliases) if spec is not None else tuple(aliases)

    @property
    def loaded(self) -> bool:
        """Whether the spec is known, or cheap to load (the plugin's ``ready()`` says so: e.g. a host
        measurement that is cached), so a listing may show it without measuring anything."""
        if self._spec is not None:
            return True
        try:
            return bool(self._ready()) if self._ready is not None else False
        except Exception:
            return False

    @property
    def spec(self) -> "HardwareSpec":
        if self._spec is None:
            from graphs.hardware.schema import parse_spec
            if self._error is not None:
                raise self._error
            if self._loader is None:
                raise GraphsError(f"hardware {self.id!r} ({self.plugin}): no spec and no loader")
            try:
                got = self._loader()
            except GraphsError as e:
                self._error = e
                raise
            spec, cal = got if isinstance(got, tuple) else (got, None)
            spec = parse_spec(spec, f"plugin {self.plugin!r}")
            if spec.id != self.id or spec.family != self.family:
                raise RegistrationError(f"plugin {self.plugin!r}: hardware {self.id!r} ({self.family}) loaded as "
                                        f"{spec.id!r} ({spec.family})")
            self._spec = spec
            if cal is not None and self._calibration is None:
                self._calibration = cal
        return self._spec

    @property
    def calibration(self) -> "Calibration | None":
        """The calibration the device's distribution ships (None if it ships none)."""
        c = self._calibration
        if isinstance(c, (str, Path)):
            from graphs.calibration import load_calibration
            c = self._calibration = load_calibration(c) if Path(c).is_file() else None
        if c is not None and self._spec is None and self._loader is not None:
            self.spec  # noqa: B018  (a loaded spec may bring the calibration)
        return self._calibration if not isinstance(self._calibration, (str, Path)) else None


class LazyMappers(dict):
    """family -> (Mapper subclass, plugin). A plugin may register ``"module:Class"`` instead of the
    class, so listing families imports no engine; the class is imported and checked against the
    contract (:func:`graphs.mapper.check_mapper_class`) on first use — a failure removes the family
    and marks its plugin failed, naming what is wrong. Membership tests never import."""

    def __init__(self, owner: "GraphsPlugins") -> None:
        super().__init__()
        self._owner = owner

    def _resolve(self, family: str) -> tuple[type["Mapper"], str]:
        ref, plugin = dict.__getitem__(self, family)
        if not isinstance(ref, str):
            return ref, plugin
        import importlib

        from graphs.mapper import check_mapper_class
        module, _, attr = ref.partition(":")
        try:
            with _quiet_stdout():
                cls = getattr(importlib.import_module(module), attr)
            check_mapper_class(cls, family, plugin)
        except BaseException as e:
            if _real_interrupt(e):
                raise
            dict.__delitem__(self, family)
            info = self._owner._infos.setdefault(plugin, PluginInfo(plugin))
            info.status = "failed"
            msg = str(e) if isinstance(e, GraphsError) else f"family {family!r} engine {ref}: {type(e).__name__}: {_one_line(e)}"
            info.errors.append(msg)
            raise RegistrationError(msg) from None
        dict.__setitem__(self, family, (cls, plugin))
        return cls, plugin

    def __getitem__(self, family: str) -> tuple[type["Mapper"], str]:
        return self._resolve(family)

    def get(self, family: str, default: Any = None) -> Any:
        return self._resolve(family) if dict.__contains__(self, family) else default

    def resolve_all(self) -> None:
        for fam in list(dict.keys(self)):
            try:
                self._resolve(fam)
            except RegistrationError:
                pass

    def items(self):  # type: ignore[override]
        self.resolve_all()
        return dict.items(self)

    def values(self):  # type: ignore[override]
        self.resolve_all()
        return dict.values(self)


class GraphsPlugins:
    """Everything the installed plugins contributed, collected hook by hook on first use."""

    def __init__(self, *, builtins: bool = True) -> None:
        self.pm = pluggy.PluginManager("graphs")
        self.pm.add_hookspecs(hookspecs)
        self._ops: "OpRegistry | None" = None
        self._frontends: dict[str, "Frontend"] = {}
        self._hardware: dict[str, HardwareEntry] = {}
        self.aliases: dict[str, str] = {}
        self._mappers = LazyMappers(self)
        self._models: dict[str, tuple["ZooEntry", str]] = {}
        self._tools: dict[str, tuple[Any, str]] = {}
        self._runners: dict[str, tuple[Any, str]] = {}
        self._datasets: dict[str, tuple[Any, str]] = {}
        self.commands: dict[str, tuple[Any, str]] = {}
        self._infos: dict[str, PluginInfo] = {}     # by plugin name; ``plugins`` collects every hook first
        self.unknown_requested: list[str] = []     # GRAPHS_LOAD_PLUGINS names that match no entry point
        self.known_plugin_names: list[str] = []    # every entry-point name seen (for did-you-mean)
        self._owners: dict[tuple[str, str], str] = {}
        self._collected: set[str] = set()
        self._pending: list[tuple[str, str, str, Any]] = []   # (name, dist, version, entry point) not imported yet
        self._builtins_wanted = builtins        # core's commands: registered when commands are collected
        self._index: HookIndex | None = None

    # --- loading -------------------------------------------------------------------------------
    def _add_builtins(self) -> None:
        import importlib
        if not self._builtins_wanted:
            return
        self._builtins_wanted = False
        for mod in BUILTINS:
            name = mod.rsplit(".", 1)[1]
            info = PluginInfo(f"graphs-{name}", "graphs-core", _core_version(), builtin=True)
            self._infos[info.name] = info
            try:
                self.add_plugin(importlib.import_module(mod), info.name, info)
            except Exception as e:  # pragma: no cover - a broken core install
                info.status, info.errors = "failed", [f"import failed: {type(e).__name__}: {_one_line(e)}"]

    def load_entry_points(self, only: Iterable[str] | None = None) -> None:
        """List the entry points (metadata only); they are imported on the first question."""
        allowed = set(only) if only is not None else None
        seen: set[str] = set()
        for ep in sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist else ""
            seen.update((ep.name, dist))
            if allowed is not None and ep.name not in allowed and dist not in allowed:
                continue
            if ep.name in self._infos:   # the same name from two distributions: the first stays
                self._infos[ep.name].errors.append(f"another entry point named {ep.name!r} ({dist}) was ignored")
                continue
            info = PluginInfo(ep.name, dist, ep.dist.version if ep.dist else "")
            self._infos[ep.name] = info
            self._pending.append((ep.name, dist, info.version, ep))
        if allowed is not None:
            self.unknown_requested = sorted(allowed - seen)
            self.known_plugin_names = sorted(n for n in seen if n and not n.startswith("graphs-"))

    def suggest_plugin(self, name: str) -> str | None:
        """The installed entry-point name a mistyped GRAPHS_LOAD_PLUGINS entry most likely means."""
        import difflib
        names = self.known_plugin_names
        for prefix in ("mapper-", "frontend-", "mappers-"):     # 'h100' means mapper-h100
            if prefix + name in names:
                return prefix + name
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
        return close[0] if close else None

    def _import_pending(self, hook: str | None = None) -> None:
        """Import the listed plugins that may implement ``hook`` (all of them when ``hook`` is None or
        the hook index does not know a module)."""
        if self._index is None:
            self._index = HookIndex()
        keep = []
        for item in self._pending:
            name, _dist, _version, ep = item
            known = self._index.hooks(name, ep) if hook is not None else None
            if known is not None and f"graphs_register_{hook}" not in known:
                keep.append(item)           # certainly not needed for this hook: stays unimported
                continue
            info = self._infos[name]
            try:
                with _quiet_stdout():
                    obj = ep.load()
            except BaseException as e:  # a broken plugin must not break the rest (sys.exit in it included)
                if _real_interrupt(e):
                    raise
                info.status, info.errors = "failed", [f"import failed: {type(e).__name__}: {_one_line(e)}"]
                continue
            self.add_plugin(obj, name, info)
            if info.status == "ok":
                self._index.record(name, ep, info.hooks)
        self._pending = keep
        self._index.save()

    def add_plugin(self, obj: Any, name: str, info: PluginInfo | None = None) -> PluginInfo:
        """Register a plugin object (module or instance with hookimpls) under ``name``."""
        info = info or self._infos.get(name) or PluginInfo(name)
        self._infos[name] = info
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

    def collect(self, hook: str | None = None) -> None:
        """Call a registration hook (every hook if ``hook`` is None), plugin by plugin, once."""
        for h in (HOOKS if hook is None else (hook,)):
            if h in self._collected:
                continue
            if h == "op_handlers":
                self.collect("op_kinds")
            if h == "commands":
                self._add_builtins()
            self._import_pending(h)
            self._collected.add(h)
            caller = getattr(self.pm.hook, f"graphs_register_{h}")
            impls = caller.get_hookimpls()     # pluggy: last registered first
            builtin = [i for i in impls if self._infos.get(i.plugin_name, PluginInfo("")).builtin]
            others = [i for i in impls if i not in builtin]
            for impl in list(reversed(builtin)) + sorted(others, key=lambda i: i.plugin_name):
                self._collect_one(h, impl)

    def _collect_one(self, hook: str, impl: Any) -> None:
        name = impl.plugin_name
        info = self._infos.setdefault(name, PluginInfo(name))
        staged: list[tuple] = []
        try:
            with _quiet_stdout():
                impl.function(register=lambda *a, **k: staged.append((a, k)))
        except BaseException as e:
            if _real_interrupt(e):
                raise
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
            raise DuplicateRegistrationError(f"{what} {key!r} registered by both {owner!r} and {plugin!r} "
                                             f"(kept {owner!r}'s)")
        self._owners[(what, key)] = plugin

    # --- the registries, each collected on first use ---------------------------------------------
    @property
    def plugins(self) -> dict[str, PluginInfo]:
        """Every plugin with its status, after every hook was collected and every lazily named family
        engine imported and checked (``graphs plugins list``)."""
        self.collect()
        self._mappers.resolve_all()
        return self._infos

    @property
    def ops(self) -> "OpRegistry":
        self.collect("op_handlers")
        return self._op_registry()

    def _op_registry(self) -> "OpRegistry":
        if self._ops is None:
            from graphs.ops import kinds as _kinds
            from graphs.ops.registry import OpRegistry
            self._ops = OpRegistry()
            for info in _kinds.KINDS.values():
                self._ops.add_kind(info)
        return self._ops

    @property
    def frontends(self) -> dict[str, "Frontend"]:
        self.collect("frontends")
        return self._frontends

    @property
    def hardware(self) -> dict[str, HardwareEntry]:
        self.collect("hardware")
        return self._hardware

    @property
    def mappers(self) -> LazyMappers:
        self.collect("mappers")
        return self._mappers

    @property
    def models(self) -> dict[str, tuple["ZooEntry", str]]:
        self.collect("models")
        return self._models

    @property
    def tools(self) -> dict[str, tuple[Any, str]]:
        self.collect("tools")
        return self._tools

    @property
    def runners(self) -> dict[str, tuple[Any, str]]:
        self.collect("runners")
        return self._runners

    @property
    def datasets(self) -> dict[str, tuple[Any, str]]:
        self.collect("datasets")
        return self._datasets

    # --- register callbacks, one per hook ------------------------------------------------------
    def _add_op_kinds(self, plugin: str, name: str, category: Any, formula: Callable, *, doc: str = "",
                      attrs: dict[str, str] | None = None) -> str:
        from graphs.ops.registry import Category, KindInfo
        ops = self._op_registry()
        if not isinstance(name, str) or not name.isidentifier():
            raise RegistrationError(f"plugin {plugin!r}: op kind {name!r} must be an identifier")
        try:
            cat = Category(category)
        except ValueError:
            raise RegistrationError(f"plugin {plugin!r}: op kind {name!r} has unknown category {category!r} "
                                    f"(one of {', '.join(c.value for c in Category)})") from None
        if not callable(formula):
            raise RegistrationError(f"plugin {plugin!r}: op kind {name!r} needs a formula (OpView -> OpCost)")
        if name in ops.kinds:
            prev = ops.kinds[name].plugin
            raise DuplicateRegistrationError(f"op kind {name!r} registered by both {prev!r} and {plugin!r}")
        ops.add_kind(KindInfo(name, cat, doc, dict(attrs or {}), plugin), formula)
        return name

    def _add_op_handlers(self, plugin: str, op_type: str, kind: str, formula: Callable) -> str:
        ops = self._op_registry()
        if op_type in ops.handlers:
            prev = ops.handlers[op_type].plugin
            raise DuplicateRegistrationError(f"op type {op_type!r} registered by both {prev!r} and {plugin!r} "
                                             f"(kept {prev!r}'s)")
        if not callable(formula):
            raise RegistrationError(f"plugin {plugin!r}: handler for {op_type!r} has no formula")
        ops.register(op_type, kind, formula, plugin)
        return op_type

    def _add_frontends(self, plugin: str, frontend: "Frontend") -> str:
        from graphs.frontends import Frontend
        if not isinstance(frontend, Frontend):
            raise RegistrationError(f"plugin {plugin!r}: {frontend!r} is not a Frontend (name, sniff, load)")
        self._claim("frontend", frontend.name, plugin)
        self._frontends[frontend.name] = frontend
        return frontend.name

    def _add_hardware(self, plugin: str, spec: Any, calibration: Any = None, *, id: str = "", family: str = "",
                      name: str = "", aliases: Iterable[str] = (), ready: Callable[[], bool] | None = None) -> str:
        """``spec``: a YAML path, a mapping, a HardwareSpec, or a loader called on first use (then ``id``
        and ``family`` are required; ``ready()`` says whether loading is cheap now). ``calibration``: a
        Calibration or a calibration YAML path (read on first use)."""
        from graphs.hardware.schema import load_spec, parse_spec
        if callable(spec) and not isinstance(spec, (str, Path)):
            if not id or not family:
                raise RegistrationError(f"plugin {plugin!r}: a lazily loaded device needs id= and family=")
            entry = HardwareEntry(plugin, loader=spec, id=id, family=family, name=name, aliases=aliases,
                                  calibration=calibration, origin=plugin, ready=ready)
        elif isinstance(spec, (str, Path)):
            entry = HardwareEntry(plugin, spec=load_spec(spec), calibration=calibration, origin=str(spec))
        else:
            entry = HardwareEntry(plugin, spec=parse_spec(spec, f"plugin {plugin!r}"), calibration=calibration,
                                  origin=plugin)
        self._claim("hardware", entry.id, plugin)
        for a in entry.aliases:
            if a in self.aliases or a in self._hardware:
                raise DuplicateRegistrationError(f"hardware alias {a!r} of {entry.id!r} ({plugin!r}) is already taken")
        self._hardware[entry.id] = entry
        for a in entry.aliases:
            self.aliases[a] = entry.id
        return entry.id

    def _add_mappers(self, plugin: str, family: str, mapper_cls: type | str) -> str:
        """``mapper_cls``: the Mapper subclass (checked now) or ``"module:Class"`` (checked on first use)."""
        if isinstance(mapper_cls, str):
            if ":" not in mapper_cls:
                raise RegistrationError(f"plugin {plugin!r}: family {family!r} engine {mapper_cls!r} is not "
                                        "'module:Class'")
        else:
            from graphs.mapper import check_mapper_class
            check_mapper_class(mapper_cls, family, plugin)
        self._claim("mapper family", family, plugin)
        dict.__setitem__(self._mappers, family, (mapper_cls, plugin))
        return family

    def _add_models(self, plugin: str, entry: "ZooEntry") -> str:
        self._claim("model", entry.name, plugin)
        for a in entry.aliases:
            self._claim("model", a, plugin)
        self._models[entry.name] = (entry, plugin)
        return entry.name

    def _add_tools(self, plugin: str, adapter: Any) -> str:
        name = getattr(adapter, "name", None)
        if not isinstance(name, str) or not name or not callable(getattr(adapter, "doctor", None)):
            raise RegistrationError(f"plugin {plugin!r}: {adapter!r} is not a tool adapter (needs a name and doctor(); "
                                    "see graphs_tools.ToolAdapter)")
        self._claim("tool", name, plugin)
        self._tools[name] = (adapter, plugin)
        return name

    def _add_runners(self, plugin: str, runner: Any) -> str:
        from graphs.bench import Runner
        if not isinstance(runner, Runner):
            raise RegistrationError(f"plugin {plugin!r}: {runner!r} is not a benchmark Runner")
        self._claim("runner", runner.name, plugin)
        self._runners[runner.name] = (runner, plugin)
        return runner.name

    def _add_datasets(self, plugin: str, reader: Any) -> str:
        from graphs.labels import LabelledData
        if not isinstance(reader, LabelledData):
            raise RegistrationError(f"plugin {plugin!r}: {reader!r} is not a labelled-data reader "
                                    "(name, description, sniff, validate)")
        self._claim("data layout", reader.name, plugin)
        self._datasets[reader.name] = (reader, plugin)
        return reader.name

    def _add_commands(self, plugin: str, command: Any, *, name: str | None = None) -> str:
        """``command``: a ``typer.Typer`` group (its ``info.name``, or ``name``) or a function (its name)."""
        import typer
        if isinstance(command, typer.Typer):
            key = name or command.info.name
        elif callable(command):
            key = name or getattr(command, "__name__", "").replace("_", "-")
        else:
            raise RegistrationError(f"plugin {plugin!r}: {command!r} is neither a typer.Typer nor a function")
        if not isinstance(key, str) or not key or key.startswith("-"):
            raise RegistrationError(f"plugin {plugin!r}: a command needs a name")
        self._claim("command", key, plugin)
        self.commands[key] = (command, plugin)
        return key

    # --- queries -------------------------------------------------------------------------------
    def find_model(self, name: str) -> "ZooEntry | None":
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
            from graphs.hardware.schema import load_spec
            return HardwareEntry("file", spec=load_spec(hw_id), origin=hw_id)
        hardware = self.hardware
        key = self.aliases.get(hw_id.lower(), hw_id.lower())
        if key not in hardware:
            import difflib
            close = []                     # one suggestion per device, whichever of its names matched
            for m in difflib.get_close_matches(key, list(self._hardware) + list(self.aliases), n=12):
                dev = self.aliases.get(m, m)
                if dev not in close:
                    close.append(dev)
            close = close[:3]
            hint = f"; did you mean {', '.join(close)}?" if close else "; see `graphs hardware list`"
            installed = "" if self._hardware else " (no hardware plugins installed)"
            raise UnknownHardwareError(f"unknown hardware {hw_id!r}{installed}{hint}")
        return self._hardware[key]

    def find_hardware_by_name(self, name: str) -> str | None:
        """The installed id whose id or alias equals ``name`` normalised (lower case, spaces and
        underscores to ``-``, vendor and brand words dropped), e.g. ``NVIDIA H100 80GB HBM3``."""
        import re
        s = re.sub(r"[\s_/]+", "-", name.strip().lower())
        key = "-".join(p for p in s.split("-") if p and p not in ("nvidia", "tesla", "amd", "instinct", "geforce", "nv"))
        try:
            return self.hardware_entry(key).spec.id
        except UnknownHardwareError:
            return None

    def calibration_for(self, hw_id: str) -> "Calibration | None":
        """The device's calibration: the user's file (``graphs calibrate``) if there is one, else
        the one its distribution registered (or None)."""
        from graphs.calibration import find_user_calibration

        entry = self.hardware_entry(hw_id)
        return find_user_calibration(entry.spec.id) or entry.calibration

    def mapper_for(self, hw_id: str, calibration: "Calibration | None" = None) -> "Mapper":
        """A family engine instance bound to the device's spec and calibration (``calibration``
        given explicitly, else :meth:`calibration_for`)."""
        entry = self.hardware_entry(hw_id)
        fam = entry.spec.family
        if fam not in self.mappers:
            raise UnknownHardwareError(
                f"hardware {entry.spec.id!r} needs the {fam!r} family engine, which is not installed")
        cls, _ = self._mappers[fam]
        if calibration is not None and calibration.device != entry.spec.id:
            raise GraphsError(f"calibration of {calibration.device!r} given for {entry.spec.id!r}")
        return cls(entry.spec, calibration if calibration is not None else self.calibration_for(hw_id))

    def failed(self) -> list[PluginInfo]:
        """Plugins that failed in what was loaded or collected so far (no hook is collected for this)."""
        return [p for p in self._infos.values() if p.status != "ok"]


class HookIndex:
    """Which hooks each entry-point module implements, cached on disk so a command imports only the
    plugins it needs (``graphs --help`` imports the few that add commands, not 40 device packages).

    An entry is keyed by the entry point (name, target, distribution, version) and stamped with the
    size and modification time of the module's file, found without importing it; any change
    re-imports that module. ``$GRAPHS_CACHE_DIR/plugin-hooks.json`` (default ``~/.cache/graphs``);
    ``GRAPHS_HOOK_INDEX=0`` turns it off (every plugin is imported on the first question).
    """

    VERSION = 1

    def __init__(self) -> None:
        self.path = _cache_dir() / "plugin-hooks.json"
        self.entries: dict[str, dict[str, Any]] = {}
        self.dirty = False
        self.on = os.environ.get("GRAPHS_HOOK_INDEX", "1").strip() not in ("0", "false", "no", "off")
        if self.on:
            try:
                import json
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if data.get("version") == self.VERSION and isinstance(data.get("entries"), dict):
                    self.entries = data["entries"]
            except (OSError, ValueError):
                pass

    @staticmethod
    def key(name: str, ep: Any) -> str:
        dist = ep.dist.name if ep.dist else ""
        return f"{name}={ep.value}@{dist}=={ep.dist.version if ep.dist else ''}"

    @staticmethod
    def stamp(ep: Any) -> list[int] | None:
        import importlib.util
        try:
            top, _, rest = ep.module.partition(".")
            spec = importlib.util.find_spec(top)
            if spec is None:
                return None
            if rest:
                locs = list(spec.submodule_search_locations or [])
                if not locs:
                    return None
                f = Path(locs[0], *rest.split(".")).with_suffix(".py")
                if not f.is_file():
                    f = Path(locs[0], *rest.split("."), "__init__.py")
            else:
                f = Path(spec.origin or "")
            st = f.stat()
            return [st.st_mtime_ns, st.st_size]
        except (ImportError, OSError, ValueError, AttributeError):
            return None

    def hooks(self, name: str, ep: Any) -> set[str] | None:
        """The hooks the module implements, if the index knows them for its current file; else None."""
        if not self.on:
            return None
        e = self.entries.get(self.key(name, ep))
        if e is None or e.get("stamp") is None or e.get("stamp") != self.stamp(ep):
            return None
        return set(e.get("hooks", ()))

    def record(self, name: str, ep: Any, hooks: Iterable[str]) -> None:
        if not self.on:
            return
        self.entries[self.key(name, ep)] = {"stamp": self.stamp(ep), "hooks": sorted(hooks)}
        self.dirty = True

    def save(self) -> None:
        if not (self.on and self.dirty):
            return
        import json
        import tempfile
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".plugin-hooks.", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"version": self.VERSION, "entries": self.entries}, fh)
            os.replace(tmp, self.path)
            self.dirty = False
        except OSError:
            pass   # a read-only cache: import every plugin next time, nothing else changes


def _cache_dir() -> Path:
    base = os.environ.get("GRAPHS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache"), "graphs")
    return Path(base)


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def _core_version() -> str:
    from graphs import __version__
    return __version__


def _allowed_from_env() -> list[str] | None:
    raw = os.environ.get("GRAPHS_LOAD_PLUGINS")
    if raw is None:
        return None
    return [p.strip() for p in raw.split(",") if p.strip()]


_current: GraphsPlugins | None = None


def get_plugins(refresh: bool = False) -> GraphsPlugins:
    """The process-wide plugin registry (entry points listed now, imported and collected on use)."""
    global _current
    if _current is None or refresh:
        gp = GraphsPlugins()
        gp.load_entry_points(_allowed_from_env())
        _current = gp
    return _current


def set_plugins(gp: GraphsPlugins | None) -> None:
    """Replace the process-wide registry (tests)."""
    global _current
    _current = gp


def plugin_rows(plugins: GraphsPlugins | None = None) -> list[dict[str, Any]]:
    """Every installed plugin (every hook collected), built-ins first, as ``graphs plugins list -f json``
    prints them: name, distribution, version, hooks, status (ok, failed, partial), errors, registered, builtin."""
    gp = plugins or get_plugins()
    gp.collect()
    return [p.to_dict() for p in sorted(gp.plugins.values(), key=lambda p: (not p.builtin, p.name))]


def __getattr__(name: str) -> Any:
    # ``graphs.plugins.list()`` (like graphs.hardware.list(), graphs.zoo.list()); a module-level ``def list``
    # would shadow the builtin for every function in this module, so it is served from here
    if name == "list":
        return plugin_rows
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "list"})
