"""Pure market model: instruments, integer-tick prices, events, book, bars, heatmap history."""

from mia_desktop.market.bars import Bar, BarBuilder
from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import (
    BATCH_END,
    DEPTH_DTYPE,
    DepthBatch,
    DepthCommand,
    MarketEvent,
    Quote,
    Side,
    SourceStatus,
    Trade,
    VixReading,
    depth_side,
    make_depth,
)
from mia_desktop.market.heatmap import HeatmapHistory
from mia_desktop.market.heatmap_view import HeatmapHistoryView
from mia_desktop.market.instrument import BUILTIN, Instrument, custom_instrument, instrument_for, root_symbol

__all__ = [
    "BATCH_END",
    "BUILTIN",
    "DEPTH_DTYPE",
    "Bar",
    "BarBuilder",
    "DepthBatch",
    "DepthCommand",
    "HeatmapHistory",
    "HeatmapHistoryView",
    "Instrument",
    "MarketEvent",
    "OrderBook",
    "Quote",
    "Side",
    "SourceStatus",
    "Trade",
    "VixReading",
    "custom_instrument",
    "depth_side",
    "instrument_for",
    "make_depth",
    "root_symbol",
]
