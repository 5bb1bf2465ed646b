"""The one way graphs writes what a command produces: stdout, or a file replaced atomically.

``write_output(text, path)``:

* ``path`` None or ``-``: standard output;
* a regular file (or a new one): the text goes to a uniquely named temporary file in the same
  directory, is flushed and fsynced, takes the existing file's permission bits (a new file gets
  the umask's), and replaces the file with one ``os.replace`` — a reader never sees half a file,
  concurrent writers never collide on a temporary name, and every failure removes the temporary;
* a symbolic link: the file it points to is replaced as above (the link stays a link);
* anything else that exists and is not a directory (``/dev/null``, a FIFO, a terminal): written
  through in place, never replaced by a regular file;
* a directory, or a missing parent directory: a one-line :class:`~graphs.errors.GraphsError`.

:func:`check_output_path` runs the same checks before a long computation starts.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable

from graphs.errors import GraphsError

STDOUT = "-"


class StdoutError(GraphsError):
    """Standard output cannot be written (a full disk, /dev/full): one line, exit 2."""

    def __init__(self, e: OSError) -> None:
        super().__init__(f"cannot write standard output: {e.strerror or e}")


def _target(path: Path) -> Path:
    """The path to write: a symlink's final target (relative links resolved from their folder)."""
    try:
        if path.is_symlink():
            return Path(os.path.realpath(path))
    except OSError as e:
        raise GraphsError(f"cannot write {path}: {e.strerror or e}") from None
    return path


_INPUTS: dict[tuple[int, int], str] = {}


def note_input(path: Path | str) -> None:
    """Remember a file this command reads (a model, a results store, a calibration, a spec): an output
    path that is the same file is refused, so ``-o model.onnx`` never overwrites the model."""
    try:
        st = os.stat(path)
    except OSError:
        return
    if stat.S_ISREG(st.st_mode):
        _INPUTS[(st.st_dev, st.st_ino)] = str(path)


def _is_input(p: Path) -> str | None:
    try:
        st = os.stat(p)
    except OSError:
        return None
    return _INPUTS.get((st.st_dev, st.st_ino))


def is_stdout(path: Path | str | None) -> bool:
    return path is None or str(path) == STDOUT


def check_output_path(path: Path | str | None) -> None:
    """Fail now (one line) if ``path`` cannot be written: a directory, a missing or read-only folder."""
    if is_stdout(path):
        return
    p = _target(Path(path))
    if len(os.fsencode(p.name)) > 255:
        raise GraphsError(f"cannot write {path}: file name too long")
    if p.is_dir():
        raise GraphsError(f"cannot write {path}: is a directory")
    src = _is_input(p)
    if src is not None:
        raise GraphsError(f"cannot write {path}: it is {src}, which this command reads (choose another -o)")
    if p.exists():
        if not os.access(p, os.W_OK):
            raise GraphsError(f"cannot write {path}: permission denied")
        return
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise GraphsError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise GraphsError(f"cannot write {path}: folder {parent} is not writable")


def write_output(text: str, path: Path | str | None = None) -> None:
    """Write ``text`` (a newline added if missing) to stdout or ``path`` (see the module doc)."""
    if not text.endswith("\n"):
        text += "\n"
    if is_stdout(path):
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as e:      # a full disk or /dev/full behind stdout
            raise StdoutError(e) from None
        return
    check_output_path(path)
    p = _target(Path(path))
    try:
        st = p.stat() if p.exists() else None
    except OSError as e:
        raise GraphsError(f"cannot write {path}: {e.strerror or e}") from None
    data = text.encode("utf-8")
    if st is not None and not stat.S_ISREG(st.st_mode):      # /dev/null, a FIFO, a tty: write through
        try:
            with open(p, "wb") as fh:
                fh.write(data)
        except OSError as e:
            raise GraphsError(f"cannot write {path}: {e.strerror or e}") from None
        return
    fd, tmp = -1, ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
        with os.fdopen(fd, "wb") as fh:
            fd = -1
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, p)
        tmp = ""
    except OSError as e:
        raise GraphsError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def render_text(renderables: Iterable[Any], width: int = 120) -> str:
    """Rich renderables (tables, strings) as plain text ``width`` columns wide."""
    import io

    from rich.console import Console
    buf = io.StringIO()
    con = Console(file=buf, width=width, color_system=None, force_terminal=False, legacy_windows=False)
    for r in renderables:
        con.print(r)
    return buf.getvalue()


def print_renderables(renderables: Iterable[Any], path: Path | str | None = None, width: int = 120) -> None:
    """Print rich renderables to the terminal, or write them as text to ``path`` (atomically)."""
    if is_stdout(path):
        con = console()
        for r in renderables:
            con.print(r)
        return
    write_output(render_text(renderables, width), path)


def jsonable(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, ±inf: unknown or undefined) as ``None`` — JSON has
    no NaN — and tuples as lists; dataclass-like objects are left to ``default=str``."""
    import math
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def to_json(value: Any, indent: int | None = 2) -> str:
    """Strict JSON (``allow_nan=False``) of ``value`` after :func:`jsonable`: unknown numbers are null."""
    import json
    return json.dumps(jsonable(value), indent=indent, default=str, allow_nan=False)


def console(stderr: bool = False) -> Any:
    """The rich console graphs prints tables with (no highlighting, no soft wrap)."""
    from rich.console import Console
    return Console(stderr=stderr, highlight=False, soft_wrap=False)
