"""Opt-in pytest helpers for plugin authors.

Enable in a test module or ``conftest.py`` with ``pytest_plugins = ["graphs.testing"]``.

Fixtures:

* ``graphs_registry`` – a fresh :class:`~graphs.plugins.GraphsPlugins` with no entry points
  loaded; ``graphs_registry.add(obj, name)`` registers a plugin object for this test only.
* ``graphs_cli`` – run the CLI in-process: ``graphs_cli("hardware", "list")`` returns a
  :class:`CliResult` with ``exit_code``, ``stdout`` and ``stderr``.

And :func:`assert_plugin_valid` checks that a plugin object registers cleanly.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from typing import Any, Iterator

import pytest

from graphs.plugins import HOOKS, GraphsPlugins, PluginInfo, set_plugins


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


class TestRegistry(GraphsPlugins):
    """A registry that starts empty (built-in kinds and core's commands only) and takes plugins one by one."""

    __test__ = False  # not a test class

    def __init__(self) -> None:
        super().__init__()
        self.collect()                     # core's own commands now; add() registers the rest at once

    def add(self, obj: Any, name: str) -> PluginInfo:
        info = self.add_plugin(obj, name)
        if info.status == "ok":
            for hook in HOOKS:
                caller = getattr(self.pm.hook, f"graphs_register_{hook}")
                for impl in caller.get_hookimpls():
                    if impl.plugin_name == name:
                        self._collect_one(hook, impl)
        return info


@pytest.fixture
def graphs_registry() -> Iterator[TestRegistry]:
    """A fresh registry installed as the process-wide one for the duration of the test."""
    reg = TestRegistry()
    set_plugins(reg)
    try:
        yield reg
    finally:
        set_plugins(None)


def run_cli(*args: str) -> CliResult:
    """Run ``graphs ARGS`` in-process and capture its output."""
    from graphs.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return CliResult(code, out.getvalue(), err.getvalue())


def assert_one_line_error(result: CliResult, *needles: str, code: int = 2) -> None:
    """The CLI's answer to bad input: exit ``code`` (2), exactly one stderr line starting ``error: ``
    and containing every needle, no traceback anywhere."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for n in needles:
        assert n in lines[0], (n, lines[0])


@pytest.fixture
def graphs_cli():
    """Callable fixture: ``graphs_cli("analyze", "resnet50", "--hardware", "h100")``."""
    return run_cli


def assert_plugin_valid(obj: Any, name: str = "plugin-under-test") -> PluginInfo:
    """Register ``obj`` into an empty registry and fail the test on any problem.

    Checks: every ``graphs_*`` function is a known hook; every hook call succeeds; every
    registration is accepted (no duplicates, valid specs); something was registered.
    """
    reg = TestRegistry()
    info = reg.add(obj, name)
    assert info.status == "ok", f"plugin {name!r} is {info.status}: {info.errors}"
    unknown = [n for n in dir(obj) if n.startswith("graphs_") and not hasattr(reg.pm.hook, n)]
    assert not unknown, f"plugin {name!r} defines functions that are not graphs hooks: {unknown}"
    assert info.hooks, f"plugin {name!r} implements no graphs hook"
    if any(h != "graphs_register_commands" for h in info.hooks):
        assert info.registered, f"plugin {name!r} registered nothing"
    return info
