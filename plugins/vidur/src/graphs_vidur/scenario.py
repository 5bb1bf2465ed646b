"""An LLM serving scenario as VIDUR command-line arguments.

Targets the ``vidur`` 0.0.26 release on PyPI (``python -m vidur.main`` with flat
``--<section>_config_<field>`` flags, e.g. ``--replica_config_model_name``,
``--poisson_request_interval_generator_config_qps``, ``--sarathi_scheduler_config_chunk_size``; the
flags were checked against that release's ``--help``). That release reads its operator profiles
as Hugging Face *datasets* (``--random_forrest_execution_time_predictor_config_model_profiling_dataset``
and ``..._network_profiling_dataset``) from ``..._cache_dir``; offline they must already be laid
out as a local Hugging Face cache, which :mod:`graphs_vidur.profiles` builds from a folder in
VIDUR's ``data/profiling`` layout. There are no ``..._input_file`` flags any more.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from graphs_tools import ToolInputError

SCHEDULERS = ("sarathi", "vllm", "orca")     # the classic schedulers vidur 0.0.26 still has (+ mnemosyne_*)
DEVICES = ("a100", "a40", "h100")
NETWORK_DEVICES = {"a100": "a100_pairwise_nvlink", "a40": "a40_pairwise_nvlink", "h100": "h100_dgx"}


def vidur_device(hardware: Any) -> str:
    """VIDUR's device SKU for a graphs hardware spec (or id): a100 (80GB), a40, h100."""
    text = f"{getattr(hardware, 'id', hardware)} {getattr(hardware, 'name', '')}".lower()
    for sku in ("a100", "h100", "a40"):
        if sku in text:
            if sku == "a100" and "40gb" in text.replace(" ", "").replace("-", ""):
                raise ToolInputError(f"{getattr(hardware, 'id', hardware)}: VIDUR's a100 profiles are A100 80GB")
            return sku
    raise ToolInputError(f"{getattr(hardware, 'id', hardware)}: VIDUR has profiles for {', '.join(DEVICES)} only")
PREDICTOR = "random_forrest"   # VIDUR's spelling


