"""graphs-tools: what every third-party tool adapter shares (see :mod:`graphs_tools.base`) and the
``graphs tools`` commands. Adapters (``graphs-timeloop``, ``graphs-vidur`` ...) depend on this
distribution; core knows an adapter only through the ``graphs_register_tools`` hook.

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr

_EXPORTS = {
    "BaseToolAdapter": ("graphs_tools.base", "BaseToolAdapter"),
    "CommandResult": ("graphs_tools.base", "CommandResult"),
    "ConvGeometry": ("graphs_tools.base", "ConvGeometry"),
    "DEFAULT_TIMEOUT_S": ("graphs_tools.base", "DEFAULT_TIMEOUT_S"),
    "Diagnosis": ("graphs_tools.base", "Diagnosis"),
    "DiagnosisStatus": ("graphs_tools.base", "DiagnosisStatus"),
    "Invocation": ("graphs_tools.base", "Invocation"),
    "ToolAdapter": ("graphs_tools.base", "ToolAdapter"),
    "ToolInputError": ("graphs_tools.base", "ToolInputError"),
    "ToolJobFailed": ("graphs_tools.base", "ToolJobFailed"),
    "ToolOutputError": ("graphs_tools.base", "ToolOutputError"),
    "ToolRun": ("graphs_tools.base", "ToolRun"),
    "classify_start_failure": ("graphs_tools.base", "classify_start_failure"),
    "conv_geometry": ("graphs_tools.base", "conv_geometry"),
    "doctor": ("graphs_tools.base", "doctor"),
    "doctor_all": ("graphs_tools.base", "doctor_all"),
    "get_tool": ("graphs_tools.base", "get_tool"),
    "infer_stride_pad": ("graphs_tools.base", "infer_stride_pad"),
    "list_tools": ("graphs_tools.base", "list_tools"),
    "is_number": ("graphs_tools.base", "is_number"),
    "point_result": ("graphs_tools.base", "point_result"),
    "python_module_probe": ("graphs_tools.base", "python_module_probe"),
    "resolve_executable": ("graphs_tools.base", "resolve_executable"),
    "run_command": ("graphs_tools.base", "run_command"),
    "to_seconds": ("graphs_tools.base", "to_seconds"),
    "PackageSpec": ("graphs_tools.envs", "PackageSpec"),
    "installed": ("graphs_tools.envs", "installed"),
    "tool_python": ("graphs_tools.envs", "tool_python"),
    "tools_home": ("graphs_tools.envs", "tools_home"),
    "PythonToolAdapter": ("graphs_tools.managed", "PythonToolAdapter"),
    "read_driver_output": ("graphs_tools.managed", "read_driver_output"),
    "ToolRunCache": ("graphs_tools.cache", "ToolRunCache"),
    "input_key": ("graphs_tools.cache", "input_key"),
    "result_from_dict": ("graphs_tools.cache", "result_from_dict"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
