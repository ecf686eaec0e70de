"""The one place the version lives (pyproject, About box, window title, installer read it)."""

__version__ = "0.1.0"
