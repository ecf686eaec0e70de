"""`mia-desktop probe`: connect to a DTC server, subscribe to one symbol, print one JSON summary.

It runs the real DtcClient (no reconnect) for `--seconds`, then logs off and prints what it saw:
logon result and text, the encoding granted, counts per message type, rejects with their text,
the last best bid/ask and the elapsed time. Exit 0 when it connected, 2 on bad input or when the
server cannot be reached (one-line reason on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from mia_desktop.dtc import ENCODING_NAMES, MESSAGE_CLASSES
from mia_desktop.market.events import (
    DepthBatch,
    DepthCommand,
    MarketEvent,
    Quote,
    SourceStatus,
    Trade,
    VixReading,
)
from mia_desktop.market.instrument import Instrument, custom_instrument, instrument_for
from mia_desktop.sources.dtc_client import DtcClient


class _Summary:
    """Collects what the probe reports from the client's events (a tiny book for the touch)."""

    def __init__(self, inst: Instrument) -> None:
        self.inst = inst
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.quote: tuple[int | None, int | None] | None = None
        self.trades = 0
        self.depth_rows = 0
        self.last_trade: float | None = None
        self.vix: float | None = None
        self.statuses: list[dict[str, Any]] = []

    def __call__(self, ev: MarketEvent) -> None:
        if isinstance(ev, DepthBatch):
            self.depth_rows += len(ev)
            for _ts, cmd, _fl, _n, price, qty in ev.records.tolist():
                if cmd == DepthCommand.CLEAR:
                    self.bids.clear()
                    self.asks.clear()
                    continue
                book = self.bids if cmd % 2 == 0 else self.asks
                if cmd >= DepthCommand.DELETE_BID or qty == 0:
                    book.pop(price, None)
                else:
                    book[price] = qty
        elif isinstance(ev, Quote):
            self.quote = (ev.bid, ev.ask)
        elif isinstance(ev, Trade):
            self.trades += 1
            self.last_trade = self.inst.to_price(ev.price) / self.inst.price_multiplier
        elif isinstance(ev, VixReading):
            self.vix = ev.value
        elif isinstance(ev, SourceStatus):
            entry: dict[str, Any] = {"state": ev.state, "text": ev.text}
            if ev.retry_in_s is not None:
                entry["retry_in_s"] = round(ev.retry_in_s, 3)
            self.statuses.append(entry)

    def best(self) -> tuple[float | None, float | None]:
        def px(t: int | None) -> float | None:
            return None if t is None else self.inst.to_price(t) / self.inst.price_multiplier

        if self.quote is not None:
            return px(self.quote[0]), px(self.quote[1])
        return px(max(self.bids) if self.bids else None), px(min(self.asks) if self.asks else None)


def _validate(args: argparse.Namespace) -> str | None:
    if not (0 < args.port < 65536):
        return f"port must be 1..65535, got {args.port}"
    if not args.host:
        return "host must not be empty"
    if not args.symbol or not args.symbol.strip():
        return "symbol must not be empty"
    if not (0 < args.seconds <= 3600):
        return f"seconds must be in (0, 3600], got {args.seconds}"
    if not (1 <= args.heartbeat <= 60):
        return f"heartbeat must be 1..60 seconds, got {args.heartbeat}"
    if args.encoding not in ENCODING_NAMES:
        return f"encoding must be binary, json or compact, got {args.encoding!r}"
    return None


async def _probe(args: argparse.Namespace) -> tuple[dict[str, Any], DtcClient]:
    symbol = args.symbol.strip()
    try:
        inst = instrument_for(symbol)
        instruments = None
    except KeyError:
        # not built in: a fine grid keeps any price exact enough to print
        inst = custom_instrument(symbol, 1e-6, 1e-6)
        instruments = {symbol: inst}
    summary = _Summary(inst)
    client = DtcClient(args.host, args.port, [symbol], summary, encoding=args.encoding,
                       heartbeat_s=args.heartbeat, username=args.username, password=args.password,
                       relay=args.relay, instruments=instruments, reconnect=False, name="probe",
                       min_heartbeat_s=1, connect_timeout_s=min(10.0, args.seconds + 2))
    t0 = time.monotonic()
    task = asyncio.create_task(client.run())
    await asyncio.wait([task], timeout=args.seconds)
    await client.close()
    if not task.done():
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    elapsed = time.monotonic() - t0
    st = client.stats
    bid, ask = summary.best()
    counts = {str(t): n for t, n in sorted(st.messages.items())}
    names = {str(t): MESSAGE_CLASSES[t].__name__ if t in MESSAGE_CLASSES else "unknown" for t in st.messages}
    out: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "symbol": symbol,
        "connected": st.connects > 0,
        "logon": {"ok": st.logon_result == 1, "result": st.logon_result, "text": st.logon_text,
                  "server": st.server_name},
        "encoding_requested": args.encoding,
        "encoding": st.encoding or None,
        "relay": bool(args.relay),
        "messages": counts,
        "message_names": names,
        "messages_total": sum(st.messages.values()),
        "rejects": [{"symbol": s, "text": t} for s, t in st.rejects],
        "best_bid": bid,
        "best_ask": ask,
        "last_trade": summary.last_trade if summary.vix is None else summary.vix,
        "trades": summary.trades,
        "depth_rows": summary.depth_rows,
        "bytes_in": st.bytes_in,
        "bytes_out": st.bytes_out,
        "protocol_errors": st.protocol_errors,
        "error": st.last_error or None,
        "statuses": summary.statuses,
        "elapsed_s": round(elapsed, 3),
    }
    return out, client


def run_probe(args: argparse.Namespace) -> int:
    problem = _validate(args)
    if problem is not None:
        print(f"probe: {problem}", file=sys.stderr)
        return 2
    try:
        out, client = asyncio.run(_probe(args))
    except KeyboardInterrupt:
        print("probe: interrupted", file=sys.stderr)
        return 2
    print(json.dumps(out))
    if not out["connected"]:
        reason = client.stats.last_error or f"cannot connect to {args.host}:{args.port}"
        print(f"probe: {reason}", file=sys.stderr)
        return 2
    return 0
