"""`graphs systems` JSON documents (pydantic models, imported on first use: see graphs.documents.declare_documents)."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field

from graphs.documents import Payload, register_document


class SystemsListDoc(Payload):
    """`graphs systems list -f json`: the shipped multi-GPU systems (each as `graphs systems show` gives it)."""

    systems: list[dict[str, Any]]


class SystemShowDoc(Payload):
    """`graphs systems show ID -f json`: one system's spec (devices, node size, links with sources)."""

    system: dict[str, Any]


class CollectiveDoc(Payload):
    """`graphs systems collective -f json`: the α–β time of one collective."""

    system: str
    collective: str
    bytes: float
    gpus: int
    per_node: Optional[int]
    algorithm: str
    chosen_algorithm: Optional[str] = Field(None, description="the all-reduce algorithm used (what `auto` picked: ring, "
                                            "tree, in_network); null for collectives with one formula")
    time_s: float
    algorithm_bandwidth_bytes_per_s: Optional[float]


register_document("graphs.systems.list", 1, SystemsListDoc)
register_document("graphs.systems.show", 1, SystemShowDoc)
register_document("graphs.systems.collective", 1, CollectiveDoc)
