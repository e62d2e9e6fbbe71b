"""Why the guarded feed path refused a fetch. Each refusal carries a stable `reason` code
that the periodic pass stores as the feed's error and /feeds add maps to its own errors."""

from __future__ import annotations


class FetchRefused(Exception):
    reason = "refused"


class AddressRefused(FetchRefused):
    """The host resolved to an address the policy forbids; nothing was connected to."""

    reason = "private_address"

    def __init__(self, host: str, address: str, kind: str) -> None:
        super().__init__(f"{host} resolves to {address} ({kind})")
        self.host = host
        self.address = address
        self.kind = kind


class SchemeRefused(FetchRefused):
    """Only http and https, on the first URL and on every redirect."""

    reason = "bad_scheme"


class TooManyRedirects(FetchRefused):
    reason = "redirect_loop"


class BodyTooLarge(FetchRefused):
    """More than the cap of bytes on the wire, or decoded."""

    reason = "too_large"


class UnsupportedEncoding(FetchRefused):
    """A Content-Encoding we do not decode, or more than one layer of them."""

    reason = "unsupported_encoding"


class BadEncoding(FetchRefused):
    """The body does not decompress."""

    reason = "bad_encoding"


class HeaderRefused(FetchRefused):
    """A header value that must not go on the wire (a newline or control character)."""

    reason = "bad_header"
