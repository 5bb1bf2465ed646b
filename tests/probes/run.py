#!/usr/bin/env python
"""Run the hostile-input probes against ``graphs`` and classify what happened.

    python tests/probes/run.py [--fast] [--json out.json] [-k SUBSTR] [-j N] [--list]

Each probe runs ``graphs`` in a subprocess (its own process group) under
``RLIMIT_AS`` (2 GiB by default) and a wall-time limit; every file that existed before the run
(the probe's folder, plus anything it watches such as /dev/null) is snapshotted — type, mode,
content hash, symlink target — and compared afterwards. Outcomes:

* ``clean``     exit 2, exactly one stderr line starting with ``error: `` (interrupts: exit 130,
                at most one line), no traceback;
* ``ok``        success where success is the right answer (exit code in the probe's ``ok_codes``),
                with strict JSON on stdout where JSON was asked for;
* ``hang``      still running at the time limit (the process group is killed);
* ``crash``     a traceback, ``internal error``, exit 1 or another code, MemoryError, death by a
                signal (the rlimit), more than one stderr line, peak memory over the probe's
                bound, processes left running, temporary files left behind;
* ``data lost`` a pre-existing file changed (content, mode, type, symlink target) or vanished;
* ``skip``      the input cannot be built here (no mknod, no shared data ...).

Exit status: 0 when every probe had its expected outcome, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import signal as _signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from probes.base import CLASSES, CLEAN, CRASH, HANG, LOST, OK, SKIP, Ctx, Probe, Result, Skip  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "graphs-probe-cache"
STDERR_KEEP = 64 * 1024
STDOUT_KEEP = 64 * 2**20          # whole, so JSON can be parsed; a flood beyond this is cut


def graphs_command() -> list[str]:
    """How to start graphs: $GRAPHS_PROBE_CMD, else the console script beside this Python."""
    env = os.environ.get("GRAPHS_PROBE_CMD")
    if env:
        return env.split()
    script = Path(sys.executable).parent / "graphs"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "graphs.cli"]


# --- environment ---------------------------------------------------------------------------------
def base_env(tmp: Path, plugins: Optional[str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GRAPHS_") and k not in ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONWARNINGS")}
    cache = os.environ.get("GRAPHS_CACHE_DIR") or str(DEFAULT_CACHE)
    env.update(GRAPHS_CACHE_DIR=cache, GRAPHS_CALIBRATION_DIR=str(tmp / ".user" / "calibration"),
               GRAPHS_STORE=str(tmp / ".user" / "results.sqlite"), XDG_DATA_HOME=str(tmp / ".user" / "xdg"),
               COLUMNS="120", NO_COLOR="1", TERM="dumb", PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    if plugins is not None:
        env["GRAPHS_LOAD_PLUGINS"] = plugins
    return env


# --- snapshots -----------------------------------------------------------------------------------
def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _entry(path: Path) -> Optional[dict[str, Any]]:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    e: dict[str, Any] = {"type": stat.S_IFMT(st.st_mode), "mode": stat.S_IMODE(st.st_mode)}
    if stat.S_ISLNK(st.st_mode):
        e["link"] = os.readlink(path)
    elif stat.S_ISREG(st.st_mode):
        try:
            e["sha"] = _sha(path)
        except OSError:
            e["sha"] = f"unreadable:{st.st_size}"
    elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        e["rdev"] = st.st_rdev
    return e


TYPE_NAMES = {stat.S_IFREG: "regular file", stat.S_IFDIR: "directory", stat.S_IFLNK: "symlink",
              stat.S_IFIFO: "FIFO", stat.S_IFCHR: "character device", stat.S_IFBLK: "block device",
              stat.S_IFSOCK: "socket"}


def snapshot(roots: Iterable[Path], extra: Iterable[Path]) -> dict[Path, dict[str, Any]]:
    snap: dict[Path, dict[str, Any]] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            for n in dirnames + filenames:
                p = Path(dirpath) / n
                e = _entry(p)
                if e is not None:
                    snap[p] = e
    for p in extra:
        e = _entry(p)
        if e is not None:
            snap[p] = e
    return snap


def compare(before: dict[Path, dict[str, Any]], ctx: Ctx) -> list[str]:
    lost = []
    for p, b in before.items():
        if p in ctx.may_change or any(parent in ctx.may_change for parent in p.parents):
            continue
        a = _entry(p)
        name = p.name if p.is_relative_to(ctx.tmp) else str(p)
        if a is None:
            lost.append(f"{name} vanished")
            continue
        if a["type"] != b["type"]:
            lost.append(f"{name}: {TYPE_NAMES.get(b['type'], b['type'])} became {TYPE_NAMES.get(a['type'], a['type'])}")
            continue
        if a["mode"] != b["mode"]:
            lost.append(f"{name}: mode {b['mode']:04o} became {a['mode']:04o}")
        if a.get("link") != b.get("link"):
            lost.append(f"{name}: symlink now points to {a.get('link')!r}")
        if a.get("rdev") != b.get("rdev"):
            lost.append(f"{name}: device number changed")
        if a.get("sha") != b.get("sha") and p not in ctx.content_ok:
            lost.append(f"{name}: content changed")
    return lost


TMP_LITTER = re.compile(r"(\.tmp|\.temp|~)$|^\.?tmp[a-z0-9_]{6,}$", re.I)


def litter(before: dict[Path, dict[str, Any]], roots: Iterable[Path]) -> list[str]:
    found = []
    for root in roots:
        for dirpath, _dirs, filenames in os.walk(root, followlinks=False):
            if "site" in Path(dirpath).relative_to(root).parts:
                continue
            for n in filenames:
                p = Path(dirpath) / n
                if p not in before and TMP_LITTER.search(n):
                    found.append(str(p.relative_to(root)))
    return found


# --- processes -----------------------------------------------------------------------------------
def _proc_group_members(pgid: int) -> list[str]:
    """Live (non-zombie) processes in process group ``pgid`` (Linux /proc; [] elsewhere)."""
    out = []
    proc = Path("/proc")
    if not proc.is_dir():
        return out
    for d in proc.iterdir():
        if not d.name.isdigit():
            continue
        try:
            raw = (d / "stat").read_text()
        except OSError:
            continue
        rest = raw[raw.rfind(")") + 2:].split()
        if len(rest) > 3 and rest[0] != "Z" and int(rest[2]) == pgid:
            out.append(f"{d.name} {raw[raw.find('(') + 1:raw.rfind(')')]}")
    return out


def _limits(mem: int) -> Any:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (2 * 2**30, 2 * 2**30))
    return apply


def _tail(path: Path, keep: int) -> str:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - keep))
        data = fh.read()
    text = data.decode("utf-8", "replace")
    return ("…" + text) if size > keep else text


def run_graphs(probe: Probe, ctx: Ctx, argv: Sequence[str]) -> Result:
    """One ``graphs`` process: limits, own process group, optional signal, timeout."""
    fd, name = tempfile.mkstemp(prefix="probe-out-")
    os.close(fd)
    out_p = Path(name)
    fd, name = tempfile.mkstemp(prefix="probe-err-")
    os.close(fd)
    err_p = Path(name)
    stdout_file: Any
    read_end = None
    if probe.stdout_mode == "full":
        stdout_file = open("/dev/full", "wb")
    elif probe.stdout_mode == "broken-pipe":
        read_end, w = os.pipe()
        os.close(read_end)
        read_end = None
        stdout_file = os.fdopen(w, "wb")
    else:
        stdout_file = open(out_p, "wb")
    t0 = time.monotonic()
    try:
        with stdout_file, open(err_p, "wb") as err:
            proc = subprocess.Popen([*graphs_command(), *argv], cwd=ctx.tmp, env=ctx.env, stdin=subprocess.DEVNULL,
                                    stdout=stdout_file, stderr=err, start_new_session=True,
                                    preexec_fn=_limits(probe.mem_limit))
    except OSError as e:
        return Result(None, "", f"could not start graphs: {e}", 0.0, 0.0)
    pid = proc.pid
    deadline = t0 + probe.timeout
    sent = None
    status = None
    rusage = None
    hwm = 0.0
    while True:
        try:
            wpid, status, rusage = os.wait4(pid, os.WNOHANG)
        except ChildProcessError:
            break
        if wpid == pid:
            break
        hwm = max(hwm, _vm_hwm_mb(pid))
        now = time.monotonic()
        if probe.signal and sent is None:
            sig, when = probe.signal
            due = (now - t0 >= when) if isinstance(when, (int, float)) else ctx.p(when).exists()
            if not isinstance(when, (int, float)) and now - t0 > probe.timeout * 0.8:
                due = True                                  # the trigger never came: send anyway
            if due:
                try:
                    if sig == _signal.SIGINT:
                        os.killpg(pid, sig)                 # what a terminal's Ctrl-C does
                    else:
                        os.kill(pid, sig)
                    sent = sig
                except OSError:
                    pass
        if now > deadline:
            try:
                os.killpg(pid, _signal.SIGKILL)
            except OSError:
                pass
            _, status, rusage = os.wait4(pid, 0)
            proc.returncode = -9
            wall = time.monotonic() - t0
            res = Result(None, _tail(out_p, STDOUT_KEEP), _tail(err_p, STDERR_KEEP), wall,
                         _peak_mb(hwm, rusage), timed_out=True, signalled=sent)
            _cleanup_group(pid)
            out_p.unlink(missing_ok=True)
            err_p.unlink(missing_ok=True)
            return res
        time.sleep(0.02)
    wall = time.monotonic() - t0
    proc.returncode = 0  # reaped by wait4; keep Popen from waiting again
    rc = None
    if status is not None:
        rc = os.waitstatus_to_exitcode(status)
    survivors = _proc_group_members(pid)
    _cleanup_group(pid)
    res = Result(rc, _tail(out_p, STDOUT_KEEP) if probe.stdout_mode == "file" else "", _tail(err_p, STDERR_KEEP),
                 wall, _peak_mb(hwm, rusage), signalled=sent, survivors=survivors)
    out_p.unlink(missing_ok=True)
    err_p.unlink(missing_ok=True)
    return res


def _vm_hwm_mb(pid: int) -> float:
    """Peak resident memory of ``pid``'s current program (``VmHWM``: since its exec, unlike ``ru_maxrss``,
    which also counts the forked copy of a large parent such as pytest before the exec)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _peak_mb(hwm: float, rusage: Any) -> float:
    """The sampled peak where /proc has it (every 20 ms until exit), else the kernel's ``ru_maxrss``."""
    if hwm > 0:
        return hwm
    return rusage.ru_maxrss / 1024 if rusage else 0.0


