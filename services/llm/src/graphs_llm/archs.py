"""Published LLM architectures as data (``graphs_llm/data/architectures.yaml``), read into configs.

Each entry gives a model's decoder dimensions, the precision of its stored weights and where each
number was read; ``same_as`` reuses another entry's architecture (a fine-tune or a quantised
release) with overrides, ``refused`` says why graphs does not model it. Nothing is downloaded.

    >>> m = published("Qwen/Qwen3-8B")
    >>> m.cfg.layers, m.precision.w
    (36, 'bfloat16')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from graphs.errors import GraphsError
from graphs_llm.builder import Precision
from graphs_llm.config import LLMConfig

WEIGHT_PRECISIONS = {"bf16": "bfloat16", "fp16": "float16", "fp8": "float8_e4m3", "mxfp4": "mxfp4"}
ARCH_KEYS = {"layers", "dim", "heads", "kv_heads", "head_dim", "ffn", "vocab", "tied", "act", "qk_norm", "bias",
             "experts", "top_k", "moe_ffn", "shared_ffn", "moe_step", "window", "local_layers", "vision"}


class RefusedModel(GraphsError):
    """A model graphs knows of but does not model (the message says why)."""


@dataclass(frozen=True)
class PublishedModel:
    """One published model: its config, weight precision, and the provenance of both."""

    id: str
    cfg: LLMConfig
    precision: Precision
    weights: str                 # bf16 | fp8 | mxfp4 (as published)
    scope: str                   # which linear layers carry ``weights``
    vision: bool
    source: str
    verification: str
    notes: str = ""

    @property
    def is_moe(self) -> bool:
        return bool(self.cfg.experts)


@lru_cache(maxsize=1)
def _table() -> Mapping[str, Any]:
    from importlib.resources import files

    import yaml
    text = files("graphs_llm").joinpath("data", "architectures.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or data.get("schema") != 1 or not isinstance(data.get("models"), dict):
        raise GraphsError("graphs_llm/data/architectures.yaml: expected schema 1 with a 'models' mapping")
    return data["models"]


def known_models() -> list[str]:
    """Every model id in the table (modelled and refused)."""
    return sorted(_table())


def _arch(model_id: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    entry = _table().get(model_id)
    if entry is None:
        raise GraphsError(f"{model_id}: not in graphs_llm/data/architectures.yaml")
    if "refused" in entry:
        raise RefusedModel(f"{model_id}: {entry['refused']}")
    if model_id in seen:
        raise GraphsError(f"{model_id}: same_as cycle ({' -> '.join(seen + (model_id,))})")
    base = _arch(entry["same_as"], seen + (model_id,)) if "same_as" in entry else {}
    arch = {**base, **(entry.get("arch") or {})}
    bad = sorted(set(arch) - ARCH_KEYS)
    if bad:
        raise GraphsError(f"{model_id}: unknown architecture keys {bad}")
    return arch


@lru_cache(maxsize=None)
def published(model_id: str, act: str = "bfloat16") -> PublishedModel:
    """The :class:`PublishedModel` for ``model_id``; :class:`RefusedModel` if graphs does not model it."""
    a = _arch(model_id)
    entry = _table()[model_id]
    missing = [k for k in ("layers", "dim", "heads", "kv_heads", "head_dim", "ffn", "vocab") if k not in a]
    if missing:
        raise GraphsError(f"{model_id}: architecture lacks {missing}")
    act_fn = str(a.get("act", "silu"))
    cfg = LLMConfig(
        name=model_id.split("/")[-1], vocab=int(a["vocab"]), dim=int(a["dim"]), layers=int(a["layers"]),
        heads=int(a["heads"]), kv_heads=int(a["kv_heads"]), head_dim=int(a["head_dim"]), ffn=int(a["ffn"]),
        gated=True, act=act_fn, norm="rms", positions="rotary", bias=bool(a.get("bias", False)),
        tied=bool(a.get("tied", False)), experts=int(a.get("experts", 0)), top_k=int(a.get("top_k", 2)),
        moe_ffn=int(a.get("moe_ffn", 0)), shared_ffn=int(a.get("shared_ffn", 0)), moe_step=int(a.get("moe_step", 1)),
        window=int(a.get("window", 0)), local_layers=int(a.get("local_layers", 0)), qk_norm=bool(a.get("qk_norm", False)),
        max_pos=131072)
    w = entry.get("weights") or {}
    wp = str(w.get("precision", "bf16"))
    if wp not in WEIGHT_PRECISIONS:
        raise GraphsError(f"{model_id}: weight precision {wp!r} is not one of {', '.join(WEIGHT_PRECISIONS)}")
    scope = str(w.get("scope", "all"))
    weight = WEIGHT_PRECISIONS[wp]
    prec = Precision(act=act, weight=None if weight == act else weight, scope=scope)
    return PublishedModel(model_id, cfg, prec, wp, scope, bool(a.get("vision", False)), str(entry.get("source", "")),
                          str(entry.get("verification", "")), str(entry.get("notes", "")))


def refusal(model_id: str) -> str | None:
    """Why graphs does not model ``model_id`` (None if it does); unknown ids say so."""
    try:
        published(model_id)
    except RefusedModel as e:
        return str(e).split(": ", 1)[1]
    except GraphsError as e:
        return str(e)
    return None
