"""The ``graphs`` console script: signal handlers first, then everything else.

A Ctrl-C (or SIGTERM, SIGHUP) at any moment — even while plugins are still being imported — ends
the command with one line, ``interrupted``, and exit code 130.
"""

import signal
import sys


def _interrupted(signum, frame):  # noqa: ANN001  (installed before anything else is imported)
    raise KeyboardInterrupt


def run() -> None:
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            try:
                signal.signal(sig, _interrupted)
            except (ValueError, OSError):
                pass
    try:
        from graphs.cli import run as cli_run
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    cli_run()
