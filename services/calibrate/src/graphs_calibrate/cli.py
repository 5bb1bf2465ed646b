"""``graphs benchmark``, ``graphs calibrate``, ``graphs validate``: measure, fit, score."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from graphs.cli_options import (CalibrationOpt, Format, FormatOpt, OutputOpt, StoreOpt, check_format,
                                check_output_option)
from graphs.errors import GraphsError
from graphs.fmt import fmt_si
from graphs.documents import render
from graphs.documents import declare_documents

declare_documents("graphs_calibrate.documents")      # its JSON document models (pydantic) load on first use


def escape(text: str) -> str:
    """rich.markup.escape, imported when a table is drawn (not at start-up)."""
    from rich.markup import escape as _escape
    return _escape(text)


def _plugins():
    from graphs.cli import _plugins as get
    return get()


def _runner_call(r, plugin: str, what: str, *args):
    """A runner's method, with anything it raises (but a real Ctrl-C) as one line naming the plugin."""
    try:
        return getattr(r, what)(*args)
    except GraphsError:
        raise
    except BaseException as e:
        from graphs.interrupts import real_interrupt as _real_interrupt
        if _real_interrupt(e):
            raise
        msg = " ".join(str(e).split())[:200]
        raise GraphsError(f"runner {getattr(r, 'name', '?')!r} (plugin {plugin!r}): {what}() raised "
                          f"{type(e).__name__}: {msg}") from None


def _unavailable(r, plugin: str) -> str | None:
    try:
        return _runner_call(r, plugin, "unavailable")
    except GraphsError as e:
        return str(e)


def _emit(text: str, output: Optional[Path]) -> None:
    from graphs.output import write_output
    write_output(text, output)


def benchmark(
    runner: Optional[str] = typer.Option(None, "--runner", "-r", help="Runner name (see --list); default: every available one."),
    suite: str = typer.Option("quick", help="Suite: quick, full, models (runner-specific)."),
    group: Optional[List[str]] = typer.Option(None, "--group", "-g", help="Only these case groups (repeatable)."),
    store: StoreOpt = None,
    list_only: bool = typer.Option(False, "--list", help="List runners and their availability."),
    export: bool = typer.Option(False, "--export", help="Print the stored measurements (--format csv or json) instead of measuring."),
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Measure kernels and models on this machine (or a lent GPU) into the results store."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from graphs.bench import run_cases
    from graphs.report import console
    from graphs.store import ResultsStore

    gp = _plugins()
    if list_only:
        t = Table(title="benchmark runners", title_justify="left")
        for c in ("runner", "device", "plugin", "status"):
            t.add_column(c)
        for name, (r, plugin) in sorted(gp.runners.items()):
            why = _unavailable(r, plugin)
            dev = "–"
            if not why:
                try:
                    dev = _runner_call(r, plugin, "device")
                except GraphsError as e:
                    why = str(e)
            t.add_row(name, dev, plugin, "available" if not why else escape(why))
        from graphs.output import print_renderables
        print_renderables([t], output)
        return
    if export:
        check_format(fmt, ("json", "csv"), "graphs benchmark --export")
        from graphs.output import check_output_path, note_input
        from graphs.store import default_store_path
        note_input(store or default_store_path())      # -o STORE would replace the store with its export
        check_output_path(output)
        with ResultsStore(store, readonly=True) as db:
            if fmt is Format.json:
                import json
                _emit(render("graphs.benchmark.export", {"measurements": json.loads(db.export("json"))}), output)
            else:
                _emit(db.export(fmt.value), output)
            for s in db.skipped:
                console(stderr=True).print(f"[yellow]skipped:[/] {escape(s)}")
        return
    if runner:
        if runner not in gp.runners:
            names = ", ".join(sorted(gp.runners)) or "none installed"
            raise GraphsError(f"unknown runner {runner!r} (available: {names})")
        chosen = [gp.runners[runner]]
    else:
        chosen = [(r, p) for r, p in gp.runners.values() if _unavailable(r, p) is None]
    if not chosen:
        raise GraphsError("no benchmark runner is available here (see `graphs benchmark --list`)")
    plan = []                       # every runner and suite checked before the store is opened or created
    for r, plugin in chosen:
        why = _unavailable(r, plugin)
        if why:
            raise GraphsError(f"runner {r.name!r} cannot run here: {why}")
        cases = _runner_call(r, plugin, "suite", suite)
        if group:
            cases = [c for c in cases if c.group in group]
        if not cases:
            raise GraphsError(f"runner {r.name!r}: suite {suite!r} has no cases" + (f" in groups {group}" if group else ""))
        plan.append((r, cases))
    db = ResultsStore(store)
    db.check_writable()          # a store that cannot take the results is refused before anything is measured
    con = console()
    for r, cases in plan:
        failures: list[str] = []
        rows: list[tuple] = []
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console(stderr=True), transient=True) as prog:
            task = prog.add_task(f"{r.name} on {r.device()}", total=len(cases))

            def tick(case, m, err):
                prog.advance(task)
                if err:
                    failures.append(f"{case.name}: {err}")
                else:
                    rows.append((case.group, case.name, case.precision, m.median_s, m.std_s or 0.0, m.repeats))

            try:
                run_cases(r, cases, db, tick)
            except KeyboardInterrupt:     # Ctrl-C, SIGTERM, SIGHUP: the groups measured so far are stored
                console(stderr=True).print(f"interrupted: {len(rows)} measurement(s) kept in {db.path}")
                raise typer.Exit(130)
        t = Table(title=f"{r.name} on {r.device()}: {len(rows)} measured, stored in {db.path}", title_justify="left")
        for c in ("group", "case", "precision", "median", "std", "repeats"):
            t.add_column(c, justify="right" if c in ("median", "std", "repeats") else "left")
        for g, n, p, med, sd, rep in rows:
            t.add_row(g, n, p, fmt_si(med, "s"), fmt_si(sd, "s"), str(rep))
        con.print(t)
        for f in failures:
            console(stderr=True).print(f"[yellow]failed:[/] {escape(f)}")


