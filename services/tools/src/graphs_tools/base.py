"""What every third-party tool adapter shares: diagnosis, a safe subprocess runner, the adapter API.

An adapter (``graphs-timeloop``, ``graphs-astra-sim`` ...) translates graphs' workloads into a
tool's native input, runs the tool when it is installed, and parses its native output into
:class:`~graphs.results.EstimationResult`. A tool that is missing or broken is a *result*: a
:class:`Diagnosis` with a status, a reason and a fix, never an exception (GUIDE §5, failure
classes F1/F2).

The API used by ``graphs tools list`` / ``graphs tools doctor NAME``:

* :func:`list_tools` / :func:`get_tool` — registered adapters (hook ``graphs_register_tools``);
* :func:`doctor` / :func:`doctor_all` — never raise, even when an adapter's own ``doctor`` does;
* :class:`ToolAdapter` — the protocol; :class:`BaseToolAdapter` implements ``run`` once for all.

Subprocesses run through :func:`run_command`: an argument list (never a shell), a timeout, and
stdout/stderr captured to files in the run's output folder.
"""

from __future__ import annotations

import difflib
import enum
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Protocol, Sequence, runtime_checkable

from graphs.errors import GraphsError
from graphs.results import ConfidenceLevel, EstimationResult, KernelEstimate, Provenance

DEFAULT_TIMEOUT_S = 600.0
TAIL_CHARS = 2000


class ToolOutputError(GraphsError):
    """A tool output file that is missing or does not have the expected format."""


class ToolInputError(GraphsError):
    """A workload that cannot be expressed in the tool's input format."""


class ToolJobFailed(GraphsError):
    """The tool (or its driver) ran and reported that this job failed; ``status`` classifies it."""

    def __init__(self, message: str, status: "DiagnosisStatus | None" = None) -> None:
        super().__init__(message)
        self.status = status


class DiagnosisStatus(str, enum.Enum):
    """Why a tool can or cannot produce a prediction here."""

    OK = "ok"
    NOT_INSTALLED = "not_installed"      # binary / package / checkout absent
    BUILD_FAILURE = "build_failure"      # present but cannot start (missing shared library, bad build)
    RUNTIME_FAILURE = "runtime_failure"  # starts but fails, times out or writes no usable output
    MISSING_DATA = "missing_data"        # installed, but profiles / predictors / traces are absent

    @property
    def failure_class(self) -> str | None:
        """GUIDE §5 failure class: F1 build/install, F2 runtime; None when ok."""
        if self is DiagnosisStatus.OK:
            return None
        return "F2" if self is DiagnosisStatus.RUNTIME_FAILURE else "F1"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Diagnosis:
    """The state of one tool on this machine: status, a one-line reason and how to fix it."""

    tool: str
    status: DiagnosisStatus
    reason: str
    fix: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is DiagnosisStatus.OK

    @property
    def failure_class(self) -> str | None:
        return self.status.failure_class

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "status": self.status.value, "ok": self.ok, "reason": self.reason, "fix": self.fix,
                "failure_class": self.failure_class, "details": {k: _jsonable(v) for k, v in self.details.items()}}

    def __str__(self) -> str:
        fix = f" Fix: {self.fix}" if self.fix and not self.ok else ""
        return f"{self.tool}: {self.status.value} — {self.reason}{fix}"


# --- subprocesses -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CommandResult:
    """One finished (or failed-to-start, or timed-out) subprocess."""

    argv: tuple[str, ...]
    returncode: int | None        # None when it timed out or could not start
    wall_s: float
    stdout_path: Path | None
    stderr_path: Path | None
    timed_out: bool = False
    start_error: str = ""         # OSError text when the program could not be started

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.start_error

    def stdout(self) -> str:
        return _read(self.stdout_path)

    def stderr(self) -> str:
        return _read(self.stderr_path)

    def tail(self, chars: int = TAIL_CHARS) -> str:
        """The last ``chars`` characters of stderr (or stdout when stderr is empty)."""
        text = self.stderr().strip() or self.stdout().strip()
        return text[-chars:]

    def describe(self) -> str:
        if self.start_error:
            return f"could not start {self.argv[0]}: {self.start_error}"
        if self.timed_out:
            return f"{Path(self.argv[0]).name} timed out after {self.wall_s:.0f} s"
        last = " ".join(self.tail(300).split())
        return f"{Path(self.argv[0]).name} exited with code {self.returncode}" + (f": {last}" if last else "")

    def to_dict(self) -> dict[str, Any]:
        return {"argv": list(self.argv), "returncode": self.returncode, "wall_s": self.wall_s,
                "timed_out": self.timed_out, "start_error": self.start_error,
                "stdout": str(self.stdout_path) if self.stdout_path else None,
                "stderr": str(self.stderr_path) if self.stderr_path else None}