def _cleanup_group(pgid: int) -> None:
    try:
        os.killpg(pgid, _signal.SIGKILL)
    except OSError:
        pass


# --- classification ------------------------------------------------------------------------------
def _strict_json(text: str) -> Optional[str]:
    def bad(c: str) -> Any:
        raise ValueError(f"non-standard JSON constant {c}")
    try:
        json.loads(text, parse_constant=bad)
    except ValueError as e:
        return str(e)[:200]
    return None


def wants_json_stdout(probe: Probe, argv: Sequence[str]) -> bool:
    if probe.json_stdout is not None:
        return probe.json_stdout
    a = list(argv)
    has_out = any(x in ("-o", "--output") for x in a) and not any(
        a[i] in ("-o", "--output") and i + 1 < len(a) and a[i + 1] == "-" for i in range(len(a)))
    fmt_json = "--json" in a or any(a[i] in ("-f", "--format") and i + 1 < len(a) and a[i + 1] == "json"
                                    for i in range(len(a)))
    return fmt_json and not has_out and probe.stdout_mode == "file"


def _lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


def classify(probe: Probe, argv: Sequence[str], r: Result) -> tuple[str, str]:
    """The outcome class of one process, before the file checks."""
    err_lines = _lines(r.stderr)
    both = r.stderr + r.stdout
    if r.timed_out:
        return HANG, f"still running after {probe.timeout:.0f} s (killed)"
    if "Traceback (most recent call last)" in both:
        last = err_lines[-1] if err_lines else ""
        if "init_import_site" in r.stderr:
            return CRASH, f"traceback from Python's own startup (site import, before graphs runs): {last[:120]}"
        return CRASH, f"traceback: {last[:200]}"
    if "internal error" in r.stderr:
        line = next((ln for ln in err_lines if "internal error" in ln), "")
        return CRASH, line[:240]
    if "MemoryError" in both:
        return CRASH, "MemoryError"
    if r.rc is None:
        return CRASH, r.stderr[:200]
    if probe.max_rss_mb is not None and r.maxrss_mb > probe.max_rss_mb:
        return CRASH, f"peak memory {r.maxrss_mb:.0f} MB > {probe.max_rss_mb:.0f} MB"
    if r.survivors:
        return CRASH, f"left processes running: {', '.join(r.survivors[:3])}"
    if r.rc == -_signal.SIGPIPE and probe.stdout_mode == "broken-pipe":
        return OK, "ended by SIGPIPE (the reader is gone)"
    if r.rc < 0:
        sig = -r.rc
        if r.signalled == sig and sig in (_signal.SIGTERM, _signal.SIGINT):
            if len(err_lines) <= 1:
                return CLEAN, f"ended by the {_signal.Signals(sig).name} it was sent"
            return CRASH, f"ended by {_signal.Signals(sig).name} with {len(err_lines)} stderr lines"
        name = _signal.Signals(sig).name if sig in _signal.Signals._value2member_map_ else str(sig)
        return CRASH, f"killed by {name}" + (" (memory limit?)" if sig in (6, 9, 11) else "")
    if r.rc == 130 or (r.signalled and r.rc in (128 + _signal.SIGTERM, 128 + _signal.SIGINT)):
        if len(err_lines) <= 1:
            return CLEAN, f"interrupted (exit {r.rc}): {err_lines[0][:120] if err_lines else ''}"
        return CRASH, f"interrupt (exit {r.rc}) with {len(err_lines)} stderr lines: {err_lines[-1][:160]}"
    if r.rc == 2:
        if len(err_lines) == 1 and err_lines[0].startswith("error: "):
            return CLEAN, err_lines[0][:240]
        if not err_lines:
            return CRASH, "exit 2 with nothing on stderr"
        if not err_lines[-1].startswith("error: ") and not any(ln.startswith("error: ") for ln in err_lines):
            return CRASH, f"exit 2 without an 'error: ' line: {err_lines[0][:200]}"
        return CRASH, f"exit 2 with {len(err_lines)} stderr lines: {' | '.join(ln[:100] for ln in err_lines[:3])}"
    if r.rc in probe.ok_codes:
        if wants_json_stdout(probe, argv):
            why = _strict_json(r.stdout)
            if why:
                return CRASH, f"exit {r.rc} but stdout is not strict JSON ({why})"
        if r.rc == 0:
            return OK, "exit 0" + (f" ({len(err_lines)} stderr line(s): {err_lines[0][:120]})" if err_lines else "")
        return OK, f"exit {r.rc}: {err_lines[0][:160] if err_lines else ''}"
    if r.rc == 0:
        return OK, "exit 0"
    return CRASH, f"exit {r.rc}: {(err_lines[-1] if err_lines else '(no stderr)')[:200]}"