def calibrate(
    hardware: str = typer.Option(..., "--hardware", "-H", help="Hardware id (or spec YAML) whose measurements to fit."),
    store: StoreOpt = None,
    output: Optional[Path] = typer.Option(None, "--output", "-o", callback=check_output_option,
                                          help="Calibration file to write (default $GRAPHS_CALIBRATION_DIR/ID.yaml or ~/.local/share/graphs/calibration/ID.yaml)."),
    holdout: Optional[str] = typer.Option(None, "--holdout", help="MODEL,... whose runs and kernels are not fitted (validate scores them)."),
    statistic: str = typer.Option("median", help="Time of a measurement: median of its repeats, or min (the undisturbed time on a shared machine)."),
    fmt: FormatOpt = Format.table,
    transfer: bool = typer.Option(False, "--transfer", help="No measurements: build the calibration validation scores "
                                  "(its own, if any, plus curves transferred from the installed calibrations of its family)."),
) -> None:
    """Fit a calibration (efficiency curves, dispatch and model overheads) from measurements in the store."""
    from graphs_calibrate.fit import calibrate as fit
    from graphs.calibration import user_calibration_path
    from graphs.report import console
    from graphs.store import ResultsStore

    gp = _plugins()
    hw_id = gp.hardware_entry(hardware).spec.id
    if transfer:
        check_format(fmt, ("table", "json"), "graphs calibrate")
        _calibrate_transfer(gp, hardware, hw_id, output, fmt is Format.json)
        return
    check_format(fmt, ("table", "json"), "graphs calibrate")
    if store is not None and not store.is_file():
        raise GraphsError(f"--store {store}: no such results store")
    with ResultsStore(store, readonly=True) as db:
        cal, rep = fit(db, hardware, gp, holdout=(holdout or "").split(","), statistic=statistic)
    dest = output or user_calibration_path(hw_id)
    _write_calibration(cal.model_dump(mode="json"), dest)
    rep["written"] = str(dest)
    if fmt is Format.json:
        typer.echo(render("graphs.calibrate", rep))
        return
    from graphs_calibrate.validation import calibration_table
    con = console()
    con.print(calibration_table(cal, rep))
    con.print(f"wrote {dest}")


TRANSFER_SOURCE = "graphs calibrate --transfer"


def _write_calibration(data: dict, dest: Path) -> None:
    """Write a calibration's YAML to ``dest`` (its folder created; atomic, see :func:`_emit`)."""
    import yaml

    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GraphsError(f"cannot create {dest.parent}: {e.strerror or e}") from None
    _emit(yaml.safe_dump(data, sort_keys=False), dest)


def _calibrate_transfer(gp, hardware: str, hw_id: str, output: Optional[Path], as_json: bool) -> None:
    """``graphs calibrate --transfer``: write the own+transferred calibration of a device."""
    from graphs.calibration import load_calibration, user_calibration_path
    from graphs_datasets.validate import installed_calibrations, transferred_calibration

    cal, desc = transferred_calibration(gp, hardware, installed_calibrations(gp))
    if cal is None:
        raise GraphsError(f"{hw_id}: no installed calibration of its family to transfer from ({desc})")
    dest = output or user_calibration_path(hw_id)
    if output is None and dest.is_file():
        try:
            mine = load_calibration(dest)
        except GraphsError:
            mine = None
        if mine is None or not (mine.transferred_from or mine.source.startswith(TRANSFER_SOURCE)):
            raise GraphsError(f"{dest} holds a calibration fitted from measurements; not replacing it "
                              "(give --output FILE)")
    cal = cal.model_copy(update={"source": f"{TRANSFER_SOURCE}: {desc} | {cal.source}"})
    _write_calibration(cal.model_dump(mode="json", exclude_none=True), dest)
    moved = sorted(k for k, c in cal.curves.items() if c.transferred_from)
    rep = {"device": hw_id, "written": str(dest), "description": desc, "curves": len(cal.curves),
           "transferred_curves": len(moved)}
    if as_json:
        typer.echo(render("graphs.calibrate.transfer", rep))
        return
    typer.echo(f"{hw_id}: {desc}")
    typer.echo(f"{len(cal.curves)} curves ({len(moved)} transferred: estimates on them are INTERPOLATED); wrote {dest}")


