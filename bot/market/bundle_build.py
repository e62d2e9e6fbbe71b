"""Rebuild the bundled history in bot/data/market/ from the shared source files.

A developer tool, not used at run time: `python -m bot.market.bundle_build ../shared/data/market`.
Each series becomes a gzipped `date,value` CSV (deterministic: gzip mtime 0), so the package
stays small and the bot works offline. Provenance is in bot/data/market/PROVENANCE.md.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from bot.market.bundle import BUNDLE_DIR

# TradingView's BTC.D changes its basis on 2017-07-14 (75.6% to 52.5% overnight); earlier
# readings (95-99% in 2016) are not comparable with any later dominance figure.
DOMINANCE_COMPARABLE_FROM = "2017-07-14"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write(name: str, points: Iterable[tuple[str, str]], out_dir: Path) -> int:
    buf = io.StringIO()
    buf.write("date,value\n")
    count = 0
    for day, value in points:
        buf.write(f"{day},{value}\n")
        count += 1
    raw = buf.getvalue().encode()
    with (out_dir / f"{name}.csv.gz").open("wb") as fh:
        fh.write(gzip.compress(raw, compresslevel=9, mtime=0))
    return count


def _fmt(digits: int) -> Callable[[str], str]:
    return lambda value: f"{float(value):.{digits}f}"


def build(source_dir: Path, out_dir: Path = BUNDLE_DIR) -> dict[str, int]:
    counts: dict[str, int] = {}
    rut = _rows(source_dir / "rut_daily_close_1987-2026.csv")
    counts["rut"] = _write("rut", ((r["date"], _fmt(2)(r["close"])) for r in rut), out_dir)

    crypto = _rows(source_dir / "eth_btc_daily_2015-2026.csv")
    for name, column, digits in (
        ("eth_btc", "eth_btc", 8),
        ("btc_usd", "btc_usd", 2),
        ("eth_usd", "eth_usd", 4),
    ):
        counts[name] = _write(name, ((r["date"], _fmt(digits)(r[column])) for r in crypto), out_dir)

    dominance = _rows(source_dir / "btc_dominance_daily_2014-2026_tradingview.csv")
    counts["btc_dominance"] = _write(
        "btc_dominance",
        (
            (r["date"], _fmt(3)(r["close"]))
            for r in dominance
            if r["date"] >= DOMINANCE_COMPARABLE_FROM
        ),
        out_dir,
    )

    fng = _rows(source_dir / "fear_greed_daily_2018-2026.csv")
    counts["fear_greed"] = _write(
        "fear_greed", ((r["date"], str(int(r["fng_value"]))) for r in fng), out_dir
    )
    return counts


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m bot.market.bundle_build SOURCE_DIR\n")
        return 2
    for name, count in build(Path(argv[0])).items():
        sys.stdout.write(f"{name}: {count} points\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
