"""Every detector's docstring states its rule and names every parameter its code reads."""

from __future__ import annotations

import inspect
import re

import pytest

from mia_desktop.analysis import advanced, battle_navale, dom_flow, dom_levels, vix

# detector -> the code whose parameter reads its docstring must cover (the class, plus helpers it calls)
DETECTORS: list[tuple[type, tuple[object, ...]]] = [
    (dom_levels.WallDetector, ()),
    (dom_levels.LadderDetector, ()),
    (dom_levels.SpoofDetector, ()),
    (dom_flow.IcebergDetector, ()),
    (dom_flow.AbsorptionDetector, ()),
    (dom_flow.SqueezeDetector, ()),
    (advanced.GammaPin, ()),
    (advanced.HeadFake, ()),
    (advanced.Transition, ()),
    (advanced.VolumeProfile, ()),
    (advanced.Microstructure, ()),
    (battle_navale.BattleNavale, (battle_navale.battle_scores, battle_navale.golden_rule)),
    (vix.VixAnalyzer, ()),
]

PARAM = re.compile(r"\bp\.([a-z_][a-z0-9_]*)")


@pytest.mark.parametrize("cls,helpers", DETECTORS, ids=[c.__name__ for c, _ in DETECTORS])
def test_detector_docstring_names_its_parameters(cls: type, helpers: tuple[object, ...]) -> None:
    doc = inspect.getdoc(cls) or ""
    src = "".join(inspect.getsource(o) for o in (cls, *helpers))  # type: ignore[arg-type]
    used = set(PARAM.findall(src)) - {"with_auto"}
    assert used, f"{cls.__name__}: no parameter reads found (pattern out of date?)"
    missing = sorted(u for u in used if f"`{u}`" not in doc)
    assert not missing, f"{cls.__name__} docstring does not name {missing}"
    assert "formulas in SIGNALS.md" not in doc and len(doc) > 300


def test_battle_navale_docstring_states_the_five_rules() -> None:
    doc = inspect.getdoc(battle_navale.BattleNavale) or ""
    for rule in ("O[0] < C[-1] and H[-1] > L[0] + n", "H[0] > L[1] + n and L[1] < L[-1]",
                 "H[-2] > L[-1] + k", "B / (B + S) ≥ `side_score` (0.70)", "lowest low of the green bars",
                 "`battle_ticks`", "`color_down_ticks` (12)", "`golden_check_bars` (20)"):
        assert rule in doc, rule
