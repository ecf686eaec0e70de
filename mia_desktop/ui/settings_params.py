"""Every detector parameter of a profile, editable in a tree (Profiles page, "Detector parameters").

How this works: one top-level item per params group of config.profiles.Profile (dom, vix, battle,
advanced, confluence, auto_params), one child per field with its value in column 1 (editable for a
custom profile). An edit is parsed by the type of the current value (int, float, or a
comma-separated tuple); text that does not parse is kept in the cell, marked red and reported by
`parse_errors()`, and the profile keeps its last good value. Range problems come back from
config.profiles.validate_profile through `set_errors({"dom.wall_ratio": message})`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from mia_desktop.config.profiles import TABLE_FIELDS, Profile

GROUPS = (
    ("dom", "DOM detectors"),
    ("vix", "VIX regimes and patterns"),
    ("battle", "Battle Navale"),
    ("advanced", "Advanced detectors"),
    ("confluence", "Confluence, sizing and risk"),
    ("auto_params", "Auto thresholds"),
)
KEY_ROLE = Qt.ItemDataRole.UserRole + 1
RED = QBrush(QColor("#d03030"))


def format_value(v: Any) -> str:
    if isinstance(v, tuple):
        return ", ".join(format_value(x) for x in v)
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def parse_value(text: str, like: Any) -> Any:
    """`text` as the type of `like`; ValueError with a readable message when it does not fit."""
    text = text.strip()
    if isinstance(like, tuple):
        parts = [p for p in text.replace(";", ",").split(",") if p.strip()]
        if len(parts) != len(like):
            raise ValueError(f"needs {len(like)} numbers separated by commas")
        return tuple(parse_value(p, x) for p, x in zip(parts, like, strict=True))
    if isinstance(like, bool):
        if text.lower() in ("true", "yes", "1", "on"):
            return True
        if text.lower() in ("false", "no", "0", "off"):
            return False
        raise ValueError("must be yes or no")
    if isinstance(like, int):
        try:
            return int(text)
        except ValueError:
            raise ValueError("must be a whole number") from None
    try:
        v = float(text)
    except ValueError:
        raise ValueError("must be a number") from None
    if not math.isfinite(v):
        raise ValueError("must be a finite number")
    return v


class ParamsTree(QTreeWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels(["Detector parameter", "Value"])
        self.setAlternatingRowColors(True)
        self._profile: Profile | None = None
        self._parse_errors: dict[str, str] = {}
        self._items: dict[str, QTreeWidgetItem] = {}
        self._loading = False
        self.itemChanged.connect(self._item_changed)

    def set_profile(self, p: Profile, editable: bool) -> None:
        self._loading = True
        try:
            self._profile = p
            self._parse_errors = {}
            self.clear()
            self._items = {}
            for group, title in GROUPS:
                obj = getattr(p, group)
                top = QTreeWidgetItem([title, ""])
                top.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.addTopLevelItem(top)
                for f in dataclasses.fields(obj):
                    if group == "dom" and f.name in TABLE_FIELDS:
                        continue  # edited in the table above (the profile's own fields win)
                    key = f"{group}.{f.name}"
                    item = QTreeWidgetItem([f.name, format_value(getattr(obj, f.name))])
                    item.setData(0, KEY_ROLE, key)
                    flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                    if editable:
                        flags |= Qt.ItemFlag.ItemIsEditable
                    item.setFlags(flags)
                    top.addChild(item)
                    self._items[key] = item
            self.resizeColumnToContents(0)
        finally:
            self._loading = False

    def profile(self) -> Profile | None:
        """The profile with every parsable edit applied."""
        return self._profile

    def parse_errors(self) -> dict[str, str]:
        return dict(self._parse_errors)

    def set_errors(self, errors: dict[str, str]) -> None:
        """Messages keyed "group.field" (validate_profile's keys); parse errors stay on top."""
        self._loading = True
        try:
            for key, item in self._items.items():
                msg = self._parse_errors.get(key) or errors.get(key, "")
                item.setForeground(1, RED if msg else QBrush())
                item.setToolTip(1, msg)
                item.setText(0, f"{key.split('.', 1)[1]}  ⚠ {msg}" if msg else key.split(".", 1)[1])
                parent = item.parent()
                if msg and parent is not None:
                    self.expandItem(parent)
        finally:
            self._loading = False

    def edit_value(self, key: str, text: str) -> None:
        """Set a cell as if the user typed `text` (used by tests and the keyboard path alike)."""
        self._items[key].setText(1, text)

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._loading or column != 1 or self._profile is None:
            return
        key = item.data(0, KEY_ROLE)
        if not key:
            return
        group, name = key.split(".", 1)
        obj = getattr(self._profile, group)
        try:
            value = parse_value(item.text(1), getattr(obj, name))
        except ValueError as exc:
            self._parse_errors[key] = str(exc)
        else:
            self._parse_errors.pop(key, None)
            self._profile = dataclasses.replace(
                self._profile, **{group: dataclasses.replace(obj, **{name: value})}
            )
        self.changed.emit()
