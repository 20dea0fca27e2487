"""Request-wide web concerns: login loading, error pages, headers, navigation."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable, Collection, Iterable
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    jsonify,
    make_response,
    render_template,
    request,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from marketplace.errors import DomainError
from marketplace.extensions import db, login_manager
from marketplace.models import User
from marketplace.navigation import navigation_for
from marketplace.permissions import MAX_ID

ERROR_MESSAGES = {
    400: _l("La solicitud no es válida."),
    403: _l("No tiene permiso para ver esta página."),
    404: _l("No encontramos esta página."),
    405: _l("Esta acción no está permitida aquí."),
    413: _l("El archivo es demasiado grande."),
    429: _l("Demasiados intentos. Espere un momento y vuelva a intentarlo."),
    500: _l("Algo falló de nuestro lado. Vuelva a intentarlo en un momento."),
}
CONTROL_MESSAGE = _l("El texto tiene caracteres no permitidos.")
#: The last page number a list page reads; further pages are empty, never an overflow.
MAX_PAGE = 100_000
# NUL and the other control characters (C0, DEL, C1); tab, newline and carriage return
# stay, for multi-line text. PostgreSQL refuses NUL in text; none belongs in a name.
CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # as a regex class's content
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
CSRF_MESSAGE = _l(
    "El formulario caducó o no vino de Minka. Vuelva a cargar la página e inténtelo de nuevo."
)


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """The signed-in user of a session or remember-me cookie, if it still holds.

    The identity is what User.get_id gave at sign-in; it no longer holds once the user's
    session version moved on (sign-out, password change, deactivation) or once it is older
    than REMEMBER_COOKIE_DURATION, whatever the browser kept.
    """
    parts = identity.split(":")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    user_id, version, issued = (int(part) for part in parts)
    max_age = current_app.config["REMEMBER_COOKIE_DURATION"].total_seconds()
    if time.time() - issued > max_age or user_id > MAX_ID:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.session_version == version else None


def page_number() -> int:
    """The ?page= of a list page: a whole number from 1 to MAX_PAGE (1 when absent or not a
    number, MAX_PAGE when larger)."""
    raw = request.args.get("page", "")
    if not (raw.isascii() and raw.isdigit()):
        return 1
    if len(raw) > len(str(MAX_PAGE)):  # never int() of a 400-digit string
        return MAX_PAGE
    return min(max(int(raw), 1), MAX_PAGE)


def has_control_characters(value: str) -> bool:
    """True when `value` holds NUL or another control character other than tab/newline."""
    return bool(_CONTROL.search(value))


def _refuse_control_characters():
    """Refuse, before any view reads them, query and form values with control characters."""
    sources = [request.args]
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        sources.append(request.form)  # never the uploaded files
    texts = (
        text for source in sources for key, values in source.lists() for text in (key, *values)
    )
    if any(has_control_characters(text) for text in texts):
        return _error_response(400, CONTROL_MESSAGE)
    return None


def safe_next(default: str) -> str:
    """The local ?next= target of a form, or `default` (never another site)."""
    target = request.args.get("next") or request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return default


def show_errors(form, error: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's refusal next to the form fields it concerns; flash what fits none.

    `aliases` maps a service's field names to the form's where they differ.
    """
    aliases = aliases or {}
    problems = getattr(error, "errors", None) or {error.field or "": error.message}
    for name, message in problems.items():
        target = getattr(form, aliases.get(name, name), None) if name else None
        if target is None:
            flash(message, "error")
        else:
            target.errors = [*target.errors, message]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet run a cell


def spreadsheet_safe(value):
    """Keep spreadsheets from running a typed name as a formula (OWASP's CSV injection
    advice: a leading quote on text that starts like a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable]) -> str:
    """Rows (the header first) as CSV text, every cell kept from running as a formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return out.getvalue()


def csv_records(columns: list[str], records: Iterable[dict]) -> str:
    """Records as CSV text under a header of `columns`, every cell kept from running as a
    formula (numbers are never touched: pass coordinates as numbers, not text)."""
    return csv_text([columns, *([record[column] for column in columns] for record in records)])


def csv_download(body: str, filename: str) -> Response:
    """A CSV file to save, never cached (it may hold personal data); the BOM lets
    spreadsheets read UTF-8."""
    return Response(
        "\ufeff" + body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _error_response(status: int, message: str):
    if _wants_json():
        return jsonify(error=str(message), status=status), status
    return render_template("errors.html", status=status, message=message), status


def handle_http(error: HTTPException):
    """The error page (or JSON error) for an HTTP error; blueprints fall back to it."""
    status = error.code or 500
    response = make_response(_error_response(status, ERROR_MESSAGES.get(status, error.description)))
    if getattr(error, "valid_methods", None):  # a 405 says which methods the URL takes
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _handle_csrf(error: CSRFError):
    return _error_response(400, CSRF_MESSAGE)


def _handle_unexpected(error: Exception):
    db.session.rollback()
    return _error_response(500, ERROR_MESSAGES[500])


def _security_headers(response, form_origins: Iterable[str]):
    if request.endpoint != "static" and current_user.is_authenticated:
        # a signed-in page holds someone's data: not kept by the browser or a proxy (phones
        # are shared; the back button after signing out must not show it)
        response.headers.setdefault("Cache-Control", "private, no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # The pay and onboarding buttons post to Minka, which redirects to Stripe's hosted
    # pages: Chromium checks form-action on that redirect too.
    targets = " ".join(("'self'", *form_origins))
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"frame-ancestors 'none'; form-action {targets}",
    )
    return response


def _template_context(configured: Collection[str]) -> dict:
    user = current_user if current_user.is_authenticated else None
    return {"menu": navigation_for(user, configured)}


def init_app(
    app: Flask,
    form_origins: Callable[[], Iterable[str]] = tuple,
    configured: Callable[[], Collection[str]] = tuple,
) -> None:
    """Wire login, error pages, headers and the navigation into the app.

    ``form_origins`` gives the outside origins a form may be redirected to (Stripe's pages);
    ``configured`` the outside services configured now ("sms"), for the menu.
    """
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Inicie sesión para continuar.")
    login_manager.login_message_category = "info"
    # "basic", not "strong": phones on mobile networks change address all the time.
    login_manager.session_protection = "basic"
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    if not app.testing:
        app.register_error_handler(Exception, _handle_unexpected)
    app.before_request(_refuse_control_characters)
    app.after_request(lambda response: _security_headers(response, form_origins()))
    app.context_processor(lambda: _template_context(configured()))
