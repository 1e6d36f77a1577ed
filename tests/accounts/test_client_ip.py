"""One rule for the client IP (accounts.network.client_ip), used by every limit of the product."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from accounts import network

ROOT = Path(__file__).resolve().parents[2]


def request(remote_addr="10.0.0.2", **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)


def test_by_default_the_socket_peer_counts_and_forwarded_for_is_ignored(settings):
    assert settings.CRM_TRUSTED_PROXY_HOPS == 0
    assert network.client_ip(request("198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.1")) == "198.51.100.7"
    assert network.client_ip(request("198.51.100.7", HTTP_X_REAL_IP="203.0.113.1")) == "198.51.100.7"


def test_behind_one_trusted_proxy_the_last_entry_counts(settings):
    settings.CRM_TRUSTED_PROXY_HOPS = 1
    assert network.client_ip(request(HTTP_X_FORWARDED_FOR="203.0.113.9")) == "203.0.113.9"


def test_behind_one_trusted_proxy_entries_the_client_wrote_are_ignored(settings):
    settings.CRM_TRUSTED_PROXY_HOPS = 1
    spoofed = "198.51.100.1, 192.0.2.44, 203.0.113.9"
    assert network.client_ip(request(HTTP_X_FORWARDED_FOR=spoofed)) == "203.0.113.9"
    # Junk on the left does not make the header unusable (which would lump clients together).
    assert network.client_ip(request(HTTP_X_FORWARDED_FOR="not-an-ip, 203.0.113.9")) == "203.0.113.9"


def test_behind_two_trusted_proxies_the_second_entry_from_the_right_counts(settings):
    settings.CRM_TRUSTED_PROXY_HOPS = 2
    chain = "198.51.100.1, 203.0.113.9, 192.0.2.10"  # spoofed, the client, the first proxy
    assert network.client_ip(request(HTTP_X_FORWARDED_FOR=chain)) == "203.0.113.9"


def test_fewer_entries_than_hops_fall_back_to_the_nearest_proxy(settings):
    settings.CRM_TRUSTED_PROXY_HOPS = 2
    assert network.client_ip(request("10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")) == "10.0.0.2"
    assert network.client_ip(request("10.0.0.2")) == "10.0.0.2"


def test_another_header_can_be_trusted(settings):
    settings.CRM_TRUSTED_PROXY_HOPS = 1
    settings.CRM_CLIENT_IP_HEADER = "X-Real-IP"
    headers = {"HTTP_X_REAL_IP": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    assert network.client_ip(request(**headers)) == "203.0.113.9"


def test_ipv6_and_ports_are_understood(settings):
    settings.CRM_TRUSTED_PROXY_HOPS = 1
    assert network.client_ip(request(HTTP_X_FORWARDED_FOR="198.51.100.1, 2001:db8::7")) == "2001:db8::7"
    assert network.client_ip(request(HTTP_X_FORWARDED_FOR="[2001:db8::7]:4711")) == "2001:db8::7"
    assert network.client_ip(request(HTTP_X_FORWARDED_FOR="203.0.113.9:4711")) == "203.0.113.9"


def test_a_request_without_peer_has_no_ip(settings):
    assert network.client_ip(request("")) is None


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("X-Forwarded-For", "HTTP_X_FORWARDED_FOR"),
        ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_FOR"),
        ("x-real-ip", "HTTP_X_REAL_IP"),
    ],
)
def test_header_names_are_accepted_in_either_spelling(header, key):
    assert network.meta_key(header) == key


def load_settings(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "LEADS_"))}
    return subprocess.run(
        [sys.executable, "-c", "import pipeline_crm.settings as s; print(s.CRM_TRUSTED_PROXY_HOPS)"],
        cwd=ROOT,
        env={**clean, "CRM_MODE": "embedded", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_old_leads_header_setting_is_refused_with_directions():
    result = load_settings(LEADS_CLIENT_IP_HEADER="HTTP_X_FORWARDED_FOR")
    assert result.returncode != 0
    assert "LEADS_CLIENT_IP_HEADER is no longer read" in result.stderr
    assert "CRM_TRUSTED_PROXY_HOPS" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CRM_TRUSTED_PROXY_HOPS": "-1"}, "CRM_TRUSTED_PROXY_HOPS must be 0"),
        ({"CRM_TRUSTED_PROXY_HOPS": "one"}, "is not a whole number"),
        ({"CRM_TRUSTED_PROXY_HOPS": "1", "CRM_CLIENT_IP_HEADER": " "}, "CRM_CLIENT_IP_HEADER must name"),
    ],
)
def test_junk_proxy_settings_are_refused(env, message):
    result = load_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_trusted_hops_are_read_from_the_environment():
    result = load_settings(CRM_TRUSTED_PROXY_HOPS="2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"
