"""News test helpers: saved feeds and a real HTTP server on 127.0.0.1 that injects faults
(and a second one on 127.0.0.2, for tests where one local server poses as a public site)."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from bot.news.samples import SAMPLE_DIR
from tests.harness import serve_app

FEEDS = Path(__file__).resolve().parent / "feeds"


def saved(name: str) -> bytes:
    """A saved real feed: bundled sample feeds first, then the test copies."""
    for folder in (SAMPLE_DIR, FEEDS):
        if (folder / name).exists():
            return (folder / name).read_bytes()
    raise FileNotFoundError(name)


def gzip(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def _brotli(data: bytes) -> bytes:
    for name in ("brotli", "brotlicffi"):
        try:
            return bytes(__import__(name).compress(data))
        except ImportError:
            continue
    return data  # no brotli here: the header still says br, and the client must refuse it


# Path name -> (Content-Encoding header, the encoders applied in order).
ENCODERS = {
    "identity": ("identity", []),
    "gzip": ("gzip", [gzip]),
    "x-gzip": ("x-gzip", [gzip]),
    "deflate": ("deflate", [zlib.compress]),
    "deflate-raw": ("deflate", [raw_deflate]),
    "gzip-gzip": ("gzip, gzip", [gzip, gzip]),
    "zstd": ("zstd", []),
    "compress": ("compress", []),
    "br": ("br", [_brotli]),
}


@dataclass
class FaultServer:
    base: str
    hits: dict[str, int] = field(default_factory=dict)
    # Served documents by name; tests may replace one to simulate a feed update.
    documents: dict[str, bytes] = field(default_factory=dict)
    # The headers of the last request to each path.
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def _app(server: FaultServer) -> web.Application:
    async def count(request: web.Request) -> None:
        server.hits[request.path] = server.hits.get(request.path, 0) + 1
        server.headers[request.path] = dict(request.headers)

    async def feed(request: web.Request) -> web.StreamResponse:
        await count(request)
        name = request.match_info["name"]
        body = server.documents.get(name) or saved(name)
        etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body,
            headers={
                "ETag": etag,
                "Last-Modified": "Fri, 12 Dec 2025 22:40:00 GMT",
                "Content-Type": "application/rss+xml; charset=utf-8",
            },
        )

    async def status(request: web.Request) -> web.Response:
        await count(request)
        code = int(request.match_info["code"])
        headers = {"Retry-After": "120"} if code == 429 else {}
        return web.Response(status=code, text="no", headers=headers)

    async def slow(request: web.Request) -> web.Response:
        await count(request)
        await asyncio.sleep(10)
        return web.Response(body=saved("theblock_en_20251212.rss"))

    async def trickle(request: web.Request) -> web.StreamResponse:
        """Sends a byte now and then, forever: per-read timeouts alone never fire."""
        await count(request)
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)
        try:
            await resp.write(b"<?xml version='1.0'?><rss>")
            for _ in range(200):
                await asyncio.sleep(0.05)
                await resp.write(b" ")
        except (ConnectionResetError, ConnectionError):
            pass
        return resp

    async def endless(request: web.Request) -> web.StreamResponse:
        await count(request)
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)
        chunk = b"<item><title>x</title></item>" * 200
        try:
            await resp.write(b"<?xml version='1.0'?><rss><channel>")
            for _ in range(100_000):  # ~600 MB if nobody stops reading
                await resp.write(chunk)
        except (ConnectionResetError, ConnectionError):
            pass
        return resp

    async def loop(request: web.Request) -> web.Response:
        await count(request)
        target = "/loop-b" if request.path == "/loop-a" else "/loop-a"
        raise web.HTTPFound(target)

    async def redirect(request: web.Request) -> web.Response:
        await count(request)
        raise web.HTTPMovedPermanently(request.query["to"])

    async def html(request: web.Request) -> web.Response:
        await count(request)
        return web.Response(
            text="<!doctype html><html><body><h1>Welcome</h1></body></html>",
            content_type="text/html",
        )

    async def json(request: web.Request) -> web.Response:
        await count(request)
        return web.json_response({"items": []})

    async def encoded(request: web.Request) -> web.Response:
        """A saved feed in the content coding the path names (the header says so too)."""
        await count(request)
        coding = request.match_info["coding"]
        body = saved(request.match_info["name"])
        header = ENCODERS[coding][0]
        for encode in ENCODERS[coding][1]:
            body = encode(body)
        return web.Response(
            body=body,
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": header},
        )

    async def bomb(request: web.Request) -> web.Response:
        await count(request)
        return web.Response(
            body=server.documents["bomb"],
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
        )

    app = web.Application()
    app.router.add_get("/feed/{name}", feed)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/slow", slow)
    app.router.add_get("/trickle", trickle)
    app.router.add_get("/endless", endless)
    app.router.add_get("/loop-a", loop)
    app.router.add_get("/loop-b", loop)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/html", html)
    app.router.add_get("/json", json)
    app.router.add_get("/encoded/{coding}/{name}", encoded)
    app.router.add_get("/bomb", bomb)
    return app


async def _serve(host: str) -> AsyncIterator[FaultServer]:
    server = FaultServer(base="")
    async with serve_app(_app(server), host, shutdown_timeout=0.1) as base:
        server.base = base
        yield server


@pytest.fixture
async def fault_server() -> AsyncIterator[FaultServer]:
    async for server in _serve("127.0.0.1"):
        yield server


@pytest.fixture
async def second_server() -> AsyncIterator[FaultServer]:
    """The same server on 127.0.0.2 (Linux answers on all of 127/8): tests trust this one
    address as if it were a public site, while 127.0.0.1 stays private."""
    async for server in _serve("127.0.0.2"):
        yield server
