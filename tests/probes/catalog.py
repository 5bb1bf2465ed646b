"""Every probe: the hostile input, the command, and the outcome that is right.

Categories follow issue 13: ``output`` and ``store`` (data destroyed), ``resources`` (tiny
inputs, unbounded resources), ``spec`` and ``calibration`` (impossible specs accepted),
``onnx`` (model files), ``plugins`` and ``interrupt`` (plugins not contained, Ctrl-C),
``usercode`` (``file.py:factory``), ``tools`` (third-party tool subprocesses), ``new``
(``graphs hardware new``), ``labels`` (``graphs validate --data``) and ``cli`` (argument values).

The required behaviour: every bad input ends in exactly one stderr line starting with
``error: `` and exit code 2 (an interrupt: 130), no traceback, never "internal error", in
bounded time and memory, with every pre-existing file unchanged.
"""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import tomllib
from pathlib import Path
from typing import Any, Callable, Optional

import yaml

from probes import gen
from probes.base import (CLEAN, CRASH, LOST, OK, P_BENCH, P_NONE, P_ONNX_GPU, P_ONNX_T4, Ctx, Probe, Result)

PROBES: list[Probe] = []
INF, NAN = float("inf"), float("nan")
BIG = str(2**63)                 # 9223372036854775808: one past int64


def add(p: Probe) -> Probe:
    PROBES.append(p)
    return p


def d(ctx: Ctx, key: str) -> str:
    return str(ctx.data[key])


def setups(*fns: Callable[[Ctx], Any]) -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        for f in fns:
            f(ctx)
    return s


def mlp(ctx: Ctx) -> None:
    ctx.data["mlp"] = gen.onnx_mlp(ctx)


def analyze_mlp(*extra: str, hw: str = "t4") -> Callable[[Ctx], list[str]]:
    return lambda ctx: ["analyze", d(ctx, "mlp"), "-H", hw, *[e.format(**{k: str(v) for k, v in ctx.data.items()})
                                                              for e in extra]]


# --- checks ----------------------------------------------------------------------------------------
def strict_json_file(key: str) -> Callable[[Ctx, Result], Optional[tuple[str, str]]]:
    def check(ctx: Ctx, r: Result) -> Optional[tuple[str, str]]:
        if r.rc != 0:
            return None
        p = Path(ctx.data[key])
        try:
            text = p.read_text()
        except OSError as e:
            return CRASH, f"{p.name} unreadable after a successful run: {e}"

        def bad(c: str) -> Any:
            raise ValueError(c)
        try:
            json.loads(text, parse_constant=bad)
        except ValueError as e:
            return CRASH, f"{p.name} is not strict JSON after the run ({str(e)[:80]})"
        return None
    return check


def nonempty_file(key: str) -> Callable[[Ctx, Result], Optional[tuple[str, str]]]:
    def check(ctx: Ctx, r: Result) -> Optional[tuple[str, str]]:
        if r.rc == 0 and not Path(ctx.data[key]).read_bytes().strip():
            return CRASH, f"exit 0 but {Path(ctx.data[key]).name} is empty"
        return None
    return check


def stdout_has(*needles: str, absent: tuple[str, ...] = ()) -> Callable[[Ctx, Result], Optional[tuple[str, str]]]:
    def check(ctx: Ctx, r: Result) -> Optional[tuple[str, str]]:
        for a in absent:
            if a in r.stdout or a in r.stderr:
                return CRASH, f"output contains {a!r}"
        if r.rc == 0:
            for n in needles:
                if n not in r.stdout:
                    return CRASH, f"exit 0 but stdout lacks {n!r} ({r.stdout[:80]!r})"
        return None
    return check


def no_marker(name: str) -> Callable[[Ctx, Result], Optional[tuple[str, str]]]:
    def check(ctx: Ctx, r: Result) -> Optional[tuple[str, str]]:
        if ctx.p(name).exists():
            return CRASH, f"injected code ran ({name} was created)"
        return None
    return check


def watch_devnull(ctx: Ctx) -> None:
    """Watch /dev/null, and put it back if a run replaced it (we may be root)."""
    dn = Path("/dev/null")
    ctx.watch.append(dn)

    def restore() -> None:
        import stat as st
        try:
            s = os.lstat(dn)
            if st.S_ISCHR(s.st_mode) and s.st_rdev == os.makedev(1, 3):
                return
            os.unlink(dn)
        except FileNotFoundError:
            pass
        os.mknod(dn, 0o666 | st.S_IFCHR, os.makedev(1, 3))
        os.chmod(dn, 0o666)
    ctx.cleanups.append(restore)


# ==================================================================================================
# 1. output: -o FILE must never destroy what is there
# ==================================================================================================
def out_regular(name: str, mode: int = 0o644, text: str = "precious user data\n") -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        p = gen.regular(ctx, name, text, mode)
        ctx.data["out"] = p
        ctx.content_ok.add(p)
    return s


for fmt in ("json",):
    add(Probe(f"out-devnull-{fmt}", "output", analyze_mlp("-f", fmt, "-o", "/dev/null"), OK,
              setup=setups(mlp, watch_devnull), fast=fmt == "json", plugins=P_ONNX_T4,
              note="-o /dev/null must write through, never replace the device"))
    add(Probe(f"out-0600-{fmt}", "output", analyze_mlp("-f", fmt, "-o", "{out}"), OK,
              setup=setups(mlp, out_regular("private.out", 0o600)), fast=True, plugins=P_ONNX_T4,
              check=nonempty_file("out"), note="a 0600 file keeps its mode"))


def _symlink(ctx: Ctx) -> None:
    real = gen.regular(ctx, "real/result.json", "old result\n", 0o640)
    link = ctx.p("link.json")
    link.symlink_to(real)
    ctx.data.update(out=link, real=real)
    ctx.content_ok.add(real)


def _symlink_relative(ctx: Ctx) -> None:
    real = gen.regular(ctx, "results/r.csv", "old,csv\n", 0o644)
    (ctx.p("sub")).mkdir()
    link = ctx.p("sub", "link.csv")
    link.symlink_to(Path("..") / "results" / "r.csv")
    ctx.data.update(out=link, real=real)
    ctx.content_ok.add(real)


def _symlink_dangling(ctx: Ctx) -> None:
    link = ctx.p("dangling.json")
    link.symlink_to(ctx.p("not-yet", "target.json"))
    ctx.data.update(out=link)


add(Probe("out-symlink-json", "output", analyze_mlp("-f", "json", "-o", "{out}"), OK, setup=setups(mlp, _symlink),
          fast=True, plugins=P_ONNX_T4, check=strict_json_file("real"),
          note="a symlink stays a symlink; its target gets the result"))
add(Probe("out-symlink-dangling-into-missing-dir", "output", analyze_mlp("-f", "json", "-o", "{out}"), CLEAN,
          setup=setups(mlp, _symlink_dangling), plugins=P_ONNX_T4,
          note="the link's target folder does not exist"))


