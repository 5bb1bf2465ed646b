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

    app = typer.Typer(name="graphs", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                      help=HELP, rich_markup_mode=None)

    @app.callback(invoke_without_command=True)
    def _root(version: bool = typer.Option(False, "--version", help="Print the version and exit.")) -> None:
        if version:
            typer.echo(f"graphs {__version__}")
            raise typer.Exit(0)

    gp.collect("commands")
    for name, (cmd, _plugin) in gp.commands.items():
        if isinstance(cmd, typer.Typer):
            app.add_typer(cmd, name=name)
        else:
            app.command(name)(cmd)
    return app


def warn_failed_plugins(gp: Any) -> None:
    """One warning line per plugin that failed (only what this command collected)."""
    from rich.markup import escape

    from graphs.report import console
    for p in gp.failed():
        console(stderr=True).print(f"[yellow]warning:[/] plugin {p.name!r} {p.status}: "
                                   f"{escape(p.errors[0]) if p.errors else ''}")
    for name in getattr(gp, "unknown_requested", ()):
        console(stderr=True).print(f"[yellow]warning:[/] GRAPHS_LOAD_PLUGINS names {name!r}, which no installed "
                                   "plugin is called")


def _plugins() -> Any:
    from graphs.plugins import get_plugins
    return get_plugins()


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point: runs the app and turns every error into one line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        sys.stdout.write(f"graphs {__version__}\n")
        return 0
    try:
        return _run(args)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except GraphsError as e:
        sys.stderr.write(f"error: {e}\n")
        return e.exit_code
    except Exception as e:  # a bug: still one line unless asked
        if os.environ.get("GRAPHS_DEBUG"):
            raise
        msg = " ".join(str(e).split())
        sys.stderr.write(f"internal error: {type(e).__name__}: {msg} (set GRAPHS_DEBUG=1 for the traceback)\n")
        return 1


def _run(args: list[str]) -> int:
    import typer

    gp = _plugins()
    cmd = typer.main.get_command(build_app(gp))
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


def run() -> None:  # console script
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
