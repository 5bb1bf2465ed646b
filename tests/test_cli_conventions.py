"""Issue 16, item 3 and 4: one CLI convention, checked command by command.

Every case the issue lists is a test here: output options on every data command, JSON numbers and
nulls, versioned schemas, progress only on a terminal, 80 columns, shell completion, output paths
checked before work, deduplicated suggestions, GRAPHS_LOAD_PLUGINS typos, ``hardware new`` refusing
installed names, model files importing their neighbours, ``--input-shape`` dtypes and ``--layers``.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rich.cells import cell_len

from graphs.testing import assert_one_line_error, run_cli

ROOT = Path(__file__).resolve().parents[1]
GRAPHS = str(Path(sys.executable).parent / "graphs")

# commands that write something other than data to stdout (an HTML file, a package, an uninstall)
NOT_DATA = {"report", "hardware new", "tools uninstall"}


def leaf_commands() -> dict[str, object]:
    import typer

    from graphs.cli import build_app
    from graphs.plugins import get_plugins

    root = typer.main.get_command(build_app(get_plugins()))
    out: dict[str, object] = {}

    def walk(cmd: object, path: list[str]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, path + [name])
        else:
            out[" ".join(path)] = cmd

    walk(root, [])
    return out


def options(cmd: object) -> set[str]:
    return {o for p in cmd.params for o in getattr(p, "opts", ())}     # type: ignore[attr-defined]


# ---------------------------------------------------------------- output options and JSON documents

def test_every_data_command_has_format_and_output_and_none_has_json_flag():
    cmds = leaf_commands()
    assert {"analyze", "hardware list", "hardware show", "systems show", "systems collective", "zoo list",
            "plugins list", "tools list", "calibrate", "benchmark", "compare", "serve", "sweep"} <= set(cmds)
    for name, cmd in cmds.items():
        opts = options(cmd)
        assert "--json" not in opts, f"{name} still has --json"
        if name in NOT_DATA:
            continue
        assert {"-f", "--format", "-o", "--output"} <= opts, f"{name}: {sorted(opts)}"


@pytest.mark.parametrize("args", [("hardware", "show", "h100"), ("hardware", "list"), ("zoo", "list"),
                                  ("systems", "show", "dgx-h100"), ("plugins", "list")])
def test_csv_is_csv_not_a_table(args):
    r = run_cli(*args, "-f", "csv")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) >= 2 and "┃" not in r.stdout and "│" not in r.stdout
    n = lines[0].count(",")
    assert n >= 1


def test_a_format_a_command_cannot_write_is_refused_not_ignored():
    r = run_cli("hardware", "show", "h100", "-f", "markdown")
    if r.exit_code == 0:       # markdown supported: it must be markdown
        assert r.stdout.lstrip().startswith(("|", "#"))
    else:
        assert_one_line_error(r, "markdown")


def test_systems_show_and_collective_are_machine_readable():
    d = json.loads(run_cli("systems", "show", "dgx-h100", "-f", "json").stdout)
    assert d["schema"] == "graphs.systems.show" and isinstance(d["schema_version"], int)
    r = run_cli("systems", "collective", "dgx-h100", "-c", "all_reduce", "--size", "1GiB", "-f", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["schema"] == "graphs.systems.collective" and d["schema_version"] >= 1
    assert d["algorithm"] == "auto" and d["chosen_algorithm"] == "ring"        # what auto picked, not "auto"
    small = json.loads(run_cli("systems", "collective", "dgx-h100", "--size", "1KiB", "-f", "json").stdout)
    assert small["chosen_algorithm"] == "tree" and small["time_s"] < d["time_s"]
    gather = json.loads(run_cli("systems", "collective", "dgx-h100", "-c", "all_gather", "-f", "json").stdout)
    assert gather["chosen_algorithm"] is None                     # one formula: nothing was chosen


HUMAN_NUMBER = re.compile(r"^-?\d+(\.\d+)?\s*[kKMGTP](i?B)?$|^\d+(\.\d+)?\s*(ms|us|µs|s|W|J)$")


def walk_json(x, path="$"):
    if isinstance(x, dict):
        for k, v in x.items():
            yield from walk_json(v, f"{path}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from walk_json(v, f"{path}[{i}]")
    else:
        yield path, x


@pytest.mark.parametrize("args", [("zoo", "list"), ("hardware", "list"), ("analyze", "resnet18", "-H", "h100", "-H",
                                                                          "tpu-v4", "--layers"),
                                  ("hardware", "show", "h100"), ("systems", "list")])
def test_json_numbers_are_numbers_and_unknown_is_null(args):
    r = run_cli(*args, "-f", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["schema"].startswith("graphs.") and isinstance(doc["schema_version"], int) and doc["graphs_version"]
    for path, v in walk_json(doc):
        assert not (isinstance(v, str) and HUMAN_NUMBER.match(v.strip())), f"{path} = {v!r} is a formatted number"
        if path.endswith((".unit", ".notes", ".description")):   # "" unit is dimensionless (docs/json.md); no notes
            continue
        assert not (isinstance(v, str) and v.strip() in ("", "-", "–", "n/a", "?")), f"{path} = {v!r}: unknown is null"
    if args[0] == "zoo":
        alexnet = next(m for m in doc["models"] if m["name"] == "alexnet")
        # the zoo's published figure (3 significant digits, docs/json.md); analyze counts exactly
        assert isinstance(alexnet["parameters"], int) and alexnet["parameters"] == pytest.approx(61_100_840, rel=1e-3)
        exact = json.loads(run_cli("analyze", "alexnet", "-H", "h100", "-f", "json").stdout)["results"][0]
        assert exact["metrics"]["parameters"] == 61_100_840


def test_every_document_kind_is_documented_with_a_schema():
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_json_doc.py"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    kinds = sorted(p.name.removesuffix(".schema.json") for p in (ROOT / "docs" / "schemas").glob("*.schema.json"))
    assert len(kinds) >= 20 and {"graphs.analyze", "graphs.hardware.list", "graphs.compare"} <= set(kinds)
    for kind in kinds:
        assert kind in (ROOT / "docs" / "json.md").read_text(), kind


def test_json_output_validates_against_its_published_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    out = tmp_path / "a.json"
    assert run_cli("analyze", "resnet18", "-H", "h100", "--layers", "-f", "json", "-o", out).exit_code == 0
    doc = json.loads(out.read_text())
    schema = json.loads((ROOT / "docs" / "schemas" / f"{doc['schema']}.schema.json").read_text())
    jsonschema.validate(doc, schema)


# ---------------------------------------------------------------- terminal behaviour

def run_on_pty(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run graphs with stderr on a pseudo-terminal (stdout a pipe); returns (rc, stdout, tty bytes)."""
    import pty

    import tempfile

    master, slave = pty.openpty()
    out_file = tempfile.TemporaryFile()       # not a pipe: a large JSON must not block the writer
    p = subprocess.Popen([GRAPHS, *args], stdout=out_file, stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif p.poll() is not None:
            break
    p.wait(timeout=120)
    out_file.seek(0)
    out = out_file.read().decode()
    os.close(master)
    return p.returncode, out, b"".join(chunks).decode(errors="replace")


def test_progress_is_drawn_on_a_terminal_and_not_in_a_pipe(tmp_path):
    env = {**os.environ, "COLUMNS": "80", "TERM": "xterm"}
    args = ["analyze", "resnet18", "-H", "h100", "-H", "a100-sxm4-80gb", "-f", "json"]
    rc, out, tty = run_on_pty(args, env)
    assert rc == 0 and json.loads(out)["results"]            # stdout stays clean JSON
    assert "\x1b[" in tty and ("loading resnet18" in tty or "estimating" in tty), tty[:400]
    piped = subprocess.run([GRAPHS, *args], capture_output=True, text=True, env=env)
    assert piped.returncode == 0 and piped.stderr == ""          # not a terminal: no progress at all
    rc, _, tty = run_on_pty(args, {**env, "GRAPHS_PROGRESS": "0"})
    assert rc == 0 and "loading" not in tty and "estimating" not in tty


@pytest.mark.parametrize("args", [
    ("analyze", "resnet18", "-H", "h100", "-H", "a100-sxm4-80gb", "-H", "tpu-v4"),
    ("analyze", "bert-base", "-H", "h100", "--layers", "--depth", "3"),
    ("hardware", "list"), ("hardware", "show", "h100"), ("zoo", "list"), ("plugins", "list"),
    ("systems", "list"), ("tools", "list"),
])
def test_tables_fit_80_columns(args, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    r = run_cli(*args)
    assert r.exit_code == 0, r.stderr
    wide = [ln for ln in r.stdout.splitlines() if cell_len(ln.rstrip()) > 80]
    assert not wide, "\n".join(wide[:3])
    assert r.stdout.count("\n") > 3


def test_a_narrow_terminal_drops_low_priority_columns_but_keeps_the_key(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    wide = run_cli("hardware", "list").stdout
    monkeypatch.setenv("COLUMNS", "60")
    narrow = run_cli("hardware", "list").stdout
    header = lambda s: next(ln for ln in s.splitlines() if "┃" in ln)     # noqa: E731
    assert header(narrow).count("┃") < header(wide).count("┃")
    assert " id " in header(narrow) and "h100" in narrow


def test_shell_completion_is_on():
    env = {**os.environ, "_GRAPHS_COMPLETE": "complete_bash"}

    def complete(words: str) -> list[str]:
        cword = len(words.split()) - 1
        r = subprocess.run([GRAPHS], capture_output=True, text=True, env={**env, "COMP_WORDS": words,
                                                                           "COMP_CWORD": str(cword)})
        assert r.returncode == 0, r.stderr
        return r.stdout.split()

    assert complete("graphs ana") == ["analyze"]
    assert {"h100", "h100-pcie"} <= set(complete("graphs analyze resnet18 -H h10"))
    assert "resnet18" in complete("graphs analyze resne")
    assert set(complete("graphs hardware l")) == {"list"}
    r = subprocess.run([GRAPHS, "--show-completion", "bash"], capture_output=True, text=True)
    assert r.returncode == 0 and "_GRAPHS_COMPLETE" in r.stdout
    assert "--install-completion" in run_cli("--help").stdout


# ---------------------------------------------------------------- input checked before work

def test_output_path_is_checked_before_any_work(tmp_path):
    marker = tmp_path / "imported"
    model = tmp_path / "m.py"
    model.write_text(textwrap.dedent(f"""
        import pathlib, torch
        pathlib.Path({str(marker)!r}).write_text("the model file ran")
        def make():
            return torch.nn.Linear(4, 4), torch.randn(1, 4)
    """))
    for bad in (tmp_path / "no" / "such" / "dir" / "out.json", tmp_path):
        r = run_cli("analyze", f"{model}:make", "-H", "h100", "-f", "json", "-o", bad)
        assert_one_line_error(r)
        assert str(bad) in r.stderr
        assert not marker.exists(), "the model ran before the output path was checked"
    good = tmp_path / "out.json"
    assert run_cli("analyze", f"{model}:make", "-H", "h100", "-f", "json", "-o", good).exit_code == 0
    assert marker.exists() and json.loads(good.read_text())["schema"] == "graphs.analyze"


def test_suggestions_name_each_model_once():
    r = run_cli("analyze", "mobilenetv", "-H", "h100")
    assert_one_line_error(r, "did you mean")
    suggested = [s.strip(" ?") for s in r.stderr.split("did you mean", 1)[1].replace(" or ", ",").split(",")]
    assert "mobilenet_v2" in suggested
    assert not {"mobilenet-v2", "mobilenetv2"} & set(suggested)          # aliases of the same model
    r = run_cli("analyze", "bert-bse", "-H", "h100")
    named = [s.strip(" ?\n") for s in r.stderr.split("did you mean", 1)[1].split(",")]
    assert named.count("bert-base") == 1 and not {"bert_base", "bert-base-uncased"} & set(named)
    assert_one_line_error(run_cli("analyze", "resnet18", "-H", "h10"), "did you mean h100")


def test_missing_frontend_and_missing_devices_say_why(monkeypatch):
    monkeypatch.setenv("GRAPHS_LOAD_PLUGINS", "mappers-gpu")
    r = run_cli("zoo", "list")
    assert r.exit_code == 0 and "0 zoo model(s)" in r.stdout and "graphs-frontend-fx" in r.stdout
    r = run_cli("hardware", "list")
    assert r.exit_code == 0 and "pip install graphs-mapper-h100" in " ".join(r.stdout.split())


def test_unknown_names_in_graphs_load_plugins_warn(monkeypatch):
    monkeypatch.setenv("GRAPHS_LOAD_PLUGINS", "mappers-gpu,h100,mapers-cpu,zzz-nothing")
    r = run_cli("hardware", "list", "-f", "json")
    assert r.exit_code == 0
    err = " ".join(r.stderr.split())
    assert "GRAPHS_LOAD_PLUGINS names 'h100'" in err and "did you mean mapper-h100?" in err
    assert "'mapers-cpu'" in err and "did you mean mappers-cpu?" in err
    assert "'zzz-nothing', which no installed plugin is called" in err
    assert "mappers-gpu" not in err.replace("mappers-gpu,", "")     # a right name is not warned about
    from graphs.plugins import set_plugins
    monkeypatch.setenv("GRAPHS_LOAD_PLUGINS", "mappers-gpu,mapper-h100")
    set_plugins(None)
    r = run_cli("hardware", "list", "-f", "json")
    assert r.stderr == "" and [d["id"] for d in json.loads(r.stdout)["devices"]] == ["h100"]


def test_hardware_new_refuses_the_name_of_an_installed_distribution(tmp_path):
    r = run_cli("hardware", "new", "h100", "--name", "My H100", "--output", tmp_path)
    assert_one_line_error(r, "graphs-mapper-h100 is already installed")
    assert list(tmp_path.iterdir()) == []
    assert run_cli("hardware", "new", "my-npu", "--name", "My NPU", "--output", tmp_path).exit_code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["graphs-mapper-my-npu"]


# ---------------------------------------------------------------- model files and input dtypes

def test_a_model_file_imports_the_module_beside_it(tmp_path):
    (tmp_path / "blocks.py").write_text("import torch\nclass Block(torch.nn.Sequential):\n"
                                        "    def __init__(self):\n"
                                        "        super().__init__(torch.nn.Linear(16, 32), torch.nn.ReLU())\n")
    (tmp_path / "net.py").write_text("import torch\nfrom blocks import Block\n"
                                     "def make():\n    return Block(), torch.randn(2, 16)\n")
    before = list(sys.path)
    r = run_cli("analyze", f"{tmp_path / 'net.py'}:make", "-H", "h100", "-f", "json")
    assert r.exit_code == 0, r.stderr
    res = json.loads(r.stdout)["results"][0]
    assert res["metrics"]["flops"] >= 2 * 2 * 16 * 32
    assert sys.path == before                  # the folder is on sys.path only while the file runs
    sys.modules.pop("blocks", None)


EMBED = """
import torch
class Embed(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(1000, 64)
        self.out = torch.nn.Linear(64, 8)
    def forward(self, x):
        return self.out(self.emb(x))
def make():
    return Embed()
"""


def test_input_shape_states_an_integer_dtype(tmp_path):
    p = tmp_path / "embed.py"
    p.write_text(EMBED)
    r = run_cli("analyze", f"{p}:make", "-H", "h100", "--input-shape", "x=1x128:int64", "-f", "json")
    assert r.exit_code == 0, r.stderr
    res = json.loads(r.stdout)["results"][0]
    assert res["metrics"]["flops"] >= 2 * 128 * 64 * 8
    assert json.loads(r.stdout)["results"][0]["metrics"]["bytes"] >= 128 * 8       # int64 ids
    # without a dtype an argument called x is float, which an embedding cannot take: one line, no traceback
    assert_one_line_error(run_cli("analyze", f"{p}:make", "-H", "h100", "--input-shape", "x=1x128"), "Long")
    assert_one_line_error(run_cli("analyze", f"{p}:make", "-H", "h100", "--input-shape", "x=1x128:int65"), "int65")
    assert_one_line_error(run_cli("analyze", f"{p}:make", "-H", "h100", "--input-shape", "x=1x128:"))
    # an argument whose name says it holds indices is int64 without being told
    p2 = tmp_path / "embed2.py"
    p2.write_text(EMBED.replace("forward(self, x)", "forward(self, input_ids)").replace("self.emb(x)",
                                                                                         "self.emb(input_ids)"))
    assert run_cli("analyze", f"{p2}:make", "-H", "h100", "--input-shape", "input_ids=1x128").exit_code == 0


def test_a_stated_dtype_the_model_input_does_not_have_is_refused(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 8])
    w = helper.make_tensor("w", TensorProto.FLOAT, [32, 8], [0.0] * 256)
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "mm", [x], [y], [w])
    path = tmp_path / "mm.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    assert run_cli("analyze", path, "-H", "h100", "--input-shape", "x=4x32:float32").exit_code == 0
    assert_one_line_error(run_cli("analyze", path, "-H", "h100", "--input-shape", "x=4x32:int64"), "int64", "float32")


# ---------------------------------------------------------------- --layers

def layers_of(*args: str) -> tuple[dict, list[dict]]:
    r = run_cli("analyze", *args, "--layers", "-f", "json")
    assert r.exit_code == 0, r.stderr
    res = json.loads(r.stdout)["results"][0]
    return res, res["layers"]


def test_layers_add_up_to_the_model():
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    res, layers = layers_of("resnet18", "-H", "h100")
    root = layers[0]
    assert root["depth"] == 0 and root["path"] == "resnet18"
    ktime = sum(k["time_s"] for k in res["breakdown"])
    assert root["time_s"] == pytest.approx(ktime, rel=1e-9)
    assert root["kernels"] == len(res["breakdown"])
    # parameters: the real module's; MACs: half of an independent counter's FLOPs (all resnet18 FLOPs it
    # counts are convolutions and the classifier GEMM)
    from graphs.frontends import LoadOptions
    from graphs_frontend_fx.zoo import spec
    s = spec("resnet18")
    model = s.model().eval()
    args, kwargs = s.example_inputs(LoadOptions(batch=1))
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model(*args, **kwargs)
    assert root["parameters"] == sum(p.numel() for p in model.parameters()) == 11_689_512
    assert root["macs"] == fc.get_total_flops() / 2 == 1_814_073_344
    # children of one parent add up to at most the parent (a parent may run kernels of its own)
    by_path = {ln["path"]: ln for ln in layers}
    for ln in layers[1:]:
        parent = ln["path"].rsplit(".", 1)[0] if "." in ln["path"] else root["path"]
        kids = [c for c in layers if c["depth"] == ln["depth"] and
                (c["path"].rsplit(".", 1)[0] if "." in c["path"] else root["path"]) == parent]
        assert sum(c["time_s"] for c in kids) <= by_path.get(parent, root)["time_s"] * (1 + 1e-9)
        assert ln["bound"] in ("compute", "memory", "overhead", None)
        assert 0 <= ln["share"] <= 1 + 1e-9
    layer1 = by_path["layer1"]
    assert layer1["parameters"] == sum(c["parameters"] for c in layers if c["path"].startswith("layer1.")
                                       and c["depth"] == 2)


def test_depth_folds_deeper_layers_into_their_parents():
    _, deep = layers_of("resnet18", "-H", "h100")
    _, shallow = layers_of("resnet18", "-H", "h100", "--depth", "1")
    assert max(ln["depth"] for ln in shallow) == 1 < max(ln["depth"] for ln in deep)
    d1 = {ln["path"]: ln for ln in deep if ln["depth"] == 1}
    for ln in shallow[1:]:
        assert ln["time_s"] == pytest.approx(d1[ln["path"]]["time_s"])
        assert ln["macs"] == d1[ln["path"]]["macs"]


def test_layers_in_csv_and_table(tmp_path, monkeypatch):
    out = tmp_path / "layers.csv"
    r = run_cli("analyze", "resnet18", "-H", "h100", "--layers", "--depth", "2", "-f", "csv", "-o", out)
    assert r.exit_code == 0, r.stderr
    import csv
    rows = list(csv.DictReader(out.read_text().splitlines()))
    layer_rows = [row for row in rows if row.get("path")]
    assert {"path", "op", "output_shape", "parameters", "macs", "flops", "bytes", "time_s", "bound"} <= set(rows[0])
    assert any(row["path"] == "layer1.0" for row in layer_rows)
    assert max(int(row["depth"]) for row in layer_rows) == 2
    assert int(layer_rows[0]["macs"]) == 1_814_073_344          # full precision, not 1.81407e+09
    monkeypatch.setenv("COLUMNS", "120")
    t = run_cli("analyze", "resnet18", "-H", "h100", "--layers", "--depth", "1").stdout
    assert "by layer" in t and "layer4" in t and "layer4.0" not in t
    assert_one_line_error(run_cli("analyze", "resnet18", "-H", "h100", "--depth", "2"), "--layers")
    assert_one_line_error(run_cli("analyze", "resnet18", "-H", "h100", "--layers", "--depth", "-1"), "--depth")


def test_no_message_tells_users_to_pip_install_the_unrelated_graphs_project():
    bad = re.compile(r"pip install ['\"]?graphs(?![-\w])")
    hits = []
    for folder in ("core", "services", "plugins", "frontends_fx", "frontends_onnx", "frontends_tflite", "mappers_gpu",
                   "mappers_cpu", "mappers_accel", "mappers_edge", "docs"):
        for f in (ROOT / folder).rglob("*"):
            if f.suffix in (".py", ".md", ".toml", ".yaml", ".txt") and ".venv" not in f.parts and f.is_file():
                for i, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
                    if bad.search(line) and "never" not in line and "test_cli_conventions" not in f.name:
                        hits.append(f"{f.relative_to(ROOT)}:{i}: {line.strip()}")
    hits += [f"README.md: {ln}" for ln in (ROOT / "README.md").read_text().splitlines()
             if bad.search(ln) and "never" not in ln]
    assert not hits, "\n".join(hits[:10])


def test_a_repeated_option_is_never_dropped_silently():
    """click lets the last of a repeated option win; `-H h100 -H l4` used to estimate the l4 alone."""
    r = run_cli("analyze", "resnet18", "-H", "h100", "-H", "l4,a100-sxm4-80gb", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert [x["metrics"]["hardware"] for x in json.loads(r.stdout)["results"]] == ["h100", "l4", "a100-sxm4-80gb"]
    assert_one_line_error(run_cli("analyze", "resnet18", "-H", "h100", "--batch", "2", "--batch=4"),
                   "--batch given more than once")
    assert_one_line_error(run_cli("analyze", "resnet18", "-H", "h100", "-f", "json", "--format", "csv"), "--format")
    assert_one_line_error(run_cli("serve", "llama3-8b", "-H", "h100", "-H", "l4"), "--hardware given more than once")
    assert_one_line_error(run_cli("sweep", "--model", "resnet18", "--model", "resnet50", "-H", "h100", "-o", "x.parquet"),
                   "--model given more than once", "comma-separated")
