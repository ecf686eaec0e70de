"""The files-source hint goes only with CME/CBOE data refusals, not with e.g. "Unknown symbol"."""

from __future__ import annotations

import asyncio
import time

from mia_desktop.engine.dtc_server import DtcServer
from mia_desktop.market.events import MarketEvent, SourceStatus
from mia_desktop.market.instrument import custom_instrument
from mia_desktop.sources.dtc_client import REJECT_HINT, DtcClient, reject_hint_applies
from mia_desktop.sources.sim_feed import SimulatorFeed

CME_REFUSAL = "market data for CME is not available over DTC"


def _rejects(symbols: list[str]) -> dict[str, str]:
    """Run a real client against a real loopback DtcServer; the rejected status text per symbol."""
    events: list[MarketEvent] = []

    async def main() -> None:
        server = DtcServer(SimulatorFeed(("ES",), vix=False), reject_symbols={"ESH6": CME_REFUSAL})
        port = await server.start()
        client = DtcClient("127.0.0.1", port, symbols, events.append, name="t",
                           instruments={"ZZZ": custom_instrument("ZZZ", 0.01, 0.01, 1.0, "")},
                           backoff_initial_s=0.05, backoff_max_s=0.2)
        task = asyncio.create_task(client.run())
        try:
            t0 = time.monotonic()
            while len(client.rejected) < len(symbols) and time.monotonic() - t0 < 5:
                await asyncio.sleep(0.02)
        finally:
            await client.close()
            await asyncio.wait_for(task, 5)
            await server.close()

    asyncio.run(main())
    out: dict[str, str] = {}
    for e in events:
        if isinstance(e, SourceStatus) and e.state == "rejected":
            sym = e.text.split(":", 1)[0]
            out.setdefault(sym, e.text)
    return out


def test_cme_refusal_gets_the_hint_unknown_symbol_does_not() -> None:
    got = _rejects(["ESH6", "ZZZ"])
    assert set(got) == {"ESH6", "ZZZ"}
    assert CME_REFUSAL in got["ESH6"] and REJECT_HINT in got["ESH6"]
    assert "Unknown symbol: ZZZ" in got["ZZZ"]
    assert REJECT_HINT not in got["ZZZ"] and "Sierra Chart files source" not in got["ZZZ"]


def test_rule_keywords_and_roots() -> None:
    assert reject_hint_applies("FOO", "Exchange data NOT ALLOWED for this account")
    assert reject_hint_applies("FOO", "CBOE feed unavailable")
    assert reject_hint_applies("FOO", "Market data restrictions apply")
    assert reject_hint_applies("MNQZ6", "Unknown symbol: MNQZ6")  # a CME product: the hint applies
    assert reject_hint_applies("VIX", "")
    assert not reject_hint_applies("ZZZ", "Unknown symbol: ZZZ")
    assert not reject_hint_applies("", "Invalid username or password")