def _fifo_out(ctx: Ctx) -> None:
    f = gen.fifo(ctx, "pipe.out")
    sink = ctx.p("..", f"{ctx.tmp.name}.sink")
    ctx.data.update(out=f, sink=sink)
    gen.fifo_reader(ctx, f, sink)
    ctx.cleanups.append(lambda: sink.unlink(missing_ok=True))


def fifo_got(kind: str) -> Callable[[Ctx, Result], Optional[tuple[str, str]]]:
    def check(ctx: Ctx, r: Result) -> Optional[tuple[str, str]]:
        if r.rc != 0:
            return None
        import time
        for _ in range(50):
            if Path(ctx.data["sink"]).exists() and Path(ctx.data["sink"]).stat().st_size:
                break
            time.sleep(0.05)
        text = Path(ctx.data["sink"]).read_text() if Path(ctx.data["sink"]).exists() else ""
        if not text.strip():
            return CRASH, "exit 0 but the FIFO's reader got nothing"
        if kind == "json":
            try:
                json.loads(text)
            except ValueError:
                return CRASH, "the FIFO's reader got invalid JSON"
        return None
    return check


for fmt in ("json", "csv"):
    add(Probe(f"out-fifo-{fmt}", "output", analyze_mlp("-f", fmt, "-o", "{out}"), OK, setup=setups(mlp, _fifo_out),
              fast=fmt == "csv", plugins=P_ONNX_T4, timeout=30, check=fifo_got(fmt),
              note="a FIFO with a reader is written through and stays a FIFO"))


def _chardev(ctx: Ctx) -> None:
    ctx.data["out"] = gen.char_null(ctx, "null.dev")




def _user_tmp(ctx: Ctx) -> None:
    out_regular("result.json")(ctx)
    gen.regular(ctx, "result.json.tmp", "the user's own .tmp file\n")
    gen.regular(ctx, ".result.json.tmp", "another user file\n")


add(Probe("out-user-tmp-file-kept", "output", analyze_mlp("-f", "json", "-o", "{out}"), OK,
          setup=setups(mlp, _user_tmp), fast=True, plugins=P_ONNX_T4, check=strict_json_file("out"),
          note="FILE.tmp belongs to the user: never consumed"))


def _garbage_model_and_out(ctx: Ctx) -> None:
    ctx.data["mlp"] = gen.onnx_garbage(ctx)
    out_regular("keep.json", text='{"previous": "result"}\n')(ctx)
    ctx.content_ok.discard(ctx.data["out"])


add(Probe("out-failed-run-keeps-file", "output", analyze_mlp("-f", "json", "-o", "{out}"), CLEAN,
          setup=_garbage_model_and_out, fast=True, plugins=P_ONNX_T4,
          note="a failed run leaves the old file and no litter"))
add(Probe("out-missing-dir-json", "output", analyze_mlp("-f", "json", "-o", "{tmp}/missing/x.json"), CLEAN,
          setup=setups(mlp, lambda c: c.data.update(tmp=c.tmp)), fast=True, plugins=P_ONNX_T4))
add(Probe("out-missing-dir-table", "output",
          lambda ctx: ["hardware", "list", "-o", str(ctx.p("missing", "list.txt"))], CLEAN, fast=True,
          note="table output into a missing folder (was: internal error)"))
add(Probe("out-name-too-long", "output", analyze_mlp("-f", "json", "-o", gen.long_name(300, ".json")), CLEAN,
          setup=mlp, fast=True, plugins=P_ONNX_T4, note="ENAMETOOLONG"))


def _ro_dir(ctx: Ctx) -> None:
    d_ = ctx.p("ro")
    d_.mkdir()
    gen.make_unwritable(ctx, d_)
    ctx.data["out"] = d_ / "x.json"


add(Probe("out-unwritable-dir", "output", analyze_mlp("-f", "json", "-o", "{out}"), CLEAN,
          setup=setups(mlp, _ro_dir), plugins=P_ONNX_T4))


def _ro_file(ctx: Ctx) -> None:
    p = gen.regular(ctx, "ro.json", "read-only result\n", 0o444)
    gen.make_unwritable(ctx, p)
    ctx.data["out"] = p


add(Probe("out-unwritable-file", "output", analyze_mlp("-f", "json", "-o", "{out}"), CLEAN,
          setup=setups(mlp, _ro_file), fast=True, plugins=P_ONNX_T4,
          note="immutable (root) or 0444 file: refuse, keep it"))
add(Probe("out-equals-model", "output", analyze_mlp("-f", "json", "-o", "{mlp}"), CLEAN, setup=mlp, fast=True,
          plugins=P_ONNX_T4, note="-o names the input model: refuse rather than overwrite it"))
add(Probe("out-concurrent-json", "output", analyze_mlp("-f", "json", "-o", "{out}"), OK,
          setup=setups(mlp, out_regular("shared.json")), parallel=4, fast=True, plugins=P_ONNX_T4,
          check=strict_json_file("out"), note="4 writers at once all succeed; the file is one whole result"))
add(Probe("stdout-dev-full", "output", analyze_mlp("-f", "json"), CLEAN, setup=mlp, stdout_mode="full",
          plugins=P_ONNX_T4, note="stdout is /dev/full"))
add(Probe("stdout-broken-pipe", "output", lambda ctx: ["hardware", "list", "-f", "json"], (OK, CLEAN),
          stdout_mode="broken-pipe", ok_codes=(0, 141), note="`graphs ... | head` with the reader gone: quiet"))


add(Probe("calibrate-out-0600", "output", lambda ctx: ["calibrate", "-H", "t4", "--transfer", "-o", d(ctx, "out")], OK,
          setup=out_regular("t4-cal.yaml", 0o600), check=nonempty_file("out")))
add(Probe("calibrate-out-missing-dir", "output",
          lambda ctx: ["calibrate", "-H", "t4", "--transfer", "-o", d(ctx, "out")], (CLEAN, OK),
          setup=lambda ctx: ctx.data.update(out=ctx.p("nope", "t4.yaml")), check=nonempty_file("out"),
          note="refuse, or create the folder and write a whole file"))


# ==================================================================================================
# 1b. store: never touch another application's database; never lose measured work
# ==================================================================================================
def _foreign(user_version: int = 1, tables: tuple[str, ...] = ("contacts",)) -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        gen.probe_runner(ctx)
        ctx.data["store"] = gen.foreign_sqlite(ctx, user_version=user_version, tables=tables)
    return s


