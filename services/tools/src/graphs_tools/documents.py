"""`graphs tools` JSON documents (pydantic models, imported on first use: see graphs.documents.declare_documents)."""

from __future__ import annotations

from typing import Any, Optional

from graphs.documents import Payload, register_document


class ToolsListDoc(Payload):
    """`graphs tools list -f json`: every installed tool adapter and whether its tool can run here."""

    tools: list[dict[str, Any]]


class ToolsDoctorDoc(Payload):
    """`graphs tools doctor NAME -f json`: one tool's diagnosis (status, failure class, reason, fix)."""

    tool: str
    status: str
    ok: bool
    reason: str
    fix: Optional[str]
    failure_class: Optional[str]


class ToolsInstallDoc(Payload):
    """`graphs tools install -f json`: one report per tool installed into its own environment."""

    tools_home: str
    installs: list[dict[str, Any]]


register_document("graphs.tools.list", 1, ToolsListDoc)
register_document("graphs.tools.doctor", 1, ToolsDoctorDoc)
register_document("graphs.tools.install", 1, ToolsInstallDoc)
