"""Errors that the CLI turns into one line and exit code 2.

Every error a user can cause (bad model name, bad file, bad spec, unsupported op) is a
:class:`GraphsError`; anything else reaching the CLI is a bug and is reported as such.
"""

from __future__ import annotations


class GraphsError(Exception):
    """A user-facing error: its message is one line that says what to fix."""

    exit_code = 2

    def __str__(self) -> str:  # always one line
        return " ".join(super().__str__().split())


class UnknownModelError(GraphsError):
    pass


class UnknownHardwareError(GraphsError):
    pass


class SpecError(GraphsError):
    """A hardware spec or calibration file that does not validate."""


class UnsupportedOpError(GraphsError):
    """One or more operators have no handler: never counted as zero."""

    def __init__(self, ops: dict[str, int], where: str = ""):
        self.ops = dict(ops)
        listed = ", ".join(f"{k} (x{v})" for k, v in sorted(self.ops.items()))
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}unsupported operator(s): {listed}")


class RegistrationError(GraphsError):
    """A plugin registered something core cannot accept."""


class DuplicateRegistrationError(RegistrationError):
    """Two plugins registered the same key; the message names both."""


class OpFormulaError(GraphsError):
    """An op handler could not cost a node (shapes or attributes it cannot handle)."""


class FrontendError(GraphsError):
    """A model file or factory that cannot be loaded or traced."""