def _store_kind(kind: str) -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        gen.probe_runner(ctx)
        if kind == "text":
            ctx.data["store"] = gen.regular(ctx, "notes.txt", "this is not a database\n" * 20)
        elif kind == "empty":
            ctx.data["store"] = gen.regular(ctx, "empty.sqlite", "")
        elif kind == "truncated":
            p = gen.graphs_store(ctx, "whole.sqlite")
            raw = p.read_bytes()
            p.unlink()
            ctx.data["store"] = gen.spec_text(ctx, "trunc.sqlite", raw[: len(raw) // 2 + 100])
        elif kind == "future":
            ctx.data["store"] = gen.graphs_store(ctx, user_version=99)
        elif kind == "readonly":
            p = gen.graphs_store(ctx)
            gen.make_unwritable(ctx, p)
            ctx.data["store"] = p
        elif kind == "dir":
            ctx.p("store.d").mkdir()
            ctx.data["store"] = ctx.p("store.d")
        elif kind == "fifo":
            ctx.data["store"] = gen.fifo(ctx, "store.fifo")
        elif kind == "graphs":
            ctx.data["store"] = gen.graphs_store(ctx)
        else:
            raise ValueError(kind)
    return s


def bench(*extra: str) -> Callable[[Ctx], list[str]]:
    return lambda ctx: ["benchmark", "-r", "probe-python", "--store", d(ctx, "store"), *extra]


def export(fmt: str) -> Callable[[Ctx], list[str]]:
    return lambda ctx: ["benchmark", "--export", "-f", fmt, "--store", d(ctx, "store")]


def no_new_files_beside(key: str) -> Callable[[Ctx, Result], Optional[tuple[str, str]]]:
    def check(ctx: Ctx, r: Result) -> Optional[tuple[str, str]]:
        p = Path(ctx.data[key])
        for suf in ("-wal", "-shm", "-journal"):
            if Path(str(p) + suf).exists():
                return LOST, f"{p.name}{suf} appeared beside another application's database"
        return None
    return check


for fmt in ("csv", "json"):
    add(Probe(f"store-export-foreign-sqlite-{fmt}", "store", export(fmt), CLEAN, setup=_foreign(),
              fast=fmt == "csv", plugins=P_BENCH, check=no_new_files_beside("store"),
              note="--export on another app's SQLite (user_version 1): refuse, change nothing"))
add(Probe("store-export-foreign-measurements-table", "store", export("csv"), CLEAN,
          setup=_foreign(0, ("measurements", "runs")), plugins=P_BENCH, check=no_new_files_beside("store"),
          note="another app's tables happen to be called runs/measurements"))
add(Probe("store-bench-foreign-sqlite", "store", bench(), CLEAN, setup=_foreign(), fast=True, plugins=P_BENCH,
          check=no_new_files_beside("store")))
add(Probe("store-export-text-file", "store", export("csv"), CLEAN, setup=_store_kind("text"), plugins=P_BENCH))
add(Probe("store-bench-text-file", "store", bench(), CLEAN, setup=_store_kind("text"), fast=True, plugins=P_BENCH))
add(Probe("store-bench-future-schema", "store", bench(), CLEAN, setup=_store_kind("future"), plugins=P_BENCH))
add(Probe("store-bench-readonly", "store", bench(), CLEAN, setup=_store_kind("readonly"), fast=True, plugins=P_BENCH,
          note="refused before measuring: nothing measured is thrown away"))
add(Probe("store-export-readonly", "store", export("csv"), OK, setup=_store_kind("readonly"), plugins=P_BENCH,
          note="reading a read-only store works"))
add(Probe("store-bench-fifo", "store", bench(), CLEAN, setup=_store_kind("fifo"), plugins=P_BENCH, timeout=30))
add(Probe("store-export-output-is-store", "store",
          lambda ctx: ["benchmark", "--export", "-f", "csv", "--store", d(ctx, "store"), "-o", d(ctx, "store")], CLEAN,
          setup=_store_kind("graphs"), plugins=P_BENCH, note="-o names the store itself"))
add(Probe("store-calibrate-foreign", "store", lambda ctx: ["calibrate", "-H", "t4", "--store", d(ctx, "store")], CLEAN,
          setup=_foreign(), check=no_new_files_beside("store")))


def _inflight(ctx: Ctx) -> None:
    _store_kind("graphs")(ctx)
    ctx.content_ok.add(ctx.data["store"])
    ctx.env["PROBE_SLOW_CASE"] = "1"
    ctx.env["PROBE_MARKER"] = str(ctx.p("slow.started"))
    ctx.data["before"] = gen.store_count(ctx.data["store"])


def kept_group(ctx: Ctx, r: Result) -> Optional[tuple[str, str]]:
    n = gen.store_count(ctx.data["store"])
    if n < ctx.data["before"] + 2:
        return LOST, f"interrupted in the 3rd case: the 2 measured cases of the group were not stored ({n - ctx.data['before']} new)"
    return None


add(Probe("store-bench-sigterm-inflight", "interrupt", bench(), CLEAN, setup=_inflight, plugins=P_BENCH,
          signal=(signal.SIGTERM, "slow.started"), timeout=40, check=kept_group,
          note="SIGTERM while a group is half measured: stop, keep what was measured"))
add(Probe("store-bench-sigint-inflight", "interrupt", bench(), CLEAN, setup=_inflight, plugins=P_BENCH,
          signal=(signal.SIGINT, "slow.started"), timeout=40, check=kept_group, fast=True))


# ==================================================================================================
# 2. resources: tiny inputs, bounded time and memory
# ==================================================================================================
def sp(name: str, mutate: Optional[Callable[[dict], None]] = None) -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        ctx.data["spec"] = gen.spec(ctx, name, mutate)
    return s


def sp_text(name: str, text: Callable[[], Any]) -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        ctx.data["spec"] = gen.spec_text(ctx, name, text())
    return s


def validate_spec(ctx: Ctx) -> list[str]:
    return ["hardware", "validate", d(ctx, "spec")]


def analyze_spec(ctx: Ctx) -> list[str]:
    return ["analyze", d(ctx, "mlp"), "-H", d(ctx, "spec"), "-f", "json"]


add(Probe("spec-alias-bomb-validate", "resources", validate_spec, CLEAN, setup=sp_text("bomb.yaml", gen.alias_bomb),
          fast=True, timeout=20, plugins=P_NONE, max_rss_mb=600, note="559-byte billion laughs"))
add(Probe("spec-alias-bomb-in-spec-analyze", "resources", analyze_spec, CLEAN,
          setup=setups(mlp, sp_text("bomb2.yaml", gen.alias_bomb_in_spec)), fast=True, timeout=20,
          plugins=P_ONNX_T4, max_rss_mb=600))
add(Probe("spec-deep-nesting", "resources", validate_spec, CLEAN, setup=sp_text("deep.yaml", gen.deep_nesting),
          timeout=20, plugins=P_NONE, note="200k nested flow sequences"))
add(Probe("spec-12MB", "resources", validate_spec, CLEAN, setup=sp_text("big.yaml", gen.huge_spec_text), timeout=20,
          plugins=P_NONE, max_rss_mb=300))
add(Probe("spec-dev-zero-validate", "resources", lambda ctx: ["hardware", "validate", "/dev/zero"], CLEAN, fast=True,
          timeout=20, plugins=P_NONE, max_rss_mb=300))


def _fifo_key(key: str, name: str) -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        ctx.data[key] = gen.fifo(ctx, name)
    return s


add(Probe("spec-fifo-validate", "resources", validate_spec, CLEAN, setup=_fifo_key("spec", "spec.yaml"), fast=True,
          timeout=20, plugins=P_NONE, note="a FIFO nobody writes: must not block"))
add(Probe("spec-fifo-analyze", "resources", analyze_spec, CLEAN, setup=setups(mlp, _fifo_key("spec", "gpu.yaml")),
          timeout=20, plugins=P_ONNX_T4))
add(Probe("model-fifo", "resources", lambda ctx: ["analyze", d(ctx, "m"), "-H", "t4"], CLEAN,
          setup=_fifo_key("m", "model.onnx"), fast=True, timeout=20, plugins=P_ONNX_T4))


def _big_garbage(ctx: Ctx) -> None:
    p = ctx.p("big.onnx")
    with open(p, "wb") as fh:
        fh.truncate(300 * 2**20)
    ctx.data["m"] = p




def onnx_setup(fn: Callable[..., Path], *a: Any, **kw: Any) -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        ctx.data["m"] = fn(ctx, *a, **kw)
    return s


def analyze_m(*extra: str, hw: str = "t4") -> Callable[[Ctx], list[str]]:
    return lambda ctx: ["analyze", d(ctx, "m"), "-H", hw, *extra]


add(Probe("onnx-range-1e12", "resources", analyze_m("-f", "json"), (CLEAN, OK), setup=onnx_setup(gen.onnx_range_huge),
          fast=True, timeout=30, plugins=P_ONNX_T4, max_rss_mb=1024, note="Range(0, 1e12): 15.9 GB in shape inference"))
add(Probe("onnx-tile-1e10", "resources", analyze_m("-f", "json"), (CLEAN, OK), setup=onnx_setup(gen.onnx_tile_huge),
          fast=True, timeout=30, plugins=P_ONNX_T4, max_rss_mb=1024))
add(Probe("onnx-huge-declared-input", "resources", analyze_m("-f", "json"), (CLEAN, OK),
          setup=onnx_setup(gen.onnx_huge_input), timeout=30, plugins=P_ONNX_T4, max_rss_mb=1024,
          note="MatMul of two 1e9 x 1e9 inputs: an estimate or a refusal, strict JSON"))
add(Probe("onnx-deep-chain-20k", "resources", analyze_m("-f", "json"), OK, setup=onnx_setup(gen.onnx_deep_chain),
          timeout=60, plugins=P_ONNX_T4, max_rss_mb=1500))
add(Probe("analyze-batch-2^63", "resources", analyze_mlp("--batch", BIG, "-f", "json"), CLEAN, setup=mlp, fast=True,
          plugins=P_ONNX_T4, note="was: internal error (OverflowError)"))
add(Probe("analyze-input-shape-huge", "resources", analyze_mlp("--input-shape", "x=99999999999x99999999999", "-f", "json"),
          (CLEAN, OK), setup=mlp, plugins=P_ONNX_T4, timeout=30))
add(Probe("train-batch-1e6", "resources", lambda ctx: ["train", "llama2-7b", "-H", "dgx-h100", "--tp", "8",
                                                       "--batch", "1000000", "-f", "json"], (CLEAN, OK), timeout=90,
          note="8.3 GB before"))
add(Probe("train-batch-1e12", "resources", lambda ctx: ["train", "llama2-7b", "-H", "dgx-h100", "--tp", "8",
                                                        "--batch", str(10**12), "-f", "json"], (CLEAN, OK), timeout=90,
          note="MemoryError before"))


def sim(*extra: str) -> Callable[[Ctx], list[str]]:
    return lambda ctx: ["serving", "simulate", "opt-125m", "-H", "h100",
                        *[e.format(**{k: str(v) for k, v in ctx.data.items()}) for e in extra]]


add(Probe("sim-requests-1e7", "resources", sim("-n", "10000000", "-f", "json"), (CLEAN, OK), timeout=60,
          max_rss_mb=1500, note="grew without bound before"))
add(Probe("sim-qps-nan", "resources", sim("-n", "50", "--qps", "nan"), CLEAN, fast=True, timeout=20,
          note="looped forever before"))
add(Probe("sim-qps-inf", "resources", sim("-n", "50", "--qps", "inf", "-f", "json"), (CLEAN, OK), timeout=20))
add(Probe("sim-lengths-uniform-1e18", "resources", sim("-n", "50", "--lengths", "uniform:1:1000000000000000000",
                                                       "-f", "json"), (CLEAN, OK), timeout=30, max_rss_mb=1500))
add(Probe("sim-lengths-trace-dev-zero", "resources", sim("-n", "50", "--lengths", "trace:/dev/zero"), CLEAN,
          timeout=20, max_rss_mb=600))


def _nan_trace(ctx: Ctx) -> None:
    ctx.data["f"] = gen.regular(ctx, "trace.csv", "num_prefill_tokens,num_decode_tokens\nnan,nan\n-5,10\n1e400,3\n")


add(Probe("sim-lengths-trace-nan-rows", "resources", sim("-n", "50", "--lengths", "trace:{f}"), CLEAN,
          setup=_nan_trace, timeout=20))
add(Probe("collective-size-nan", "resources", lambda ctx: ["systems", "collective", "dgx-h100", "--size", "nanGB"],
          CLEAN, fast=True))


# ==================================================================================================
# 3. spec: impossible specs are refused by validate and by analyze
# ==================================================================================================
M = gen.mutation
SPEC_CASES: list[tuple[str, Callable[[dict], None], tuple[str, ...], tuple[str, ...], bool, str]] = [
    # id, mutate, validate expects, analyze expects, fast, note
    ("zero-bandwidth", M(**{gen.BW.replace(".", "__"): 0}), (CLEAN,), (CLEAN,), True, "work became free"),
    ("zero-peak", M(**{gen.PEAK32.replace(".", "__"): 0, gen.PEAK16.replace(".", "__"): 0}), (CLEAN,), (CLEAN,), True, ""),
    ("inf-bandwidth", M(**{gen.BW.replace(".", "__"): INF}), (CLEAN,), (CLEAN,), False, ""),
    ("1e308-TBps", lambda dd: (gen.set_path(dd, gen.BW, 1e308), gen.set_path(dd, "memory.1.bandwidth.unit", "TB/s")),
     (CLEAN,), (CLEAN,), True, "overflows to inf in unit conversion"),
    ("nan-peak", M(**{gen.PEAK32.replace(".", "__"): NAN}), (CLEAN,), (CLEAN,), False, ""),
    ("denormal-bandwidth", M(**{gen.BW.replace(".", "__"): 5e-324}), (CLEAN, OK), (CLEAN, OK), False,
     "an estimate, if any, must be finite strict JSON"),
    ("clock-0", M(**{gen.CLOCK.replace(".", "__"): 0}), (CLEAN,), (CLEAN,), True, "ZeroDivisionError at analyze"),
    ("tdp-0", M(**{gen.TDP.replace(".", "__"): 0}), (CLEAN,), (CLEAN,), False, ""),
    ("sm-count-0", M(**{gen.SMS.replace(".", "__"): 0}), (CLEAN,), (CLEAN,), False, ""),
    ("future-schema-version", M(schema_version=999), (CLEAN,), (CLEAN,), True, "accepted silently before"),
]
ANALYZED = ("zero-bandwidth", "zero-peak", "1e308-TBps", "denormal-bandwidth", "clock-0", "future-schema-version")
for sid, mut, v_exp, a_exp, fast, note in SPEC_CASES:
    # family_params (sm_count) are the family engine's to check: that probe runs with the GPU engine
    add(Probe(f"spec-{sid}-validate", "spec", validate_spec, v_exp, setup=sp(f"{sid}.yaml", mut), fast=fast,
              plugins="mappers-gpu" if sid == "sm-count-0" else P_NONE, timeout=20, note=note))
    if sid not in ANALYZED:
        continue
    add(Probe(f"spec-{sid}-analyze", "spec", analyze_spec, a_exp, setup=setups(mlp, sp(f"{sid}.yaml", mut)),
              fast=fast and sid in ("zero-bandwidth", "clock-0", "future-schema-version"), plugins=P_ONNX_T4, timeout=30,
              note=note))

for sid, mut in (("id-path-traversal", M(id="../../evil")),):
    add(Probe(f"spec-{sid}-validate", "spec", validate_spec, CLEAN, setup=sp(f"{sid}.yaml", mut), plugins=P_NONE,
              timeout=20))

for sid, text, fast in (("duplicate-key", gen.duplicate_key_spec, True), ("non-utf8", gen.non_utf8_spec, True)):
    add(Probe(f"spec-{sid}-validate", "spec", validate_spec, CLEAN, setup=sp_text(f"{sid}.yaml", text), fast=fast,
              plugins=P_NONE, timeout=20))
for sid, text in (("non-utf8", gen.non_utf8_spec),):
    add(Probe(f"spec-{sid}-analyze", "spec", analyze_spec, CLEAN, setup=setups(mlp, sp_text(f"{sid}.yaml", text)),
              plugins=P_ONNX_T4, timeout=30, note="non-UTF-8 YAML: was internal error"))
add(Probe("spec-python-tag", "spec", validate_spec, CLEAN,
          setup=lambda ctx: ctx.data.update(spec=gen.spec_text(ctx, "tag.yaml", gen.python_tag_spec(ctx.p("PWNED")))),
          check=no_marker("PWNED"), plugins=P_NONE, timeout=20))
add(Probe("spec-name-too-long-validate", "spec", lambda ctx: ["hardware", "validate", gen.long_name(300, ".yaml")], CLEAN,
          plugins=P_NONE, fast=True, note="ENAMETOOLONG"))


def _system(mutate: Callable[[dict], None]) -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        data = yaml.safe_load(gen.SYSTEM_DGX_H100.read_text())
        data["id"] = "probe-dgx"
        mutate(data)
        ctx.data["sys"] = gen.write_yaml(ctx.p("system.yaml"), data)
    return s


def collective_sys(ctx: Ctx) -> list[str]:
    return ["systems", "collective", d(ctx, "sys"), "-f", "json"]


add(Probe("system-zero-link-bandwidth", "spec", collective_sys, CLEAN,
          setup=_system(lambda dd: gen.set_path(dd, "intra_node.bandwidth.value", 0)), timeout=30))
add(Probe("system-alias-bomb", "spec", lambda ctx: ["systems", "collective", d(ctx, "spec")], CLEAN,
          setup=sp_text("sysbomb.yaml", gen.alias_bomb), timeout=20, max_rss_mb=600))


# ==================================================================================================
# 3b. calibration: files for another device, from the future, or broken
# ==================================================================================================
def cal(name: str, mutate: Optional[Callable[[dict], None]] = None) -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        ctx.data["cal"] = gen.calibration(ctx, name, mutate)
    return s


def cal_text(name: str, text: Callable[[], Any]) -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        ctx.data["cal"] = gen.spec_text(ctx, name, text())
    return s


def analyze_cal(hw: str) -> Callable[[Ctx], list[str]]:
    return lambda ctx: ["analyze", d(ctx, "mlp"), "-H", hw, "--calibration", d(ctx, "cal"), "-f", "json"]


add(Probe("cal-other-device-analyze", "calibration", analyze_cal("h100"), CLEAN, setup=setups(mlp, cal("t4cal.yaml")),
          fast=True, plugins=P_ONNX_GPU, note="the T4's calibration given for an H100"))
add(Probe("cal-other-device-serve", "calibration",
          lambda ctx: ["serve", "opt-125m", "-H", "h100", "--calibration", d(ctx, "cal")], CLEAN,
          setup=cal("t4cal.yaml"), timeout=60, note="accepted by serve before"))
add(Probe("cal-other-device-train", "calibration",
          lambda ctx: ["train", "opt-125m", "-H", "dgx-h100", "--calibration", d(ctx, "cal")], CLEAN,
          setup=cal("t4cal.yaml"), timeout=60, note="accepted by train before"))


def _validate_store(ctx: Ctx) -> None:
    cal("t4cal.yaml")(ctx)
    ctx.data["store"] = gen.graphs_store(ctx)


add(Probe("cal-other-device-validate", "calibration",
          lambda ctx: ["validate", "-H", "h100", "--store", d(ctx, "store"), "--calibration", d(ctx, "cal")], CLEAN,
          setup=_validate_store, timeout=60, note="accepted by validate before"))
add(Probe("cal-future-schema", "calibration", analyze_cal("t4"), CLEAN,
          setup=setups(mlp, cal("future.yaml", M(schema_version=999))), fast=True, plugins=P_ONNX_T4))
add(Probe("cal-nan-points", "calibration", analyze_cal("t4"), CLEAN, setup=setups(mlp, cal("nan.yaml", gen.cal_nan_points)),
          plugins=P_ONNX_T4))
add(Probe("cal-malformed-yaml", "calibration", analyze_cal("t4"), CLEAN,
          setup=setups(mlp, cal_text("bad.yaml", lambda: "device: t4\ncurves: {a: [1, 2\n")), plugins=P_ONNX_T4))
add(Probe("cal-alias-bomb", "calibration", analyze_cal("t4"), CLEAN,
          setup=setups(mlp, cal_text("bomb.yaml", gen.alias_bomb)), plugins=P_ONNX_T4, timeout=20, max_rss_mb=600))


def user_cal(hw: str, text: Callable[[], Any]) -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        d_ = Path(ctx.env["GRAPHS_CALIBRATION_DIR"])
        d_.mkdir(parents=True, exist_ok=True)
        t = text()
        (d_ / f"{hw}.yaml").write_bytes(t.encode() if isinstance(t, str) else t)
    return s


BROKEN_CAL = "device: t4\ncurves: [unclosed\n"
add(Probe("user-cal-malformed-hardware-list", "calibration", lambda ctx: ["hardware", "list"], OK,
          setup=user_cal("t4", lambda: BROKEN_CAL), fast=True, check=stdout_has("h100"),
          note="one broken user calibration must not break the list of every device"))
add(Probe("user-cal-malformed-other-device", "calibration", analyze_mlp("-f", "json", hw="h100"), OK,
          setup=setups(mlp, user_cal("t4", lambda: BROKEN_CAL)), plugins=P_ONNX_GPU))
add(Probe("user-cal-future-schema-list", "calibration", lambda ctx: ["hardware", "list"], OK,
          setup=user_cal("t4", lambda: gen.T4_CAL.read_text().replace("schema_version: 1", "schema_version: 999")),
          check=stdout_has("t4")))
add(Probe("user-cal-other-device", "calibration", analyze_mlp("-f", "json", hw="h100"), (CLEAN, OK),
          setup=setups(mlp, user_cal("h100", lambda: gen.T4_CAL.read_text())), plugins=P_ONNX_GPU,
          check=lambda ctx, r: (CRASH, "the user's h100.yaml (device: t4) was applied to the h100: kernels are "
                                       "CALIBRATED by the T4's curves") if '"confidence": "CALIBRATED"' in r.stdout
          or '"confidence": "INTERPOLATED"' in r.stdout else None,
          note="the user's h100.yaml says device: t4: refuse it, or estimate without it"))


def _cal_dir_is_file(ctx: Ctx) -> None:
    p = gen.regular(ctx, "calfile", "not a folder\n")
    ctx.env["GRAPHS_CALIBRATION_DIR"] = str(p)




# ==================================================================================================
# onnx / tflite: model files
# ==================================================================================================
add(Probe("onnx-opset-999", "onnx", analyze_m("-f", "json"), CLEAN, setup=onnx_setup(gen.onnx_opset), fast=True,
          plugins=P_ONNX_T4, note="accepted silently before"))
add(Probe("onnx-model-local-function", "onnx", analyze_m("-f", "json"), OK, setup=onnx_setup(gen.onnx_local_function),
          fast=True, plugins=P_ONNX_T4, note="valid ONNX: a model-local function must be inlined, not rejected"))
add(Probe("onnx-custom-domain-op", "onnx", analyze_m(), CLEAN, setup=onnx_setup(gen.onnx_custom_op), plugins=P_ONNX_T4))
add(Probe("onnx-cycle", "onnx", analyze_m(), CLEAN, setup=onnx_setup(gen.onnx_cycle), timeout=30, plugins=P_ONNX_T4))
add(Probe("onnx-external-data-escape", "onnx", analyze_m("-f", "json"), (CLEAN, OK), setup=onnx_setup(gen.onnx_external_data),
          plugins=P_ONNX_T4, note="external data pointing outside the model's folder"))
add(Probe("onnx-truncated", "onnx", analyze_m(), CLEAN, setup=onnx_setup(gen.onnx_truncated), fast=True,
          plugins=P_ONNX_T4))
add(Probe("tflite-truncated", "onnx", analyze_m(), CLEAN, setup=onnx_setup(gen.tflite_truncated),
          plugins="frontend-tflite,mapper-t4,mappers-gpu"))
add(Probe("model-name-too-long", "onnx", lambda ctx: ["analyze", gen.long_name(300, ".onnx"), "-H", "t4"], CLEAN,
          plugins=P_ONNX_T4, fast=True, note="ENAMETOOLONG: was internal error"))


def _bytes_name(ctx: Ctx) -> None:
    name = os.fsdecode(b"mod\xffel.onnx")
    p = ctx.tmp / name
    p.write_bytes(gen.onnx_mlp_model().SerializeToString())
    ctx.data["m"] = p


add(Probe("model-non-utf8-filename", "onnx", analyze_m("-f", "json"), OK, setup=_bytes_name, plugins=P_ONNX_T4,
          note="a valid model whose file name is not UTF-8"))
add(Probe("model-non-utf8-filename-missing", "onnx",
          lambda ctx: ["analyze", os.fsdecode(b"missing-\xff.onnx"), "-H", "t4"], CLEAN, plugins=P_ONNX_T4))


# ==================================================================================================
# 4. plugins: a broken or hostile plugin is contained
# ==================================================================================================
def plug(key: str, ep: str = "evil") -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        gen.plugin(ctx, key, ep)
    return s


HWLIST = lambda ctx: ["hardware", "list", "-f", "json"]  # noqa: E731
add(Probe("plugin-sysexit3-import-hwlist", "plugins", HWLIST, OK, setup=plug("sysexit3_import"), fast=True,
          check=stdout_has("h100"), note="made every command exit 3"))
add(Probe("plugin-keyboardinterrupt-import", "plugins", HWLIST, OK, setup=plug("ki_import"), fast=True,
          check=stdout_has("h100"), note="printed a traceback"))
add(Probe("plugin-prints-on-import-json", "plugins", HWLIST, OK, setup=plug("prints_import"),
          note="a plugin's prints must not corrupt --json"))
add(Probe("plugin-sniff-raises", "plugins", analyze_mlp("-f", "json"), OK, setup=setups(mlp, plug("sniff_raises")),
          fast=True, note="broke loading every model file"))


def _runner_raises(ctx: Ctx) -> None:
    gen.plugin(ctx, "runner_raises", "evil-runner")
    gen.probe_runner(ctx)
    ctx.data["store"] = ctx.p("new.sqlite")


add(Probe("plugin-runner-unavailable-raises-list", "plugins", lambda ctx: ["benchmark", "--list"], OK,
          setup=_runner_raises, fast=True, check=stdout_has("probe-python"), plugins=P_BENCH + ",evil-runner"))
add(Probe("plugin-runner-unavailable-raises-bench", "plugins", lambda ctx: ["benchmark", "--store", d(ctx, "store")], OK,
          setup=_runner_raises, plugins=P_BENCH + ",evil-runner",
          note="the default run measures with every *available* runner"))
add(Probe("plugin-command-analyze", "plugins", analyze_mlp("-f", "json"), OK, setup=setups(mlp, plug("command_analyze")),
          fast=True, check=stdout_has('"value"', absent=("EVIL",)), note="replaced the built-in analyze"))
add(Probe("plugin-command-hardware-group", "plugins", lambda ctx: ["hardware", "list"], OK,
          setup=plug("command_hardware"), check=stdout_has("h100", absent=("EVIL",))))
add(Probe("plugin-zzz-h100-show", "plugins", lambda ctx: ["hardware", "show", "h100"], OK,
          setup=plug("hw_h100", "zzz-evil"), fast=True, check=stdout_has("H100", absent=("EVIL",)),
          note="zzz-evil displaced the official h100"))
add(Probe("plugin-zzz-gpu-mapper", "plugins", analyze_mlp("-f", "json"), OK,
          setup=setups(mlp, plug("mapper_gpu", "zzz-gpu")), check=stdout_has("gpu-tiles", absent=("EVIL",))))
add(Probe("plugin-hardware-hook-raises", "plugins", HWLIST, OK, setup=plug("hook_raises"), check=stdout_has("h100")))
add(Probe("plugin-hardware-hook-sysexit", "plugins", HWLIST, OK, setup=plug("hook_sysexit"), fast=True,
          check=stdout_has("h100")))
add(Probe("plugin-entry-points-txt-garbage", "plugins", HWLIST, OK,
          setup=lambda ctx: gen.install_plugin(ctx, "graphs_probe_real2", "x = 1\n", "junk",
                                               entry_points="[graphs\n= = =\n\x00\xff garbage\n"),
          check=stdout_has("h100")))


# ==================================================================================================
# 4b. interrupt: Ctrl-C at any moment ends in exit 130 and one line
# ==================================================================================================
for delay, fast in ((0.2, False), (0.6, True)):
    add(Probe(f"sigint-at-{delay}s-hardware-list", "interrupt", lambda ctx: ["hardware", "list"], (CLEAN, OK),
              signal=(signal.SIGINT, delay), fast=fast, timeout=20,
              note="Ctrl-C in the first 2 s printed a traceback"))
add(Probe("sigint-at-1.5s-analyze-torch", "interrupt", lambda ctx: ["analyze", "resnet18", "-H", "t4"], (CLEAN, OK),
          signal=(signal.SIGINT, 1.5), timeout=30))


# ==================================================================================================
# 5. usercode: file.py:factory is contained
# ==================================================================================================
def fac(body: str = "", top: str = "", name: str = "user_model.py") -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        ctx.data["fac"] = gen.factory(ctx, body, name=name, top=top)
    return s


def analyze_fac(fn: str = "factory", *extra: str) -> Callable[[Ctx], list[str]]:
    return lambda ctx: ["analyze", f"{d(ctx, 'fac')}:{fn}", "-H", "t4", *extra]


UC = dict(plugins="frontend-fx,mapper-t4,mappers-gpu", timeout=60)
add(Probe("factory-sys-exit-0", "usercode", analyze_fac("factory", "-f", "json"), CLEAN, setup=fac("import sys; sys.exit(0)"),
          fast=True, note="exit 0 and no output before", **UC))
add(Probe("factory-sys-exit-0-at-import", "usercode", analyze_fac(), CLEAN, setup=fac(top="import sys; sys.exit(0)"), **UC))
add(Probe("factory-os-exit", "usercode", analyze_fac(), CLEAN, setup=fac("import os; os._exit(0)"), **UC))
add(Probe("factory-infinite-loop", "usercode", analyze_fac(), CLEAN, setup=fac("while True:\n    pass"),
          note="hung forever before", **UC))
add(Probe("factory-prints-stdout-json", "usercode", analyze_fac("factory", "-f", "json"), OK,
          setup=fac("print('user noise on stdout')"), note="corrupted -f json before", **UC))
add(Probe("factory-keyboardinterrupt", "usercode", analyze_fac(), CLEAN, setup=fac("raise KeyboardInterrupt"), **UC))
add(Probe("factory-huge-allocation", "usercode", analyze_fac(), CLEAN, setup=fac("x = bytearray(64 * 2**30)"),
          note="MemoryError under the 2 GiB limit must be one line", **UC))
add(Probe("factory-raises", "usercode", analyze_fac(), CLEAN, setup=fac("raise ValueError('bad config')"), **UC))
add(Probe("factory-non-daemon-thread", "usercode", analyze_fac("factory", "-f", "json"), (OK, CLEAN),
          setup=fac("import threading, time\nthreading.Thread(target=time.sleep, args=(3600,)).start()"),
          note="a thread the user left running must not keep graphs alive", **UC))
add(Probe("factory-file-is-fifo", "usercode", analyze_fac(), CLEAN, setup=_fifo_key("fac", "fifo_model.py"),
          **{**UC, "timeout": 20}))


# ==================================================================================================
# 5b. tools: a third-party tool's subprocess is bounded
# ==================================================================================================
def _flood(stream: str) -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        ctx.env["GRAPHS_NN_METER_BIN"] = str(gen.flood_tool(ctx, "nn-meter", 200, stream))
    return s


add(Probe("tool-stderr-flood-200MB", "tools", lambda ctx: ["tools", "doctor", "nn-meter"], OK, setup=_flood("2"),
          ok_codes=(0, 1), max_rss_mb=250, timeout=60, note="1.5 GB on stderr took graphs to 3 GB"))
add(Probe("tool-stdout-flood-200MB", "tools", lambda ctx: ["tools", "doctor", "nn-meter"], OK, setup=_flood("1"),
          ok_codes=(0, 1), max_rss_mb=250, timeout=60))


def _grandchild(ctx: Ctx) -> None:
    pidfile = ctx.p("grandchild.pid")
    ctx.data["pidfile"] = pidfile
    ctx.env["GRAPHS_TIMELOOP_BIN"] = str(gen.grandchild_tool(ctx, "timeloop-mapper", pidfile))

    def kill() -> None:
        try:
            os.kill(int(pidfile.read_text().strip()), 9)
        except (OSError, ValueError):
            pass
    ctx.cleanups.append(kill)


def grandchild_dead(ctx: Ctx, r: Result) -> Optional[tuple[str, str]]:
    try:
        pid = int(Path(ctx.data["pidfile"]).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None
    if state != "Z":
        return CRASH, f"the tool's grandchild (pid {pid}) still runs after the tool timed out"
    return None


add(Probe("tool-timeout-leaves-grandchild", "tools", lambda ctx: ["tools", "doctor", "timeloop"], OK, setup=_grandchild,
          ok_codes=(0, 1), timeout=90, check=grandchild_dead, note="a timeout killed only the direct child"))


# ==================================================================================================
# 6. new: graphs hardware new writes what it is given, escaped
# ==================================================================================================
def check_new(ctx: Ctx, r: Result) -> Optional[tuple[str, str]]:
    if ctx.p("PWNED").exists():
        return CRASH, "injected code ran (PWNED created)"
    if r.rc != 0:
        return None
    hw_id, name = ctx.data["id"], ctx.data["name"]
    dest = ctx.p("out", f"graphs-mapper-{hw_id}")
    if not dest.is_dir():
        return CRASH, f"exit 0 but {dest.name} was not created"
    try:
        pp = tomllib.loads((dest / "pyproject.toml").read_text())
    except (tomllib.TOMLDecodeError, OSError) as e:
        return CRASH, f"generated pyproject.toml does not parse: {str(e)[:100]}"
    if pp.get("project", {}).get("name") != f"graphs-mapper-{hw_id}":
        return CRASH, f"generated project name is {pp.get('project', {}).get('name')!r}"
    if name not in pp["project"].get("description", ""):
        return CRASH, "the name is not in the generated description as given"
    eps = pp["project"].get("entry-points", {}).get("graphs", {})
    if len(eps) != 1:
        return CRASH, f"generated entry points: {eps}"
    (_ep, target), = eps.items()
    if not isinstance(target, str):
        return CRASH, f"entry point {_ep!r} parses as a TOML table {target!r} (a dotted key): no plugin is found"

    if not re.fullmatch(r"[A-Za-z_]\w*", target) or not (dest / "src" / target / "__init__.py").is_file():
        return CRASH, f"entry point target {target!r} is not the generated package"
    if not re.fullmatch(r"[\w.-]+", _ep) or "." in _ep:
        return CRASH, f"entry point name {_ep!r} is not a plain name"
    init = (dest / "src" / target / "__init__.py").read_text()
    try:
        tree = ast.parse(init)
    except SyntaxError as e:
        return CRASH, f"generated __init__.py does not parse: {e}"
    kinds = [type(n).__name__ for n in tree.body]
    if kinds != ["Expr", "ImportFrom", "Assign"]:
        return CRASH, f"generated __init__.py has extra statements: {kinds}"
    specs = [p for p in (dest / "src" / target).glob("*.yaml") if p.name != "calibration.yaml"]
    if len(specs) != 1:
        return CRASH, f"generated spec files: {[p.name for p in specs]}"
    try:
        data = yaml.safe_load(specs[0].read_text())
    except yaml.YAMLError as e:
        return CRASH, f"generated spec YAML does not parse: {str(e)[:100]}"
    for k in ("id", "name", "family", "vendor"):
        want = ctx.data.get(k)
        if want is not None and data.get(k) != want:
            return CRASH, f"generated spec has {k}={data.get(k)!r}, not {want!r}"
    return None


def new(hw_id: str, name: str, *extra: str, **fields: str) -> tuple[Callable[[Ctx], None], Callable[[Ctx], list[str]]]:
    def s(ctx: Ctx) -> None:
        ctx.p("out").mkdir()
        ctx.data.update(id=hw_id, name=name, **fields)

    def a(ctx: Ctx) -> list[str]:
        return ["hardware", "new", hw_id, "--name", name.replace("{tmp}", str(ctx.tmp)), "-o", str(ctx.p("out")),
                *[e.replace("{tmp}", str(ctx.tmp)) for e in extra]]
    return s, a


NEW_CASES = [
    ("new-name-python-injection", 'Evil """\nimport os; os.system("touch {tmp}/PWNED")\n"""', "new-evil", (), {},
     "name with triple quotes and a newline injected code into __init__.py"),
    ("new-name-toml-injection", 'x"\n[tool.evil]\npwned = "yes', "new-toml", (), {}, ""),
    ("new-name-yaml-injection", "Evil\nfamily: cpu\nid: h100", "new-yaml", (), {}, ""),
    ("new-family-injection", "Plain", "new-fam", ("--family", 'gpu"\nimport os'), {"family": 'gpu"\nimport os'}, ""),
    ("new-name-from-t4-injection", 'T4 clone """\nimport os; os.system("touch {tmp}/PWNED")\n"""', "new-from",
     ("--from", "t4"), {}, ""),
]
for pid_, name, hw_id, extra, fields, note in NEW_CASES:
    s, a = new(hw_id, name, *extra, **fields)
    add(Probe(pid_, "new", a, (CLEAN, OK), setup=s, check=check_new, plugins=P_NONE if "--from" not in extra else None,
              fast=pid_ == "new-name-python-injection", note=note))
for pid_, hw_id in (("new-id-with-dot", "my.npu"), ("new-id-300-chars", "n" * 300)):
    s, a = new(hw_id, "Plain")
    add(Probe(pid_, "new", a, CLEAN if pid_ != "new-id-with-dot" else (CLEAN, OK), setup=s, check=check_new,
              plugins=P_NONE, fast=pid_ == "new-id-with-dot",
              note="an id with '.' broke the entry point" if "dot" in pid_ else ""))


def _new_out_is_file(ctx: Ctx) -> None:
    ctx.data["f"] = gen.regular(ctx, "afile", "x\n")


add(Probe("new-output-is-a-file", "new",
          lambda ctx: ["hardware", "new", "probe-x", "--name", "X", "-o", d(ctx, "f")], CLEAN, setup=_new_out_is_file,
          plugins=P_NONE))


# ==================================================================================================
# labels: graphs validate --data on broken labelled data
# ==================================================================================================
def data(mj: Optional[Callable[[str], str]] = None, mc: Optional[Callable[[str], str]] = None) -> Callable[[Ctx], None]:
    def s(ctx: Ctx) -> None:
        ctx.data["data"] = gen.neusight_dir(ctx, mutate_json=mj, mutate_csv=mc)
    return s


def vdata(ctx: Ctx) -> list[str]:
    return ["validate", "--data", d(ctx, "data"), "-f", "json"]


LABELS = dict(timeout=60)
add(Probe("labels-nan-latency", "labels", vdata, (CLEAN, OK), setup=data(gen.json_field("fw_latency", "NaN")), fast=True,
          note="NaN label rows: internal error / NaN in JSON before", **LABELS))
add(Probe("labels-negative-latency", "labels", vdata, (CLEAN, OK), setup=data(gen.json_field("fw_latency", "-5")),
          **LABELS))
add(Probe("labels-csv-nan-rows", "labels", vdata, (CLEAN, OK), setup=data(None, gen.csv_latency_nan), **LABELS))


def _bad_devcfg(ctx: Ctx) -> None:
    data()(ctx)
    (Path(ctx.data["data"]) / "device_configs" / "Tesla_T4.json").write_text('{"Device": "Tesla T4", "Mem_Bw": 0}')


add(Probe("labels-device-config-zero-bandwidth", "labels", vdata, (CLEAN, OK), setup=_bad_devcfg, **LABELS))


def _symlink_loop(ctx: Ctx) -> None:
    data()(ctx)
    (Path(ctx.data["data"]) / "labels" / "loop").symlink_to(Path(ctx.data["data"]) / "labels")


add(Probe("labels-symlink-loop", "labels", vdata, (CLEAN, OK), setup=_symlink_loop, timeout=60))
add(Probe("labels-data-dev-zero", "labels", lambda ctx: ["validate", "--data", "/dev/zero"], CLEAN, timeout=20))


# ==================================================================================================
# cli: argument values
# ==================================================================================================
add(Probe("cli-hardware-empty", "cli", analyze_mlp(hw=""), CLEAN, setup=mlp, plugins=P_ONNX_T4))
add(Probe("cli-hardware-commas", "cli", analyze_mlp(hw=",,,"), CLEAN, setup=mlp, plugins=P_ONNX_T4))
add(Probe("cli-input-shape-negative", "cli", analyze_mlp("--input-shape", "x=1x-3"), CLEAN, setup=mlp, plugins=P_ONNX_T4))
add(Probe("cli-factory-empty-name", "cli", lambda ctx: ["analyze", "model.py:", "-H", "t4"], CLEAN, plugins=P_ONNX_T4))
add(Probe("cli-hardware-non-utf8", "cli", analyze_mlp(hw=os.fsdecode(b"t\xff4")), CLEAN, setup=mlp, plugins=P_ONNX_T4,
          fast=True, note="the error line names an argument that is not UTF-8"))


# the defects the first run of this corpus found after the issue-13 fixes, kept in the default (fast) run
for _p in PROBES:
    if _p.id in ("out-equals-model", "store-export-output-is-store", "stdout-dev-full", "sim-lengths-trace-dev-zero",
                 "spec-sm-count-0-validate", "cal-nan-points", "user-cal-other-device",
                 "plugin-prints-on-import-json", "factory-os-exit", "new-output-is-a-file",
                 # found by the full run after issue 16 (did-you-mean over an empty zoo raised ValueError)
                 "cli-factory-empty-name", "model-non-utf8-filename-missing"):
        _p.fast = True
