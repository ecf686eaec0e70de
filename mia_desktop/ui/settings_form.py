"""A form built from a list of field specs over a frozen dataclass, with inline error labels.

How this works: each `Spec` names a dataclass field, its label and an editor kind; `SpecForm`
builds one widget per spec in a QFormLayout, each wrapped in a `FieldRow` that carries a red
message label under the widget. `value()` reads the widgets back into a new dataclass instance
(`dataclasses.replace` on the template, so fields without a spec keep their values), `set_value`
fills them without emitting `changed`, `set_errors({field: message})` shows or clears each
message. Number editors accept a wider range than valid on purpose, so an absurd value reaches the
validator and gets a message instead of being silently clamped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

ERROR_STYLE = "color: #d03030;"
WARN_STYLE = "color: #b07000;"
OK_STYLE = "color: #2a8a2a;"


@dataclass(frozen=True)
class Spec:
    field: str
    label: str
    kind: str  # bool | choice | int | float | percent | slider | text
    options: Sequence[tuple[Any, str]] = ()  # choice: (value, label)
    lo: float = 0
    hi: float = 1_000_000
    decimals: int = 2
    suffix: str = ""
    tip: str = ""
    trim: bool = False  # float: show at least 2 decimals, trailing zeros trimmed (0.25, not 0.250000)


class TrimmedSpinBox(QDoubleSpinBox):
    """A double spin box that keeps `decimals()` of precision but shows no trailing zeros past 2."""

    def textFromValue(self, value: float) -> str:
        text = f"{value:.{self.decimals()}f}"
        if "." in text:
            whole, frac = text.split(".")
            frac = frac.rstrip("0").ljust(2, "0")
            text = f"{whole}.{frac}"
        return text


class FieldRow(QWidget):
    """An editor widget (plus optional extra widgets on its right) with an inline message below."""

    def __init__(self, editor: QWidget, extras: Sequence[QWidget] = ()) -> None:
        super().__init__()
        self.editor = editor
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(2)
        self.hbox = h = QHBoxLayout()
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(editor, 1)
        for w in extras:
            h.addWidget(w)
        v.addLayout(h)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.hide()
        v.addWidget(self.message)
        self.error = ""

    def set_error(self, text: str | None) -> None:
        self.error = text or ""
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(self.error)
        self.message.setVisible(bool(self.error))

    def set_note(self, text: str, style: str = WARN_STYLE) -> None:
        """A non-blocking message (a warning or a confirmation), shown when there is no error."""
        if self.error:
            return
        self.message.setStyleSheet(style)
        self.message.setText(text)
        self.message.setVisible(bool(text))


class SpecForm(QWidget):
    changed = Signal()

    def __init__(self, template: Any, specs: Sequence[Spec], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._template = template
        self.specs = {s.field: s for s in specs}
        self.form = QFormLayout(self)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.widgets: dict[str, QWidget] = {}
        self.rows: dict[str, FieldRow] = {}
        self._loading = False
        for s in specs:
            w = self._make(s)
            if s.tip:
                w.setToolTip(s.tip)
            self.widgets[s.field] = w
            self.add_row(s.field, s.label, w)
        self.set_value(template)

    # ------------------------------------------------------------ building

    def add_row(
        self, key: str, label: str, editor: QWidget, extras: Sequence[QWidget] = (), after: str | None = None
    ) -> FieldRow:
        """Add a row (at the end, or just after row `after`) for a widget that is not a spec field."""
        row = FieldRow(editor, extras)
        self.rows[key] = row
        if after is None:
            self.form.addRow(label, row)
        else:
            pos: Any = self.form.getWidgetPosition(self.rows[after])  # (row, role)
            self.form.insertRow(int(pos[0]) + 1, label, row)
        return row

    def _make(self, s: Spec) -> QWidget:
        emit: Callable[..., None] = self._emit
        if s.kind == "bool":
            w: Any = QCheckBox()
            w.toggled.connect(emit)
        elif s.kind == "choice":
            w = QComboBox()
            for value, label in s.options:
                w.addItem(label, value)
            w.currentIndexChanged.connect(emit)
        elif s.kind == "int":
            w = QSpinBox()
            w.setRange(int(s.lo), int(s.hi))
            w.setSuffix(s.suffix)
            w.valueChanged.connect(emit)
        elif s.kind in ("float", "percent"):
            w = TrimmedSpinBox() if s.trim else QDoubleSpinBox()
            w.setRange(s.lo, s.hi)
            w.setDecimals(s.decimals)
            w.setSuffix(s.suffix or (" %" if s.kind == "percent" else ""))
            w.valueChanged.connect(emit)
        elif s.kind == "slider":
            w = QSlider(Qt.Orientation.Horizontal)
            w.setRange(int(s.lo), int(s.hi))
            w.valueChanged.connect(emit)
        elif s.kind == "text":
            w = QLineEdit()
            w.textChanged.connect(emit)
        else:
            raise ValueError(f"unknown field kind {s.kind!r}")
        widget: QWidget = w
        return widget

    # ------------------------------------------------------------ values

    def _emit(self, *_: object) -> None:
        if not self._loading:
            self.changed.emit()

    def set_value(self, value: Any) -> None:
        self._template = value
        self._loading = True
        try:
            for f, s in self.specs.items():
                self._write(s, self.widgets[f], getattr(value, f))
        finally:
            self._loading = False

    def value(self) -> Any:
        kw = {f: self._read(s, self.widgets[f], getattr(self._template, f)) for f, s in self.specs.items()}
        return dataclasses.replace(self._template, **kw)

    def _write(self, s: Spec, w: Any, v: Any) -> None:
        if s.kind == "bool":
            w.setChecked(bool(v))
        elif s.kind == "choice":
            i = w.findData(v)
            if i < 0:  # a value from disk the list does not offer: show it rather than lose it
                w.addItem(str(v), v)
                i = w.count() - 1
            w.setCurrentIndex(i)
        elif s.kind == "int":
            w.setValue(int(v))
        elif s.kind == "float":
            w.setValue(float(v))
        elif s.kind == "percent":
            w.setValue(float(v) * 100.0)
        elif s.kind == "slider":
            w.setValue(round(float(v) * 100.0))
        elif s.kind == "text":
            w.setText(str(v))

    def _read(self, s: Spec, w: Any, old: Any) -> Any:
        if s.kind == "bool":
            return w.isChecked()
        if s.kind == "choice":
            return w.currentData()
        if s.kind == "int":
            return int(w.value())
        if s.kind == "float":
            return float(w.value())
        if s.kind in ("percent", "slider"):
            return round(float(w.value()) / 100.0, 6)
        return w.text()

    # ------------------------------------------------------------ messages and visibility

    def set_errors(self, errors: dict[str, str]) -> None:
        for key, row in self.rows.items():
            row.set_error(errors.get(key))

    def set_row_visible(self, key: str, visible: bool) -> None:
        self.form.setRowVisible(self.rows[key], visible)

    def errors(self) -> dict[str, str]:
        return {k: r.error for k, r in self.rows.items() if r.error}
