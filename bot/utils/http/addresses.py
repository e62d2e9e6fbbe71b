"""Which IP addresses a feed request may connect to (the SSRF address policy).

Every address is sorted into one kind:

* PUBLIC: global unicast; always allowed.
* PRIVATE: loopback, RFC 1918, carrier-grade NAT (100.64.0.0/10), IPv6 unique-local and
  site-local; allowed only with `allow_private` (FEEDS_ALLOW_PRIVATE, self-hosted feeds).
* LINK_LOCAL and METADATA: 169.254.0.0/16, fe80::/10 and the cloud metadata services
  (169.254.169.254, fd00:ec2::254, ...); never allowed, whatever the policy says.
* RESERVED: unspecified, multicast, broadcast, documentation, benchmarking, 240/4 and every
  other special-purpose block; never allowed unless a policy trusts it explicitly.

An IPv6 address that embeds an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible
::a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo
2001::/32) is judged by the IPv4 address(es) it embeds: ::127.0.0.1 is loopback.

The tables are spelled out here rather than taken from `ipaddress.is_global`, whose answers
differ between Python patch releases (and which calls 224.0.0.1 global).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import IntEnum

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressKind(IntEnum):
    """Ordered from harmless to dangerous: an address embedding several takes the worst."""

    PUBLIC = 0
    PRIVATE = 1
    RESERVED = 2
    LINK_LOCAL = 3
    METADATA = 4


_Table = tuple[tuple[AddressKind, tuple[IPNetwork, ...]], ...]


def _nets(*cidrs: str) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


# Checked in this order; the first match decides.
_IPV4: _Table = (
    (
        AddressKind.METADATA,
        _nets(
            "169.254.169.254/32",  # AWS, GCP, Azure, OCI, DigitalOcean, ...
            "100.100.100.200/32",  # Alibaba Cloud (inside 100.64/10)
            "168.63.129.16/32",  # Azure WireServer (a public-looking platform address)
        ),
    ),
    (AddressKind.LINK_LOCAL, _nets("169.254.0.0/16")),
    (
        AddressKind.PRIVATE,
        _nets(
            "127.0.0.0/8",  # loopback
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "100.64.0.0/10",  # carrier-grade NAT (also Tailscale and friends)
        ),
    ),
    (
        AddressKind.RESERVED,
        _nets(
            "0.0.0.0/8",  # "this network", unspecified
            "192.0.0.0/24",  # IETF protocol assignments
            "192.0.2.0/24",  # documentation
            "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
            "198.18.0.0/15",  # benchmarking
            "198.51.100.0/24",  # documentation
            "203.0.113.0/24",  # documentation
            "224.0.0.0/4",  # multicast
            "240.0.0.0/4",  # reserved, and 255.255.255.255 broadcast
        ),
    ),
)

_IPV6: _Table = (
    (AddressKind.METADATA, _nets("fd00:ec2::254/128")),  # AWS metadata over IPv6
    (AddressKind.LINK_LOCAL, _nets("fe80::/10")),
    (
        AddressKind.PRIVATE,
        _nets(
            "::1/128",  # loopback
            "fc00::/7",  # unique local
            "fec0::/10",  # site local (deprecated)
        ),
    ),
    (
        AddressKind.RESERVED,
        _nets(
            "::/128",  # unspecified
            "ff00::/8",  # multicast
            "100::/64",  # discard only
            "64:ff9b:1::/48",  # local-use NAT64 (the embedding depends on the prefix)
            "2001::/23",  # IETF protocol assignments: benchmarking, ORCHID, ...
            "2001:db8::/32",  # documentation
            "3fff::/20",  # documentation
            "5f00::/16",  # SRv6 SIDs
        ),
    ),
)

_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def parse_address(address: str | IPAddress) -> IPAddress:
    """An address object, without an IPv6 zone (fe80::1%eth0 is judged as fe80::1)."""
    if isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return address
    return ipaddress.ip_address(address.split("%", 1)[0])


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries, if it is one of the transition forms."""
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _MAPPED or ip in _TRANSLATED or ip in _NAT64:
        return (low32,)
    if ip in _COMPATIBLE and int(ip) > 1:  # :: and ::1 are themselves, not 0.0.0.x
        return (low32,)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:  # (server, client); the client is stored XOR 0xffffffff
        return ip.teredo
    return ()


def _lookup(ip: IPAddress, table: _Table) -> AddressKind:
    for kind, networks in table:
        if any(ip in net for net in networks):
            return kind
    return AddressKind.PUBLIC


def classify(address: str | IPAddress) -> AddressKind:
    """The kind of one address; raises ValueError if it is not an IP address."""
    ip = parse_address(address)
    if isinstance(ip, ipaddress.IPv4Address):
        kind = _lookup(ip, _IPV4)
        if kind is AddressKind.PUBLIC and not ip.is_global:  # a block missing above
            return AddressKind.RESERVED
        return kind
    inner = embedded_ipv4(ip)
    if inner:
        return max(classify(v4) for v4 in inner)
    kind = _lookup(ip, _IPV6)
    if kind is AddressKind.PUBLIC and (ip not in _GLOBAL_UNICAST_V6 or not ip.is_global):
        return AddressKind.RESERVED
    return kind


_NEVER = (AddressKind.LINK_LOCAL, AddressKind.METADATA)


@dataclass(frozen=True)
class AddressPolicy:
    """What a feed request may connect to.

    `allow_private` opens PRIVATE addresses (FEEDS_ALLOW_PRIVATE). `trusted` lists networks
    to treat as public anyway: the seam tests use to let a local server on 127.0.0.2 pose as a
    public site, while everything else stays refused. Link-local and metadata addresses are
    refused even when trusted.
    """

    allow_private: bool = False
    trusted: tuple[IPNetwork, ...] = ()

    @classmethod
    def trusting(cls, *cidrs: str, allow_private: bool = False) -> AddressPolicy:
        return cls(allow_private=allow_private, trusted=_nets(*cidrs))

    def refusal(self, address: str | IPAddress) -> AddressKind | None:
        """None when `address` may be connected to, else the kind that forbids it."""
        try:
            ip = parse_address(address)
        except ValueError:
            return AddressKind.RESERVED
        kind = classify(ip)
        if kind is AddressKind.PUBLIC or kind in _NEVER:
            return None if kind is AddressKind.PUBLIC else kind
        if any(ip in net for net in self.trusted):
            return None
        if kind is AddressKind.PRIVATE and self.allow_private:
            return None
        return kind

    def allows(self, address: str | IPAddress) -> bool:
        return self.refusal(address) is None


STRICT = AddressPolicy()


def is_public_address(address: str) -> bool:
    """True only for addresses the strict policy lets a feed request connect to."""
    return STRICT.allows(address)
