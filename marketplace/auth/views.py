"""Account pages: thin wrappers around auth.services."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace import uploads
from marketplace.auth import services
from marketplace.auth.blueprint import bp
from marketplace.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
)
from marketplace.errors import DomainError
from marketplace.extensions import limiter
from marketplace.phones import phone_candidates
from marketplace.sms import provider as sms
from marketplace.web import handle_http, safe_next


def _login_limit() -> str:
    return current_app.config["MINKA_LOGIN_LIMIT"]


def _account_limit() -> str:
    return current_app.config["MINKA_LOGIN_ACCOUNT_LIMIT"]


def _password_check_limit() -> str:
    return current_app.config["MINKA_PASSWORD_CHECK_LIMIT"]


def _account_named() -> str:
    key = services.account_key(request.form.get("identifier", ""))
    return "account:" + hashlib.sha256(key.encode()).hexdigest()


def _signup_taken_limit() -> str:
    return current_app.config["MINKA_SIGNUP_TAKEN_LIMIT"]


def _identifier_was_taken(_response) -> bool:
    return g.get("identifier_taken", False)


def _signed_in_user() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def _refused(response) -> bool:
    """Only failed tries count: a refused form is shown again (200); a success redirects."""
    return response.status_code == 200


# Failed sign-ins are limited per address (many accounts tried from one place) and per account
# (one account tried from anywhere); the account's budget is the smaller, so one person's
# mistakes end on her own account before they reach the address a whole carrier shares.
@bp.route("/ingresar", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_refused)
@limiter.limit(
    _account_limit,
    methods=["POST"],
    key_func=_account_named,
    deduct_when=_refused,
    scope="login-account",
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.identifier.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(url_for("main.index")))
        form.password.errors.append(_("El correo, celular o contraseña no son correctos."))
    return render_template("auth/login.html", form=form)


def _uploaded(form: SignupForm) -> bytes:
    upload = form.organization_document.data
    return upload.read() if upload else b""


@bp.url_value_preprocessor
def _limit_uploads(endpoint: str | None, values: dict | None) -> None:
    # URL preprocessors run before the CSRF check reads the body, so the limit holds there too.
    if endpoint == "auth.signup":
        request.max_content_length = uploads.MAX_DOCUMENT_BYTES + 64 * 1024


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    """An oversized document sends the person back to the sign-up form with a message."""
    if request.endpoint != "auth.signup":
        return handle_http(error)
    flash(_("El documento es demasiado grande: el máximo es 5 MB. No se guardó nada."), "error")
    return redirect(url_for(".signup"))


# Sign-up must say that an e-mail or phone already has an account (the person signs in
# instead), so asking it is limited per address: an address hears it a few times an hour.
@bp.route("/registro", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(
    _signup_taken_limit,
    methods=["POST"],
    deduct_when=_identifier_was_taken,
    scope="signup-taken",
)
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignupForm()
    if form.validate_on_submit():
        data = services.SignupData(
            name=form.name.data,
            identifier=form.identifier.data,
            password=form.password.data,
            role=form.role.data,
            country=form.country.data,
            join_code=form.join_code.data or "",
            organization_name=form.organization_name.data or "",
            organization_kind=form.organization_kind.data or "",
            organization_tax_id=form.organization_tax_id.data or "",
            organization_document=_uploaded(form),
            instance_path=Path(current_app.instance_path),
            locale=session.get("lang"),
        )
        try:
            user = services.sign_up(data)
        except services.IdentifierTaken as error:
            g.identifier_taken = True
            form.identifier.errors.append(error.message)
        except DomainError as error:
            getattr(form, error.field or "identifier").errors.append(error.message)
        else:
            login_user(user)
            flash(_("¡Hola, %(name)s! Le damos la bienvenida a Minka.", name=user.name), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/signup.html", form=form)


@bp.route("/salir", methods=["POST"])
@login_required
def logout():
    services.sign_out(current_user)
    logout_user()
    flash(_("Cerró su sesión."), "info")
    return redirect(url_for("main.index"))


@bp.route("/cuenta/clave", methods=["GET", "POST"])
@login_required
@limiter.limit(
    _password_check_limit,
    methods=["POST"],
    key_func=_signed_in_user,
    deduct_when=_refused,
    scope="password-check",
)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except DomainError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            # The change ended every session; this device carries on with a new one.
            remembered = (
                current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies
            )
            login_user(current_user._get_current_object(), remember=remembered)
            flash(_("Su contraseña fue cambiada."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)


def _code_limit() -> str:
    return current_app.config["MINKA_SMS_CODE_LIMIT"]


def _mobile_named() -> str:
    """One name for a mobile however it is typed (the reset page keeps it in the session)."""
    typed = request.form.get("phone") or session.get("reset_phone", "")
    key = services.account_key(typed)
    return "mobile:" + hashlib.sha256(key.encode()).hexdigest()


# Asking for a code is limited per address and per number (nobody fills a stranger's phone
# with codes); entering one counts refused tries like a sign-in, per address and per number.
@bp.route("/ingresar/olvido", methods=["GET", "POST"])
@limiter.limit(_code_limit, methods=["POST"])
@limiter.limit(_code_limit, methods=["POST"], key_func=_mobile_named, scope="reset-mobile")
def forgot_password():
    if current_user.is_authenticated:
        return redirect(url_for("auth.change_password"))
    if not sms.configured():
        return render_template("auth/forgot_password.html", form=None), 404
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if not phone_candidates(form.phone.data):
            form.phone.errors.append(_("Escriba un número de celular válido."))
        else:
            services.request_password_reset(form.phone.data)
            session["reset_phone"] = form.phone.data.strip()
            flash(
                _(
                    "Si ese celular tiene una cuenta en Minka, le enviamos un código por SMS. "
                    "Vence en 10 minutos."
                ),
                "info",
            )
            return redirect(url_for("auth.reset_password"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/ingresar/nueva-clave", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_refused)
@limiter.limit(
    _account_limit,
    methods=["POST"],
    key_func=_mobile_named,
    deduct_when=_refused,
    scope="reset-code",
)
def reset_password():
    typed = session.get("reset_phone")
    if current_user.is_authenticated or not sms.configured() or not typed:
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(typed, form.code.data, form.password.data)
        except DomainError as error:
            getattr(form, error.field or "code").errors.append(error.message)
        else:
            session.pop("reset_phone", None)
            flash(_("Su contraseña fue cambiada. Ingrese con la nueva."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, phone=typed)
