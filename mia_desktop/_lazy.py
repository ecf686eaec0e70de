"""Lazy package exports (PEP 562): a package names its public API in `__all__` without importing it.

Importing `mia_desktop.engine` must not pull in Qt, asyncio or the analysis pipeline for a headless
command that uses none of them, so each package maps its public names to the module defining them
and resolves a name on first use (then caches it in the package namespace).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str],
                 namespace: dict[str, Any]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """(__getattr__, __dir__) for `package`, whose `exports` maps public name -> submodule."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
