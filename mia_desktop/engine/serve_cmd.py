"""`mia-desktop serve --source sim|replay`: serve a market over DTC until Ctrl+C or --seconds.

Prints one line with host:port and the symbols served, then runs the DtcServer. Bad arguments
(missing/unreadable files, impossible numbers, a port that cannot be bound) exit 2 with a one-line
reason on stderr. The replay source is imported lazily, so `serve --source sim` needs nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import sys
from pathlib import Path
from typing import TextIO

from mia_desktop.sources.base import MarketFeed

log = logging.getLogger(__name__)


class BadArgs(ValueError):
    pass


def _number(name: str, value: float, *, minimum: float, strict: bool = False) -> float:
    if not math.isfinite(value) or value < minimum or (strict and value == minimum):
        raise BadArgs(f"--{name} must be {'>' if strict else '>='} {minimum:g}, got {value!r}")
    return value


def build_feed(args: argparse.Namespace) -> MarketFeed:
    """The MarketFeed the arguments ask for; raises BadArgs with a one-line reason."""
    speed = _number("speed", float(getattr(args, "speed", 1.0)), minimum=0.0)
    if args.source == "sim":
        from mia_desktop.sources.sim_feed import SimulatorFeed

        rate = _number("rate", float(getattr(args, "rate", 2000.0)), minimum=0.0, strict=True)
        if rate > 1_000_000:
            raise BadArgs(f"--rate {rate:g} is above the simulator's 1,000,000 book updates/s")
        return SimulatorFeed(seed=int(getattr(args, "seed", 1)), rate=rate, speed=speed or 1.0)
    if args.source == "replay":
        if not args.file:
            raise BadArgs("serve --source replay needs --file F.depth")
        depth = Path(args.file)
        if not depth.is_file():
            raise BadArgs(f"--file {depth}: no such file")
        scid = Path(args.scid) if getattr(args, "scid", None) else None
        if scid is not None and not scid.is_file():
            raise BadArgs(f"--scid {scid}: no such file")
        try:
            from mia_desktop.sources.replay import ReplayFeed
        except ImportError as exc:
            raise BadArgs(f"the replay source is not available in this build: {exc}") from None
        try:
            return ReplayFeed(depth, scid, speed=speed)
        except (ValueError, OSError, KeyError) as exc:
            raise BadArgs(f"cannot replay {depth.name}: {exc}") from None
    raise BadArgs(f"unknown source {args.source!r}: use sim or replay")


async def serve(feed: MarketFeed, args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    from mia_desktop.engine.dtc_server import DtcServer

    creds = (args.username, args.password) if getattr(args, "username", "") else None
    server = DtcServer(feed, host=args.host, port=args.port, credentials=creds,
                       reject_symbols=list(getattr(args, "reject", []) or []))
    try:
        port = await server.start()
    except OSError as exc:
        raise BadArgs(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    stream = out if out is not None else sys.stdout
    rejected = f"; rejecting {', '.join(args.reject)}" if getattr(args, "reject", None) else ""
    print(f"serving {', '.join(feed.symbols())} over DTC on {args.host}:{port} (source {args.source}"
          f"{rejected}); Ctrl+C to stop", file=stream, flush=True)
    try:
        loop = asyncio.get_running_loop()
        end = loop.time() + args.seconds if args.seconds and args.seconds > 0 else math.inf
        while loop.time() < end:
            # short sleeps: the loop wakes often, so Ctrl+C is seen promptly on Windows too
            await asyncio.sleep(min(0.5, max(0.0, end - loop.time())))
    finally:
        await server.close()
    return 0


def run_serve(args: argparse.Namespace) -> int:
    try:
        _number("seconds", float(getattr(args, "seconds", 0.0) or 0.0), minimum=0.0)
        if not 0 <= int(args.port) <= 65535:
            raise BadArgs(f"--port must be 0..65535, got {args.port}")
        if bool(getattr(args, "password", "")) and not getattr(args, "username", ""):
            raise BadArgs("--password needs --username")
        feed = build_feed(args)
        return asyncio.run(serve(feed, args))
    except BadArgs as exc:
        print(f"mia-desktop serve: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            print("stopped", file=sys.stderr)
        return 0
