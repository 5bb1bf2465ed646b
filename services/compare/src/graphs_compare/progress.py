"""Progress of a comparison: one bar per estimator (core's :mod:`graphs.progress`, shared by every command)."""

from graphs.progress import NullProgress, RichProgress, for_terminal

__all__ = ["NullProgress", "RichProgress", "for_terminal"]
