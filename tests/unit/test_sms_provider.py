"""Twilio stays behind one module, and only the configuration turns SMS on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from marketplace import create_app
from marketplace.config import ConfigError
from marketplace.sms import provider

ROOT = Path(__file__).resolve().parents[2] / "marketplace"
BASE = {"TESTING": True, "MINKA_ENV": "testing", "SECRET_KEY": "x"}
SMS = {  # the three settings that turn SMS on
    "MINKA_SMS_ACCOUNT_SID": "AC" + "0" * 32,
    "MINKA_SMS_AUTH_TOKEN": "token",
    "MINKA_SMS_FROM": "+15005550006",
}


def test_only_the_provider_module_imports_twilio():
    importing = sorted(
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if re.search(r"^\s*(from|import) twilio\b", path.read_text(), re.MULTILINE)
    )
    assert importing == ["sms/provider.py"]


def test_sms_is_off_until_the_sid_token_and_sender_are_all_set():
    for missing in [*SMS, None]:
        settings = {k: v for k, v in SMS.items() if k != missing}
        with create_app(BASE | settings).app_context():
            assert provider.configured() is (missing is None)
            assert provider.whatsapp_configured() is False
    with create_app(BASE | SMS | {"MINKA_WHATSAPP_FROM": "+14155238886"}).app_context():
        assert provider.whatsapp_configured()


def test_delivery_reports_are_asked_for_only_with_a_public_address():
    with create_app(BASE | SMS).app_context():
        assert provider.status_callback_url() is None
    with create_app(BASE | SMS | {"MINKA_PUBLIC_URL": "https://minka.example.org/"}).app_context():
        assert provider.status_callback_url() == "https://minka.example.org/sms/estado"
    with create_app(BASE | {"MINKA_PUBLIC_URL": "https://minka.example.org"}).app_context():
        assert provider.status_callback_url() is None  # SMS off


@pytest.mark.parametrize(
    "url",
    ["minka.example.org", "/sms", "ftp://minka.example.org", "https://mi_nka.org", "https://"],
)
def test_a_public_address_twilio_would_refuse_stops_the_app(url):
    with pytest.raises(ConfigError, match="MINKA_PUBLIC_URL"):
        create_app({"MINKA_ENV": "testing", "SECRET_KEY": "x", "MINKA_PUBLIC_URL": url})
