"""Labelled data: a folder of real measurements that ``graphs validate --data DIR`` scores.

A plugin registers a reader per layout (``graphs_register_datasets``); ``validate --data DIR``
asks each installed reader whether DIR is its layout (``sniff``, from the folder's contents,
never its name) and lets the first that says yes estimate and score every labelled row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence, runtime_checkable


@runtime_checkable
class LabelledReport(Protocol):
    """What a reader returns: everything as JSON, rows as CSV, and tables for the terminal."""

    def to_dict(self) -> dict[str, Any]:
        """The whole report (JSON-able; unknown values None)."""

    def csv_rows(self) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        """(columns, rows): one row per scored label."""

    def tables(self) -> list[Any]:
        """Rich renderables for the terminal."""


@runtime_checkable
class LabelledData(Protocol):
    name: str
    description: str
    options: Mapping[str, str]        # keyword options validate() understands -> what they mean

    def sniff(self, root: Path) -> bool:
        """True if ``root`` is laid out as this reader expects."""

    def validate(self, root: Path, plugins: Any, **options: Any) -> LabelledReport:
        """Estimate every labelled row under ``root`` and score it."""
