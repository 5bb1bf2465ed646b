"""One serving scenario, two simulators: graphs' own and VIDUR's inputs written from the same object."""

import csv
import json
from collections import Counter

import pytest

from graphs_llm.scenario import Lengths, ServingScenario
from graphs.plugins import get_plugins
from graphs.testing import run_cli
from graphs_tools import ToolInputError

graphs_vidur = pytest.importorskip("graphs_vidur")


def arg_map(args):
    return dict(zip(args[0::2], args[1::2]))


def test_fixed_lengths_map_to_vidurs_fixed_generator(tmp_path):
    sc = ServingScenario(model="llama2-7b", hardware="a100", num_requests=300, qps=2.5, scheduler="sarathi",
                         lengths=Lengths("fixed", 700, 90), chunk_size=256, batch_size_cap=64, seed=11)
    v = graphs_vidur.from_scenario(sc, get_plugins(), tmp_path)
    a = arg_map(v.args(tmp_path / "out", tmp_path / "cache", "local/m", "local/n"))
    assert a["--replica_config_model_name"] == "meta-llama/Llama-2-7b-hf"
    assert a["--replica_config_device"] == "a100"
    assert a["--synthetic_request_generator_config_num_requests"] == "300"
    assert a["--poisson_request_interval_generator_config_qps"] == "2.5"
    assert a["--fixed_request_length_generator_config_prefill_tokens"] == "700"
    assert a["--fixed_request_length_generator_config_decode_tokens"] == "90"
    assert a["--replica_scheduler_config_type"] == "sarathi"
    assert a["--sarathi_scheduler_config_chunk_size"] == "256"
    assert a["--sarathi_scheduler_config_batch_size_cap"] == "64"
    assert a["--seed"] == "11"
    assert not (tmp_path / "request_lengths.csv").exists()


def test_other_lengths_go_to_vidur_as_the_exact_trace(tmp_path):
    sc = ServingScenario(model="llama3-8b", hardware="a100-sxm4-80gb", num_requests=500, qps=None,
                         lengths=Lengths("zipf", theta=0.8, min_tokens=64, max_tokens=3000), scheduler="vllm",
                         max_tokens_in_batch=8192)
    v = graphs_vidur.from_scenario(sc, get_plugins(), tmp_path)
    paths = graphs_vidur.VidurAdapter().write_inputs(v, tmp_path)
    doc = json.loads(paths[0].read_text())
    a = arg_map(doc["args"])
    assert a["--length_generator_config_type"] == "trace"
    assert a["--interval_generator_config_type"] == "static"            # qps None: all at t = 0
    assert a["--vllm_scheduler_config_max_tokens_in_batch"] == "8192"
    with open(a["--trace_request_length_generator_config_trace_file"], newline="") as fh:
        rows = [(int(r["num_prefill_tokens"]), int(r["num_decode_tokens"])) for r in csv.DictReader(fh)]
    assert Counter(rows) == Counter((r.prefill, r.decode) for r in sc.requests())
    assert int(a["--trace_request_length_generator_config_max_tokens"]) >= max(p + d for p, d in rows)


def test_what_vidur_cannot_run_is_refused():
    with pytest.raises(ToolInputError, match="fp16"):
        graphs_vidur.from_scenario(ServingScenario(weight_dtype="int4"), get_plugins())
    with pytest.raises(ToolInputError, match="no VIDUR model id"):
        graphs_vidur.from_scenario(ServingScenario(model="gpt2"), get_plugins())
    with pytest.raises(ToolInputError, match="profiles for"):
        graphs_vidur.from_scenario(ServingScenario(hardware="t4"), get_plugins())


def test_cli_simulates_and_writes_vidur_inputs(tmp_path):
    out = tmp_path / "vidur"
    r = run_cli("serving", "simulate", "tinyllama-1.1b", "-H", "h100", "--requests", "200", "--qps", "10",
                "--lengths", "uniform:64:1024:4", "--scheduler", "sarathi", "--format", "json")
    assert r.exit_code == 0, r.stderr
    s = json.loads(r.stdout)["summary"]
    assert s["requests"] == 200 and s["ttft_s"]["p50"] > 0 and s["tpot_s"]["p99"] >= s["tpot_s"]["p50"]
    r = run_cli("serving", "simulate", "llama2-7b", "-H", "a100", "--requests", "50", "--qps", "1",
                "--lengths", "fixed:256:32", "--vidur-out", str(out))
    assert r.exit_code == 0, r.stderr
    assert "TTFT" in r.stdout and (out / "vidur_args.json").is_file() and (out / "vidur_command.txt").is_file()
    bad = run_cli("serving", "simulate", "llama2-7b", "-H", "a100", "--lengths", "poisson:3")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: --lengths")
