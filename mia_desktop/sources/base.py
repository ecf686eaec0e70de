"""What every source has in common: it pushes immutable market events into a sink."""

from __future__ import annotations

from collections.abc import Callable

from mia_desktop.market.events import MarketEvent

EventSink = Callable[[MarketEvent], None]
