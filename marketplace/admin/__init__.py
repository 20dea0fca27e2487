"""Administration: accounts, organizations and the audit log (admins only)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from marketplace.admin import views  # noqa: E402,F401
