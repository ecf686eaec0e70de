"""The settings dialog: Instances, Profiles, Alerts, Heatmap, Risk.

How this works: the dialog edits copies. After every edit it assembles a candidate `Settings`
(`current_settings()`), validates it with config.settings (the same rules the settings file is
loaded with), shows each message next to its field in red, and enables OK/Apply only when nothing
is wrong. Apply stores typed passwords in the OS keyring (and removes those of deleted instances),
saves the file when a `SettingsStore` was given, and emits `applied(Settings)`; the app then
restarts only `changed_instances(old, new)`. The dialog is non-modal: `open()` shows it without
blocking the main window or the qasync loop.
"""

from __future__ import annotations

import dataclasses
import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mia_desktop.config.risk import RiskSettings
from mia_desktop.config.settings import (
    COLORMAPS,
    AlertSettings,
    FieldError,
    HeatmapSettings,
    Settings,
    custom_profile_errors,
    instance_errors,
    profile_known,
    validate_alerts,
    validate_heatmap,
    validate_risk,
)
from mia_desktop.config.settings import changed_instances as changed_instances  # re-export for the app
from mia_desktop.storage import credentials
from mia_desktop.storage.settings_store import SettingsStore
from mia_desktop.ui.alerts import AlertPlayer
from mia_desktop.ui.settings_form import ERROR_STYLE, OK_STYLE, Spec, SpecForm
from mia_desktop.ui.settings_pages import InstancesPage, ProfilesPage

log = logging.getLogger(__name__)

ALERT_SPECS = [
    Spec("enabled", "Audio alerts", "bool"),
    Spec("muted", "Mute", "bool"),
    Spec("volume", "Volume", "slider", lo=0, hi=100),
    Spec(
        "cooldown_s",
        "Cooldown per instrument and direction",
        "float",
        lo=-1,
        hi=1_000_000,
        decimals=0,
        suffix=" s",
    ),
    Spec("sound_elite_long", "Sound for elite long", "bool"),
    Spec("sound_elite_short", "Sound for elite short", "bool"),
    Spec("sound_strong_long", "Sound for strong long", "bool"),
    Spec("sound_strong_short", "Sound for strong short", "bool"),
]
HEATMAP_SPECS = [
    Spec("colormap", "Colour map", "choice", [(c, c) for c in COLORMAPS]),
    Spec("scale", "Scale", "choice", [("log", "logarithmic"), ("linear", "linear")]),
    Spec("low_cut", "Lower cut-off", "percent", lo=-100, hi=1000, decimals=1),
    Spec("high_cut", "Upper cut-off", "percent", lo=-100, hi=1000, decimals=1),
    Spec("contrast", "Contrast", "float", lo=0, hi=1000, decimals=2),
    Spec("history_minutes", "History length", "int", lo=0, hi=100_000, suffix=" min"),
    Spec(
        "renderer",
        "Renderer",
        "choice",
        [("auto", "auto (GPU when available)"), ("gpu", "GPU (OpenGL)"), ("cpu", "CPU (pyqtgraph)")],
    ),
    Spec("column_ms", "Column width", "int", lo=0, hi=1_000_000, suffix=" ms"),
    Spec("auto_follow", "Follow price", "bool"),
]
RISK_SPECS = [
    Spec("risk_per_trade_usd", "Risk per trade", "float", lo=-1, hi=1e9, decimals=2, suffix=" USD"),
    Spec("max_daily_loss_usd", "Daily loss limit", "float", lo=-1, hi=1e9, decimals=2, suffix=" USD"),
    Spec("base_contracts", "Base contracts", "int", lo=-1, hi=1_000_000),
    Spec("max_contracts", "Max contracts", "int", lo=-1, hi=1_000_000),
    Spec("max_trades_per_day", "Trades per day (max)", "int", lo=-1, hi=1_000_000),
]


def _has_password(instance: str, username: str) -> bool:
    try:
        return credentials.get_password(instance, username) is not None
    except credentials.CredentialsError:
        return False