def run_command(argv: Sequence[str | os.PathLike], *, log_dir: str | os.PathLike, name: str,
                timeout_s: float = DEFAULT_TIMEOUT_S, cwd: str | os.PathLike | None = None,
                env: Mapping[str, str] | None = None) -> CommandResult:
    """Run ``argv`` without a shell, with a timeout, capturing its output to ``log_dir``.

    Writes ``<name>.stdout.log``, ``<name>.stderr.log`` and ``<name>.command.json`` (argv,
    return code, wall time). Never raises for a missing program or a timeout: the returned
    :class:`CommandResult` says what happened.
    """
    args = tuple(os.fspath(a) for a in argv)
    if not args:
        raise ValueError("empty command")
    logs = Path(log_dir)
    logs.mkdir(parents=True, exist_ok=True)
    out_p, err_p = logs / f"{name}.stdout.log", logs / f"{name}.stderr.log"
    full_env = None
    if env is not None:
        full_env = dict(os.environ)
        full_env.update(env)
    t0 = time.monotonic()
    rc: int | None = None
    timed_out, start_error = False, ""
    with open(out_p, "wb") as out, open(err_p, "wb") as err:
        try:
            # its own session (process group): a timeout or an interrupt kills the tool and every child it started
            proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, env=full_env,
                                    shell=False, start_new_session=True)
        except OSError as e:
            start_error = f"{type(e).__name__}: {e.strerror or e}"
        else:
            try:
                rc = proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(proc)
            except BaseException:
                _kill_group(proc)
                raise
            else:
                _kill_group(proc, leftovers_only=True)
    result = CommandResult(args, rc, time.monotonic() - t0, out_p, err_p, timed_out, start_error)
    (logs / f"{name}.command.json").write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
    return result


def _kill_group(proc: subprocess.Popen, leftovers_only: bool = False) -> None:
    """SIGKILL the tool's whole process group (``leftovers_only``: after it exited, its orphans)."""
    import signal
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass
    if not leftovers_only:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def resolve_executable(names: Iterable[str], env_var: str | None = None) -> tuple[Path | None, str]:
    """Find a tool's program: ``$env_var`` first (a path), then each of ``names`` on PATH.

    Returns ``(path, "")`` when found, else ``(None, reason)`` saying where it looked.
    """
    names = list(names)
    if env_var:
        raw = os.environ.get(env_var, "").strip()
        if raw:
            p = Path(raw).expanduser()
            if p.is_dir():
                for n in names:
                    for cand in (p / n, p / "bin" / n):
                        if cand.is_file() and os.access(cand, os.X_OK):
                            return cand, ""
                return None, f"{env_var}={raw} is a folder without {' or '.join(names)} (looked in it and its bin/)"
            if p.is_file() and os.access(p, os.X_OK):
                return p, ""
            found = shutil.which(raw)
            if found:
                return Path(found), ""
            return None, f"{env_var}={raw} is not an executable file"
    for n in names:
        found = shutil.which(n)
        if found:
            return Path(found), ""
    where = f"${env_var} is unset and " if env_var else ""
    return None, f"{where}{' / '.join(names)} not found on PATH"


def classify_start_failure(result: CommandResult) -> DiagnosisStatus:
    """A program that exists but cannot start is a build problem; one that starts and fails is runtime."""
    text = (result.stderr() + result.stdout()).lower()
    if result.start_error:
        return DiagnosisStatus.BUILD_FAILURE
    if result.returncode in (126, 127) or "error while loading shared libraries" in text \
            or "symbol lookup error" in text or "exec format error" in text:
        return DiagnosisStatus.BUILD_FAILURE
    return DiagnosisStatus.RUNTIME_FAILURE


# --- runs ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Invocation:
    """One command an adapter wants run: argv, where, with which extra environment."""

    argv: tuple[str, ...]
    name: str
    cwd: Path | None = None
    env: Mapping[str, str] | None = None


