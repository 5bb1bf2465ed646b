"""The NeuSight label layout as a ``graphs validate --data DIR`` reader (hook ``graphs_register_datasets``).

A folder is this layout when it holds ``device_configs/*.json`` and ``labels/<GPU>/*-inf-*.json``
(the folder may also be the parent of such a ``neusight/`` folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

CSV_COLUMNS = ("gpu", "device", "model", "seq", "batch", "measured_s", "predicted_s", "ape", "low_s", "high_s",
               "confidence", "roofline_s")


def _root(path: Path) -> Path:
    return path / "neusight" if (path / "neusight" / "labels").is_dir() else path


class NeuSightReport:
    """A :class:`~graphs_datasets.validate.ValidationReport` as :class:`graphs.labels.LabelledReport`."""

    def __init__(self, rep: Any, title: str) -> None:
        self.rep, self.title = rep, title

    def to_dict(self) -> dict[str, Any]:
        return self.rep.to_dict()

    def csv_rows(self) -> tuple[Sequence[str], list[list[Any]]]:
        return CSV_COLUMNS, [[getattr(r, c) for c in CSV_COLUMNS] for r in self.rep.rows]

    def tables(self) -> list[Any]:
        from rich.table import Table
        t = Table(title=self.title, title_justify="left")
        for c in ("device", "rows", "MAPE", "max APE", "Spearman", "coverage", "roofline MAPE", "NeuSight (published)"):
            t.add_column(c, justify="left" if c == "device" else "right")
        for _gpu, s in sorted(self.rep.per_gpu.items()):
            pub = s.get("published_neusight")
            t.add_row(s["device"], str(s["n"]), f"{s['mape']:.1f}%", f"{s['max_ape']:.1f}%", f"{s['spearman']:.3f}",
                      f"{s['coverage']:.2f}" if s.get("coverage") is not None else "–", f"{s['mape_roofline']:.1f}%",
                      f"{pub['mape']:.1f}%" if pub else "–")
        return [t]


class NeuSightLabels:
    name = "neusight"
    description = "NeuSight layout: device_configs/*.json + labels/<GPU>/<model>-inf-<seq>-<batch>.{json,csv}"
    options = {"leave_one_out": "predict each GPU from calibrations of the other GPUs only"}

    def sniff(self, root: Path) -> bool:
        r = _root(Path(root))
        return (r / "device_configs").is_dir() and (r / "labels").is_dir() and any((r / "labels").glob("*/*-inf-*.json"))

    def validate(self, root: Path, plugins: Any, **options: Any) -> NeuSightReport:
        from graphs_datasets.validate import validate_dir
        loo = bool(options.get("leave_one_out"))
        rep = validate_dir(_root(Path(root)), plugins, leave_one_out=loo)
        return NeuSightReport(rep, f"{root}: {len(rep.rows)} labelled rows" + (" (leave one GPU out)" if loo else ""))
