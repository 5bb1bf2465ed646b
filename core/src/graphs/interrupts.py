"""Signals: SIGINT, SIGTERM and SIGHUP end a command like Ctrl-C (what was measured is kept), and a
KeyboardInterrupt that a signal raised is told apart from one a plugin's code raised by itself.

The console script installs :func:`install_handlers`; the plugin manager, the frontends and the
CLI ask :func:`real_interrupt`. A library user who installs no handlers gets every
KeyboardInterrupt treated as real (Python's own Ctrl-C).
"""

from __future__ import annotations

from typing import Any

interrupted = False          # set by the handlers below when a signal arrived


def reset() -> None:
    global interrupted
    interrupted = False


def _handler(signum: int, frame: Any) -> None:
    global interrupted
    interrupted = True
    raise KeyboardInterrupt


def install_handlers() -> None:
    import signal

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            signal.signal(sig, _handler)
        except (ValueError, OSError):   # not the main thread (embedded use): leave the defaults
            pass


def handlers_installed() -> bool:
    import signal
    return signal.getsignal(signal.SIGINT) is _handler


def real_interrupt(e: BaseException) -> bool:
    """A KeyboardInterrupt that a signal raised (the user's Ctrl-C, SIGTERM), not one a plugin raised."""
    if not isinstance(e, KeyboardInterrupt):
        return False
    return interrupted or not handlers_installed()
