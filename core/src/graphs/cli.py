"""The ``graphs`` command line: a shell whose commands all come from plugins.

Core's own commands (``analyze``, ``hardware``, ``plugins``, ``zoo``) are built-in plugins in
:mod:`graphs.commands`, registered through ``graphs_register_commands`` like any installed
plugin's (``benchmark``, ``compare``, ``serve`` ...), and first, so none can be replaced.

Every user error ends in one line on stderr and exit code 2; an interrupt in exit code 130;
an unexpected internal error in one line and exit code 1 (``GRAPHS_DEBUG=1`` shows the
traceback). ``graphs --version`` loads no plugin.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Optional

from graphs import __version__
from graphs.errors import GraphsError

HELP = "Estimate latency, memory and energy of neural networks on hardware, with a confidence attached."


def build_app(gp: Any) -> Any:
    """The root typer app with every registered command (collects the ``commands`` hook)."""
    import typer

    app = typer.Typer(name="graphs", no_args_is_help=True, add_completion=True, pretty_exceptions_enable=False,
                      help=HELP, rich_markup_mode=None)

    @app.callback(invoke_without_command=True)
    def _root(version: bool = typer.Option(False, "--version", help="Print the version and exit.")) -> None:
        if version:
            typer.echo(f"graphs {__version__}")
            raise typer.Exit(0)

    gp.collect("commands")
    for name, (cmd, plugin) in gp.commands.items():
        builtin = gp._infos.get(plugin) is not None and gp._infos[plugin].builtin

        def wrap(fn: Any, command: str) -> Any:
            return _interruptible(fn if builtin else _contained(fn, plugin, command))

        if isinstance(cmd, typer.Typer):
            for info in cmd.registered_commands:
                if not getattr(info.callback, "_graphs_wrapped", False):     # a Typer is registered once per app
                    info.callback = wrap(info.callback, f"{name} {info.name or ''}".strip())
            app.add_typer(cmd, name=name)
        else:
            app.command(name)(wrap(cmd, name))
    return app


class Interrupted(BaseException):
    """A Ctrl-C (or SIGTERM, SIGHUP) inside a command, carried past typer — which would turn a
    KeyboardInterrupt into a silent exit 130 — to :func:`main`, which says so in one line."""


def _interruptible(fn: Any) -> Any:
    import functools

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KeyboardInterrupt as e:
            raise Interrupted() from e

    run._graphs_wrapped = True       # type: ignore[attr-defined]
    return run


class PluginError(GraphsError):
    """A plugin's own code failed (a bug there, not the user's input): one line naming the plugin."""

    exit_code = 1


def _contained(fn: Any, plugin: str, command: str) -> Any:
    """``fn`` with anything it raises (but a user error, an exit, or a real Ctrl-C) reported as the
    plugin's failure in one line."""
    import functools

    import typer

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (GraphsError, typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            from graphs import interrupts
            if interrupts.interrupted:
                raise
            raise PluginError(f"plugin {plugin!r}, command {command!r}: raised KeyboardInterrupt") from None
        except SystemExit as e:
            if isinstance(e.__context__, BrokenPipeError) or _stdout_closed():   # `graphs ... | head`
                raise
            raise PluginError(f"plugin {plugin!r}, command {command!r}: called sys.exit({e.code!r})") from None
        except BrokenPipeError:
            raise
        except OSError as e:
            if _write_failure(e):        # a full disk behind stdout is not the plugin's bug
                raise
            raise PluginError(f"plugin {plugin!r}, command {command!r} failed: OSError: {_one(e)}") from None
        except Exception as e:
            msg = " ".join(str(e).split())
            raise PluginError(f"plugin {plugin!r}, command {command!r} failed: {type(e).__name__}: {msg}") from None

    return run


def _stdout_closed() -> bool:
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        return True
    except OSError:
        return True
    return False


NON_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}


def _check_finite_arguments(args: list[str]) -> None:
    """A number option given as nan or inf is refused before any command runs (a NaN rate would
    make a simulation loop forever; an infinite size would overflow)."""
    for i, a in enumerate(args):
        opt, eq, value = a.partition("=")
        if eq and opt.startswith("--") and value.strip().lower() in NON_FINITE:
            raise GraphsError(f"{opt} {value}: not a finite number")
        if a.startswith("-") and i + 1 < len(args) and args[i + 1].strip().lower() in NON_FINITE:
            raise GraphsError(f"{a} {args[i + 1]}: not a finite number")


def warn_failed_plugins(gp: Any) -> None:
    """One warning line per plugin that failed (only what this command collected)."""
    from rich.markup import escape

    from graphs.output import console
    for p in gp.failed():
        console(stderr=True).print(f"[yellow]warning:[/] plugin {p.name!r} {p.status}: "
                                   f"{escape(p.errors[0]) if p.errors else ''}")
    for name in getattr(gp, "unknown_requested", ()):
        hint = gp.suggest_plugin(name) if hasattr(gp, "suggest_plugin") else None
        console(stderr=True).print(f"[yellow]warning:[/] GRAPHS_LOAD_PLUGINS names {name!r}, which no installed "
                                   "plugin is called" + (f"; did you mean {hint}?" if hint else ""))


