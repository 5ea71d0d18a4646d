"""Webhook URLs may not reach inside the network (server-side request forgery, OWASP API7).

A subscription's host is refused when it is, or resolves to, a loopback, link-local, private,
multicast, reserved or unspecified address (IPv4-mapped IPv6 included): when the subscription
is made or changed (422, problem type `webhook-address-refused`) and again before every
delivery, since a name can be re-pointed after it was checked. Loopback is allowed only when
`CCR_WEBHOOK_ALLOW_LOOPBACK` says so (the tests' receiver listens on 127.0.0.1). A name that does
not resolve is accepted when subscribing; delivery resolves it again and refuses it then.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from app.errors import Unprocessable
from app.kit.rules import field_error

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Unprocessable):
    slug, title = "webhook-address-refused", "Webhook address refused"


def refusal(address: Address, allow_loopback: bool) -> str | None:
    """Why `address` may not receive deliveries, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return refusal(address.ipv4_mapped, allow_loopback)
    if address.is_loopback:
        return None if allow_loopback else "loopback"
    for kind in ("unspecified", "link_local", "private", "multicast", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "not-global"


def resolve(host: str) -> list[Address]:
    """The host's addresses: itself when it is one, else what the resolver says (none when it
    does not resolve)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]


def refused(url: str, allow_loopback: bool) -> str | None:
    """Why a delivery to `url` is refused now (any of its addresses is internal), or None."""
    host = urlsplit(url).hostname or ""
    for address in resolve(host):
        reason = refusal(address, allow_loopback)
        if reason is not None:
            return reason
    return None


def check(url: str, allow_loopback: bool) -> None:
    """Refuse a subscription URL that reaches an internal address (422)."""
    reason = refused(url, allow_loopback)
    if reason is not None:
        message = f"Webhook URLs may not reach an internal address ({reason})"
        raise AddressRefused(message, errors=field_error("url", message))
