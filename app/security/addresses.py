"""The client's address: the peer, or behind trusted reverse proxies their `X-Forwarded-For`."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def _is_trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str | None, headers: Mapping[str, str], trusted: list[str]) -> str:
    """`X-Forwarded-For` is believed only when the peer is a trusted proxy, and then read from
    the right: the first address that is not itself a trusted proxy is the client. A client
    cannot choose its address by sending the header itself."""
    peer = peer or "unknown"
    networks = _networks(tuple(trusted))
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # A malformed hop: trust nothing further left.
        client = hop
        if not _is_trusted(hop, networks):
            break
    return client
