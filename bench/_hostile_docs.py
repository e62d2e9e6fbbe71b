"""The documents of bench.hostile (issue #12) and which feeds each case serves.

The compression bombs are built without ever holding what they decode to: zeros are
compressed CHUNK bytes at a time with a flush after each chunk, and once the compressor's
output for a chunk repeats (it does from the second chunk on: the window holds only zeros),
that output is repeated instead of compressing more. The tests decode small bombs built the
same way in full (tests/test_hostile_docs.py).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime
from xml.sax.saxutils import escape

import brotli

from bench.ingest import item_pool, make_feed
from tests.news.cluster_workload import similar_headlines

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
CHUNK = 4 * MiB  # zeros compressed at a time (and the most of them held at once)
SLOW_HOST = 0  # case "slow": its slow feeds are all on 127.0.0.1


@dataclass(frozen=True)
class Served:
    """One feed of a case: `path` on 127.0.0.(host + 1), sent with `encoding` as its
    Content-Encoding, trickled over `seconds` when that is not 0."""

    path: str
    host: int
    body: bytes
    encoding: str | None = None
    seconds: float = 0.0
    language: str = "en"


# -- compression bombs -------------------------------------------------------------------------


def _zeros(size: int, step: Callable[[bytes], bytes], end: Callable[[bytes], bytes]) -> bytes:
    """The compressed stream of `size` zeros: step(chunk) compresses and flushes a chunk,
    end(rest) compresses the rest and finishes the stream."""
    whole, rest = divmod(size, CHUNK)
    zero = bytes(CHUNK)
    parts: list[bytes] = []
    steady: bytes | None = None  # the output every further chunk gives
    for _ in range(whole):
        if steady is not None:
            parts.append(steady)
            continue
        out = step(zero)
        if parts and out == parts[-1]:
            steady = out
        parts.append(out)
    parts.append(end(bytes(rest)))
    return b"".join(parts)


def crc32_zeros(size: int) -> int:
    crc, zero = 0, bytes(CHUNK)
    whole, rest = divmod(size, CHUNK)
    for _ in range(whole):
        crc = zlib.crc32(zero, crc)
    return zlib.crc32(bytes(rest), crc)


def gzip_zeros(size: int) -> bytes:
    """One gzip member of `size` zeros (1 GiB: about 1 MB)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9)
    deflated = _zeros(
        size,
        lambda data: c.compress(data) + c.flush(zlib.Z_FULL_FLUSH),
        lambda data: c.compress(data) + c.flush(),
    )
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, no mtime
    return header + deflated + struct.pack("<II", crc32_zeros(size), size & 0xFFFFFFFF)


def gzip(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS, 9)
    return c.compress(data) + c.flush()


def stacked_gzip_bomb(size: int = 2 * GiB) -> bytes:
    """gzip(gzip(zeros)): served as `Content-Encoding: gzip, gzip` (2 GiB: about 3 kB)."""
    return gzip(gzip_zeros(size))


def br_zeros(size: int) -> bytes:
    """A brotli stream of `size` zeros (1 GiB: about 4 kB)."""
    c = brotli.Compressor(quality=5)
    return _zeros(
        size,
        lambda data: bytes(c.process(data)) + bytes(c.flush()),
        lambda data: bytes(c.process(data)) + bytes(c.finish()),
    )


# -- documents that cost the parser ------------------------------------------------------------


def rss(items: str, *, prolog: str = "", title: str = "Hostile") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://hostile.example/</link>{items}</channel></rss>"
    ).encode()


def item(n: int, *, title: str = "", description: str = "", extra: str = "") -> str:
    return (
        f"<item><title>{title or f'Hostile headline {n}'}</title>"
        f"<link>https://hostile.example/news/{n}</link><guid>hostile-{n}</guid>"
        f"<pubDate>Fri, 12 Dec 2025 {n // 3600 % 24:02}:{n // 60 % 60:02}:{n % 60:02} GMT"
        f"</pubDate><description>{description}</description>{extra}</item>"
    )


def nested_tags(
    size: int = 4_800_000, *, inside: str = "description", sane_newest: bool = True
) -> bytes:
    """A sane item, then one whose description (or the item itself) nests <div>s to `size`;
    the sane one is the newer, or (sane_newest=False) the older of the two."""
    depth = (size - 600) // len("<div></div>")
    nest = "<div>" * depth + "x" + "</div>" * depth
    hostile = item(2, description=nest) if inside == "description" else item(2, extra=nest)
    return rss(item(3 if sane_newest else 1, description="A sane entry.") + hostile)


