"""The "my organization" page: thin wrapper around organizations.services."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.errors import DomainError
from marketplace.organizations import services
from marketplace.organizations.blueprint import bp
from marketplace.organizations.forms import OrganizationForm
from marketplace.organizations.permissions import MEMBER_ROLES
from marketplace.permissions import role_required


def _flash_change(change: services.OrganizationChange) -> None:
    if not change.changed:
        flash(_("No hubo cambios que guardar."), "info")
    elif change.verification_reset:
        flash(
            _(
                "Se guardaron los cambios. Como cambió los datos de una organización "
                "verificada, un administrador de Minka volverá a verificarla; mientras "
                "tanto no podrá publicar."
            ),
            "warning",
        )
    else:
        flash(_("Se guardaron los cambios."), "success")


@bp.route("/organizacion", methods=["GET", "POST"])
@role_required(*MEMBER_ROLES)
def mine():
    org = current_user.organization
    if org is None:
        return render_template("organizations/none.html")
    form = OrganizationForm(obj=org)
    if form.validate_on_submit():
        try:
            change = services.update_organization(
                current_user, org, form.name.data, form.country.data
            )
        except DomainError as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            _flash_change(change)
            return redirect(url_for(".mine"))
    return render_template(
        "organizations/mine.html", org=org, form=form, members=services.members(org)
    )
