"""Plugin discovery through real installed entry points, isolation, limits and duplicates."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import install_fake_distribution
from graphs.plugins import get_plugins
from graphs.testing import assert_plugin_valid, run_cli


def test_installed_entry_point_is_discovered(fake_site):
    gp = get_plugins()
    info = gp.plugins["fake"]
    assert info.status == "ok", info.errors
    assert info.distribution == "graphs-fake-plugin" and info.version == "1.0"
    assert "fake-npu" in gp.hardware and gp.aliases["fnpu"] == "fake-npu"
    assert "fake" in gp.mappers and "fake" in gp.frontends and "fake-tool" in gp.tools
    assert gp.find_model("fake-mlp") is not None
    assert gp.ops.handler("fake::linear").plugin == "fake"


def test_broken_plugin_is_reported_and_the_rest_works(fake_site):
    gp = get_plugins()
    broken = gp.plugins["broken"]
    assert broken.status == "failed"
    assert "RuntimeError" in broken.errors[0] and "broken on purpose" in broken.errors[0]
    assert gp.plugins["fake"].status == "ok"
    r = run_cli("analyze", "fake-mlp", "--hardware", "fake-npu", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["results"][0]["metrics"]["hardware"] == "fake-npu"
    assert "broken" in r.stderr  # warned, not hidden


def test_plugins_list_shows_status(fake_site, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    r = run_cli("plugins", "list", "-f", "json")
    assert r.exit_code == 0
    rows = {p["name"]: p for p in json.loads(r.stdout)["plugins"]}
    assert rows["broken"]["status"] == "failed"
    assert rows["fake"]["status"] == "ok"
    assert "graphs_register_hardware" in rows["fake"]["hooks"]
    assert rows["fake"]["registered"]["hardware"] == ["fake-npu"]
    table = run_cli("plugins", "list")
    assert table.exit_code == 0 and "graphs-fake-plugin" in table.stdout and "failed" in table.stdout


def test_load_plugins_env_limits_loading(fake_site, monkeypatch):
    monkeypatch.setenv("GRAPHS_LOAD_PLUGINS", "fake")
    gp = get_plugins(refresh=True)
    plugins = lambda gp: {n for n, p in gp.plugins.items() if not p.builtin}  # noqa: E731  (core's commands stay)
    assert plugins(gp) == {"fake"}
    monkeypatch.setenv("GRAPHS_LOAD_PLUGINS", "graphs-broken-plugin")  # distribution names work too
    assert plugins(get_plugins(refresh=True)) == {"broken"}
    monkeypatch.setenv("GRAPHS_LOAD_PLUGINS", "")
    gp = get_plugins(refresh=True)
    assert plugins(gp) == set() and gp.hardware == {}


def test_duplicate_registration_names_both_plugins(fake_site):
    # the rule: built-ins first, then plugins by entry-point name; a later claim is refused, naming both
    install_fake_distribution(fake_site, "graphs-dup-plugin", "graphs_dup_plugin", "zdup")
    gp = get_plugins()
    dup = gp.plugins["zdup"]
    assert dup.status == "partial"
    assert any("'zdup'" in e and "'fake'" in e and "fake-npu" in e for e in dup.errors), dup.errors
    assert gp.hardware["fake-npu"].plugin == "fake"  # the first owner keeps it


def test_misspelt_hook_fails_loudly(fake_site):
    install_fake_distribution(fake_site, "graphs-typo-plugin", "graphs_typo_plugin", "typo")
    gp = get_plugins()
    typo = gp.plugins["typo"]
    assert typo.status == "failed" and "graphs_register_hardwre" in typo.errors[0]
    assert gp.plugins["fake"].status == "ok"


def test_plugin_cli_command_is_added(fake_site):
    r = run_cli("fake-hello", "--name", "graphs")
    assert r.exit_code == 0 and "hello graphs from fake" in r.stdout


def test_discovery_in_a_separate_process(fake_site):
    """The console script finds the plugin the way a user's shell would."""
    env = dict(os.environ, PYTHONPATH=str(fake_site))
    env.pop("GRAPHS_LOAD_PLUGINS", None)
    out = subprocess.run([sys.executable, "-m", "graphs.cli", "hardware", "list", "-f", "json"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "fake-npu" in [d["id"] for d in json.loads(out.stdout)["devices"]]


def test_assert_plugin_valid_accepts_good_and_rejects_bad(fake_site):
    import graphs_fake_plugin
    info = assert_plugin_valid(graphs_fake_plugin, "fake")
    assert info.registered["hardware"] == ["fake-npu"]
    install_fake_distribution(fake_site, "graphs-typo-plugin", "graphs_typo_plugin", "typo")
    import graphs_typo_plugin
    with pytest.raises(AssertionError, match="failed"):
        assert_plugin_valid(graphs_typo_plugin, "typo")


def test_graphs_registry_fixture_registers_for_one_test(graphs_registry, fake_site):
    import graphs_fake_plugin
    graphs_registry.add(graphs_fake_plugin, "fake-one-test")
    assert get_plugins() is graphs_registry
    assert "fake-npu" in graphs_registry.hardware


def test_a_plugin_adds_an_op_kind(fake_site):
    """graphs_register_op_kinds: a new canonical kind with its category, formula and attributes."""
    from graphs.ir import GraphBuilder, TensorSpec
    from graphs.ops import Category
    gp = get_plugins()
    info = gp.ops.kinds["fake_gelu"]
    assert info.category is Category.ELEMENTWISE and info.plugin == "fake" and "approximate" in info.attrs
    gp.ops.register("fake::gelu9", "fake_gelu", gp.ops.default_formula("fake_gelu"), "test")
    b = GraphBuilder("g", "test")
    b.input("x", TensorSpec((4, 8)))
    b.node("a", "fake::gelu9", ["x"], [("y", TensorSpec((4, 8)))])
    b.output("y")
    assert gp.ops.costs(b.build())["a"].flops == 9 * 32
    # a kind with an unknown category, or one core already has, is refused naming the plugin
    from graphs.errors import GraphsError
    with pytest.raises(GraphsError, match="unknown category"):
        gp._add_op_kinds("other", "odd", "teleport", lambda op: None)
    with pytest.raises(GraphsError, match="registered by both 'graphs' and 'other'"):
        gp._add_op_kinds("other", "relu", "elementwise", lambda op: None)


def test_mapper_contract_is_enforced_at_registration(graphs_registry):
    """A family engine that lacks a required member is refused when registered, naming the member."""
    from graphs import hookimpl
    from graphs.mapper import EfficiencyPrior, Mapper

    class NoPrior(Mapper):
        family = "noprior"

    class NotAMapper:
        family = "plain"

        def prior(self, k):
            return EfficiencyPrior(1, 1, 1, "x")

    class Plugin:
        @hookimpl
        def graphs_register_mappers(self, register):
            register("noprior", NoPrior)
            register("plain", NotAMapper)

    info = graphs_registry.add(Plugin(), "bad-engines")
    assert info.status == "partial"
    assert any("does not implement prior" in e for e in info.errors), info.errors
    assert any("is not a graphs.mapper.Mapper subclass" in e for e in info.errors), info.errors
    assert "noprior" not in graphs_registry.mappers and "plain" not in graphs_registry.mappers


def test_builtin_commands_cannot_be_replaced(fake_site):
    from graphs import hookimpl
    gp = get_plugins()

    def analyze() -> None:
        """A plugin's own analyze."""

    class Plugin:
        @hookimpl
        def graphs_register_commands(self, register):
            register(analyze)

    gp.collect("commands")
    gp.add_plugin(Plugin(), "zz-hijack")
    impl = [i for i in gp.pm.hook.graphs_register_commands.get_hookimpls() if i.plugin_name == "zz-hijack"][0]
    gp._collect_one("commands", impl)
    assert gp.commands["analyze"][1] == "graphs-analyze"
    assert any("'graphs-analyze' and 'zz-hijack'" in e for e in gp.plugins["zz-hijack"].errors)


def test_help_and_version_need_no_hardware(monkeypatch):
    """--version lists no entry point; --help collects only the commands hook."""
    from graphs import cli, plugins as P
    seen = []
    real = P.GraphsPlugins.collect

    def spy(self, hook=None):
        seen.append(hook)
        return real(self, hook)

    monkeypatch.setattr(P.GraphsPlugins, "collect", spy)
    assert cli.main(["--version"]) == 0 and seen == []
    assert run_cli("--help").exit_code == 0
    assert set(seen) == {"commands"}, seen


class NoPriorMapper:  # used by name below: "module:Class" references are imported and checked on first use
    family = "noprior2"


def test_a_lazily_named_engine_is_checked_on_first_use(graphs_registry):
    from graphs import hookimpl
    from graphs.errors import GraphsError

    class Plugin:
        @hookimpl
        def graphs_register_mappers(self, register):
            register("noprior2", "test_plugins:NoPriorMapper")

    info = graphs_registry.add(Plugin(), "lazy-engine")
    assert info.status == "ok" and "noprior2" in graphs_registry.mappers     # listed without importing
    with pytest.raises(GraphsError, match="not a graphs.mapper.Mapper subclass"):
        graphs_registry.mappers["noprior2"]
    assert info.status == "failed" and "noprior2" not in graphs_registry.mappers
