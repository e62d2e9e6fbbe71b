"""The SSRF address policy (bot/utils/http/addresses.py): which addresses a feed request may
connect to, IPv6 forms that embed an IPv4 address included."""

from __future__ import annotations

import ipaddress

import pytest

from bot.utils.http.addresses import AddressKind, AddressPolicy, classify, is_public_address

TRUST_2 = AddressPolicy.trusting("127.0.0.2/32")  # the second server poses as public


def teredo(server: str, client: str) -> str:
    """A Teredo address: 2001:0::/32, server IPv4 in bits 32-63, client IPv4 XOR 0xffffffff."""
    value = (0x20010000 << 96) | (int(ipaddress.IPv4Address(server)) << 64)
    value |= ~int(ipaddress.IPv4Address(client)) & 0xFFFFFFFF
    return str(ipaddress.IPv6Address(value))


REFUSED_WHEN_STRICT = [
    "127.0.0.1",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.10",
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",
    "240.0.0.1",
    "198.18.0.1",  # benchmarking
    "192.0.2.1",  # documentation
    "::",
    "::1",
    "fc00::1",
    "ff02::1",
    "2001:db8::1",
    # IPv6 forms that embed a private IPv4
    "::127.0.0.1",  # IPv4-compatible
    "::ffff:10.0.0.1",  # IPv4-mapped
    "::ffff:0:7f00:1",  # IPv4-translated
    "64:ff9b::7f00:1",  # NAT64
    "2002:7f00:1::",  # 6to4
    teredo("65.54.227.120", "127.0.0.1"),  # Teredo client on loopback
    teredo("10.0.0.1", "93.184.215.14"),  # Teredo server in a private network
]

PUBLIC = [
    "93.184.215.14",
    "2606:4700::6810:84e5",
    "::ffff:93.184.215.14",
    "64:ff9b::5db8:d70e",
    "2002:5db8:d70e::1",
    teredo("65.54.227.120", "93.184.215.14"),
]

# Link-local and cloud metadata: refused even with allow_private, even when "trusted".
NEVER = [
    "169.254.169.254",
    "169.254.1.1",
    "100.100.100.200",
    "fe80::1",
    "fe80::1%eth0",
    "fd00:ec2::254",
    "::ffff:169.254.169.254",
    "::169.254.169.254",
    "64:ff9b::a9fe:a9fe",
    "2002:a9fe:a9fe::",
    teredo("65.54.227.120", "169.254.169.254"),
]

OPENED_BY_ALLOW_PRIVATE = [
    "127.0.0.1",
    "10.0.0.1",
    "100.64.0.1",
    "::1",
    "fc00::1",
    "::127.0.0.1",
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::",
]


@pytest.mark.parametrize("address", REFUSED_WHEN_STRICT + NEVER)
def test_strict_policy_refuses(address: str) -> None:
    assert not is_public_address(address)
    assert AddressPolicy().refusal(address) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize("address", NEVER)
def test_link_local_and_metadata_never_pass(address: str) -> None:
    assert classify(address) in (AddressKind.LINK_LOCAL, AddressKind.METADATA)
    assert not AddressPolicy(allow_private=True).allows(address)
    assert not AddressPolicy.trusting("0.0.0.0/0", "::/0", allow_private=True).allows(address)


@pytest.mark.parametrize("address", OPENED_BY_ALLOW_PRIVATE)
def test_allow_private_opens_loopback_and_private(address: str) -> None:
    assert not AddressPolicy().allows(address)
    assert AddressPolicy(allow_private=True).allows(address)


def test_a_trusted_network_is_only_that_network() -> None:
    assert TRUST_2.allows("127.0.0.2")
    assert not TRUST_2.allows("127.0.0.1")
    assert not TRUST_2.allows("10.0.0.1")
