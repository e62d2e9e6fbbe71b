"""The history shipped with the package (bot/data/market/*.csv.gz), read as plain series.

Each file is a gzipped `date,value` CSV built by bundle_build.py; PROVENANCE.md says where
every series comes from. Reading all of them takes a few tens of milliseconds; results are
cached because the files never change while the process runs.
"""

from __future__ import annotations

import csv
import gzip
import io
from datetime import date
from functools import cache
from pathlib import Path

from bot.market.series import (
    BTC_DOMINANCE,
    BTC_USD,
    ETH_BTC,
    ETH_USD,
    FEAR_GREED,
    RUT,
    Point,
)

BUNDLE_DIR = Path(__file__).resolve().parent.parent / "data" / "market"
BUNDLED_SERIES: tuple[str, ...] = (RUT, ETH_BTC, BTC_USD, ETH_USD, BTC_DOMINANCE, FEAR_GREED)
BUNDLE_SOURCE = "bundle"


@cache
def read_bundled(name: str) -> tuple[Point, ...]:
    """The bundled points of one series, sorted by date."""
    if name not in BUNDLED_SERIES:
        raise KeyError(f"no bundled series {name!r}")
    raw = gzip.decompress((BUNDLE_DIR / f"{name}.csv.gz").read_bytes()).decode()
    reader = csv.DictReader(io.StringIO(raw))
    points = [(date.fromisoformat(row["date"]), float(row["value"])) for row in reader]
    points.sort()
    return tuple(points)
