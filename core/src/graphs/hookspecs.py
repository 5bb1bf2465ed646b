"""Hook specifications: every way a plugin extends graphs.

Each hook receives a ``register`` callback owned by core, which checks keys and refuses
duplicates naming both plugins.
"""

from __future__ import annotations

from typing import Callable

import pluggy

hookspec = pluggy.HookspecMarker("graphs")
hookimpl = pluggy.HookimplMarker("graphs")


@hookspec
def graphs_register_frontends(register: Callable[..., None]) -> None:
    """Register model frontends: ``register(frontend)`` with a :class:`graphs.frontends.Frontend`.

    :param register: callback taking one Frontend instance.
    """


@hookspec
def graphs_register_op_kinds(register: Callable[..., None]) -> None:
    """Register canonical op kinds: ``register(name, category, formula, doc=..., attrs={name: meaning})``.

    :param register: callback taking a kind name, a :class:`graphs.ops.Category` (or its value), a
        default formula ``OpView -> OpCost`` and, as keywords, a one-line doc and the kind's canonical
        attributes (name -> meaning); see docs/ops.md.
    """


@hookspec
def graphs_register_op_handlers(register: Callable[..., None]) -> None:
    """Register op handlers: ``register(op_type, kind, formula)``.

    :param register: callback taking a namespaced op type, a canonical kind and a formula.
    """


@hookspec
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register hardware: ``register(spec)`` with a YAML path, a dict or a HardwareSpec.

    :param register: callback taking a spec (path, mapping or HardwareSpec).
    """


@hookspec
def graphs_register_mappers(register: Callable[..., None]) -> None:
    """Register family engines: ``register(family, mapper_class)``.

    :param register: callback taking a family name and a :class:`graphs.mapper.Mapper` subclass.
    """


@hookspec
def graphs_register_models(register: Callable[..., None]) -> None:
    """Register zoo models: ``register(entry)`` with a :class:`graphs.zoo.ZooEntry`.

    :param register: callback taking one ZooEntry.
    """


@hookspec
def graphs_register_tools(register: Callable[..., None]) -> None:
    """Register third-party tool adapters: ``register(adapter)``.

    :param register: callback taking one tool adapter object (name, doctor, run, parse).
    """


@hookspec
def graphs_register_runners(register: Callable[..., None]) -> None:
    """Register benchmark runners: ``register(runner)`` with a :class:`graphs.bench.Runner`.

    :param register: callback taking one Runner (name, unavailable, device, environment, suite, run).
    """


@hookspec
def graphs_register_datasets(register: Callable[..., None]) -> None:
    """Register labelled-data readers for ``graphs validate --data DIR``: ``register(reader)``.

    :param register: callback taking one :class:`graphs.labels.LabelledData` (name, description,
        ``sniff(dir)``, ``validate(dir, plugins, **options)``).
    """


@hookspec
def graphs_register_commands(register: Callable[..., None]) -> None:
    """Add CLI commands: ``register(typer_app)`` (a group, named by ``typer.Typer(name=...)``) or
    ``register(function)`` (one command named after the function; ``name=`` to override).

    Core's own commands are registered the same way, first; a name already taken is refused.

    :param register: callback taking a ``typer.Typer`` or a command function.
    """