@dataclass(frozen=True)
class ToolRun:
    """What :meth:`ToolAdapter.run` returns: inputs written, commands run, results or a diagnosis."""

    tool: str
    diagnosis: Diagnosis
    output_dir: Path
    inputs: tuple[Path, ...] = ()
    commands: tuple[CommandResult, ...] = ()
    results: tuple[EstimationResult, ...] = ()
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.diagnosis.ok and bool(self.results)

    @property
    def result(self) -> EstimationResult | None:
        """The single (model-level) result, when there is exactly one."""
        return self.results[0] if len(self.results) == 1 else None

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "diagnosis": self.diagnosis.to_dict(), "output_dir": str(self.output_dir),
                "inputs": [str(p) for p in self.inputs], "commands": [c.to_dict() for c in self.commands],
                "results": [r.to_dict() for r in self.results], "wall_s": self.wall_s}


@runtime_checkable
class ToolAdapter(Protocol):
    """The interface of a third-party tool adapter (registered via ``graphs_register_tools``)."""

    name: str
    description: str

    def doctor(self) -> Diagnosis:
        """Can the tool run here? Must not raise."""

    def write_inputs(self, workload: Any, out_dir: str | os.PathLike) -> list[Path]:
        """Translate ``workload`` to the tool's native input files in ``out_dir``; return their paths."""

    def run(self, workload: Any, out_dir: str | os.PathLike, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> ToolRun:
        """Write inputs, run the tool if it can run, parse its output; never raises for tool failures."""

    def parse(self, path: str | os.PathLike) -> EstimationResult | list[EstimationResult]:
        """Parse a native output file or folder into results (raises :class:`ToolOutputError`)."""

    # --- what the comparison harness (graphs-compare) asks; defaults in BaseToolAdapter ------------
    compare_facts: Mapping[str, Any]

    def compare_scope(self, row: Any, plugins: Any) -> str | None:
        """None if the tool can express the comparison ``row`` (a workload x device), else why not (F4)."""

    def compare_job(self, row: Any, suite: Any, plugins: Any) -> Any:
        """The tool's workload for ``row`` (what :meth:`run` takes); GraphsError if it cannot be written."""

    def hardware_check(self, plugins: Any) -> tuple[bool, str] | None:
        """Run here: does a new device come to the tool by configuration? (ok, evidence); None: no check."""


class BaseToolAdapter:
    """Implements :meth:`run` from three small pieces each adapter provides.

    Subclasses set ``name`` and ``description`` and implement :meth:`doctor`,
    :meth:`write_inputs`, :meth:`invocations` (the commands to run) and :meth:`collect`
    (parse what the commands left in ``out_dir``); optionally :meth:`preflight` for checks that
    depend on the workload (e.g. profiles for this model and device).

    ``run``: write inputs (always, so they can be inspected or run by hand) → doctor →
    preflight → each invocation (stop at the first failure) → collect. Every failure is a
    :class:`Diagnosis` in the returned :class:`ToolRun`; ``graphs-tool-run.json`` records it.
    """

    name: str = ""
    description: str = ""
    homepage: str = ""
    #: D4/D5 facts for the comparison harness, each with its ``source``: install, one_step, formats,
    #: standard_formats, hw_by_config, hw_how, scope, levels, closed (see docs/compare.md)
    compare_facts: Mapping[str, Any] = {}

    # --- to implement -------------------------------------------------------------------------
    def doctor(self) -> Diagnosis:  # pragma: no cover - abstract
        raise NotImplementedError

    def write_inputs(self, workload: Any, out_dir: str | os.PathLike) -> list[Path]:  # pragma: no cover
        raise NotImplementedError

    def invocations(self, workload: Any, out_dir: Path, inputs: Sequence[Path], diagnosis: Diagnosis) -> list[Invocation]:
        raise NotImplementedError  # pragma: no cover

    def collect(self, workload: Any, out_dir: Path, inputs: Sequence[Path]) -> list[EstimationResult]:
        raise NotImplementedError  # pragma: no cover

    def parse(self, path: str | os.PathLike) -> EstimationResult | list[EstimationResult]:  # pragma: no cover
        raise NotImplementedError

    def preflight(self, workload: Any, out_dir: Path, diagnosis: Diagnosis) -> Diagnosis:
        """Workload-specific checks after a good :meth:`doctor` (profiles for this model ...)."""
        return diagnosis

    # --- the comparison harness's questions (override what the tool can answer) -------------------
    def compare_scope(self, row: Any, plugins: Any) -> str | None:
        """Why the tool cannot express ``row`` (F4), or None; the default: no translation declared."""
        return f"the {self.name} adapter declares no comparison scope (no workload translation for the harness)"

    def compare_job(self, row: Any, suite: Any, plugins: Any) -> Any:
        """The tool's workload for ``row``; the default: none."""
        raise GraphsError(f"the {self.name} adapter writes no workload for comparison rows like {row.key}")

    def hardware_check(self, plugins: Any) -> tuple[bool, str] | None:
        """(ok, evidence) of new hardware by configuration, checked here; None: nothing to check."""
        return None

    def doctor_for(self, workload: Any) -> Diagnosis:
        """The diagnosis a run of ``workload`` starts from (default: :func:`doctor`; an adapter whose workload can
        bring its own data, e.g. VIDUR profiles, may check less here and the rest in :meth:`preflight`)."""
        return doctor(self)

    # --- shared ---------------------------------------------------------------------------------
    def diagnosis(self, status: DiagnosisStatus, reason: str, fix: str = "", **details: Any) -> Diagnosis:
        return Diagnosis(self.name, status, reason, fix, details)

    def run(self, workload: Any, out_dir: str | os.PathLike, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> ToolRun:
        t0 = time.monotonic()
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        inputs = tuple(self.write_inputs(workload, out))
        diag = self.doctor_for(workload)
        if diag.ok:
            diag = self.preflight(workload, out, diag)
        if not diag.ok:
            return self._finish(ToolRun(self.name, diag, out, inputs, wall_s=time.monotonic() - t0))
        commands: list[CommandResult] = []
        for inv in self.invocations(workload, out, inputs, diag):
            res = run_command(inv.argv, log_dir=out / "logs", name=inv.name, timeout_s=timeout_s,
                              cwd=inv.cwd, env=inv.env)
            commands.append(res)
            if not res.ok:
                status = DiagnosisStatus.RUNTIME_FAILURE if res.timed_out else classify_start_failure(res)
                bad = self.diagnosis(status, res.describe(),
                                     f"see the logs in {out / 'logs'}; rerun `{' '.join(inv.argv)}` by hand",
                                     command=list(inv.argv), returncode=res.returncode)
                return self._finish(ToolRun(self.name, bad, out, inputs, tuple(commands), wall_s=time.monotonic() - t0))
        try:
            results = tuple(self.collect(workload, out, inputs))
        except GraphsError as e:
            # a ToolJobFailed carries the tool's own verdict; anything else is output graphs could not read
            status = getattr(e, "status", None) or DiagnosisStatus.RUNTIME_FAILURE
            why = str(e) if hasattr(e, "status") else f"the tool ran but its output could not be parsed: {e}"
            bad = self.diagnosis(status, why, f"see the logs in {out / 'logs'}")
            return self._finish(ToolRun(self.name, bad, out, inputs, tuple(commands), wall_s=time.monotonic() - t0))
        return self._finish(ToolRun(self.name, diag, out, inputs, tuple(commands), results, time.monotonic() - t0))

    @staticmethod
    def _finish(run: ToolRun) -> ToolRun:
        (run.output_dir / "graphs-tool-run.json").write_text(json.dumps(run.to_dict(), indent=2, default=str),
                                                             encoding="utf-8")
        return run

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


# --- results helpers -------------------------------------------------------------------------------
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def point_result(value: float, unit: str, *, estimator: str, hardware: str = "", source: str = "",
                 notes: Iterable[str] = (), metrics: Mapping[str, Any] | None = None,
                 confidence: ConfidenceLevel = ConfidenceLevel.THEORETICAL,
                 breakdown: Iterable[KernelEstimate] = ()) -> EstimationResult:
    """A tool's number as an EstimationResult. Tools state no interval: low = high = value."""
    return EstimationResult(
        value=float(value), unit=unit, low=float(value), high=float(value), confidence=confidence,
        provenance=Provenance(estimator=estimator, mapper="", hardware=hardware, calibration=source,
                              notes=tuple(notes) + ("the tool reports a point value; the interval is degenerate",)),
        breakdown=tuple(breakdown), metrics=dict(metrics or {}),
    )


def is_number(text: str) -> bool:
    """Whether a field of a tool's CSV output parses as a float (tools mix numbers and labels)."""
    try:
        float(text)
        return True
    except ValueError:
        return False


def to_seconds(result: EstimationResult) -> float:
    """A latency result's value in seconds (``cycles`` need ``metrics['clock_hz']``)."""
    if result.unit in TIME_UNITS:
        return result.value * TIME_UNITS[result.unit]
    if result.unit == "cycles":
        hz = result.metrics.get("clock_hz")
        if not hz:
            raise GraphsError(f"{result.provenance.estimator}: result in cycles has no clock_hz to convert it to seconds")
        return result.value / float(hz)
    raise GraphsError(f"{result.provenance.estimator}: unit {result.unit!r} is not a time")


# --- registry queries (for the CLI) ---------------------------------------------------------------
def _plugins(plugins: Any = None) -> Any:
    if plugins is None:
        from graphs.plugins import get_plugins
        plugins = get_plugins()
    return plugins


def list_tools(plugins: Any = None) -> list[Any]:
    """Registered tool adapters, sorted by name."""
    gp = _plugins(plugins)
    return [gp.tools[n][0] for n in sorted(gp.tools)]


def get_tool(name: str, plugins: Any = None) -> Any:
    """The adapter named ``name``; a one-line error with suggestions when there is none."""
    gp = _plugins(plugins)
    if name in gp.tools:
        return gp.tools[name][0]
    close = difflib.get_close_matches(name, list(gp.tools), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else (
        f"; installed: {', '.join(sorted(gp.tools))}" if gp.tools else "; no tool adapters are installed")
    raise GraphsError(f"unknown tool {name!r}{hint}")


def doctor(adapter: Any) -> Diagnosis:
    """``adapter.doctor()``, turned into a runtime-failure diagnosis if it raises: never raises."""
    name = str(getattr(adapter, "name", type(adapter).__name__))
    try:
        d = adapter.doctor()
    except Exception as e:  # an adapter bug must still give a diagnosis
        return Diagnosis(name, DiagnosisStatus.RUNTIME_FAILURE, f"doctor() raised {type(e).__name__}: {e}",
                         "report this adapter bug")
    if not isinstance(d, Diagnosis):
        return Diagnosis(name, DiagnosisStatus.RUNTIME_FAILURE, f"doctor() returned {type(d).__name__}, not a Diagnosis",
                         "report this adapter bug")
    return d


def doctor_all(plugins: Any = None) -> list[Diagnosis]:
    """A diagnosis for every registered adapter."""
    return [doctor(a) for a in list_tools(plugins)]


# --- IR geometry shared by writers -----------------------------------------------------------------
@dataclass(frozen=True)
class ConvGeometry:
    """A 1-D/2-D convolution node's geometry in NCHW terms (1-D: ``h = q = kh = 1``)."""

    n: int
    c_in: int
    h: int
    w: int
    c_out: int
    q: int          # output height
    p: int          # output width
    kh: int
    kw: int
    stride: tuple[int, int]
    pad: tuple[int, int]          # (top, left); bottom/right may differ by one for odd padding
    dilation: tuple[int, int]
    groups: int = 1
    rank: int = 2
    inferred: bool = False        # stride/padding derived from shapes, not read from attributes

    @property
    def depthwise(self) -> bool:
        return self.groups > 1 and self.groups == self.c_in


def _attr(node: Any, *names: str) -> Any:
    for n in names:
        if n in node.attrs and node.attrs[n] is not None:
            return node.attrs[n]
    return None


def _ints(v: Any, n: int) -> tuple[int, ...] | None:
    if v is None or isinstance(v, str):
        return None
    if isinstance(v, (int, float)):
        return (int(v),) * n
    t = tuple(int(x) for x in v)
    return t or None


def infer_stride_pad(size_in: int, size_out: int, kernel: int, dilation: int = 1) -> tuple[int, int]:
    """Smallest stride, then smallest padding, with floor((in + 2p − d(k−1) − 1)/s) + 1 == out."""
    span = dilation * (kernel - 1)
    for s in range(1, max(kernel, 1) + max(size_in, 1) + 1):
        for p in range(0, span + 1):
            if (size_in + 2 * p - span - 1) // s + 1 == size_out:
                return s, p
    raise ToolInputError(f"no stride/padding maps input {size_in} to output {size_out} with kernel {kernel}")


def conv_geometry(graph: Any, node: Any) -> ConvGeometry:
    """Geometry of a (non-transposed) convolution node: input (N, C, [H,] W), weight (M, C/g, [kh,] kw).

    Reads the canonical attributes of the ``conv`` kind (docs/ops.md: ``stride``, ``padding``,
    ``dilation``, ``groups``, ``layout``), which every frontend gives its conv nodes; when stride or
    padding are absent (or padding is only a mode, ``same``/``valid``) they are inferred from the
    shapes (``inferred=True``).
    """
    x = graph.spec(node.inputs[0]) if node.inputs else None
    wt = graph.spec(node.inputs[1]) if len(node.inputs) > 1 else None
    y = next((graph.spec(o) for o in node.outputs if graph.spec(o) is not None), None)
    if x is None or wt is None or y is None:
        raise ToolInputError(f"{node.name}: convolution without input, weight or output shape")
    if node.attrs.get("transposed"):
        raise ToolInputError(f"{node.name}: transposed convolution is not supported here")
    if x.rank not in (3, 4) or wt.rank != x.rank:
        raise ToolInputError(f"{node.name}: only 1-D and 2-D convolutions are supported (input rank {x.rank})")
    layout = str(_attr(node, "layout") or "NCHW").upper()
    xs, ys, ws = list(x.shape), list(y.shape), list(wt.shape)
    if layout in ("NHWC", "NWC", "CHANNELS_LAST"):
        xs, ys = [xs[0], xs[-1], *xs[1:-1]], [ys[0], ys[-1], *ys[1:-1]]
    rank = x.rank - 2
    if rank == 1:
        xs, ys, ws = xs[:2] + [1] + xs[2:], ys[:2] + [1] + ys[2:], ws[:2] + [1] + ws[2:]
    n, c_in, h, w = xs
    _, c_out, q, p = ys
    kh, kw = ws[2], ws[3]
    groups = int(_attr(node, "groups") or 1)
    if c_in % groups or c_out % groups:
        raise ToolInputError(f"{node.name}: channels {c_in}->{c_out} not divisible by groups={groups}")
    stride = _ints(_attr(node, "stride"), rank)
    dil = _ints(_attr(node, "dilation"), rank) or (1,) * rank
    pads = _ints(_attr(node, "padding"), rank)
    if rank == 1:
        stride = (1, stride[-1]) if stride else None
        dil = (1, dil[-1])
        pads = (0, pads[-1]) if pads else None
    inferred = stride is None or pads is None
    if inferred:
        sh, ph = infer_stride_pad(h, q, kh, dil[0])
        sw, pw = infer_stride_pad(w, p, kw, dil[1])
        stride, pads = stride or (sh, sw), pads or (ph, pw)
    return ConvGeometry(n, c_in, h, w, c_out, q, p, kh, kw, (stride[0], stride[-1]), (pads[0], pads[-1]),
                        (dil[0], dil[-1]), groups, rank, inferred)


# --- small utilities -------------------------------------------------------------------------------
MAX_OUTPUT_BYTES = 32 * 2**20     # what graphs reads of a tool's stdout/stderr (its last bytes)


def _read(p: Path | None, limit: int = MAX_OUTPUT_BYTES) -> str:
    """A tool's log, at most its last ``limit`` bytes (a tool that writes gigabytes cannot take graphs'
    memory with it; the whole log stays on disk)."""
    if p is None or not p.exists():
        return ""
    size = p.stat().st_size
    with open(p, "rb") as fh:
        if size > limit:
            fh.seek(size - limit)
        return fh.read(limit).decode("utf-8", errors="replace")


def _jsonable(v: Any) -> Any:
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, Path):
        return str(v)
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return str(v)


def python_module_probe(python: str | os.PathLike, module: str, *, log_dir: str | os.PathLike,
                        timeout_s: float = 60.0) -> CommandResult:
    """Import ``module`` in the interpreter ``python`` (a separate process) and print its version."""
    code = (f"import importlib, sys; m = importlib.import_module({module!r}); "
            "print(getattr(m, '__version__', 'unknown')); print(sys.version.split()[0])")
    return run_command([os.fspath(python), "-c", code], log_dir=log_dir, name=f"probe-{module}", timeout_s=timeout_s)
