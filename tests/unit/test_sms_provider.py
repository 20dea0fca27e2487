"""Twilio stays behind one module, and only the configuration turns SMS on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from marketplace import create_app
from marketplace.config import ConfigError
from marketplace.sms import provider

ROOT = Path(__file__).resolve().parents[2] / "marketplace"


def test_only_the_provider_module_imports_twilio():
    importing = sorted(
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if re.search(r"^\s*(from|import) twilio\b", path.read_text(), re.MULTILINE)
    )
    assert importing == ["sms/provider.py"]


def test_sms_is_off_until_the_sid_token_and_sender_are_all_set():
    base = {"TESTING": True, "MINKA_ENV": "testing", "SECRET_KEY": "x"}
    full = {
        "MINKA_SMS_ACCOUNT_SID": "AC" + "0" * 32,
        "MINKA_SMS_AUTH_TOKEN": "token",
        "MINKA_SMS_FROM": "+15005550006",
    }
    for missing in [*full, None]:
        settings = {k: v for k, v in full.items() if k != missing}
        with create_app(base | settings).app_context():
            assert provider.configured() is (missing is None)
            assert provider.whatsapp_configured() is False
    with create_app(base | full | {"MINKA_WHATSAPP_FROM": "+14155238886"}).app_context():
        assert provider.whatsapp_configured()


def test_delivery_reports_are_asked_for_only_with_a_public_address():
    base = {"TESTING": True, "MINKA_ENV": "testing", "SECRET_KEY": "x"}
    sms = {
        "MINKA_SMS_ACCOUNT_SID": "AC" + "0" * 32,
        "MINKA_SMS_AUTH_TOKEN": "token",
        "MINKA_SMS_FROM": "+15005550006",
    }
    with create_app(base | sms).app_context():
        assert provider.status_callback_url() is None
    with create_app(base | sms | {"MINKA_PUBLIC_URL": "https://minka.example.org/"}).app_context():
        assert provider.status_callback_url() == "https://minka.example.org/sms/estado"
    with create_app(base | {"MINKA_PUBLIC_URL": "https://minka.example.org"}).app_context():
        assert provider.status_callback_url() is None  # SMS off


@pytest.mark.parametrize(
    "url",
    ["minka.example.org", "/sms", "ftp://minka.example.org", "https://mi_nka.org", "https://"],
)
def test_a_public_address_twilio_would_refuse_stops_the_app(url):
    with pytest.raises(ConfigError, match="MINKA_PUBLIC_URL"):
        create_app({"MINKA_ENV": "testing", "SECRET_KEY": "x", "MINKA_PUBLIC_URL": url})
