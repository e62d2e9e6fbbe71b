"""The hostile feed sites of bench.hostile, in a process of their own (so that building and
holding the documents never counts in the bot side's memory).

    .venv/bin/python -m bench._hostile_server CASE

Builds the case's documents (bench/_hostile_docs.py), serves them with aiohttp on 127.0.0.1-10
(a free port each), prints one JSON line {"ports": [...], "feeds": [{path, host, language,
bytes, encoding, seconds}, ...], "warmup": {path, host, language}} (a sane feed the bench
ingests before measuring) and serves until its stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import sys

from aiohttp import web

from bench._hostile_docs import CASES, Served, warmup

HOSTS = 10
PIECES = 20  # a trickled body is sent in this many pieces, spread over its seconds


def app_for(docs: dict[str, Served]) -> web.Application:
    async def serve(request: web.Request) -> web.StreamResponse:
        doc = docs.get(request.path)
        if doc is None:
            raise web.HTTPNotFound()
        headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
        if doc.encoding:
            headers["Content-Encoding"] = doc.encoding
        if not doc.seconds:
            return web.Response(body=doc.body, headers=headers)
        resp = web.StreamResponse(headers=headers)
        resp.content_length = len(doc.body)
        await resp.prepare(request)
        step = -(-len(doc.body) // PIECES)
        try:
            for start in range(0, len(doc.body), step):
                await asyncio.sleep(doc.seconds / PIECES)
                await resp.write(doc.body[start : start + step])
        except ConnectionError:
            pass
        return resp

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    return app


async def main(case: str) -> None:
    served = CASES[case]()
    warm = warmup()
    runner = web.AppRunner(app_for({s.path: s for s in [*served, warm]}), access_log=None)
    await runner.setup()
    ports = []
    for host in range(HOSTS):
        site = web.TCPSite(runner, f"127.0.0.{host + 1}", 0, shutdown_timeout=0.1)
        await site.start()
        ports.append(runner.addresses[-1][1])
    feeds = [
        {
            "path": s.path,
            "host": s.host,
            "language": s.language,
            "bytes": len(s.body),
            "encoding": s.encoding,
            "seconds": s.seconds,
        }
        for s in served
    ]
    warm_feed = {"path": warm.path, "host": warm.host, "language": warm.language}
    print(json.dumps({"ports": ports, "feeds": feeds, "warmup": warm_feed}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
