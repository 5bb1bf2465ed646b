"""What a probe is and what its callables see."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

CLEAN, OK, HANG, CRASH, LOST, SKIP = "clean", "ok", "hang", "crash", "data lost", "skip"
CLASSES = (CLEAN, OK, HANG, CRASH, LOST, SKIP)

GiB = 2**30

# GRAPHS_LOAD_PLUGINS values that keep a probe cheap where the plugin set does not matter
P_NONE = ""                                              # core's commands only
P_ONNX_T4 = "frontend-onnx,mapper-t4,mappers-gpu"        # analyze an ONNX model on the T4 (or a GPU spec file)
P_ONNX_GPU = "frontend-onnx,mapper-t4,mapper-h100,mapper-p4,mappers-gpu"
P_BENCH = "calibrate,probe-runner"                       # graphs benchmark with the probe runner


class Skip(Exception):
    """Raised by a setup that cannot build its input here (no mknod, no shared data ...)."""


@dataclass
class Ctx:
    """One probe run: its private folder, environment and what the runner must watch."""

    tmp: Path
    env: dict[str, str]
    watch: list[Path] = field(default_factory=list)          # pre-existing paths outside tmp to snapshot
    content_ok: set[Path] = field(default_factory=set)        # paths whose *content* may change (mode/type may not)
    may_change: set[Path] = field(default_factory=set)        # paths that may change in any way (or vanish)
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)        # what setup wants argv/check to know

    def p(self, *parts: str) -> Path:
        return self.tmp.joinpath(*parts)

    def add_pythonpath(self, folder: Path) -> None:
        old = self.env.get("PYTHONPATH")
        self.env["PYTHONPATH"] = str(folder) + (os.pathsep + old if old else "")


@dataclass
class Result:
    """What one ``graphs`` process did."""

    rc: Optional[int]              # exit code; -N when killed by signal N; None when it hung
    stdout: str
    stderr: str
    wall_s: float
    maxrss_mb: float
    timed_out: bool = False
    signalled: Optional[int] = None   # the signal the probe sent, if any, and it was sent
    survivors: list[str] = field(default_factory=list)


Check = Callable[[Ctx, Result], Optional[tuple[str, str]]]


@dataclass
class Probe:
    """One hostile input.

    :param argv: builds the arguments after ``graphs`` (may read ``ctx.data``).
    :param setup: writes the input into ``ctx.tmp`` (raise :class:`Skip` if impossible here).
    :param check: after the run: ``None``, or ``(class, reason)`` overriding the outcome
        (e.g. ``("data lost", "store lost the measured group")``).
    :param expect: the outcome(s) that are right.
    :param plugins: ``GRAPHS_LOAD_PLUGINS`` (``None``: every installed plugin).
    :param signal: ``(signum, when)``: send it ``when`` seconds after start, or once the file
        ``ctx.tmp / when`` exists when ``when`` is a string.
    :param parallel: run this many copies at once (concurrent writers).
    :param ok_codes: exit codes that count as ``ok`` (``graphs tools doctor`` exits 1 for "cannot run").
    :param max_rss_mb: peak resident memory above this is a ``crash`` (bounded memory).
    :param json_stdout: an ``ok`` run must print strict JSON (no NaN/Infinity); default: when
        ``-f json``/``--json`` and no ``-o`` are in argv.
    """

    id: str
    category: str
    argv: Callable[[Ctx], Sequence[str]]
    expect: Union[str, tuple[str, ...]] = CLEAN
    setup: Optional[Callable[[Ctx], None]] = None
    check: Optional[Check] = None
    fast: bool = False
    timeout: float = 60.0
    plugins: Optional[str] = None
    signal: Optional[tuple[int, Union[float, str]]] = None
    parallel: int = 1
    ok_codes: tuple[int, ...] = (0,)
    max_rss_mb: Optional[float] = None
    mem_limit: int = 2 * GiB
    json_stdout: Optional[bool] = None
    stdout_mode: str = "file"          # file | broken-pipe | full (/dev/full)
    note: str = ""

    @property
    def expected(self) -> tuple[str, ...]:
        return (self.expect,) if isinstance(self.expect, str) else tuple(self.expect)