def _worst(outcomes: list[tuple[str, str]]) -> tuple[str, str]:
    order = [LOST, HANG, CRASH, OK, CLEAN]
    return min(outcomes, key=lambda o: order.index(o[0]) if o[0] in order else 99)


# --- running a probe -----------------------------------------------------------------------------
def run_probe(probe: Probe, keep: bool = False) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"probe-{probe.id[:40]}-"))
    ctx = Ctx(tmp=tmp, env=base_env(tmp, probe.plugins))
    rec: dict[str, Any] = {"id": probe.id, "category": probe.category, "fast": probe.fast,
                           "expected": list(probe.expected), "note": probe.note}
    t0 = time.monotonic()
    try:
        try:
            if probe.setup:
                probe.setup(ctx)
            argv = [str(a) for a in probe.argv(ctx)]
        except Skip as e:
            rec.update(outcome=SKIP, reason=str(e), ok=True, argv=[], wall_s=0.0)
            return rec
        rec["argv"] = argv
        before = snapshot([tmp], ctx.watch)
        if probe.parallel > 1:
            with ThreadPoolExecutor(probe.parallel) as ex:
                results = list(ex.map(lambda _i: run_graphs(probe, ctx, argv), range(probe.parallel)))
        else:
            results = [run_graphs(probe, ctx, argv)]
        outcomes = [classify(probe, argv, r) for r in results]
        cls, reason = _worst(outcomes)
        r = results[outcomes.index((cls, reason))]
        lost = compare(before, ctx)
        junk = litter(before, [tmp] + [w.parent for w in ctx.watch if w.parent != Path("/dev")])
        extra = None
        if probe.check:
            try:
                extra = probe.check(ctx, r)
            except Exception as e:  # a check that cannot run is a probe bug: say so
                extra = (CRASH, f"probe check raised {type(e).__name__}: {e}")
        if lost:
            cls, reason = LOST, "; ".join(lost[:4])
        elif extra and extra[0] == LOST:
            cls, reason = extra
        elif cls == HANG:
            pass
        elif cls in (OK, CLEAN) and junk:
            cls, reason = CRASH, f"left temporary files: {', '.join(junk[:3])}"
        elif extra and cls in (OK, CLEAN):
            cls, reason = extra
        elif extra:
            reason = f"{reason}; {extra[1]}"
        rec.update(outcome=cls, reason=reason, ok=cls in probe.expected, rc=r.rc, wall_s=round(r.wall_s, 2),
                   maxrss_mb=round(r.maxrss_mb, 1), stderr_tail=r.stderr[-600:], stdout_head=r.stdout[:300],
                   all_outcomes=[o[0] for o in outcomes] if len(outcomes) > 1 else None)
        return rec
    finally:
        for c in reversed(ctx.cleanups):
            try:
                c()
            except Exception:
                pass
        rec.setdefault("wall_total_s", round(time.monotonic() - t0, 2))
        if not keep:
            _rmtree(tmp)
        else:
            rec["tmp"] = str(tmp)


