"""Command line: `mia-desktop [gui options] | serve | probe | analyze` (contract in DESIGN.md).

Each subcommand lives in the package that owns it; this module only parses and dispatches, and
imports Qt only for the GUI so the headless commands start fast and run without a display.
Exit codes: 0 ok, 2 bad input (one-line reason on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mia_desktop.__version__ import __version__


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mia-desktop",
                                description="MIA Desktop — order-flow companion for Sierra Chart.")
    p.add_argument("--version", action="version", version=f"mia-desktop {__version__}")
    p.add_argument("--quit-after", type=float, metavar="N", help="GUI: run N seconds then exit 0")
    p.add_argument("--screenshot", metavar="FILE.png",
                   help="GUI: save a screenshot of the main window before quitting")
    p.add_argument("--config-dir", metavar="DIR",
                   help="settings/journal folder (default: the platformdirs folders)")
    p.add_argument("--demo", action="store_true",
                   help="GUI: run the built-in demo even if instances are configured")
    p.add_argument("--renderer", choices=["auto", "gpu", "cpu"], help="GUI: force the heatmap renderer")
    sub = p.add_subparsers(dest="command")

    s = sub.add_parser("serve", help="serve a market over DTC")
    s.add_argument("--source", choices=["sim", "replay"], required=True)
    s.add_argument("--file", metavar="F.depth")
    s.add_argument("--scid", metavar="F.scid")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=11099)
    s.add_argument("--speed", type=float, default=1.0, help="replay speed (0 = as fast as possible)")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--rate", type=float, default=2000.0, help="sim: book updates per second per symbol")
    s.add_argument("--username", default="")
    s.add_argument("--password", default="")
    s.add_argument("--reject", action="append", default=[], metavar="SYMBOL",
                   help="reject market data for SYMBOL as Sierra Chart does for CME data")
    s.add_argument("--seconds", type=float, default=0.0, help="stop after N seconds (0 = until Ctrl+C)")

    r = sub.add_parser("probe", help="connect to a DTC server, subscribe, print one JSON summary")
    r.add_argument("--host", default="127.0.0.1")
    r.add_argument("--port", type=int, default=11099)
    r.add_argument("--symbol", required=True)
    r.add_argument("--encoding", choices=["binary", "json", "compact"], default="binary")
    r.add_argument("--seconds", type=float, default=5.0)
    r.add_argument("--relay", action="store_true")
    r.add_argument("--username", default="")
    r.add_argument("--password", default="")
    r.add_argument("--heartbeat", type=int, default=10)

    a = sub.add_parser("analyze", help="run recorded files through the headless pipeline")
    a.add_argument("--depth", required=True, metavar="F.depth")
    a.add_argument("--scid", metavar="F.scid")
    a.add_argument("--vix", metavar="F.csv")
    a.add_argument("--instrument", default="ES")
    a.add_argument("--profile", default="production")
    a.add_argument("--auto", action="store_true", help="scale absolute size thresholds to the session (auto)")
    a.add_argument("--levels", metavar="F.csv", help="key levels (price,label) for gamma_pin")
    a.add_argument("--out", metavar="F.jsonl")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from mia_desktop.engine.serve_cmd import run_serve

        return run_serve(args)
    if args.command == "probe":
        from mia_desktop.sources.probe_cmd import run_probe

        return run_probe(args)
    if args.command == "analyze":
        from mia_desktop.engine.analyze_cmd import run_analyze

        return run_analyze(args)
    from mia_desktop.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
