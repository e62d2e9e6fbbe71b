"""The benchmarks' feed sites: entries from the bundled sample feeds, and threaded HTTP servers
on loopback that serve feed documents with ETags, spread over 10 addresses (127.0.0.1-10) so
the per-host limit (HTTP_PER_HOST) applies as it would across sites."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.news.parse import RawEntry, parse_bytes
from bot.news.samples import SAMPLE_DIR

HOSTS = 10


def sample_entries() -> list[tuple[str, RawEntry]]:
    """(language, entry) for every entry of every bundled sample feed (all dated)."""
    entries = []
    for path in sorted(SAMPLE_DIR.glob("*.rss")):
        language = "nl" if "_nl_" in path.name else "en"
        entries.extend((language, e) for e in parse_bytes(path.read_bytes()).entries)
    return entries


def bare_link(link: str) -> str:
    """The link without query, fragment or trailing slash (a base for per-feed variants)."""
    return re.sub(r"[?#].*$", "", link).rstrip("/")


def feed_language(n: int) -> str:
    """Feed n's language: every third feed is Dutch."""
    return "nl" if n % 3 == 0 else "en"


def feed_path(n: int) -> str:
    return f"/feed/{n}.xml"


def feed_url(n: int, ports: list[int]) -> str:
    """Feed n on the server of address 127.0.0.(n % HOSTS + 1), whose ports serve_hosts gave."""
    return f"http://127.0.0.{n % HOSTS + 1}:{ports[n % HOSTS]}{feed_path(n)}"


def serve(lookup: Callable[[str], bytes | None], host: str) -> ThreadingHTTPServer:
    """Serve `lookup(path)` on `host`, a free port; 304 when the client's ETag still matches."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = lookup(self.path)
            if body is None:
                self.send_error(404)
                return
            etag = f'"{len(body)}-{hash(body) & 0xFFFFFF:x}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve_hosts(lookup: Callable[[str], bytes | None]) -> list[ThreadingHTTPServer]:
    """One server per address 127.0.0.1-HOSTS, all serving `lookup`."""
    return [serve(lookup, f"127.0.0.{h + 1}") for h in range(HOSTS)]


def ports_of(servers: list[ThreadingHTTPServer]) -> list[int]:
    return [server.server_address[1] for server in servers]
