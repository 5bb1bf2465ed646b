"""Core's own commands, each a built-in plugin registered through ``graphs_register_commands``."""
