"""The results store: measurements in SQLite (stdlib ``sqlite3``).

* Versioned schema (``PRAGMA user_version``); an older file is migrated, a newer one refused.
* One transaction per batch of measurements (:meth:`ResultsStore.add_batch`): a batch is
  stored whole or not at all.
* Concurrent writers lose nothing: WAL journal, a busy timeout, ``BEGIN IMMEDIATE``.
* Path: ``--store PATH``, else ``$GRAPHS_STORE``, else ``~/.local/share/graphs/results.sqlite``.
* Nothing that is not a graphs store is ever changed: a file that is not SQLite, or a SQLite
  database of another application (tables of its own, or a ``user_version`` graphs did not set),
  is refused before any write — no table is added, no pragma set, the journal mode untouched.
  ``readonly=True`` (export, calibrate, validate) opens the file read-only: even a graphs store
  is not migrated or switched to WAL. A store opened for writing is checked writable before
  anything is measured. Rows that cannot be read back are reported in ``skipped``, not fatal.

A *measurement* is one timed thing (a kernel with its shapes, or a whole model) on one device
with one runtime: statistics over repeats, plus optional energy. Rows record device,
runtime, software versions, precision, shapes and statistics.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from graphs.errors import GraphsError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    created     REAL NOT NULL,
    device      TEXT NOT NULL,
    runtime     TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT 'measured',
    software    TEXT NOT NULL DEFAULT '{}',
    host        TEXT NOT NULL DEFAULT '{}',
    notes       TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS measurements (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    level       TEXT NOT NULL CHECK (level IN ('kernel', 'model', 'layer', 'collective')),
    name        TEXT NOT NULL,
    op_kind     TEXT NOT NULL DEFAULT '',
    precision   TEXT NOT NULL DEFAULT '',
    shapes      TEXT NOT NULL DEFAULT '{}',
    params      TEXT NOT NULL DEFAULT '{}',
    threads     INTEGER,
    repeats     INTEGER NOT NULL,
    median_s    REAL NOT NULL,
    mean_s      REAL,
    std_s       REAL,
    min_s       REAL,
    max_s       REAL,
    energy_j    REAL,
    avg_power_w REAL,
    extra       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS measurements_lookup ON measurements(name, op_kind, precision);
CREATE INDEX IF NOT EXISTS measurements_run ON measurements(run_id);
"""


def default_store_path() -> Path:
    env = os.environ.get("GRAPHS_STORE")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "graphs" / "results.sqlite"


@dataclass(frozen=True)
class Run:
    """Where and how a batch of measurements was taken."""

    device: str
    runtime: str                          # e.g. "torch-cpu", "torch-cuda", "neusight-artifact"
    source: str = "measured"              # measured | imported:<dataset>
    software: Mapping[str, Any] = field(default_factory=dict)   # torch, cuda, driver versions ...
    host: Mapping[str, Any] = field(default_factory=dict)       # cpu model, gpu name ...
    notes: str = ""


@dataclass(frozen=True)
class Measurement:
    """Statistics of one timed thing."""

    level: str                            # kernel | model | layer | collective
    name: str                             # model name, or the op's name
    median_s: float
    repeats: int
    op_kind: str = ""
    precision: str = ""
    shapes: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    threads: int | None = None
    mean_s: float | None = None
    std_s: float | None = None
    min_s: float | None = None
    max_s: float | None = None
    energy_j: float | None = None
    avg_power_w: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (self.median_s > 0) or self.median_s != self.median_s:
            raise ValueError(f"{self.name}: median time must be positive, got {self.median_s}")
        if self.repeats < 1:
            raise ValueError(f"{self.name}: repeats must be >= 1")


@dataclass(frozen=True)
class StoredMeasurement:
    id: int
    run: Run
    run_id: int
    m: Measurement

    def to_row(self) -> dict[str, Any]:
        row = {"id": self.id, "run_id": self.run_id, "device": self.run.device, "runtime": self.run.runtime,
               "source": self.run.source}
        d = asdict(self.m)
        for k in ("shapes", "params", "extra"):
            d[k] = json.dumps(d[k], sort_keys=True)
        row.update(d)
        row["software"] = json.dumps(dict(self.run.software), sort_keys=True)
        return row


OUR_TABLES = {"runs", "measurements"}


