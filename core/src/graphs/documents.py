"""Versioned JSON documents: what every ``graphs … -f json`` prints.

Every JSON output is one object::

    {"schema": "graphs.analyze", "schema_version": 1, "graphs_version": "0.1.0", ...payload}

The payload of each kind is described by a pydantic model registered here (core's commands) or by the
plugin that prints it (``register_document`` at import of its command module). :func:`render` checks
the payload against its model before writing — a change that breaks a published shape fails in the
tests, not in a user's pipeline — and writes strict JSON: numbers are numbers, unknown is ``null``.

Compatibility rule (docs/json.md): within one ``schema_version`` keys are only added, never renamed,
removed or retyped; anything else bumps the version. ``scripts/gen_json_doc.py`` writes docs/json.md
and ``docs/schemas/<kind>.schema.json`` from the registered models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphs.errors import GraphsError

if TYPE_CHECKING:
    from pydantic import BaseModel

_KINDS: dict[str, tuple[int, "type[BaseModel]", str]] = {}
#: modules that register documents when imported (core's own first); imported on first use
_DECLARED: list[str] = ["graphs.document_models"]
_MODEL_NAMES = {"Payload", "ProvenanceModel", "KernelModel", "LayerModel", "MetricsModel", "EstimateModel",
                "AnalyzeDoc", "DeviceRow", "HardwareListDoc", "HardwareShowDoc", "HardwareValidateDoc",
                "ZooModelRow", "ZooListDoc", "PluginRow", "PluginsListDoc"}


def __getattr__(name: str) -> Any:       # PEP 562: the models load with pydantic, on first use
    if name in _MODEL_NAMES:
        import graphs.document_models as m
        return getattr(m, name)
    raise AttributeError(f"module 'graphs.documents' has no attribute {name!r}")


def declare_documents(module: str) -> None:
    """Say that importing ``module`` registers documents (a plugin's ``documents`` module). It is
    imported when a document is first rendered, read or listed — not at start-up."""
    if module not in _DECLARED:
        _DECLARED.append(module)


def _load_declared() -> None:
    import importlib
    while _DECLARED:
        importlib.import_module(_DECLARED.pop(0))


def register_document(kind: str, version: int, model: "type[BaseModel]", description: str = "") -> None:
    """Declare the payload model of a JSON document kind (``graphs.<command>[.<sub>]``)."""
    old = _KINDS.get(kind)
    if old is not None and old[1] is not model:
        raise GraphsError(f"JSON document {kind!r} registered twice with different models")
    _KINDS[kind] = (version, model, description or (model.__doc__ or "").strip().split("\n")[0])


def kinds() -> "dict[str, tuple[int, type[BaseModel], str]]":
    """Every registered document kind: version, payload model, one-line description."""
    _load_declared()
    return dict(_KINDS)


def envelope(kind: str) -> dict[str, Any]:
    from graphs import __version__
    _load_declared()
    version = _KINDS[kind][0]
    return {"schema": kind, "schema_version": version, "graphs_version": __version__}


def render(kind: str, payload: dict[str, Any], indent: int | None = 2) -> str:
    """The strict JSON text of a document of ``kind`` (checked against its model)."""
    from pydantic import ValidationError

    from graphs.output import jsonable, to_json
    _load_declared()
    if kind not in _KINDS:
        raise GraphsError(f"internal: JSON document {kind!r} is not registered")
    data = jsonable(payload)
    try:
        _KINDS[kind][1].model_validate(data)
    except ValidationError as e:       # a bug in graphs or a plugin, never the user's input
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise RuntimeError(f"JSON document {kind!r} does not match its schema at {where}: {first['msg']}") from None
    return to_json({**envelope(kind), **data}, indent=indent)


def read(text: str, kind: str | None = None) -> dict[str, Any]:
    """Parse a document (any registered kind, or exactly ``kind``); a one-line error otherwise."""
    import json
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise GraphsError(f"not JSON: {e}") from None
    if not isinstance(doc, dict) or "schema" not in doc or "schema_version" not in doc:
        raise GraphsError("not a graphs JSON document (no schema / schema_version)")
    if kind is not None and doc["schema"] != kind:
        raise GraphsError(f"a {doc['schema']} document, expected {kind}")
    _load_declared()
    known = _KINDS.get(doc["schema"])
    if known is not None and doc["schema_version"] > known[0]:
        raise GraphsError(f"{doc['schema']} schema_version {doc['schema_version']} is newer than this graphs reads "
                          f"({known[0]}); upgrade graphs")
    return doc
