"""The TFLite frontend: detects flatbuffers by their ``TFL3`` file identifier."""

from __future__ import annotations

from pathlib import Path

from graphs.errors import FrontendError
from graphs.frontends import LoadOptions
from graphs.ir import Graph

FILE_IDENTIFIER = b"TFL3"


def looks_like_tflite(head: bytes) -> bool:
    """A TFLite flatbuffer has the file identifier ``TFL3`` at bytes 4..8."""
    return len(head) >= 8 and head[4:8] == FILE_IDENTIFIER


class TFLiteFrontend:
    """``.tflite`` flatbuffers (any suffix): builtin/custom ops with quantization parameters."""

    name = "tflite"
    description = "TFLite flatbuffer (TFL3)"

    def sniff(self, path: Path, head: bytes) -> bool:
        return looks_like_tflite(head)

    def load(self, ref: str, options: LoadOptions) -> Graph:
        from graphs_frontend_tflite.loader import load_tflite

        p = Path(ref)
        if not p.is_file():
            raise FrontendError(f"{ref}: no such file")
        return load_tflite(p, options.input_shapes)
