"""Language choice and locale-aware formatting of money, numbers and dates."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

import flask_babel
import flask_wtf.i18n
from babel import Locale, numbers, support
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
from wtforms.i18n import messages_path

from marketplace import currencies
from marketplace.labels import label
from marketplace.models.vocabulary import vocabularies

#: How numbers are written for a Spanish speaker whose country Minka does not know.
NEUTRAL_SPANISH = "es_419"
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


def number_locale(locale=None) -> Locale:
    """The locale whose separators numbers are shown with: the viewer's, with the Spanish
    of Latin America (1,234.5) for a Spanish speaker without a country, not Spain's."""
    locale = locale if locale is not None else _current_locale()
    return _number_locale(str(locale))


@lru_cache(maxsize=32)
def _number_locale(name: str) -> Locale:
    return Locale.parse(NEUTRAL_SPANISH if name == "es" else name)


def _current_locale():
    found = get_locale() if has_request_context() else None
    return found if found is not None else NEUTRAL_SPANISH


def money(amount_minor: int | None, currency: str, locale=None) -> str:
    """Integer minor units of `currency` for the viewer: their locale's separators, the
    currency's symbol ("S/ 7,560.00", "$ 1.500.000" in Colombia, "MXN 8,000.00" where "$"
    could be another peso)."""
    if amount_minor is None:
        return ""
    return _money(amount_minor, currency, str(locale or _current_locale()))


@lru_cache(maxsize=4096)
def _money(amount_minor: int, code: str, locale: str) -> str:
    """One amount formatted (a pure function of its arguments: remembered)."""
    currency = currencies.get(code)
    territory = Locale.parse(locale).territory
    known = currency.symbol_is_unique or currency.country == territory
    symbol = currency.symbol if known else currency.code
    space = "\u00a0" if currency.spaced or not known else ""
    sign = "-" if amount_minor < 0 else ""
    return f"{sign}{symbol}{space}{_amount(abs(amount_minor), code, locale)}"


def money_markup(amount_minor: int | None, currency: str, locale=None) -> Markup:
    """An amount on a page: one word that never breaks across lines (CSS `.amount`)."""
    text = money(amount_minor, currency, locale)
    return Markup('<span class="amount">%s</span>') % text if text else Markup("")


def plain_amount(amount_minor: int, code: str, locale=None) -> str:
    """An amount without its symbol, as a person types it in the viewer's locale."""
    return _amount(amount_minor, code, str(locale or _current_locale()))


@lru_cache(maxsize=4096)
def _amount(amount_minor: int, code: str, locale: str) -> str:
    currency = currencies.get(code)
    whole = amount_minor % currency.factor == 0
    digits = 0 if currency.drop_zero_minor and whole else currency.minor_units
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    value = currencies.to_major(amount_minor, code)
    return numbers.format_decimal(value, format=pattern, locale=_number_locale(locale))


def number(
    value: float | int | Decimal | None, digits: int = 1, locale=None, *, fixed: bool = False
) -> str:
    """A number for the viewer: their locale's separators, thousands always grouped, at
    most `digits` decimals (exactly `digits` when `fixed`)."""
    if value is None:
        return ""
    pattern = f"#,##0.{('0' if fixed else '#') * digits}" if digits else "#,##0"
    return _pattern(pattern).apply(value, number_locale(locale))


@lru_cache(maxsize=64)
def _pattern(pattern: str) -> numbers.NumberPattern:
    """A number pattern parsed once (Babel parses it again on every format_decimal)."""
    return numbers.parse_pattern(pattern)


def percent(share: float | Decimal | None, digits: int = 0, locale=None) -> str:
    """A share of one (0.966) as a percentage for the viewer ("96.6 %" with `digits` 1);
    "" for None."""
    if share is None:
        return ""
    return f"{number(share * 100, digits, locale)} %"


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Flask-Babel's ngettext with the count written for the viewer: messages say
    `%(num)s` ("1,250 pedidos"), never `%(num)d`."""
    variables.setdefault("num", number(num, 0))
    return flask_babel.get_translations().ungettext(singular, plural, num) % variables


def typed_number(value: float | int | Decimal | None, digits: int, locale=None) -> str:
    """A number as a person types it back into a form, in the viewer's locale, without
    thousands marks ("4,5" in Colombia, "4.5" in Peru): the number reader reads it back."""
    if value is None:
        return ""
    pattern = f"0.{'#' * digits}" if digits else "0"
    return numbers.format_decimal(value, format=pattern, locale=number_locale(locale))


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
    """Templates' `_`/`gettext`/`ngettext` find the catalogue by the locale alone, and
    `ngettext` writes its count for the viewer.

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

    # A page says a few hundred strings: the render's context carries its catalogue, looked
    # up once per render (macros imported without context look it up themselves).
    app.context_processor(lambda: {"_catalog": catalog()})

    def of(context) -> support.NullTranslations:
        found = context.get("_catalog")
        return found if found is not None else catalog()

    app.jinja_env.install_gettext_callables(
        gettext=pass_context(lambda ctx, s: of(ctx).ugettext(s)),
        ngettext=pass_context(lambda ctx, s, p, n: of(ctx).ungettext(s, p, n)),
        newstyle=True,
        pgettext=pass_context(lambda ctx, c, s: of(ctx).upgettext(c, s)),
        npgettext=pass_context(lambda ctx, c, s, p, n: of(ctx).unpgettext(c, s, p, n)),
    )
    plural = app.jinja_env.globals["ngettext"]

    @pass_context
    def counted(context, singular: str, plural_form: str, num: int, **variables):
        """Templates' ngettext: the count written for the viewer, as in `ngettext`."""
        variables.setdefault("num", number(num, 0))
        return plural(context, singular, plural_form, num, **variables)

    app.jinja_env.globals["ngettext"] = counted


def by_gender(gender: str | None, female: str, male: str, neutral: str) -> str:
    """The wording that fits a person: hers or his where Minka knows the gender she or he
    declared, the neutral one otherwise (other, not said, or no profile yet)."""
    return {"female": female, "male": male}.get(str(gender or ""), neutral)


def init_app(app: Flask) -> None:
    """Expose the formatting helpers and every vocabulary enum (``OrderStatus``...) to
    templates; cache WTForms' translations and make the templates' gettext cheaper."""
    flask_wtf.i18n._get_translations = _wtforms_translations
    _install_template_gettext(app)
    app.add_template_filter(money_markup, "money")
    app.add_template_filter(number, "number")
    app.add_template_filter(percent, "percent")
    app.jinja_env.globals.update(
        get_locale=get_locale,
        format_datetime=format_datetime,
        format_date=format_date,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        label=label,
        by_gender=by_gender,
        **vocabularies(),
    )
