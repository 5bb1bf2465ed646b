import shutil
import sys
from pathlib import Path

import pytest

from graphs.plugins import set_plugins

pytest_plugins = ["graphs.testing"]

FIXTURE_PLUGINS = Path(__file__).parent / "fixtures" / "plugins"


@pytest.fixture(autouse=True)
def _fresh_plugin_registry(tmp_path_factory, monkeypatch):
    """Each test sees plugins loaded anew (env vars such as GRAPHS_LOAD_PLUGINS apply), and never
    the user's own calibrations or results store."""
    user = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("GRAPHS_CALIBRATION_DIR", str(user / "calibration"))
    monkeypatch.setenv("GRAPHS_STORE", str(user / "results.sqlite"))
    # third-party tools: an empty tools home and tool-run cache per test (a user's installed tools never leak in)
    monkeypatch.setenv("GRAPHS_TOOLS_DIR", str(user / "tools"))
    monkeypatch.setenv("GRAPHS_TOOL_CACHE", str(user / "tool-runs"))
    for var in ("GRAPHS_GENZ_PYTHON", "GRAPHS_LLM_ANALYSIS_PYTHON", "GRAPHS_SCALESIM_PYTHON", "GRAPHS_VIDUR_PYTHON",
                "GRAPHS_NN_METER_PYTHON", "GRAPHS_TIMELOOP_PYTHON", "GRAPHS_VIDUR_PROFILES"):
        monkeypatch.delenv(var, raising=False)
    set_plugins(None)
    yield
    set_plugins(None)


def install_fake_distribution(site: Path, dist: str, module: str, ep_name: str, version: str = "1.0") -> None:
    """Make ``module`` an installed distribution with a ``graphs`` entry point in ``site``.

    Writes a real ``.dist-info`` (METADATA + entry_points.txt), which is exactly what pip
    leaves behind, so discovery goes through ``importlib.metadata`` like any installed plugin.
    """
    site.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURE_PLUGINS / f"{module}.py", site / f"{module}.py")
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[graphs]\n{ep_name} = {module}\n")
    (info / "RECORD").write_text("")


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    """A site directory on sys.path holding the fixture plugins as installed distributions."""
    site = tmp_path / "site"
    install_fake_distribution(site, "graphs-fake-plugin", "graphs_fake_plugin", "fake")
    install_fake_distribution(site, "graphs-broken-plugin", "graphs_broken_plugin", "broken")
    monkeypatch.syspath_prepend(str(site))
    yield site
    for m in ("graphs_fake_plugin", "graphs_broken_plugin", "graphs_dup_plugin", "graphs_typo_plugin"):
        sys.modules.pop(m, None)
