"""Timeloop v0.4 YAML: tagged nodes (``!Container``, ``!Component``, ``!Parallel``, ``!Nothing``) and
double-quoted string literals (:class:`Quoted`: timeloopfe evaluates unquoted values as expressions).

:class:`Tagged` dumps as a tagged mapping; :func:`load` reads tagged files back into plain
dicts with the tag under ``"_tag"`` (so the fixtures in ``tool_outputs/timeloop`` and our own
files can be compared structurally).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TAGS = ("Container", "Component", "Parallel", "Nothing")


class Tagged(dict):
    """A mapping written with a YAML tag, e.g. ``Tagged("Component", name="mac", ...)``."""

    def __init__(self, tag: str, /, **fields: Any) -> None:
        if tag not in TAGS:
            raise ValueError(f"unknown Timeloop node tag {tag!r} (expected one of {', '.join(TAGS)})")
        super().__init__(**fields)
        self.tag = tag


class Flow(list):
    """A list written inline: ``[C, M]``."""


class Quoted(str):
    """A string written in double quotes. timeloopfe v4 evaluates unquoted attribute values as
    expressions (``type: LPDDR4`` is an undefined name); a quoted one stays a string literal."""


class _Dumper(yaml.SafeDumper):
    pass


def _tagged(dumper: yaml.SafeDumper, data: Tagged) -> yaml.Node:
    return dumper.represent_mapping(f"!{data.tag}", dict(data), flow_style=False)


def _flow(dumper: yaml.SafeDumper, data: Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", list(data), flow_style=True)


def _quoted(dumper: yaml.SafeDumper, data: Quoted) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style='"')


_Dumper.add_representer(Tagged, _tagged)
_Dumper.add_representer(Flow, _flow)
_Dumper.add_representer(Quoted, _quoted)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120)


def write(path: str | Path, data: Any, header: str = "") -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    text = dump(data)
    p.write_text((f"# {header}\n" if header else "") + text, encoding="utf-8")
    return p


class _Loader(yaml.SafeLoader):
    pass


def _construct_tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        d = loader.construct_mapping(node, deep=True)
        return {"_tag": suffix, **d}
    if isinstance(node, yaml.SequenceNode):
        return {"_tag": suffix, "_items": loader.construct_sequence(node, deep=True)}
    return {"_tag": suffix, "_value": loader.construct_scalar(node)}


_Loader.add_multi_constructor("!", _construct_tagged)


def loads(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def load(path: str | Path) -> Any:
    return loads(Path(path).read_text(encoding="utf-8"))