@dataclass(frozen=True)
class ServingScenario:
    """What VIDUR simulates: a model on a cluster of replicas under a request stream.

    :param model: Hugging Face id VIDUR has a model config for (``meta-llama/Llama-2-7b-hf`` ...).
    :param device: VIDUR device SKU (``a100`` = A100 80GB, ``a40``, ``h100``).
    :param network_device: VIDUR network profile (``a100_pairwise_nvlink``, ``a100_dgx``, ``h100_dgx`` ...).
    :param qps: Poisson arrival rate (requests/s); ``None`` = all requests arrive at t=0 (static).
    :param prefill_tokens / decode_tokens: fixed request lengths; or ``trace_file`` for a length trace.
    :param scheduler: replica scheduler (sarathi, vllm, orca).
    :param profiling_root: folder with ``compute/<device>/<model>/{mlp,attention}.csv`` and
        ``network/<network_device>/{all_reduce,send_recv}.csv``; ``None`` = :func:`graphs_vidur.profiles.profiles_root`.
    :param rf_estimators / rf_max_depth / rf_k_fold: VIDUR's random-forest grid; ``None`` = VIDUR's defaults
        (27 combinations × 10-fold cross-validation: very slow on a small machine).
    """

    model: str = "meta-llama/Llama-2-7b-hf"
    device: str = "a100"
    network_device: str = "a100_pairwise_nvlink"
    tensor_parallel: int = 1
    pipeline_stages: int = 1
    replicas: int = 1
    qps: float | None = 1.0
    num_requests: int = 256
    prefill_tokens: int = 512
    decode_tokens: int = 128
    trace_file: str | None = None
    max_tokens: int = 4096
    scheduler: str = "sarathi"
    batch_size_cap: int = 128
    chunk_size: int = 512
    max_tokens_in_batch: int = 4096
    seed: int = 42
    profiling_root: str | None = None
    rf_estimators: int | None = None
    rf_max_depth: int | None = None
    rf_k_fold: int | None = None
    report: str = "e2e"              # the result's value: mean e2e request latency, or "tpot" (time per output token)

    def __post_init__(self) -> None:
        if self.report not in ("e2e", "tpot"):
            raise ToolInputError(f"report must be 'e2e' or 'tpot', got {self.report!r}")
        if self.scheduler not in SCHEDULERS:
            raise ToolInputError(f"VIDUR scheduler {self.scheduler!r} is not one of {', '.join(SCHEDULERS)}")
        if self.device not in DEVICES:
            raise ToolInputError(f"VIDUR device {self.device!r} is not one of {', '.join(DEVICES)}")
        for k in ("tensor_parallel", "pipeline_stages", "replicas", "num_requests", "batch_size_cap"):
            if getattr(self, k) < 1:
                raise ToolInputError(f"{k} must be >= 1")
        if self.qps is not None and self.qps <= 0:
            raise ToolInputError("qps must be > 0 (or None for static arrivals)")
        if self.trace_file is None and (self.prefill_tokens < 1 or self.decode_tokens < 1):
            raise ToolInputError("prefill_tokens and decode_tokens must be >= 1")
        if self.trace_file is None and self.prefill_tokens + self.decode_tokens > self.max_tokens:
            raise ToolInputError(f"prefill + decode tokens ({self.prefill_tokens + self.decode_tokens}) exceed "
                                 f"max_tokens={self.max_tokens}")

    @classmethod
    def for_hardware(cls, hardware: Any, **fields: Any) -> "ServingScenario":
        """A scenario on the VIDUR SKU matching a graphs hardware spec (or id)."""
        dev = vidur_device(hardware)
        return cls(**{"device": dev, "network_device": NETWORK_DEVICES[dev], **fields})

    # --- profiles ------------------------------------------------------------------------------------
    def profile_files(self, root: str | Path) -> dict[str, Path]:
        """The profiling CSVs VIDUR's predictor trains on for this scenario (all four: it fits every operator)."""
        r = Path(root)
        return {"mlp": r / "compute" / self.device / self.model / "mlp.csv",
                "attention": r / "compute" / self.device / self.model / "attention.csv",
                "all_reduce": r / "network" / self.network_device / "all_reduce.csv",
                "send_recv": r / "network" / self.network_device / "send_recv.csv"}

    # --- arguments -----------------------------------------------------------------------------------
    def args(self, output_dir: str | Path, cache_dir: str | Path, compute_dataset: str, network_dataset: str
             ) -> list[str]:
        """``python -m vidur.main`` arguments (without the interpreter)."""
        a: dict[str, Any] = {
            "seed": self.seed,
            "replica_config_device": self.device,
            "replica_config_network_device": self.network_device,
            "replica_config_model_name": self.model,
            "cluster_config_num_replicas": self.replicas,
            "replica_config_tensor_parallel_size": self.tensor_parallel,
            "replica_config_num_pipeline_stages": self.pipeline_stages,
            "request_generator_config_type": "synthetic",
            "synthetic_request_generator_config_num_requests": self.num_requests,
        }
        if self.trace_file:
            a.update({"length_generator_config_type": "trace",
                      "trace_request_length_generator_config_trace_file": self.trace_file,
                      "trace_request_length_generator_config_max_tokens": self.max_tokens})
        else:
            a.update({"length_generator_config_type": "fixed",
                      "fixed_request_length_generator_config_prefill_tokens": self.prefill_tokens,
                      "fixed_request_length_generator_config_decode_tokens": self.decode_tokens,
                      "fixed_request_length_generator_config_max_tokens": self.max_tokens})
        if self.qps is None:
            a["interval_generator_config_type"] = "static"
        else:
            a.update({"interval_generator_config_type": "poisson",
                      "poisson_request_interval_generator_config_qps": self.qps})
        s = self.scheduler
        a["replica_scheduler_config_type"] = s
        a[f"{s}_scheduler_config_batch_size_cap"] = self.batch_size_cap
        if s == "sarathi":
            a["sarathi_scheduler_config_chunk_size"] = self.chunk_size
        elif s == "vllm":
            a["vllm_scheduler_config_max_tokens_in_batch"] = self.max_tokens_in_batch
        p = f"{PREDICTOR}_execution_time_predictor_config"
        a.update({f"{p}_model_profiling_dataset": compute_dataset, f"{p}_network_profiling_dataset": network_dataset,
                  f"{p}_cache_dir": str(cache_dir),
                  f"{p}_prediction_max_prefill_chunk_size": max(self.chunk_size, self.max_tokens),
                  f"{p}_prediction_max_batch_size": self.batch_size_cap,
                  f"{p}_prediction_max_tokens_per_request": self.max_tokens})
        for k, v in (("num_estimators", self.rf_estimators), ("max_depth", self.rf_max_depth),
                     ("k_fold_cv_splits", self.rf_k_fold)):
            if v is not None:
                a[f"{p}_{k}"] = v
        a["metrics_config_output_dir"] = str(output_dir)
        out: list[str] = []
        for k, v in a.items():
            out += [f"--{k}", str(v)]
        # plots need kaleido + Chrome and fail after the simulation; the CSVs are written without them
        return out + ["--no-metrics_config_store_plots"]

    def command(self, python: str, output_dir: str | Path, cache_dir: str | Path, compute_dataset: str,
                network_dataset: str) -> list[str]:
        return [python, "-m", "vidur.main", *self.args(output_dir, cache_dir, compute_dataset, network_dataset)]

    def shell_line(self, python: str, *args: Any) -> str:
        return "HF_HUB_OFFLINE=1 " + " ".join(shlex.quote(x) for x in self.command(python, *args))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
