"""In-app notifications: who is told what, and the list with its unread count."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from marketplace.notifications import views  # noqa: E402,F401
