"""User key levels (gamma levels) for gamma_pin: `price,label` lines from a CSV file or pasted text.

The caller reads the file; this module only parses text. Blank lines, `#` comments and a header
line (first field not a number) are skipped; a bad line raises KeyLevelError naming its line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

MAX_LEVELS = 10_000


class KeyLevelError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class KeyLevel:
    price: float
    label: str


def parse_key_levels(text: str | Iterable[str]) -> list[KeyLevel]:
    lines = text.splitlines() if isinstance(text, str) else list(text)
    out: list[KeyLevel] = []
    for no, raw in enumerate(lines, 1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        sep = ";" if ";" in line and "," not in line else ("\t" if "\t" in line and "," not in line else ",")
        parts = [p.strip() for p in line.split(sep, 1)]
        try:
            price = float(parts[0])
        except ValueError:
            if not out and no == 1 + sum(1 for x in lines[: no - 1] if not x.strip()):
                continue  # header line
            raise KeyLevelError(f"line {no}: price {parts[0]!r} is not a number") from None
        if not math.isfinite(price) or price <= 0:
            raise KeyLevelError(f"line {no}: price must be a positive number, got {parts[0]!r}")
        label = parts[1] if len(parts) > 1 and parts[1] else f"{price:g}"
        out.append(KeyLevel(price, label[:80]))
        if len(out) > MAX_LEVELS:
            raise KeyLevelError(f"more than {MAX_LEVELS} key levels")
    return out