def billion_laughs(levels: int = 10) -> bytes:
    """The classic: lol9 expands to 10^9 'lol's."""
    decls = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)
    ]
    prolog = "<!DOCTYPE rss [" + "".join(decls) + "]>"
    return rss(item(1, description=f"&lol{levels - 1};"), prolog=prolog)


def entity_blowup(entity_bytes: int = 50 * KiB, refs: int = 100_000) -> bytes:
    """One 50 kB entity referenced 100,000 times in a description (5 GB once expanded)."""
    prolog = f'<!DOCTYPE rss [<!ENTITY b "{"A" * entity_bytes}">]>'
    return rss(item(1, description="&b;" * refs), prolog=prolog)


def many_entries(n: int = 10_000) -> bytes:
    """A feed of n plain entries, the newest first."""
    summary = "Bitcoin traders watch the next resistance as ETF flows turn. " * 3
    return rss("".join(item(n - i, description=summary) for i in range(n)))


def similar_feeds(n: int = 5_000, feeds: int = 25, seed: int = 0) -> list[bytes]:
    """`n` templated look-alike headlines (tests/news/cluster_workload.py) dealt over `feeds`
    feeds, at most FEED_MAX_ENTRIES (200) each."""
    items: list[list[str]] = [[] for _ in range(feeds)]
    for i, h in enumerate(similar_headlines(n, seed)):
        items[i % feeds].append(
            f"<item><title>{escape(h.title)}</title>"
            f"<link>https://similar.example/{h.outlet.replace(' ', '-')}/{i}</link>"
            f"<guid>similar-{i}</guid><pubDate>{format_datetime(h.published)}</pubDate>"
            f"<description>{escape(h.summary)}</description></item>"
        )
    return [rss("".join(reversed(its)), title=f"Similar {f}") for f, its in enumerate(items)]


# -- the cases ---------------------------------------------------------------------------------


def _sane() -> Served:
    """A well-behaved feed beside the hostile ones: it must still be stored."""
    return Served("/sane.xml", 9, make_feed(0, 50, item_pool()))


def warmup() -> Served:
    """A sane feed ingested once before the measured pass, so that the pass does not pay a
    fresh process's first-use costs (lazy imports, SQL compilation) on the event loop."""
    return Served("/warmup.xml", 9, make_feed(999, 10, item_pool()))


def slow_seconds(n: int) -> float:
    """Slow feed n (0-9) trickles over 6.0 ... 10.05 s: some under FEED_SLOW_SECONDS (8 s)."""
    return 6.0 + 0.45 * n


def _slow() -> list[Served]:
    pool = item_pool()
    slow = [
        Served(f"/slow/{n}.xml", SLOW_HOST, make_feed(100 + n, 20, pool), seconds=slow_seconds(n))
        for n in range(10)
    ]
    fast = [Served(f"/fast/{n}.xml", 1 + n, make_feed(n, 30, pool)) for n in range(3)]
    return slow + fast


CASES: dict[str, Callable[[], list[Served]]] = {
    "stacked": lambda: [Served("/stacked.xml", 0, stacked_gzip_bomb(), "gzip, gzip"), _sane()],
    "gzip": lambda: [Served("/gzip.xml", 0, gzip_zeros(GiB), "gzip"), _sane()],
    "br": lambda: [Served("/br.xml", 0, br_zeros(GiB), "br"), _sane()],
    "nested": lambda: [
        Served("/nested-description.xml", 0, nested_tags(inside="description")),
        Served("/nested-item.xml", 1, nested_tags(inside="item")),
        Served("/nested-newest.xml", 2, nested_tags(sane_newest=False)),
        _sane(),
    ],
    "entities": lambda: [
        Served("/laughs.xml", 0, billion_laughs()),
        Served("/big-entity.xml", 1, entity_blowup()),
        _sane(),
    ],
    "many": lambda: [Served("/many.xml", 0, many_entries()), _sane()],
    "similar": lambda: [
        Served(f"/similar/{f}.xml", f % 10, body) for f, body in enumerate(similar_feeds())
    ],
    "slow": _slow,
}
