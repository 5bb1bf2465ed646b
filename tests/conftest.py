import pytest

from graphs.plugins import set_plugins


@pytest.fixture(autouse=True)
def _fresh_plugin_registry():
    """Each test sees plugins loaded anew (env vars such as GRAPHS_LOAD_PLUGINS apply)."""
    set_plugins(None)
    yield
    set_plugins(None)
