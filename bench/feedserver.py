"""A threaded HTTP server on loopback that serves feed documents with ETags (for benchmarks)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
