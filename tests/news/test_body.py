"""Reading feed bodies (bot/utils/http/body.py): one layer of identity, gzip, deflate or br;
caps on the wire and after decoding; a gzip bomb stops at the cap with bounded memory."""

from __future__ import annotations

import asyncio
import functools
import struct
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.config import Settings, load_settings
from bot.news.fetch import Conditional, FetchStatus, HttpFetcher
from bot.news.validate import FeedUrlError, check_feed_url
from bot.utils.http.body import PIECE, accept_encoding, read_body, supported_encodings
from bot.utils.http.errors import BadEncoding, BodyTooLarge, UnsupportedEncoding
from bot.utils.http.feed_client import FeedClient, make_feed_client
from tests.news.conftest import FaultServer, gzip, raw_deflate, saved

NAME = "theblock_en_20251212.rss"
MAX_BYTES = 200_000
HAVE_BR = "br" in supported_encodings()


@functools.cache
def gzip_bomb(gib: int = 1) -> bytes:
    """`gib` GiB of zeros as one gzip member of about 1 MB, made without compressing a GiB:
    a raw deflate block for 1 MiB of zeros, cut by full flushes, repeats byte for byte."""
    mib = b"\0" * (1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = deflate.compress(mib) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(1024 * gib):
        crc = zlib.crc32(mib, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
    end = deflate.flush(zlib.Z_FINISH)  # the final empty block
    trailer = struct.pack("<II", crc, (gib << 30) & 0xFFFFFFFF)
    return header + block * (1024 * gib) + end + trailer


def response(body: bytes, **headers: str) -> httpx.Response:
    """A streamed response as the feed client gets it: raw bytes, decoding left to us."""
    return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        data_dir=tmp_path / "data",
        http_timeout=5.0,
        http_max_bytes=MAX_BYTES,
        feeds_allow_private=True,  # the fault server is on loopback
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[FeedClient]:
    async with make_feed_client(settings) as http:
        yield http


@pytest.fixture
def fetcher(client: FeedClient) -> HttpFetcher:
    return HttpFetcher(client, max_bytes=MAX_BYTES, per_host=2, timeout=5.0)


@pytest.mark.parametrize("coding", ["identity", "gzip", "x-gzip", "deflate", "deflate-raw"])
async def test_one_layer_of_a_known_coding_is_decoded(
    fetcher: HttpFetcher, fault_server: FaultServer, coding: str
) -> None:
    result = await fetcher(fault_server.url(f"/encoded/{coding}/{NAME}"), Conditional())
    assert result.status is FetchStatus.OK
    assert result.body == saved(NAME)


@pytest.mark.skipif(not HAVE_BR, reason="no brotli module with bounded output installed")
async def test_br_is_decoded_when_brotli_is_installed(
    fetcher: HttpFetcher, fault_server: FaultServer
) -> None:
    result = await fetcher(fault_server.url(f"/encoded/br/{NAME}"), Conditional())
    assert result.status is FetchStatus.OK
    assert result.body == saved(NAME)


@pytest.mark.skipif(HAVE_BR, reason="brotli is installed")
async def test_br_is_neither_advertised_nor_accepted_without_brotli(
    fetcher: HttpFetcher, fault_server: FaultServer
) -> None:
    assert "br" not in accept_encoding()
    result = await fetcher(fault_server.url(f"/encoded/br/{NAME}"), Conditional())
    assert (result.status, result.error) == (FetchStatus.FAILING, "unsupported_encoding")


async def test_accept_encoding_lists_only_what_is_decoded(
    fetcher: HttpFetcher, fault_server: FaultServer
) -> None:
    await fetcher(fault_server.url(f"/feed/{NAME}"), Conditional())
    sent = fault_server.headers[f"/feed/{NAME}"]["Accept-Encoding"]
    assert sent == accept_encoding()
    listed = {c.strip() for c in sent.split(",")}
    assert listed == ({"gzip", "deflate", "br"} if HAVE_BR else {"gzip", "deflate"})


@pytest.mark.parametrize("coding", ["gzip-gzip", "zstd", "compress"])
async def test_stacked_or_unknown_codings_are_refused_in_both_paths(
    client: FeedClient, fetcher: HttpFetcher, fault_server: FaultServer, coding: str
) -> None:
    url = fault_server.url(f"/encoded/{coding}/{NAME}")
    result = await fetcher(url, Conditional())
    assert (result.status, result.error) == (FetchStatus.FAILING, "unsupported_encoding")
    with pytest.raises(FeedUrlError) as err:
        await check_feed_url(client, url, max_bytes=MAX_BYTES, allow_private=True)
    assert err.value.reason == "unsupported_encoding"


async def test_a_gzip_bomb_stops_at_the_cap_with_bounded_memory(
    client: FeedClient, fetcher: HttpFetcher, fault_server: FaultServer
) -> None:
    bomb = gzip_bomb()
    assert len(bomb) < 1_200_000  # 1 GiB of zeros inside
    fault_server.documents["bomb"] = bomb
    tracemalloc.start()
    try:
        result = await fetcher(fault_server.url("/bomb"), Conditional())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.status, result.error) == (FetchStatus.FAILING, "too_large")
    # The cap is 200 KB; the server's copy of the 1 MB bomb and buffers count here too.
    # Decoding a single 64 KiB raw chunk whole would already take 64 MB.
    assert peak < 4_000_000, peak
    with pytest.raises(FeedUrlError) as err:
        await check_feed_url(
            client, fault_server.url("/bomb"), max_bytes=MAX_BYTES, allow_private=True
        )
    assert err.value.reason == "too_large"


async def test_decoding_a_bomb_holds_at_most_the_cap_and_lets_the_loop_run() -> None:
    """At a production-sized cap (5 MB): memory within the cap plus a piece, and the event
    loop is never held for long (a ticker keeps ticking while the bomb is decoded)."""
    bomb = gzip_bomb()
    cap = 5_000_000
    gaps: list[float] = []
    loop = asyncio.get_running_loop()

    async def ticker() -> None:
        last = loop.time()
        while True:
            await asyncio.sleep(0)
            now = loop.time()
            gaps.append(now - last)
            last = now

    tick = asyncio.create_task(ticker())
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            await read_body(response(bomb, **{"content-encoding": "gzip"}), max_bytes=cap)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        tick.cancel()
    assert peak < cap + 4 * PIECE + 1_000_000, peak
    assert max(gaps) < 0.5


def test_decoder_pieces_are_bounded() -> None:
    from bot.utils.http.body import decoder_for

    pieces = decoder_for("gzip").feed(gzip_bomb())
    sizes = [len(next(pieces)) for _ in range(100)]  # 6.4 MB taken, the rest never made
    assert max(sizes) <= PIECE


async def test_the_wire_cap_counts_compressed_bytes() -> None:
    body = gzip(b"<rss>" + b"x" * 100_000 + b"</rss>")  # ~100 KB decoded, small on the wire
    assert await read_body(response(body, **{"content-encoding": "gzip"}), max_bytes=200_000)
    with pytest.raises(BodyTooLarge):
        await read_body(
            response(body, **{"content-encoding": "gzip"}),
            max_bytes=200_000,
            max_wire_bytes=len(body) - 1,
        )
    declared = response(b"", **{"content-length": "300000"})
    with pytest.raises(BodyTooLarge):
        await read_body(declared, max_bytes=200_000)


async def test_several_gzip_members_and_trailing_padding() -> None:
    body = gzip(b"<rss>") + gzip(b"</rss>") + b"\0\0\0"
    decoded = await read_body(response(body, **{"content-encoding": "gzip"}), max_bytes=1000)
    assert decoded == b"<rss></rss>"
    raw = await read_body(
        response(raw_deflate(b"<rss/>"), **{"content-encoding": "deflate"}), max_bytes=1000
    )
    assert raw == b"<rss/>"


async def test_a_corrupt_or_mislabelled_body_is_refused() -> None:
    with pytest.raises(BadEncoding) as err:
        plain = response(b"<rss>plain</rss>", **{"content-encoding": "gzip"})
        await read_body(plain, max_bytes=1000)
    assert err.value.reason == "bad_encoding"
    with pytest.raises(UnsupportedEncoding):
        stacked = response(b"", **{"content-encoding": "gzip, identity, br, gzip"})
        await read_body(stacked, max_bytes=1)


@pytest.mark.skipif(not HAVE_BR, reason="no brotli module with bounded output installed")
async def test_a_br_bomb_stops_at_the_cap() -> None:
    from bot.utils.http import body

    bomb = body._brotli.compress(b"\0" * (32 << 20), quality=1)
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            await read_body(response(bomb, **{"content-encoding": "br"}), max_bytes=1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000 + 4 * PIECE + 500_000, peak
