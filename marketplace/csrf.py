"""CSRF tokens that differ in every response, so compressed pages do not leak them.

Pages are gzipped (marketplace/assets.py). A secret repeated verbatim in compressed
responses that also echo what an attacker sends (a search box) can be guessed a character
at a time from the responses' lengths (BREACH). Flask-WTF writes the same signed token in
every page of a session; here each page gets it XOR-ed with a fresh random pad, written
as the pad followed by the result, and every submission is unmasked before Flask-WTF
checks it. An unmasked token is still accepted.
"""

from __future__ import annotations

import base64
import binascii
import os

from flask import Flask, g
from flask_wtf import CSRFProtect, FlaskForm
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.csrf.core import CSRF

PREFIX = "m."


def mask(token: str) -> str:
    """`token` hidden under a fresh random pad: another string every call."""
    data = token.encode()
    pad = os.urandom(len(data))
    hidden = bytes(a ^ b for a, b in zip(pad, data, strict=True))
    return PREFIX + base64.urlsafe_b64encode(pad + hidden).decode()


def unmask(value: str | None) -> str | None:
    """The token a masked value carries; anything else unchanged (Flask-WTF refuses it)."""
    if not value or not value.startswith(PREFIX):
        return value
    try:
        raw = base64.urlsafe_b64decode(value[len(PREFIX) :].encode())
    except (binascii.Error, ValueError):
        return value
    half, odd = divmod(len(raw), 2)
    if odd or not half:
        return value
    token = bytes(a ^ b for a, b in zip(raw[:half], raw[half:], strict=True))
    try:
        return token.decode()
    except UnicodeDecodeError:
        return value


def masked_csrf_token() -> str:
    """What templates write as `csrf_token()`."""
    return mask(generate_csrf())


class MaskedFormCSRF(CSRF):
    """Flask-WTF's form CSRF with masked tokens (the forms' `csrf_token` field)."""

    def setup_form(self, form):
        self.meta = form.meta
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field):
        return mask(generate_csrf(self.meta.csrf_secret, self.meta.csrf_field_name))

    def validate_csrf_token(self, form, field):
        if g.get("csrf_valid", False):  # CSRFProtect checked this request already
            return
        validate_csrf(
            unmask(field.data),
            self.meta.csrf_secret,
            self.meta.csrf_time_limit,
            self.meta.csrf_field_name,
        )


class MaskedCSRFProtect(CSRFProtect):
    """CSRFProtect that writes masked tokens and unmasks what it is sent."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        app.jinja_env.globals["csrf_token"] = masked_csrf_token
        # Registered after Flask-WTF's, so this one wins in templates' context.
        app.context_processor(lambda: {"csrf_token": masked_csrf_token})
        # wtforms' documented hook for a form's CSRF implementation; every Minka form is a
        # FlaskForm.
        FlaskForm.Meta.csrf_class = MaskedFormCSRF

    def _get_csrf_token(self):
        return unmask(super()._get_csrf_token())
