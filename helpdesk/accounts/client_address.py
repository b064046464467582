"""The address a sign-in really comes from, behind reverse proxies the operator trusts.

Behind nginx the connection's peer is the proxy, so every visitor would share its address: one
person's failed sign-ins would slow everyone down, or a client limit would never apply
(helpdesk.accounts.throttle). Each proxy appends the address it got the request from to
X-Forwarded-For, so only the entries our own proxies added can be believed; anything further left
may have been typed by the client. The client is therefore the rightmost address that is not one
of our proxies, walking left from the peer. With no proxies trusted (the default) the header is
ignored entirely, which is right for an app reached without a proxy.

Trusted proxies: HELPDESK_TRUSTED_PROXIES (addresses or networks, separated by commas or spaces)
or `trusted_proxies = ["10.0.0.5", "10.0.1.0/24"]` in secrets.toml."""
from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Sequence

from helpdesk.core import config

ENV = "HELPDESK_TRUSTED_PROXIES"
SETTING = "trusted_proxies"
# A request passes a handful of proxies; more entries than this are the client's own invention.
MAX_HOPS = 32

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_IPV4_WITH_PORT = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}")
_IPV6_BRACKETED = re.compile(r"\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?")


def parse_networks(entries: Iterable[object], *, source: str = ENV) -> tuple[IPNetwork, ...]:
    """Addresses and networks ("10.0.0.5", "10.0.1.0/24", "2001:db8::/64") as networks; a bad
    entry is refused with a message that names it, rather than silently trusting less or more."""
    networks = []
    for entry in entries:
        text = str(entry).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{source}: {text[:60]!r} is not an IP address or network "
                             "(write e.g. 10.0.0.5, 10.0.1.0/24 or 2001:db8::/64)") from None
    return tuple(networks)


def trusted_proxies() -> tuple[IPNetwork, ...]:
    """The configured proxies (environment first, then secrets.toml); none by default."""
    raw = os.environ.get(ENV)
    if raw is not None:
        return parse_networks(re.split(r"[\s,]+", raw), source=ENV)
    value = config.load_secrets().get(SETTING, [])
    entries = re.split(r"[\s,]+", value) if isinstance(value, str) else value
    if not isinstance(entries, list):
        raise ValueError(f"{SETTING} in secrets.toml must be a list of addresses, such as [\"10.0.0.5\"]")
    return parse_networks(entries, source=f"{SETTING} in secrets.toml")


def _address(text: str | None) -> IPAddress | None:
    """An address as a proxy may write it ("203.0.113.7", "203.0.113.7:4711", "[2001:db8::1]:443",
    "2001:db8::1"); None for anything else ("unknown", a name, garbage). An IPv4 address mapped
    into IPv6 is the IPv4 address, so it matches the IPv4 networks."""
    if not text:
        return None
    text = text.strip().strip('"')
    for form in (_IPV6_BRACKETED, _IPV4_WITH_PORT):
        if match := form.fullmatch(text):
            text = match.group(1)
            break
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])  # a zone index ("fe80::1%eth0") names no other host
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _trusted(ip: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(ip.version == network.version and ip in network for network in trusted)


def client_address(*, peer: str | None, forwarded_for: Iterable[str] | str | None,
                   trusted: Sequence[IPNetwork]) -> str | None:
    """The client of a request whose connection came from `peer`, carrying the X-Forwarded-For
    header value(s) `forwarded_for`: the peer itself unless it is a trusted proxy; otherwise the
    rightmost entry that is not a trusted proxy. An entry that is no address where a client's
    address should be (a trusted proxy never writes one) is not believed: the last proxy that
    passed it on stands in, an address the client cannot vary between attempts."""
    peer_ip = _address(peer)
    if peer_ip is None:
        return peer  # no address (local, a socket) or not one we understand: nothing to unwrap
    if not _trusted(peer_ip, trusted):
        return str(peer_ip)
    values = [forwarded_for] if isinstance(forwarded_for, str) else list(forwarded_for or [])
    hops = [hop for value in values for hop in value.split(",") if hop.strip()][-MAX_HOPS:]
    nearest = peer_ip
    for hop in reversed(hops):
        ip = _address(hop)
        if ip is None:
            return str(nearest)
        if not _trusted(ip, trusted):
            return str(ip)
        nearest = ip
    return str(nearest)  # every hop is one of ours: the request started at the leftmost
