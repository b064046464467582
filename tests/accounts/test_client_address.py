"""Who a sign-in comes from behind proxies (helpdesk.accounts.client_address): only entries that
trusted proxies added to X-Forwarded-For are believed; what a client writes there itself is not."""
from __future__ import annotations

import pytest

from helpdesk.accounts.client_address import client_address, parse_networks, trusted_proxies

NGINX = parse_networks(["10.0.0.5"])
TWO_TIERS = parse_networks(["10.0.0.5", "192.0.2.0/24"])  # a cloud load balancer's network, then nginx
IPV6_PROXIES = parse_networks(["2001:db8:1::/48"])


def resolve(peer, forwarded, trusted=NGINX):
    return client_address(peer=peer, forwarded_for=forwarded, trusted=trusted)


def test_with_nothing_trusted_the_header_is_ignored_and_the_peer_is_the_client():
    assert resolve("10.0.0.5", "203.0.113.7", trusted=()) == "10.0.0.5"
    assert resolve("198.51.100.9", "203.0.113.7", trusted=()) == "198.51.100.9"


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored():
    # The attacker connects directly (not through nginx) and claims to be someone else.
    assert resolve("198.51.100.9", "203.0.113.7") == "198.51.100.9"
    assert resolve("198.51.100.9", ["10.0.0.5", "203.0.113.7"]) == "198.51.100.9"


def test_behind_a_trusted_proxy_the_address_it_added_is_the_client():
    assert resolve("10.0.0.5", "203.0.113.7") == "203.0.113.7"


def test_what_the_client_wrote_left_of_the_proxys_entry_is_not_believed():
    # nginx appends the real peer to whatever the client sent: "<spoof>, <real>".
    assert resolve("10.0.0.5", "1.2.3.4, 203.0.113.7") == "203.0.113.7"
    assert resolve("10.0.0.5", "10.0.0.5, 203.0.113.7") == "203.0.113.7"  # even naming our proxy


def test_a_chain_of_trusted_proxies_is_walked_to_the_rightmost_untrusted_address():
    assert resolve("10.0.0.5", "1.2.3.4, 203.0.113.7, 192.0.2.10", trusted=TWO_TIERS) == "203.0.113.7"
    # One tier trusted only: the load balancer's address is as far as we believe.
    assert resolve("10.0.0.5", "1.2.3.4, 203.0.113.7, 192.0.2.10") == "192.0.2.10"


def test_several_header_lines_count_as_one_list_in_order():
    assert resolve("10.0.0.5", ["1.2.3.4", "203.0.113.7, 192.0.2.10"], trusted=TWO_TIERS) == "203.0.113.7"


def test_when_every_hop_is_a_trusted_proxy_the_leftmost_is_where_it_started():
    assert resolve("10.0.0.5", "192.0.2.20, 192.0.2.10", trusted=TWO_TIERS) == "192.0.2.20"


def test_a_trusted_peer_without_a_header_is_the_client_itself():
    assert resolve("10.0.0.5", None) == "10.0.0.5"
    assert resolve("10.0.0.5", "") == "10.0.0.5"
    assert resolve("10.0.0.5", " , ") == "10.0.0.5"


def test_ipv6_clients_and_proxies():
    assert resolve("2001:db8:1::5", "2001:DB8:2::77", trusted=IPV6_PROXIES) == "2001:db8:2::77"  # normalised
    assert resolve("2001:db8:1::5", "[2001:db8:2::77]:51234", trusted=IPV6_PROXIES) == "2001:db8:2::77"
    assert resolve("2001:db8:9::5", "203.0.113.7", trusted=IPV6_PROXIES) == "2001:db8:9::5"  # untrusted peer
    # An IPv4 proxy seen through an IPv6 socket is still that IPv4 proxy.
    assert resolve("::ffff:10.0.0.5", "203.0.113.7") == "203.0.113.7"
    assert resolve("10.0.0.5", "::ffff:203.0.113.7") == "203.0.113.7"


def test_an_address_with_a_port_is_the_address():
    assert resolve("10.0.0.5", "203.0.113.7:4711") == "203.0.113.7"


@pytest.mark.parametrize("garbage", ["unknown", "not-an-ip", "999.1.1.1", "<script>", "_hidden", "1.2.3.4.5"])
def test_garbage_where_the_client_should_be_is_not_believed(garbage):
    # Only a client can have put it there, so it names nobody: the proxy that passed it on stands in
    # (a key the client cannot change between attempts).
    assert resolve("10.0.0.5", garbage) == "10.0.0.5"
    assert resolve("10.0.0.5", f"{garbage}, 192.0.2.10", trusted=TWO_TIERS) == "192.0.2.10"
    # Left of a real client address it is never even looked at.
    assert resolve("10.0.0.5", f"{garbage}, 203.0.113.7") == "203.0.113.7"


def test_a_huge_header_is_read_only_as_far_as_proxies_can_reach():
    forged = ", ".join(["192.0.2.10"] * 5000)
    assert resolve("10.0.0.5", forged, trusted=TWO_TIERS) == "192.0.2.10"


def test_no_peer_or_a_peer_that_is_no_address_is_passed_on_as_it_is():
    assert resolve(None, "203.0.113.7") is None
    assert resolve("unix-socket", "203.0.113.7") == "unix-socket"


def test_the_setting_takes_addresses_and_networks_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HELPDESK_SECRETS_FILE", str(tmp_path / "none.toml"))
    monkeypatch.delenv("HELPDESK_TRUSTED_PROXIES", raising=False)
    assert trusted_proxies() == ()  # trust nothing by default
    monkeypatch.setenv("HELPDESK_TRUSTED_PROXIES", "10.0.0.5, 10.0.1.0/24 2001:db8::/64")
    assert [str(n) for n in trusted_proxies()] == ["10.0.0.5/32", "10.0.1.0/24", "2001:db8::/64"]


def test_the_setting_in_secrets_toml(monkeypatch, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('trusted_proxies = ["10.0.0.5", "10.0.1.7/24"]\n')
    monkeypatch.setenv("HELPDESK_SECRETS_FILE", str(secrets))
    monkeypatch.delenv("HELPDESK_TRUSTED_PROXIES", raising=False)
    assert [str(n) for n in trusted_proxies()] == ["10.0.0.5/32", "10.0.1.0/24"]


@pytest.mark.parametrize("raw", ["10.0.0.5, nginx.internal", "10.0.0.300", "10.0.0.0/33"])
def test_a_bad_entry_is_refused_with_a_message_that_names_it(monkeypatch, raw):
    monkeypatch.setenv("HELPDESK_TRUSTED_PROXIES", raw)
    with pytest.raises(ValueError, match=r"HELPDESK_TRUSTED_PROXIES: '.+' is not an IP address or network"):
        trusted_proxies()


def test_a_setting_that_is_no_list_is_refused(monkeypatch, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("trusted_proxies = 5\n")
    monkeypatch.setenv("HELPDESK_SECRETS_FILE", str(secrets))
    monkeypatch.delenv("HELPDESK_TRUSTED_PROXIES", raising=False)
    with pytest.raises(ValueError, match="must be a list"):
        trusted_proxies()
