"""The Instances and Profiles pages of the settings dialog.

How this works: each page edits a working copy (a list of rows) and never touches the caller's
Settings. A list on the left picks the row; a SpecForm on the right edits it; every edit rebuilds
that row's frozen value and emits `changed`, and the dialog revalidates everything and pushes the
messages back with `set_errors`. Passwords typed on the Instances page stay in memory until the
dialog applies, then go to the OS keyring (never into Settings).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mia_desktop.analysis.params import AUTO_FIELDS
from mia_desktop.config.profiles import PROFILES, TABLE_FIELDS, Profile
from mia_desktop.config.settings import (
    DEFAULT_PORTS,
    ENCODINGS,
    INSTRUMENTS,
    SOURCE_LABELS,
    VIX_SOURCES,
    InstanceConfig,
    copy_profile,
    default_instance,
)
from mia_desktop.ui.settings_form import OK_STYLE, WARN_STYLE, Spec, SpecForm
from mia_desktop.ui.settings_params import ParamsTree

MAX_DEPTH_SCAN = 20_000  # directory entries looked at when checking a Sierra Chart folder


def depth_file_check(folder: str) -> tuple[int, str]:
    """(number of .depth files found, message) for a Sierra Chart Data folder. Looks in
    <folder>/MarketDepthData recursively (or in <folder> itself when it is that folder)."""
    if not folder.strip():
        return 0, ""
    root = Path(folder).expanduser()
    if not root.is_dir():
        return -1, f"Folder not found: {root}"
    depth_dir = root if root.name.lower() == "marketdepthdata" else root / "MarketDepthData"
    if not depth_dir.is_dir():
        return 0, (
            f"No MarketDepthData folder in {root}. Choose Sierra Chart's Data folder and turn on "
            "'Record Market Depth Data' for the chart."
        )
    count = seen = 0
    for _dirpath, _dirs, files in os.walk(depth_dir):
        for name in files:
            seen += 1
            count += name.lower().endswith(".depth")
        if seen > MAX_DEPTH_SCAN:
            break
    if count == 0:
        return 0, (
            f"No .depth files in {depth_dir} yet. Turn on 'Record Market Depth Data' in Sierra Chart "
            "(Chart Settings) so the files appear."
        )
    return count, f"Found {count} .depth file{'s' if count != 1 else ''} in {depth_dir.name}."


@dataclass
class _InstRow:
    cfg: InstanceConfig
    password: str | None = None  # typed, not yet stored in the keyring
    origin: tuple[str, str] = ("", "")  # (name, username) the keyring knows it by


class InstancesPage(QWidget):
    changed = Signal()

    def __init__(
        self,
        instances: tuple[InstanceConfig, ...],
        profile_names: Callable[[], list[str]],
        has_password: Callable[[str, str], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._profile_names = profile_names
        self._has_password = has_password or (lambda _n, _u: False)
        self.rows = [_InstRow(c, origin=(c.name, c.username)) for c in instances]
        self._errors: list[dict[str, str]] = []

        self.list = QListWidget()
        self.list.setMinimumWidth(150)
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        left.addLayout(buttons)

        template = default_instance("ES")
        specs = [
            Spec("enabled", "Enabled", "bool"),
            Spec("name", "Name", "text"),
            Spec("instrument", "Instrument", "choice", [(i, i) for i in INSTRUMENTS]),
            Spec("custom_tick_size", "Tick size", "float", lo=0, hi=100_000, decimals=6, trim=True),
            Spec("custom_tick_value", "Tick value", "float", lo=0, hi=1_000_000, decimals=2, suffix=" USD"),
            Spec("source", "Source", "choice", list(SOURCE_LABELS.items())),
            Spec("symbol", "Symbol", "text", tip="The exchange symbol, e.g. ESZ6 or ESZ26_FUT_CME"),
            Spec("host", "Host", "text"),
            Spec("port", "Port", "int", lo=0, hi=999_999),
            Spec("encoding", "Encoding", "choice", [(e, e) for e in ENCODINGS]),
            Spec("heartbeat_s", "Heartbeat", "int", lo=0, hi=3600, suffix=" s"),
            Spec("relay", "Relay server logon", "bool"),
            Spec("username", "User name", "text"),
            Spec("data_folder", "Sierra Chart Data folder", "text"),
            Spec("replay_file", "Replay file", "text"),
            Spec(
                "replay_speed",
                "Replay speed",
                "float",
                lo=-1,
                hi=100_000,
                suffix=" ×",
                tip="0 = as fast as possible",
            ),
            Spec("vix_source", "VIX source", "choice", [(v, v) for v in VIX_SOURCES]),
            Spec("vix_path", "VIX file", "text"),
            Spec("profile", "Profile", "choice", [(n, n) for n in profile_names()]),
        ]
        self.form = SpecForm(template, specs)
        # the widgets that are not plain fields: password, browse buttons
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.add_row("password", "Password", self.password, after="username")
        self.browse_data = QPushButton("Browse…")
        self.browse_replay = QPushButton("Browse…")
        self.browse_vix = QPushButton("Browse…")
        for key, button in (
            ("data_folder", self.browse_data),
            ("replay_file", self.browse_replay),
            ("vix_path", self.browse_vix),
        ):
            self.form.rows[key].hbox.addWidget(button)
        self.empty_note = QLabel(
            "No instances: MIA Desktop runs its built-in demo (ES and NQ from the simulator). "
            "Add an instance to connect to Sierra Chart."
        )
        self.empty_note.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(self.empty_note)
        right.addWidget(self.form, 1)
        top = QHBoxLayout(self)
        top.addLayout(left)
        top.addLayout(right, 1)

        self.list.currentRowChanged.connect(self._select)
        self.list.itemChanged.connect(self._item_checked)
        self.add_button.clicked.connect(self.add_instance)
        self.remove_button.clicked.connect(self.remove_current)
        self.form.changed.connect(self._edited)
        self.password.textEdited.connect(self._password_edited)
        self.browse_data.clicked.connect(self._browse_data)
        self.browse_replay.clicked.connect(lambda: self._browse_file("replay_file", "Depth files (*.depth)"))
        self.browse_vix.clicked.connect(lambda: self._browse_file("vix_path", "VIX files (*.scid *.csv)"))
        self._file_dialog: QFileDialog | None = None
        self._reload_list()
        self._apply_visibility(template)   # source-dependent rows right from the start
        self.list.setCurrentRow(0 if self.rows else -1)
        self._refresh_state()

    # ------------------------------------------------------------ public

    def instances(self) -> tuple[InstanceConfig, ...]:
        return tuple(r.cfg for r in self.rows)

    def pending_passwords(self) -> list[tuple[str, str, str]]:
        """(instance, username, password) typed since the dialog opened."""
        return [
            (r.cfg.name, r.cfg.username, r.password)
            for r in self.rows
            if r.password is not None and r.cfg.username
        ]

    def moved_credentials(self) -> list[tuple[str, str, str, str]]:
        """(old name, old user, new name, new user) for instances renamed (or whose user name
        changed) without a new password typed: their keyring entry should follow."""
        return [
            (*r.origin, r.cfg.name, r.cfg.username)
            for r in self.rows
            if r.password is None
            and r.origin[1]
            and r.cfg.username
            and r.origin != (r.cfg.name, r.cfg.username)
        ]

    def clear_pending_passwords(self) -> None:
        """After an apply: typed passwords are stored, and every row is now known to the keyring
        by its current name and user."""
        for r in self.rows:
            r.password = None
            r.origin = (r.cfg.name, r.cfg.username)
        self.password.clear()
        self._refresh_password_hint()

    def current_index(self) -> int:
        return self.list.currentRow()

    def set_errors(self, per_row: list[dict[str, str]]) -> None:
        self._errors = per_row
        i = self.current_index()
        self.form.set_errors(per_row[i] if 0 <= i < len(per_row) else {})
        self._data_folder_note()
        for n in range(self.list.count()):
            item = self.list.item(n)
            bad = n < len(per_row) and bool(per_row[n])
            item.setForeground(Qt.GlobalColor.red if bad else self.list.palette().text().color())
            item.setToolTip("; ".join(per_row[n].values()) if bad else "")

    def set_profile_names(self, names: list[str]) -> None:
        combo: QComboBox = self.form.widgets["profile"]  # type: ignore[assignment]
        cur = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for n in names:
            combo.addItem(n, n)
        i = combo.findData(cur)
        if i < 0 and cur is not None:
            combo.addItem(str(cur), cur)
            i = combo.count() - 1
        combo.setCurrentIndex(i)
        combo.blockSignals(False)

    def rename_profile(self, old: str, new: str) -> None:
        for r in self.rows:
            if r.cfg.profile == old:
                r.cfg = dataclasses.replace(r.cfg, profile=new)
        self._select(self.current_index())

    def add_instance(self) -> None:
        used = {r.cfg.instrument for r in self.rows}
        instrument = next((i for i in ("ES", "NQ", "MES", "MNQ") if i not in used), "ES")
        names = {r.cfg.name.casefold() for r in self.rows}
        name, n = instrument, 2
        while name.casefold() in names:
            name, n = f"{instrument} {n}", n + 1
        cfg = dataclasses.replace(
            default_instance(instrument, name),
            profile=self._profile_names()[0] if "production" not in self._profile_names() else "production",
        )
        self.rows.append(_InstRow(cfg))
        self._reload_list()
        self.list.setCurrentRow(len(self.rows) - 1)
        self._refresh_state()
        self.changed.emit()

    def remove_current(self) -> None:
        i = self.current_index()
        if not 0 <= i < len(self.rows):
            return
        del self.rows[i]
        self._reload_list()
        self.list.setCurrentRow(min(i, len(self.rows) - 1))
        self._refresh_state()
        self.changed.emit()

    # ------------------------------------------------------------ internals

    def _reload_list(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for r in self.rows:
            item = QListWidgetItem(r.cfg.name or "(unnamed)")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if r.cfg.enabled else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.list.blockSignals(False)

    def _refresh_state(self) -> None:
        has = bool(self.rows)
        bound = 0 <= self.current_index() < len(self.rows)
        # an unbound form would offer edits that go nowhere: hidden until a row is selected or added
        self.form.setEnabled(bound)
        self.form.setVisible(bound)
        self.empty_note.setVisible(not has)
        self.remove_button.setEnabled(has)

    def _select(self, i: int) -> None:
        if not 0 <= i < len(self.rows):
            self._refresh_state()
            return
        cfg = self.rows[i].cfg
        self.form.set_value(cfg)
        self.password.blockSignals(True)
        self.password.setText(self.rows[i].password or "")
        self.password.blockSignals(False)
        self._refresh_password_hint()
        self._apply_visibility(cfg)
        self.form.set_errors(self._errors[i] if i < len(self._errors) else {})
        self._data_folder_note()
        self._refresh_state()

    def _edited(self) -> None:
        i = self.current_index()
        if not 0 <= i < len(self.rows):
            return
        old = self.rows[i].cfg
        new = self.form.value()
        if new.instrument != old.instrument:
            # follow the instrument's defaults unless the user already changed them
            updates = {}
            if old.symbol in ("", old.instrument):
                updates["symbol"] = "" if new.instrument == "custom" else new.instrument
            if old.port == DEFAULT_PORTS.get(old.instrument):
                updates["port"] = DEFAULT_PORTS.get(new.instrument, old.port)
            if updates:
                new = dataclasses.replace(new, **updates)
                self.form.set_value(new)
        self.rows[i].cfg = new
        item = self.list.item(i)
        self.list.blockSignals(True)
        item.setText(new.name or "(unnamed)")
        item.setCheckState(Qt.CheckState.Checked if new.enabled else Qt.CheckState.Unchecked)
        self.list.blockSignals(False)
        self._apply_visibility(new)
        self._refresh_password_hint()
        self.changed.emit()

    def _item_checked(self, item: QListWidgetItem) -> None:
        i = self.list.row(item)
        if 0 <= i < len(self.rows):
            on = item.checkState() == Qt.CheckState.Checked
            self.rows[i].cfg = dataclasses.replace(self.rows[i].cfg, enabled=on)
            if i == self.current_index():
                self.form.set_value(self.rows[i].cfg)
            self.changed.emit()

    def _password_edited(self, text: str) -> None:
        i = self.current_index()
        if 0 <= i < len(self.rows):
            self.rows[i].password = text
            self.changed.emit()

    def _refresh_password_hint(self) -> None:
        i = self.current_index()
        if not 0 <= i < len(self.rows):
            return
        cfg = self.rows[i].cfg
        if not cfg.username:
            hint = "set a user name first"
        elif self._has_password(cfg.name, cfg.username):
            hint = "saved in the OS keyring — type to replace"
        else:
            hint = "stored in the OS keyring, never in the settings file"
        self.password.setPlaceholderText(hint)
        self.password.setEnabled(bool(cfg.username))

    def _apply_visibility(self, cfg: InstanceConfig) -> None:
        dtc = cfg.source == "dtc"
        for key in ("host", "port", "encoding", "heartbeat_s", "relay", "username", "password"):
            self.form.set_row_visible(key, dtc)
        self.form.set_row_visible("data_folder", cfg.source == "scfiles")
        self.form.set_row_visible("replay_file", cfg.source == "replay")
        self.form.set_row_visible("replay_speed", cfg.source == "replay")
        self.form.set_row_visible("vix_path", cfg.vix_source in ("scid", "csv"))
        custom = cfg.instrument == "custom"
        self.form.set_row_visible("custom_tick_size", custom)
        self.form.set_row_visible("custom_tick_value", custom)

    def _data_folder_note(self) -> None:
        i = self.current_index()
        if not 0 <= i < len(self.rows) or self.rows[i].cfg.source != "scfiles":
            return
        count, text = depth_file_check(self.rows[i].cfg.data_folder)
        row = self.form.rows["data_folder"]
        if count < 0:
            row.set_error(text)
        elif text:
            row.set_note(text, OK_STYLE if count > 0 else WARN_STYLE)

    def depth_check_error(self) -> str | None:
        """A blocking problem with the current scfiles folder (it does not exist), else None."""
        for r in self.rows:
            if r.cfg.source == "scfiles" and r.cfg.data_folder.strip():
                count, text = depth_file_check(r.cfg.data_folder)
                if count < 0:
                    return f"{r.cfg.name}: {text}"
        return None

    def _browse_data(self) -> None:
        self._open_dialog("data_folder", QFileDialog.FileMode.Directory, "")

    def _browse_file(self, key: str, name_filter: str) -> None:
        self._open_dialog(key, QFileDialog.FileMode.ExistingFile, name_filter)

    def _open_dialog(self, key: str, mode: QFileDialog.FileMode, name_filter: str) -> None:
        dlg = QFileDialog(self)
        dlg.setFileMode(mode)
        if name_filter:
            dlg.setNameFilter(name_filter)
        current = self.form.widgets[key].text()  # type: ignore[attr-defined]
        if current:
            dlg.setDirectory(current if mode == QFileDialog.FileMode.Directory else str(Path(current).parent))
        dlg.fileSelected.connect(lambda path: self.form.widgets[key].setText(path))  # type: ignore[attr-defined]
        self._file_dialog = dlg
        dlg.open()


# ---------------------------------------------------------------- profiles

FIELD_LABELS = {
    "analysis_interval_ms": "Analysis interval",
    "depth_levels": "Depth levels",
    "iceberg_min_volume": "Iceberg min volume",
    "wall_min_size": "Wall min size",
    "absorption_min_volume": "Absorption min volume",
    "min_size_threshold": "Ignore levels smaller than",
    "max_signals_per_hour": "Elite signals per hour (max)",
    "min_elite_score": "Elite score (min)",
}


class ProfilesPage(QWidget):
    changed = Signal()
    renamed = Signal(str, str)  # old name, new name (instances follow)

    def __init__(self, default: str, customs: tuple[Profile, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.customs: list[Profile] = list(customs)
        self._errors: list[dict[str, str]] = []
        self.default_combo = QComboBox()
        self.list = QListWidget()
        self.copy_button = QPushButton("Copy")
        self.remove_button = QPushButton("Remove")
        self.readonly_note = QLabel("Built-in profiles are read-only: copy one to make your own.")
        self.readonly_note.setWordWrap(True)

        base = PROFILES["production"]
        specs = [Spec("name", "Name", "text")]
        for f in TABLE_FIELDS:
            v = getattr(base, f)
            if f == "min_elite_score":
                specs.append(Spec(f, FIELD_LABELS[f], "float", lo=-1, hi=10, decimals=2))
            elif isinstance(v, int):
                specs.append(
                    Spec(
                        f,
                        FIELD_LABELS[f],
                        "int",
                        lo=-1,
                        hi=10_000_000,
                        suffix=" ms" if f.endswith("_ms") else "",
                    )
                )
            else:
                specs.append(Spec(f, FIELD_LABELS[f], "float", lo=-1, hi=100_000_000, decimals=0))
        self.form = SpecForm(base, specs)
        self.auto_boxes: dict[str, QCheckBox] = {}
        for f in AUTO_FIELDS:
            box = QCheckBox("auto")
            box.setToolTip(
                "Scale this threshold to the session's own size distribution "
                "(a multiple of the rolling 90th percentile, capped at the absolute value)"
            )
            box.toggled.connect(self._edited)
            self.auto_boxes[f] = box
            self.form.rows[f].hbox.addWidget(box)
        self.form.add_row("auto", "", QLabel())  # messages about the auto list itself

        left = QVBoxLayout()
        row = QHBoxLayout()
        row.addWidget(QLabel("Default profile:"))
        row.addWidget(self.default_combo, 1)
        left.addLayout(row)
        left.addWidget(self.list, 1)
        b = QHBoxLayout()
        b.addWidget(self.copy_button)
        b.addWidget(self.remove_button)
        left.addLayout(b)
        self.params = ParamsTree()
        right = QVBoxLayout()
        right.addWidget(self.readonly_note)
        right.addWidget(self.form)
        right.addWidget(QLabel("Detector parameters (double-click a value to edit a custom profile):"))
        right.addWidget(self.params, 1)
        top = QHBoxLayout(self)
        top.addLayout(left)
        top.addLayout(right, 1)

        self._reload(select=default)
        i = self.default_combo.findData(default)
        if i < 0:
            self.default_combo.addItem(default, default)
            i = self.default_combo.count() - 1
        self.default_combo.setCurrentIndex(i)
        self.default_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.list.currentRowChanged.connect(self._select)
        self.copy_button.clicked.connect(self.copy_current)
        self.remove_button.clicked.connect(self.remove_current)
        self.form.changed.connect(self._edited)
        self.params.changed.connect(self._edited)
        self._select(self.list.currentRow())

    # ------------------------------------------------------------ public

    def names(self) -> list[str]:
        return list(PROFILES) + [p.name for p in self.customs]

    def default_profile(self) -> str:
        return str(self.default_combo.currentData())

    def custom_profiles(self) -> tuple[Profile, ...]:
        return tuple(self.customs)

    def current(self) -> Profile:
        i = self.list.currentRow()
        names = self.names()
        name = names[i] if 0 <= i < len(names) else "production"
        return PROFILES[name] if i < len(PROFILES) else self.customs[i - len(PROFILES)]

    def select(self, name: str) -> None:
        names = self.names()
        if name in names:
            self.list.setCurrentRow(names.index(name))

    def copy_current(self) -> Profile:
        src = self.current()
        taken = {n.casefold() for n in self.names()}
        name, n = f"{src.name} copy", 2
        while name.casefold() in taken:
            name, n = f"{src.name} copy {n}", n + 1
        p = copy_profile(src, name)
        self.customs.append(p)
        self._reload(select=name)
        self.changed.emit()
        return p

    def remove_current(self) -> None:
        i = self.list.currentRow() - len(PROFILES)
        if 0 <= i < len(self.customs):
            del self.customs[i]
            self._reload(select=self.default_profile())
            self.changed.emit()

    def parse_errors(self) -> dict[str, str]:
        """Detector-parameter cells of the selected custom profile whose text does not parse,
        keyed "custom_profiles[<name>].<group>.<field>"."""
        i = self.list.currentRow() - len(PROFILES)
        if not 0 <= i < len(self.customs):
            return {}
        return {
            f"custom_profiles[{self.customs[i].name}].{k}": m for k, m in self.params.parse_errors().items()
        }

    def set_errors(self, per_custom: list[dict[str, str]]) -> None:
        self._errors = per_custom
        i = self.list.currentRow() - len(PROFILES)
        self.form.set_errors(per_custom[i] if 0 <= i < len(per_custom) else {})
        self.params.set_errors(per_custom[i] if 0 <= i < len(per_custom) else {})
        for n in range(len(PROFILES), self.list.count()):
            k = n - len(PROFILES)
            bad = k < len(per_custom) and bool(per_custom[k])
            self.list.item(n).setForeground(Qt.GlobalColor.red if bad else self.list.palette().text().color())

    # ------------------------------------------------------------ internals

    def _reload(self, select: str | None = None) -> None:
        names = self.names()
        self.list.blockSignals(True)
        self.list.clear()
        for n in names:
            self.list.addItem(n if n not in PROFILES else f"{n} (built-in)")
        self.list.blockSignals(False)
        cur = self.default_combo.currentData()
        self.default_combo.blockSignals(True)
        self.default_combo.clear()
        for n in names:
            self.default_combo.addItem(n, n)
        j = self.default_combo.findData(cur)
        self.default_combo.setCurrentIndex(j if j >= 0 else self.default_combo.findData("production"))
        self.default_combo.blockSignals(False)
        target = names.index(select) if select in names else 0
        self.list.setCurrentRow(target)
        self._select(target)

    def _select(self, i: int) -> None:
        if i < 0:
            return
        p = self.current()
        builtin = i < len(PROFILES)
        self.form.set_value(p)
        for f, box in self.auto_boxes.items():
            box.blockSignals(True)
            box.setChecked(p.is_auto(f))
            box.blockSignals(False)
        self.form.setEnabled(not builtin)
        self.params.set_profile(p, editable=not builtin)
        self.readonly_note.setVisible(builtin)
        self.remove_button.setEnabled(not builtin)
        k = i - len(PROFILES)
        errs = self._errors[k] if 0 <= k < len(self._errors) else {}
        self.form.set_errors(errs)
        self.params.set_errors(errs)

    def _edited(self, *_: object) -> None:
        i = self.list.currentRow() - len(PROFILES)
        if not 0 <= i < len(self.customs):
            return
        old = self.customs[i]
        auto = tuple(f for f, box in self.auto_boxes.items() if box.isChecked())
        table = self.form.value()
        base = self.params.profile() or old  # carries the detector-parameter edits
        new = dataclasses.replace(
            base, auto=auto, name=table.name, **{f: getattr(table, f) for f in TABLE_FIELDS}
        )
        self.customs[i] = new
        if new.name != old.name:
            self.list.item(i + len(PROFILES)).setText(new.name)
            j = self.default_combo.findData(old.name)
            if j >= 0:
                self.default_combo.setItemText(j, new.name)
                self.default_combo.setItemData(j, new.name)
            self.renamed.emit(old.name, new.name)
        self.changed.emit()
