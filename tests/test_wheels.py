"""A user install from wheels: ``make dist``'s builder, a fresh empty venv, ``pip install --find-links``.

Editable installs read the source tree and so hide a data file that package-data forgot; here the
wheels are built the way ``make dist`` builds them (sdist first, wheel from the unpacked sdist),
installed non-editable into a virtual environment that borrows nothing (third-party dependencies
come from the configured index, as on a user's machine), and used through the installed
``graphs`` script. Dependencies between graphs distributions resolve by name from the folder.
"""

import json
import subprocess
import sys
import tomllib
import zipfile

import pytest

from freshenv import MLP_FLOPS, ROOT, FreshEnv, mlp_onnx

sys.path.insert(0, str(ROOT / "scripts"))
import build_dist  # noqa: E402

DISTS = ("graphs-core", "graphs-mappers-gpu", "graphs-mapper-h100", "graphs-frontend-onnx")


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    assert build_dist.main(["--only", *DISTS, "--out", str(out), "--check"]) == 0
    return out


def names(whl):
    with zipfile.ZipFile(whl) as z:
        return set(z.namelist())


def test_wheels_and_sdists_hold_the_data_files(wheelhouse):
    assert sorted(p.name for p in wheelhouse.iterdir()) == sorted(
        f"{d.replace('-', '_')}-0.1.0{ext}" for d in DISTS for ext in ("-py3-none-any.whl", ".tar.gz"))
    h100 = names(build_dist.wheel_for("graphs-mapper-h100", wheelhouse))
    assert "graphs_mapper_h100/h100.yaml" in h100
    gpu = names(build_dist.wheel_for("graphs-mappers-gpu", wheelhouse))
    data = build_dist.source_files(ROOT / "mappers_gpu", with_py=False)
    assert any(f.startswith("graphs_mappers_gpu/data/") for f in data) and data <= gpu
    core = names(build_dist.wheel_for("graphs-core", wheelhouse))
    assert {"graphs/templates/device/spec.yaml.tmpl", "graphs/templates/device/pyproject.toml.tmpl",
            "graphs/py.typed"} <= core
    assert "graphs-0.1.0" not in " ".join(core)          # the import package is graphs, the distribution graphs-core


def test_check_names_a_data_file_that_package_data_forgot(tmp_path):
    proj = tmp_path / "proj"
    pkg = proj / "src" / "demo_pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "spec.yaml").write_text("a: 1\n")
    (pkg / "table.json").write_text("{}\n")
    (proj / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "demo-pkg"\nversion = "0.1.0"\n'
        '[tool.setuptools.packages.find]\nwhere = ["src"]\n'
        '[tool.setuptools]\ninclude-package-data = false\n'
        '[tool.setuptools.package-data]\ndemo_pkg = ["*.yaml"]\n')
    out = tmp_path / "out"
    out.mkdir()
    name, rc, tail = build_dist.build_one("demo-pkg", proj, out, wheel_only=False)
    assert rc == 0, tail
    assert build_dist.missing_from_wheel("demo-pkg", proj, out) == ["demo_pkg/table.json"]


def test_user_install_analyze_and_uninstall(wheelhouse, tmp_path_factory):
    env = FreshEnv(tmp_path_factory.mktemp("user"), borrow=False)
    r = env.pip("install", "--find-links", str(wheelhouse), "graphs-mapper-h100", "graphs-frontend-onnx")
    assert r.returncode == 0, r.stderr[-3000:]
    for dist in ("graphs-core", "graphs-mappers-gpu"):      # pulled in by name, from the folder
        assert f"Processing {build_dist.wheel_for(dist, wheelhouse)}" in r.stdout, r.stdout
    where = env.python_out("import graphs, graphs_mapper_h100, numpy; print(graphs.__file__); "
                           "print(graphs_mapper_h100.__file__); print(numpy.__file__)").split()
    for f in where:                                           # non-editable, nothing borrowed
        assert f.startswith(str(env.site)) and not f.startswith(str(ROOT)), where
    assert "Editable project location" not in env.pip("show", "graphs-core").stdout

    model = tmp_path_factory.mktemp("model") / "mlp.onnx"
    mlp_onnx(model)
    r = env.graphs("analyze", str(model), "--hardware", "h100", "-f", "json", script=True)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["schema"] == "graphs.analyze"
    (res,) = doc["results"]
    assert res["metrics"]["hardware"] == "h100" and res["value"] > 0
    assert res["metrics"]["flops"] == pytest.approx(MLP_FLOPS)
    assert env.hardware_ids() == ["h100"]

    env.uninstall("graphs-mapper-h100")
    assert env.hardware_ids() == []
    r = env.graphs("analyze", str(model), "-H", "h100", script=True)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "h100" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_umbrella_extras_install_every_gpu_device(tmp_path_factory):
    """``pip install 'graphs-estimator[onnx,gpu]'`` from a full ``make dist`` folder: every GPU device,
    listed exactly as the editable install lists it (spec numbers, calibration level)."""
    out = tmp_path_factory.mktemp("dist-all")
    assert build_dist.main(["--out", str(out), "--check"]) == 0
    env = FreshEnv(tmp_path_factory.mktemp("umbrella"), borrow=False)
    r = env.pip("install", "--find-links", str(out), "graphs-estimator[onnx,gpu]")
    assert r.returncode == 0, r.stderr[-3000:]
    gpu = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["gpu"]
    devices = sorted(d.removeprefix("graphs-mapper-") for d in gpu if d.startswith("graphs-mapper-"))
    got = json.loads(env.graphs("hardware", "list", "-f", "json", script=True).stdout)["devices"]
    assert sorted(d["id"] for d in got) == devices
    assert {d["calibration"] for d in got} == {"CALIBRATED", "THEORETICAL"}   # calibration.yaml files came along
    here = subprocess.run([sys.executable, "-m", "graphs.cli", "hardware", "list", "-f", "json", "--family", "gpu"],
                          capture_output=True, text=True)              # the editable install running this test
    assert got == json.loads(here.stdout)["devices"]                   # same specs, calibrations, peaks


def test_taken_names_are_found_normalized(tmp_path, capsys):
    listing = tmp_path / "names.tsv"
    listing.write_text("name\tversion\ngraphs\t0.1.3\nGRAPHS.mapper_h100\t9\ngraphs-estimatorx\t1\n")
    assert build_dist.main(["--taken", str(listing)]) == 1
    assert capsys.readouterr().out.strip().endswith("taken: graphs-mapper-h100")
    listing.write_text("name\tversion\ngraphs\t0.1.3\n")        # the unrelated `graphs`: not one of our names
    assert build_dist.main(["--taken", str(listing)]) == 0
    assert build_dist.main(["--taken", str(tmp_path / "missing.tsv")]) == 2
