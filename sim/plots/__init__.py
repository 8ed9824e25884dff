"""Plots: one module per kind of figure, sharing the style in ``style``."""
