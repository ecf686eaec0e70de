"""MIA Desktop — an order-flow companion for Sierra Chart. It never sends orders."""

from mia_desktop.__version__ import __version__

__all__ = ["__version__"]