class ResultsStore:
    """A SQLite file of runs and measurements (see the module doc for what is never changed)."""

    def __init__(self, path: str | Path | None = None, *, readonly: bool = False) -> None:
        self.path = Path(path) if path else default_store_path()
        self.readonly = readonly
        self.skipped: list[str] = []
        if readonly and not self.path.is_file():
            raise GraphsError(f"no results store at {self.path} (measure first: `graphs benchmark`)")
        if self.path.exists() and not self.path.is_file():
            raise GraphsError(f"{self.path}: not a regular file, so not a results store")
        from graphs.output import note_input
        note_input(self.path)
        try:
            if readonly:
                self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0,
                                           isolation_level=None)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise GraphsError(f"cannot open results store {self.path}: {e}") from None
        self._db.row_factory = sqlite3.Row
        try:
            self._db.execute("PRAGMA busy_timeout = 30000")
            self._check_and_migrate()
            if not readonly:
                self._db.execute("PRAGMA foreign_keys = ON")
                self._db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as e:
            self._db.close()
            raise GraphsError(f"{self.path} is not a graphs results store ({e})") from None
        except GraphsError:
            self._db.close()
            raise

    def _check_and_migrate(self) -> None:
        """Refuse (before any write) what is not a graphs store; create or migrate ours."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version > SCHEMA_VERSION:
            raise GraphsError(f"{self.path} has schema v{version}; this graphs reads up to v{SCHEMA_VERSION} — upgrade graphs")
        if version == 0 and tables:
            raise GraphsError(f"{self.path} is a SQLite database of another application (tables: "
                              f"{', '.join(sorted(tables)[:5])}); not touching it — give another --store")
        if version >= 1 and not OUR_TABLES <= tables:
            raise GraphsError(f"{self.path}: user_version {version} but no graphs tables; not a graphs results store")
        if version < SCHEMA_VERSION:  # v0 (new, empty file) -> v1; later versions add steps here
            if self.readonly:
                raise GraphsError(f"{self.path} is empty: no measurements to read")
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def check_writable(self) -> None:
        """Fail now (one line) if a batch could not be stored — before anything is measured."""
        if self.readonly:
            raise GraphsError(f"{self.path} was opened read-only")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("ROLLBACK")
        except sqlite3.Error as e:
            raise GraphsError(f"cannot write to results store {self.path}: {e}") from None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "ResultsStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- writing -------------------------------------------------------------------------------
    def add_batch(self, run: Run, measurements: Sequence[Measurement]) -> int:
        """Store a run and its measurements in one transaction; returns the run id."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO runs (created, device, runtime, source, software, host, notes) VALUES (?,?,?,?,?,?,?)",
                (time.time(), run.device, run.runtime, run.source, json.dumps(dict(run.software), sort_keys=True),
                 json.dumps(dict(run.host), sort_keys=True), run.notes))
            run_id = int(cur.lastrowid)
            db.executemany(
                "INSERT INTO measurements (run_id, level, name, op_kind, precision, shapes, params, threads, repeats,"
                " median_s, mean_s, std_s, min_s, max_s, energy_j, avg_power_w, extra)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(run_id, m.level, m.name, m.op_kind, m.precision, json.dumps(dict(m.shapes), sort_keys=True),
                  json.dumps(dict(m.params), sort_keys=True), m.threads, m.repeats, m.median_s, m.mean_s, m.std_s,
                  m.min_s, m.max_s, m.energy_j, m.avg_power_w, json.dumps(dict(m.extra), sort_keys=True))
                 for m in measurements])
        return run_id

    # --- reading -------------------------------------------------------------------------------
    def query(self, *, device: str | None = None, level: str | None = None, op_kind: str | None = None,
              name: str | None = None, precision: str | None = None, runtime: str | None = None,
              source: str | None = None) -> list[StoredMeasurement]:
        where, args = [], []
        for col, val in (("r.device", device), ("m.level", level), ("m.op_kind", op_kind), ("m.name", name),
                         ("m.precision", precision), ("r.runtime", runtime), ("r.source", source)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = ("SELECT m.*, r.device, r.runtime, r.source, r.software, r.host, r.notes FROM measurements m"
               " JOIN runs r ON r.id = m.run_id")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY m.id"
        out = []
        for row in self._db.execute(sql, args):
            try:
                run = Run(row["device"], row["runtime"], row["source"], json.loads(row["software"]),
                          json.loads(row["host"]), row["notes"])
                m = Measurement(
                    level=row["level"], name=row["name"], median_s=row["median_s"], repeats=row["repeats"],
                    op_kind=row["op_kind"], precision=row["precision"], shapes=json.loads(row["shapes"]),
                    params=json.loads(row["params"]), threads=row["threads"], mean_s=row["mean_s"],
                    std_s=row["std_s"], min_s=row["min_s"], max_s=row["max_s"], energy_j=row["energy_j"],
                    avg_power_w=row["avg_power_w"], extra=json.loads(row["extra"]))
            except (ValueError, TypeError) as e:   # a row another tool wrote badly: report, skip, go on
                self.skipped.append(f"measurement {row['id']}: {' '.join(str(e).split())}")
                continue
            out.append(StoredMeasurement(row["id"], run, row["run_id"], m))
        return out

    def runs(self, *, source: str | None = None, device: str | None = None) -> list[tuple[int, Run]]:
        """(id, Run) of every run, optionally filtered by source and device (e.g. to skip re-imports)."""
        where, args = [], []
        for col, val in (("source", source), ("device", device)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = "SELECT * FROM runs" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        return [(int(r["id"]), Run(r["device"], r["runtime"], r["source"], json.loads(r["software"]),
                                   json.loads(r["host"]), r["notes"])) for r in self._db.execute(sql, args)]

    def devices(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT device FROM runs ORDER BY device")]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM measurements").fetchone()[0])

    # --- export --------------------------------------------------------------------------------
    def export(self, fmt: str = "csv", **filters: Any) -> str:
        rows = [s.to_row() for s in self.query(**filters)]
        if fmt == "json":
            return json.dumps(rows, indent=2, default=str, allow_nan=False)
        if fmt != "csv":
            raise GraphsError(f"unknown export format {fmt!r} (csv or json)")
        buf = io.StringIO()
        if rows:
            w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        return buf.getvalue()
