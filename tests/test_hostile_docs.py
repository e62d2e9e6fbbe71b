"""The documents bench.hostile serves are what the bench says they are, so that it cannot
rot silently (the bench itself is timed and not run here; docs/security.md has its figures)."""

from __future__ import annotations

import gzip
import re
import struct
import zlib

import brotli

from bench._hostile_docs import (
    CHUNK,
    GiB,
    KiB,
    billion_laughs,
    br_zeros,
    entity_blowup,
    gzip_zeros,
    many_entries,
    nested_tags,
    similar_feeds,
    stacked_gzip_bomb,
)

HTTP_MAX_BYTES = 5_000_000  # the default cap: a bigger document would only test the cap


def test_hostile_documents_are_what_they_claim() -> None:
    # The stacked bomb: two gzip layers, under 4 kB, the inner one declaring 2 GiB of zeros.
    stacked = stacked_gzip_bomb()
    assert len(stacked) < 4 * KiB
    inner = gzip.decompress(stacked)  # the outer layer: about 2 MB
    assert inner[:2] == b"\x1f\x8b" and len(inner) < 3_000_000
    assert struct.unpack("<I", inner[-4:])[0] == (2 * GiB) % 2**32  # gzip's ISIZE field
    assert zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(inner, 1 << 20) == bytes(1 << 20)

    # The repetition that builds the bombs gives exactly the zeros, CRC and length included.
    size = 5 * CHUNK + 12_345
    assert gzip.decompress(gzip_zeros(size)) == bytes(size)
    assert brotli.decompress(br_zeros(size)) == bytes(size)

    # 1 GiB in one layer: about 1 MB of gzip, a few kB of brotli.
    one = gzip_zeros(GiB)
    assert len(one) < 1_100_000 and struct.unpack("<I", one[-4:])[0] == GiB % 2**32
    br = br_zeros(GiB)
    head = brotli.Decompressor().process(br, output_buffer_limit=1 << 20)
    assert len(br) < 8 * KiB and head and head == bytes(len(head))

    # 4.8 MB of nested tags, under the body cap, a sane entry beside the hostile one.
    for doc in (nested_tags(inside="description"), nested_tags(inside="item")):
        assert 4_700_000 < len(doc) < HTTP_MAX_BYTES
        assert doc.count(b"<div>") == doc.count(b"</div>") > 400_000
        assert b"<div>" * 400_000 in doc and b"A sane entry." in doc

    # Billion laughs: ten entities, each the previous one ten times (10^9 x "lol").
    decls = dict(re.findall(rb'<!ENTITY (\w+) "([^"]*)">', billion_laughs()))
    assert decls[b"lol0"] == b"lol" and len(decls) == 10
    assert all(decls[f"lol{i}".encode()] == f"&lol{i - 1};".encode() * 10 for i in range(1, 10))

    # One 50 kB entity referenced 100,000 times.
    blowup = entity_blowup()
    assert re.search(rb'<!ENTITY b "A{51200}">', blowup) and blowup.count(b"&b;") == 100_000

    # 10,000 entries, under the body cap.
    many = many_entries()
    assert many.count(b"<item>") == 10_000 and len(many) < HTTP_MAX_BYTES

    # 5,000 look-alike headlines over 25 feeds of at most FEED_MAX_ENTRIES (200) each.
    feeds = similar_feeds()
    counts = [doc.count(b"<item>") for doc in feeds]
    assert len(feeds) == 25 and sum(counts) == 5_000 and max(counts) <= 200