def validate(
    hardware: Optional[str] = typer.Option(None, "--hardware", "-H", help="Hardware id (or spec YAML) whose measurements to score."),
    data: Optional[Path] = typer.Option(None, "--data", help="A folder of labelled measurements in a layout an installed reader knows (see `graphs plugins list`, e.g. ../shared/data/neusight): score every row."),
    leave_one_out: bool = typer.Option(False, "--leave-one-out", help="--data: predict each device from the calibrations of the other devices only."),
    store: StoreOpt = None,
    models: Optional[str] = typer.Option(None, "--models", help="MODEL,... to score (default: every measured model)."),
    calibration: CalibrationOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    statistic: Optional[str] = typer.Option(None, help="median or min (default: what the calibration was fitted on)."),
) -> None:
    """Estimates against measurements: MAPE, max APE, Spearman, interval coverage, composition gap, per model and kernel."""
    from graphs.calibration import load_calibration
    from graphs.report import console, rows_csv
    from graphs.store import ResultsStore
    from graphs_calibrate.validation import validate as score, validation_tables

    from graphs.output import check_output_path, print_renderables
    check_output_path(output)
    gp = _plugins()
    if data is not None:  # --- a labelled data folder: the first installed reader that knows its layout
        _validate_data_dir(data, gp, leave_one_out, fmt, output)
        return
    if hardware is None:
        raise GraphsError("give --hardware ID (measurements in the store) or --data DIR (a labelled data directory)")
    if store is not None and not store.is_file():
        raise GraphsError(f"--store {store}: no such results store")
    cal = load_calibration(calibration) if calibration else None
    with ResultsStore(store, readonly=True) as db:
        rep = score(db, hardware, gp, calibration=cal, models=(models or "").split(",") if models else (),
                    statistic=statistic)
    if fmt is Format.json:
        _emit(render("graphs.validate", rep.to_dict()), output)
        return
    if fmt is Format.csv:
        from dataclasses import asdict
        rows = [asdict(r) for r in rep.models]
        _emit(rows_csv(rows[0].keys() if rows else ["model"], [r.values() for r in rows]), output)
        return
    if fmt is Format.markdown:
        from dataclasses import asdict

        from graphs.report import markdown_table
        rows = [asdict(r) for r in rep.models]
        _emit(markdown_table(rows[0].keys() if rows else ["model"], [r.values() for r in rows]), output)
        return
    print_renderables(validation_tables(rep), output, width=160)
    for s in rep.skipped:
        console(stderr=True).print(f"[yellow]skipped:[/] {escape(s)}")


def _validate_data_dir(data: Path, gp, leave_one_out: bool, fmt: Format, output: Optional[Path]) -> None:
    """``graphs validate --data DIR``: the first installed reader whose layout DIR is scores it."""
    from graphs.output import print_renderables
    from graphs.report import markdown_table, rows_csv

    if not data.is_dir():
        raise GraphsError(f"--data {data}: not a directory")
    readers = [r for r, _ in gp.datasets.values()]
    reader = next((r for r in readers if r.sniff(data)), None)
    if reader is None:
        known = "; ".join(f"{r.name}: {r.description}" for r in readers) or "none installed (pip install graphs-datasets)"
        raise GraphsError(f"--data {data}: no installed reader knows this layout (readers: {known})")
    options = {"leave_one_out": leave_one_out} if "leave_one_out" in reader.options else {}
    if leave_one_out and not options:
        raise GraphsError(f"--leave-one-out: the {reader.name} reader has no leave-one-out mode")
    rep = reader.validate(data, gp, **options)
    if fmt is Format.json:
        _emit(render("graphs.validate.data", {"reader": reader.name, **rep.to_dict()}), output)
    elif fmt in (Format.csv, Format.markdown):
        cols, rows = rep.csv_rows()
        _emit(rows_csv(cols, rows) if fmt is Format.csv else markdown_table(cols, rows), output)
    else:
        print_renderables(rep.tables(), output)
