"""The home page and the language switch."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, session
from flask_login import current_user

from marketplace.auth.services import set_language
from marketplace.main.blueprint import bp
from marketplace.main.services import dashboard_for
from marketplace.web import safe_next


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return render_template("main/home.html")
    board = dashboard_for(current_user)
    # one template per kind of board: producer, technician, admin, organization
    return render_template(f"main/dashboard/{board['kind']}.html", dashboard=board)


@bp.route("/idioma", methods=["POST"])
def language():
    chosen = request.form.get("lang", "")
    if chosen not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = chosen
    set_language(current_user if current_user.is_authenticated else None, chosen)
    return redirect(safe_next("/"))
