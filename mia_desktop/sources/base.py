"""What every source has in common: it pushes immutable market events into a sink.

A `MarketFeed` is anything a DTC server (or the engine) can serve: the simulator, a replay of
Sierra Chart files. It names its symbols and instruments and, when run, pushes events for all of
them into the sink until cancelled (depth as `DepthBatch`, trades as `Trade`, VIX as `VixReading`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from mia_desktop.market.events import MarketEvent
from mia_desktop.market.instrument import Instrument

EventSink = Callable[[MarketEvent], None]


class MarketFeed(Protocol):
    def symbols(self) -> list[str]: ...

    def instrument(self, symbol: str) -> Instrument: ...

    async def run(self, sink: EventSink) -> None:
        """Push events into `sink` until cancelled (or until a finite recording ends)."""
        ...
