"""Meta-tests: every hook is documented and exercised by the fixture plugin."""

import inspect
from pathlib import Path

from graphs import hookspecs

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "plugins" / "graphs_fake_plugin.py"


def all_hooks():
    return sorted(n for n, f in vars(hookspecs).items() if n.startswith("graphs_") and callable(f))


def test_there_are_hooks():
    assert set(all_hooks()) >= {"graphs_register_frontends", "graphs_register_op_handlers",
                                "graphs_register_hardware", "graphs_register_mappers",
                                "graphs_register_models", "graphs_register_tools", "graphs_register_commands"}


def test_every_hook_is_documented():
    page = (ROOT / "docs" / "plugins.md").read_text()
    for h in all_hooks():
        assert f"`{h}(" in page, f"{h} is not documented in docs/plugins.md"
        doc = inspect.getdoc(getattr(hookspecs, h))
        assert doc and ":param" in doc, f"{h} needs a docstring with :param:"


def test_every_hook_is_exercised_by_the_fixture_plugin():
    src = FIXTURE.read_text()
    for h in all_hooks():
        assert f"def {h}(" in src, f"{h} is not implemented by the fixture plugin, so it is untested"