def _rmtree(path: Path) -> None:
    def onerror(func: Any, p: str, exc: Any) -> None:
        try:
            os.chmod(os.path.dirname(p), 0o755)
            os.chmod(p, 0o755)
            func(p)
        except OSError:
            pass
    shutil.rmtree(path, onerror=onerror)


def run_probes(probes: Sequence[Probe], jobs: int = 2, keep: bool = False,
               progress: Optional[Any] = None) -> list[dict[str, Any]]:
    out: list[Optional[dict[str, Any]]] = [None] * len(probes)
    lock = threading.Lock()

    def one(i: int) -> None:
        rec = run_probe(probes[i], keep=keep)
        with lock:
            out[i] = rec
            if progress:
                progress(rec)
    with ThreadPoolExecutor(max(1, jobs)) as ex:
        list(ex.map(one, range(len(probes))))
    return [r for r in out if r is not None]


# --- report --------------------------------------------------------------------------------------
def table(records: Sequence[dict[str, Any]]) -> str:
    cats: dict[str, dict[str, int]] = {}
    for r in records:
        c = cats.setdefault(r["category"], {k: 0 for k in CLASSES} | {"unexpected": 0, "total": 0})
        c[r["outcome"]] += 1
        c["total"] += 1
        c["unexpected"] += 0 if r["ok"] else 1
    cols = ["category", "total", CLEAN, OK, HANG, CRASH, LOST, SKIP, "unexpected"]
    rows = [[k] + [str(v[c]) for c in cols[1:]] for k, v in sorted(cats.items())]
    tot = ["TOTAL"] + [str(sum(v[c] for v in cats.values())) for c in cols[1:]]
    w = [max(len(c), *(len(r[i]) for r in rows + [tot])) for i, c in enumerate(cols)]
    fmt = lambda row: "  ".join(x.ljust(w[0]) if i == 0 else x.rjust(w[i]) for i, x in enumerate(row))  # noqa: E731
    lines = [fmt(cols), fmt(["-" * n for n in w])] + [fmt(r) for r in rows] + [fmt(["-" * n for n in w]), fmt(tot)]
    return "\n".join(lines)


