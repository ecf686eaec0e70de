"""Instruments and the price <-> integer-tick conversion.

Inside the program every price is an integer number of ticks (price / tick_size, rounded to the
nearest tick). Floats from Sierra Chart or DTC are snapped once at the edge, so equality tests,
dict keys and array indices never meet a float.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str
    tick_size: float
    tick_value: float  # USD per tick per contract
    battle_ticks: int = 8  # `n` of the Battle Navale rules (8 ES/MES, 9 NQ/MNQ)
    strike_step_points: float = 25.0  # round strikes for gamma_pin when no key levels are given
    description: str = ""
    price_multiplier: float = 1.0  # DTC DisplayPriceMultiplier

    def __post_init__(self) -> None:
        if not self.symbol:
            raise ValueError("instrument symbol must not be empty")
        if not (self.tick_size > 0 and math.isfinite(self.tick_size)):
            raise ValueError(f"{self.symbol}: tick_size must be a positive number, got {self.tick_size!r}")
        if not (self.tick_value > 0 and math.isfinite(self.tick_value)):
            raise ValueError(f"{self.symbol}: tick_value must be a positive number, got {self.tick_value!r}")

    def to_ticks(self, price: float) -> int:
        """Snap a float price to the nearest integer tick. Raises on NaN/inf."""
        if not math.isfinite(price):
            raise ValueError(f"{self.symbol}: price is not finite: {price!r}")
        return round(price * self.price_multiplier / self.tick_size)

    def to_price(self, ticks: int) -> float:
        return ticks * self.tick_size

    @property
    def point_value(self) -> float:
        return self.tick_value / self.tick_size


def tick_decimals(tick_size: float) -> int:
    """Decimals a price on this tick grid needs to print exactly (0.25 -> 2, 0.1 -> 1, 1.0 -> 0)."""
    d = 0
    while d < 10 and abs(tick_size * 10 ** d - round(tick_size * 10 ** d)) > 1e-9:
        d += 1
    return d


def format_price(ticks: float, tick_size: float) -> str:
    """A tick count as a display price with exactly the tick's decimals (19229, 0.25 -> '4807.25')."""
    return f"{ticks * tick_size:.{tick_decimals(tick_size)}f}"


BUILTIN: dict[str, Instrument] = {
    "ES": Instrument("ES", 0.25, 12.50, 8, 25.0, "E-mini S&P 500"),
    "NQ": Instrument("NQ", 0.25, 5.00, 9, 100.0, "E-mini Nasdaq-100"),
    "MES": Instrument("MES", 0.25, 1.25, 8, 25.0, "Micro E-mini S&P 500"),
    "MNQ": Instrument("MNQ", 0.25, 0.50, 9, 100.0, "Micro E-mini Nasdaq-100"),
    "VIX": Instrument("VIX", 0.01, 10.0, 8, 1.0, "CBOE Volatility Index"),
}


def root_symbol(symbol: str) -> str:
    """'ESH4.CME', 'ESZ26_FUT_CME', 'ESZ6', 'MNQZ26-CME' -> 'ES' / 'MNQ' (longest built-in prefix)."""
    s = symbol.upper()
    for root in sorted(BUILTIN, key=len, reverse=True):
        if s.startswith(root):
            rest = s[len(root):]
            # a futures month code or a separator must follow, so 'ESX' is not ES by accident
            if not rest or rest[0] in "FGHJKMNQUVXZ._-" or rest[0].isdigit():
                return root
    return s


def instrument_for(symbol: str) -> Instrument:
    """Built-in instrument for a symbol or contract name; raises KeyError for an unknown one."""
    root = root_symbol(symbol)
    if root in BUILTIN:
        return BUILTIN[root]
    raise KeyError(f"unknown instrument {symbol!r}: define it from a security definition")


def custom_instrument(symbol: str, tick_size: float, tick_value: float, price_multiplier: float = 1.0,
                      description: str = "") -> Instrument:
    """An instrument built from a DTC security definition (507)."""
    return Instrument(symbol, tick_size, tick_value, 8, 25.0, description, price_multiplier or 1.0)
