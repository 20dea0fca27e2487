"""Language choice and locale-aware formatting of money, numbers and dates."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

import flask_babel
import flask_wtf.i18n
from babel import numbers, support
from babel.numbers import get_currency_precision
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user
from wtforms.i18n import messages_path

from marketplace.labels import label

CURRENCIES = ("PEN", "MXN", "COP", "USD")
LANGUAGE_NAMES = {"es": "Español", "en": "English"}


def _language() -> str:
    """Saved preference, then ?lang=, then the session's choice, then Accept-Language, then es."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    asked = request.args.get("lang")
    if asked in languages:
        session["lang"] = asked
        return asked
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or languages[0]


def select_locale() -> str:
    """Flask-Babel's selector: the language, with the user's country for Spanish formats."""
    language = _language()
    signed_in = has_request_context() and current_user.is_authenticated
    country = current_user.country if signed_in else None
    if language == "es" and country:
        return f"es_{country}"
    return language


def money(amount_minor: int | None, currency: str) -> str:
    """Format integer minor units of `currency` for the viewer's locale."""
    if amount_minor is None:
        return ""
    return _money(amount_minor, currency, get_locale())


@lru_cache(maxsize=4096)
def _money(amount_minor: int, currency: str, locale) -> str:
    """babel's formatting of an amount (a pure function of its arguments: remembered)."""
    digits = get_currency_precision(currency)
    return numbers.format_currency(Decimal(amount_minor).scaleb(-digits), currency, locale=locale)


def number(value: float | int | None, digits: int = 1) -> str:
    """Format a number for the viewer's locale with at most `digits` decimals."""
    if value is None:
        return ""
    return format_decimal(value, format=f"#,##0.{'#' * digits}" if digits else "#,##0")


@lru_cache(maxsize=16)
def _wtforms_catalog(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _wtforms_translations() -> support.Translations | None:
    """WTForms' own messages for the request's locale, read from disk once per locale
    (Flask-WTF would parse the .mo file again on every request that validates a form)."""
    if not has_request_context() or "babel" not in current_app.extensions:
        return None
    return _wtforms_catalog(str(get_locale()))


def _install_template_gettext(app: Flask) -> None:
    """Templates' `_`/`gettext`/`ngettext` find the catalogue by the locale alone.

    Flask-Babel's own look the catalogue up through the request context for every string:
    a quarter of the time a page's frame takes. It keeps each locale's catalogue for the
    life of the process; this keeps the same ones in a dict keyed by locale (Minka uses one
    translation domain), so force_locale still applies.
    """
    catalogs: dict = {}

    def catalog() -> support.NullTranslations:
        locale = get_locale()
        found = catalogs.get(locale)
        if found is None:
            found = catalogs[locale] = flask_babel.get_translations()
        return found

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalog().ugettext(s),
        ngettext=lambda s, p, n: catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalog().unpgettext(c, s, p, n),
    )


def init_app(app: Flask) -> None:
    """Expose the formatting helpers to templates; cache WTForms' translations and make the
    templates' gettext cheaper."""
    flask_wtf.i18n._get_translations = _wtforms_translations
    _install_template_gettext(app)
    app.add_template_filter(money, "money")
    app.add_template_filter(number, "number")
    app.jinja_env.globals.update(
        get_locale=get_locale,
        format_datetime=format_datetime,
        format_date=format_date,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        label=label,
    )