def failures(records: Sequence[dict[str, Any]], verbose: bool = True) -> str:
    lines = []
    for r in records:
        if r["ok"]:
            continue
        lines.append(f"* {r['id']} [{r['category']}] expected {'/'.join(r['expected'])}, got {r['outcome']}: "
                     f"{r['reason']}")
        if verbose:
            lines.append(f"    $ graphs {' '.join(_short(a) for a in r.get('argv', []))}")
            tail = [ln for ln in (r.get("stderr_tail") or "").splitlines() if ln.strip()][-2:]
            for ln in tail:
                lines.append(f"    stderr: {ln[:220]}")
    return "\n".join(lines)


def _short(a: str) -> str:
    a = re.sub(r"/tmp/probe-[^/]*/", "", a)
    return a if len(a) <= 60 else a[:28] + "…" + a[-28:]


def select(probes: Sequence[Probe], fast: bool = False, keyword: Optional[str] = None) -> list[Probe]:
    out = [p for p in probes if (p.fast or not fast)]
    if keyword:
        out = [p for p in out if keyword in p.id or keyword == p.category]
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    from probes.catalog import PROBES
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fast", action="store_true", help="only the fast probes (the default test run's set)")
    ap.add_argument("--json", metavar="FILE", help="write every record as JSON here")
    ap.add_argument("-k", metavar="SUBSTR", help="only probes whose id contains SUBSTR (or whose category is it)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="probes run at once (default 2)")
    ap.add_argument("--list", action="store_true", help="list the probes and exit")
    ap.add_argument("--keep", action="store_true", help="keep each probe's folder (path in the JSON)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no per-probe progress lines")
    a = ap.parse_args(argv)
    chosen = select(PROBES, a.fast, a.k)
    if a.list:
        for p in chosen:
            print(f"{p.id:45s} {p.category:10s} {'fast' if p.fast else 'slow':4s} expect {'/'.join(p.expected)}")
        print(f"{len(chosen)} probe(s)")
        return 0
    t0 = time.monotonic()
    done = [0]

    def progress(rec: dict[str, Any]) -> None:
        done[0] += 1
        if not a.quiet:
            mark = "  " if rec["ok"] else "!!"
            print(f"{mark} [{done[0]:3d}/{len(chosen)}] {rec['id']:42s} {rec['outcome']:9s} "
                  f"{rec.get('wall_s', 0):6.1f}s  {rec['reason'][:90]}", flush=True)
    records = run_probes(chosen, jobs=a.jobs, keep=a.keep, progress=progress)
    wall = time.monotonic() - t0
    print()
    print(f"{len(records)} probe(s) in {wall:.0f} s against {' '.join(graphs_command())}")
    print(table(records))
    bad = [r for r in records if not r["ok"]]
    if bad:
        print(f"\n{len(bad)} probe(s) with an unexpected outcome:")
        print(failures(records))
    if a.json:
        Path(a.json).write_text(json.dumps({"wall_s": round(wall, 1), "command": graphs_command(),
                                            "records": records}, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
