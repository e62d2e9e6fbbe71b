"""Read a response body with caps on the wire and after decoding (issue #12, part 1).

httpx would decode a compressed body for us, but a raw chunk of a gzip bomb can inflate to
tens of megabytes in one call. So the body is read raw (`aiter_raw`), the compressed bytes are
counted as they arrive, and the decoding is done here in pieces of at most `PIECE` bytes
(zlib's `max_length`, brotli's `output_buffer_limit`), counted as they are produced. Either
count past its cap stops the read: memory stays within the cap plus one piece, and the CPU
spent decoding is bounded by the cap too.

Accepted: identity, gzip (x-gzip), deflate (zlib-wrapped or raw) and br when a brotli module
with bounded output is installed; exactly ONE layer. The Accept-Encoding header the feed
client sends (`accept_encoding()`) lists exactly these.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Iterator
from typing import Any, Protocol

import httpx

from bot.utils.http.errors import BadEncoding, BodyTooLarge, UnsupportedEncoding

PIECE = 64 * 1024  # the most one decode step may produce
_SLICE = 16 * 1024  # compressed input handed to zlib at a time (its leftover tail is copied)
# Hand the event loop back after this many decoded bytes: 1 MB took 20-24 ms while the
# pipeline thread competed for the GIL (bench.hostile), 256 kB keeps each step near 5 ms.
_YIELD_EVERY = 1 << 18


def _load_brotli() -> Any:
    """A brotli module whose decompressor can bound its output (brotli / brotlicffi >= 1.2)."""
    for name in ("brotli", "brotlicffi"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        if hasattr(getattr(module, "Decompressor", None), "can_accept_more_data"):
            return module
    return None


_brotli = _load_brotli()


def supported_encodings() -> tuple[str, ...]:
    return ("gzip", "deflate", "br") if _brotli is not None else ("gzip", "deflate")


def accept_encoding() -> str:
    """The Accept-Encoding header value: only the codings `read_body` decodes."""
    return ", ".join(supported_encodings())


class Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...
    def finish(self) -> Iterator[bytes]: ...


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        for start in range(0, len(data), PIECE):
            yield data[start : start + PIECE]

    def finish(self) -> Iterator[bytes]:
        return iter(())


class _Zlib:
    """gzip (wbits 16+15, several members allowed) or deflate (zlib header sniffed, else raw)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._d: Any = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzip else None
        self._head = b""  # deflate: the first bytes, until the header can be told
        self._tail = b""  # gzip: bytes after a member, until a next member can be told
        self._done = False  # past the end of the stream: the rest is ignored

    def _start_deflate(self, data: bytes) -> bytes:
        data = self._head + data
        if len(data) < 2:
            self._head = data
            return b""
        self._head = b""
        cmf, flg = data[0], data[1]
        wrapped = cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf << 8 | flg) % 31 == 0
        self._d = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        return data

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._done:
            return
        if self._d is None:
            data = self._start_deflate(data)
            if self._d is None:
                return
        view = memoryview(data)
        for start in range(0, len(view), _SLICE):
            if self._done:
                return
            yield from self._run(view[start : start + _SLICE])

    def _run(self, data: bytes | memoryview) -> Iterator[bytes]:
        while True:
            if self._d.eof:
                data, self._tail = self._tail + bytes(data), b""
                if not self._gzip or (len(data) >= 2 and data[:2] != b"\x1f\x8b"):
                    # Bytes after the stream (padding, garbage) are ignored, as browsers do.
                    self._done = True
                    return
                if len(data) < 2:
                    self._tail = data
                    return
                self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)  # the next gzip member
            try:
                out = self._d.decompress(data, PIECE)
            except zlib.error as exc:
                raise BadEncoding(str(exc)) from None
            if out:
                yield out
            if self._d.eof:
                self._tail, data = self._d.unused_data, b""
                continue
            data = self._d.unconsumed_tail
            if not data and len(out) < PIECE:
                return  # all input taken and no output pending

    def finish(self) -> Iterator[bytes]:
        if self._done:
            return
        if self._d is None:
            if self._head:
                raise BadEncoding("deflate body too short")
            return
        yield from self._run(b"")


class _Brotli:
    def __init__(self) -> None:
        self._d = _brotli.Decompressor()

    def _step(self, data: bytes) -> bytes:
        try:
            return bytes(self._d.process(data, output_buffer_limit=PIECE))
        except _brotli.error as exc:
            raise BadEncoding(str(exc)) from None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._d.is_finished():
            return  # bytes after the stream are ignored
        out = self._step(data)
        # A full piece may leave more output pending: take it before any more input.
        while True:
            if out:
                yield out
            if len(out) < PIECE and self._d.can_accept_more_data():
                return
            out = self._step(b"")
            if not out and not self._d.can_accept_more_data():
                raise BadEncoding("brotli decoder stalled")

    def finish(self) -> Iterator[bytes]:
        return iter(())


def content_coding(headers: httpx.Headers) -> str:
    """The one content coding of a response, or UnsupportedEncoding."""
    codings = [
        c.strip().lower()
        for value in headers.get_list("content-encoding")
        for c in value.split(",")
    ]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return "identity"
    if len(codings) > 1:
        raise UnsupportedEncoding("more than one content coding: " + ", ".join(codings))
    coding = {"x-gzip": "gzip"}.get(codings[0], codings[0])
    if coding not in supported_encodings():
        raise UnsupportedEncoding(f"content coding {coding!r}")
    return coding


def decoder_for(coding: str) -> Decoder:
    if coding == "identity":
        return _Identity()
    if coding in ("gzip", "deflate"):
        return _Zlib(gzip=coding == "gzip")
    if coding == "br" and _brotli is not None:
        return _Brotli()
    raise UnsupportedEncoding(f"content coding {coding!r}")


async def read_body(
    resp: httpx.Response, *, max_bytes: int, max_wire_bytes: int | None = None
) -> bytes:
    """The decoded body of a streamed response; BodyTooLarge past either cap.

    `max_bytes` caps the decoded body, `max_wire_bytes` (default: the same) the bytes received.
    """
    wire_cap = max_bytes if max_wire_bytes is None else max_wire_bytes
    decoder = decoder_for(content_coding(resp.headers))
    declared = resp.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > wire_cap:
        raise BodyTooLarge(f"content-length {declared} > {wire_cap}")
    parts: list[bytes] = []
    wire = size = 0
    next_yield = _YIELD_EVERY

    async def take(pieces: Iterator[bytes]) -> None:
        nonlocal size, next_yield
        for piece in pieces:
            size += len(piece)
            if size > max_bytes:
                raise BodyTooLarge(f"more than {max_bytes} bytes decoded")
            parts.append(piece)
            if size >= next_yield:
                next_yield += _YIELD_EVERY
                await asyncio.sleep(0)

    async for raw in resp.aiter_raw():
        wire += len(raw)
        if wire > wire_cap:
            raise BodyTooLarge(f"more than {wire_cap} bytes received")
        await take(decoder.feed(raw))
    await take(decoder.finish())
    return b"".join(parts)