class SettingsDialog(QDialog):
    applied = Signal(object)  # the new Settings, after the keyring (and file, with a store) were written

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        store: SettingsStore | None = None,
        player: AlertPlayer | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings — MIA Desktop")
        self.setModal(False)
        self.resize(820, 620)
        self._settings = settings
        self._store = store
        self._player = player
        self._errors: list[FieldError] = []

        self.profiles_page = ProfilesPage(settings.profile, settings.custom_profiles)
        self.instances_page = InstancesPage(settings.instances, self.profiles_page.names, _has_password)
        self.alerts_form = SpecForm(settings.alerts, ALERT_SPECS)
        self.heatmap_form = SpecForm(settings.heatmap, HEATMAP_SPECS)
        self.risk_form = SpecForm(settings.risk, RISK_SPECS)
        self.volume_label = QLabel()
        self.alerts_form.rows["volume"].hbox.addWidget(self.volume_label)
        self.test_long = QPushButton("Test elite long")
        self.test_short = QPushButton("Test elite short")
        tests = QWidget()
        h = QHBoxLayout(tests)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(self.test_long)
        h.addWidget(self.test_short)
        h.addStretch(1)
        self.alerts_form.add_row("test", "", tests)
        self.audio_note = QLabel()
        self.audio_note.setWordWrap(True)
        self.alerts_form.add_row("audio", "", self.audio_note)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.instances_page, "Instances")
        self.tabs.addTab(self.profiles_page, "Profiles")
        self.tabs.addTab(self.alerts_form, "Alerts")
        self.tabs.addTab(self.heatmap_form, "Heatmap")
        self.tabs.addTab(self.risk_form, "Risk")

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        for page in (
            self.instances_page,
            self.profiles_page,
            self.alerts_form,
            self.heatmap_form,
            self.risk_form,
        ):
            page.changed.connect(self.revalidate)
        self.profiles_page.renamed.connect(self.instances_page.rename_profile)
        self.ok_button.clicked.connect(self._ok)
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button.clicked.connect(self.reject)
        self.test_long.clicked.connect(lambda: self.test_sound("elite_long"))
        self.test_short.clicked.connect(lambda: self.test_sound("elite_short"))
        self.revalidate()

    # ------------------------------------------------------------ public

    def open(self) -> None:
        """Show without blocking (QDialog.open() would make it window-modal)."""
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.show()
        self.raise_()
        self.activateWindow()

    @property
    def settings(self) -> Settings:
        """The settings last applied (or those the dialog opened with)."""
        return self._settings

    def current_settings(self) -> Settings:
        """What the widgets say now (may be invalid; see `errors()`)."""
        return dataclasses.replace(
            self._settings,
            instances=self.instances_page.instances(),
            profile=self.profiles_page.default_profile(),
            custom_profiles=self.profiles_page.custom_profiles(),
            alerts=self.alerts_form.value(),
            heatmap=self.heatmap_form.value(),
            risk=self.risk_form.value(),
        )

    def errors(self) -> list[FieldError]:
        return list(self._errors)

    def is_valid(self) -> bool:
        return not self._errors

    def revalidate(self) -> bool:
        s = self.current_settings()
        inst = instance_errors(s)
        prof = custom_profile_errors(s)
        alerts = validate_alerts(s.alerts)
        heat = validate_heatmap(s.heatmap)
        risk = validate_risk(s.risk)
        self.instances_page.set_profile_names(self.profiles_page.names())
        self.instances_page.set_errors(inst)
        self.profiles_page.set_errors(prof)
        self.alerts_form.set_errors(alerts)
        self.heatmap_form.set_errors(heat)
        self.risk_form.set_errors(risk)
        errs: list[FieldError] = []
        for c, e in zip(s.instances, inst, strict=True):
            errs += [FieldError(f"instances[{c.name}].{k}", m) for k, m in e.items()]
        for p, e in zip(s.custom_profiles, prof, strict=True):
            errs += [FieldError(f"custom_profiles[{p.name}].{k}", m) for k, m in e.items()]
        errs += [FieldError(k, m) for k, m in self.profiles_page.parse_errors().items()]
        if not profile_known(s, s.profile):
            errs.append(FieldError("profile", f"Unknown profile {s.profile!r}."))
        errs += [FieldError(f"alerts.{k}", m) for k, m in alerts.items()]
        errs += [FieldError(f"heatmap.{k}", m) for k, m in heat.items()]
        errs += [FieldError(f"risk.{k}", m) for k, m in risk.items()]
        depth = self.instances_page.depth_check_error()
        if depth and not any(e.field.endswith(".data_folder") for e in errs):
            errs.append(FieldError("instances.data_folder", depth))
        self._errors = errs
        self._mark_tabs(errs)
        ok = not errs
        self.ok_button.setEnabled(ok)
        self.apply_button.setEnabled(ok)
        if ok:
            self.message.setStyleSheet("")
            self.message.setText("")
        else:
            self.message.setStyleSheet(ERROR_STYLE)
            more = f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""
            self.message.setText(f"Fix before applying — {errs[0]}{more}")
        self.volume_label.setText(f"{round(s.alerts.volume * 100)} %")
        self._audio_note()
        return ok

    def apply(self) -> bool:
        """Validate, store passwords in the keyring, save (with a store), emit `applied`.
        Returns False (nothing applied) when any field is invalid."""
        if not self.revalidate():
            return False
        new = self.current_settings()
        problems: list[str] = []
        for old_name, old_user, name, user in self.instances_page.moved_credentials():
            try:  # a renamed instance keeps its password
                pw = credentials.get_password(old_name, old_user)
                if pw is not None:
                    credentials.set_password(name, user, pw)
            except credentials.CredentialsError as exc:
                problems.append(str(exc))
        for name, user, pw in self.instances_page.pending_passwords():
            try:
                if pw:
                    credentials.set_password(name, user, pw)
                else:
                    credentials.delete_password(name, user)
            except credentials.CredentialsError as exc:
                problems.append(str(exc))
        kept = {(c.name, c.username) for c in new.instances}
        for c in self._settings.instances:
            if c.username and (c.name, c.username) not in kept:
                try:
                    credentials.delete_password(c.name, c.username)
                except credentials.CredentialsError as exc:
                    problems.append(str(exc))
        self.instances_page.clear_pending_passwords()
        if self._store is not None:
            try:
                self._store.save(new)
            except OSError as exc:
                problems.append(f"settings file not saved: {exc}")
        self._settings = new
        if problems:
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText("Applied, but: " + "; ".join(problems))
        else:
            self.message.setStyleSheet(OK_STYLE)
            self.message.setText("Applied.")
        self.applied.emit(new)
        return True

    def test_sound(self, key: str) -> bool:
        """Play `key` through the alert player at the slider's (unapplied) volume."""
        if self._player is None:
            self._player = AlertPlayer(self._settings.alerts, self)
        volume = self.alerts_form.value().volume
        ok = self._player.test(key, volume=volume)
        self._audio_note()
        return ok

    # ------------------------------------------------------------ internals

    def _ok(self) -> None:
        if self.apply():
            self.accept()

    def _mark_tabs(self, errs: list[FieldError]) -> None:
        prefixes = ("instances", "custom_profiles", "alerts", "heatmap", "risk")
        names = ("Instances", "Profiles", "Alerts", "Heatmap", "Risk")
        for i, (prefix, name) in enumerate(zip(prefixes, names, strict=True)):
            bad = any(e.field.startswith(prefix) for e in errs) or (
                prefix == "custom_profiles" and any(e.field == "profile" for e in errs)
            )
            self.tabs.setTabText(i, f"{name} ⚠" if bad else name)

    def _audio_note(self) -> None:
        p = self._player
        if p is not None and not p.available:
            self.audio_note.setStyleSheet(ERROR_STYLE)
            self.audio_note.setText(
                f"Audio unavailable ({p.unavailable_reason}): alerts flash the blotter row "
                "and the status bar instead."
            )
        else:
            self.audio_note.setText("")


__all__ = ["AlertSettings", "HeatmapSettings", "RiskSettings", "SettingsDialog", "changed_instances"]
