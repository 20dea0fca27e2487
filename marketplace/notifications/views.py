"""The notifications page."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.i18n import number
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
    """The unread count shown in the menu of every page (one indexed COUNT, capped) and how
    it is written ("99+" beyond the cap)."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0, "unread_label": "", "unread_cap": services.UNREAD_CAP}
    count = services.unread_count(current_user)
    label = f"{services.UNREAD_CAP}+" if count > services.UNREAD_CAP else number(count, 0)
    return {"unread_notifications": count, "unread_label": label, "unread_cap": services.UNREAD_CAP}
