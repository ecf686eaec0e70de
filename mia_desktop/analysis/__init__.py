"""analysis package: the 19 detectors, confluence, sizing and risk (pure: no Qt, no I/O).

Public entry points: `pipeline.Analyzer` (what the engine drives), `types.PatternEvent` / `Signal`,
`keylevels.parse_key_levels`, `vix.parse_vix_daily` / `analyze_daily`, `params` (every threshold
with its SIGNALS.md default), `risk.PaperOutcome` (from `Analyzer.drain_outcomes()`).
"""