def _plugins() -> Any:
    from graphs.plugins import get_plugins
    return get_plugins()


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point: runs the app and turns every error into one line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        sys.stdout.write(f"graphs {__version__}\n")
        return 0
    from graphs import interrupts
    interrupts.reset()
    if argv is None:                     # the console script (not an in-process call from a test or API)
        interrupts.install_handlers()       # (graphs._entry installed plain ones already; these also set the flag)
    try:
        _check_finite_arguments(args)
        rc = _run(args)
        sys.stdout.flush()               # a full disk behind stdout shows here, not at interpreter exit
        return rc
    except SystemExit as e:
        if isinstance(e.__context__, BrokenPipeError):    # rich's console ends a closed pipe this way
            return 141
        raise
    except BrokenPipeError:      # the reader went away (`| head`): stop quietly, as other CLI tools do
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except OSError:
            pass
        return 141
    except (KeyboardInterrupt, Interrupted):
        sys.stderr.write("interrupted\n")
        return 130
    except GraphsError as e:
        from graphs.output import StdoutError
        if isinstance(e, StdoutError):
            _silence_stdout()
        sys.stderr.write(f"error: {e}\n")
        return e.exit_code
    except OSError as e:
        if not _write_failure(e):
            return _internal(e)
        _silence_stdout()                # what is left in the buffer cannot be written either
        sys.stderr.write(f"error: cannot write output: {e.strerror or e}\n")
        return 2
    except Exception as e:  # a bug: still one line unless asked
        return _internal(e)


def _write_failure(e: OSError) -> bool:
    import errno
    return e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)


def _one(e: BaseException) -> str:
    return " ".join(str(e).split())


def _internal(e: BaseException) -> int:
    if os.environ.get("GRAPHS_DEBUG"):
        raise e
    msg = " ".join(str(e).split())
    sys.stderr.write(f"internal error: {type(e).__name__}: {msg} (set GRAPHS_DEBUG=1 for the traceback)\n")
    return 1


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail a second time."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _run(args: list[str]) -> int:
    import typer

    gp = _plugins()
    cmd = typer.main.get_command(build_app(gp))
    _refuse_repeated_options(cmd, args)
    try:
        rv = cmd.main(args=args, prog_name="graphs", standalone_mode=False)
        return rv if isinstance(rv, int) else 0  # typer.Exit(n) inside a command comes back as n
    except typer.Exit as e:
        return int(e.exit_code or 0)
    except typer.TyperException as e:  # usage errors: bad option, missing argument ...
        if type(e).__name__ == "NoArgsIsHelpError":
            ctx = getattr(e, "ctx", None)
            typer.echo(ctx.get_help() if ctx else str(e))
            return 0
        msg = " ".join(e.format_message().split())
        sys.stderr.write(f"error: {msg}\n")
        return 2
    except typer.Abort:
        sys.stderr.write("aborted\n")
        return 130


def _refuse_repeated_options(root: Any, args: list[str]) -> None:
    """A single-valued option given twice is an error, not "the last one wins" (click's default would
    silently drop the first value: ``-H h100 -H l4`` used to estimate the l4 alone)."""
    cmd, i = root, 0
    while i < len(args) and getattr(cmd, "commands", None) and args[i] in cmd.commands:   # the subcommand path
        cmd, i = cmd.commands[args[i]], i + 1
    by_opt: dict[str, Any] = {}
    for p in getattr(cmd, "params", ()):
        for o in (*getattr(p, "opts", ()), *getattr(p, "secondary_opts", ())):
            by_opt[o] = p
    seen: set[int] = set()
    while i < len(args):
        tok = args[i]
        i += 1
        if tok == "--":
            break
        name = tok.split("=", 1)[0] if tok.startswith("--") else tok[:2] if tok.startswith("-") else None
        p = by_opt.get(name) if name else None
        if p is None:
            continue
        takes_value = not getattr(p, "is_flag", False) and not getattr(p, "count", False)
        if takes_value and tok == name:
            i += 1                            # its value is the next word
        if getattr(p, "multiple", False) or getattr(p, "count", False) or getattr(p, "is_eager", False):
            continue
        if id(p) in seen:
            long = max(p.opts, key=len)
            hint = "; several values are comma-separated" if "comma" in (getattr(p, "help", "") or "") else ""
            raise GraphsError(f"{long} given more than once (the first value would be dropped){hint}")
        seen.add(id(p))


def run() -> None:  # console script
    code = main()
    # a thread someone else's code started (a model file, a plugin) and left running must not keep the
    # command alive after its answer: flush what was written and leave now
    if "threading" in sys.modules:
        import threading
        if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
            os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
