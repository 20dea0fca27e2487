"""The notifications page."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.notifications import services
from marketplace.notifications.blueprint import bp
from marketplace.notifications.messages import render
from marketplace.web import page_number


@bp.route("/avisos")
@login_required
def index():
    page = services.page_for(current_user, page_number())
    return render_template("notifications/index.html", page=page, render_message=render)


@bp.route("/avisos/leidos", methods=["POST"])
@login_required
def mark_read():
    services.mark_all_read(current_user)
    flash(_("Avisos marcados como leídos."), "success")
    return redirect(url_for("notifications.index"))


@bp.app_context_processor
def unread_notifications() -> dict:
    """The unread count shown in the menu of every page (one indexed COUNT)."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": services.unread_count(current_user)}
