"""The "my organization" page and its document: thin wrappers around organizations.services."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace import uploads
from marketplace.errors import DomainError
from marketplace.models import Organization, Role
from marketplace.organizations import services
from marketplace.organizations.blueprint import bp
from marketplace.organizations.forms import OrganizationForm
from marketplace.organizations.permissions import MEMBER_ROLES, can_view_document
from marketplace.permissions import load_or_404, role_required
from marketplace.web import handle_http

# request body limit (document + form fields) of the page that takes the upload
UPLOAD_LIMIT = services.MAX_DOCUMENT_BYTES + 64 * 1024


@bp.url_value_preprocessor
def _limit_uploads(endpoint: str | None, values: dict | None) -> None:
    # URL preprocessors run before the CSRF check reads the body, so the limit holds there too.
    if endpoint == "organizations.mine":
        request.max_content_length = UPLOAD_LIMIT


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    """An oversized document sends the member back to the page with a message."""
    if request.endpoint != "organizations.mine" or not current_user.is_authenticated:
        return handle_http(error)
    flash(_("El documento es demasiado grande: el máximo es 5 MB. No se guardó nada."), "error")
    return redirect(url_for(".mine"))


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
    elif change.resubmitted:
        flash(
            _("Se guardaron los cambios: un administrador de Minka volverá a revisarlos."),
            "success",
        )
    else:
        flash(_("Se guardaron los cambios."), "success")


def _save(org: Organization, form: OrganizationForm) -> services.OrganizationChange:
    upload = form.document.data
    return services.update_organization(
        current_user,
        org,
        form.name.data,
        form.country.data,
        tax_id=form.tax_id.data,
        document=upload.read() if upload else b"",
        instance_path=Path(current_app.instance_path),
    )


@bp.route("/organizacion", methods=["GET", "POST"])
@role_required(*MEMBER_ROLES)
def mine():
    org = current_user.organization
    if org is None:
        return render_template("organizations/none.html")
    form = OrganizationForm(obj=org)
    if form.validate_on_submit():
        try:
            change = _save(org, form)
        except DomainError as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            _flash_change(change)
            return redirect(url_for(".mine"))
    return render_template(
        "organizations/mine.html", org=org, form=form, members=services.members(org)
    )


@bp.route("/organizaciones/<int:org_id>/documento")
@role_required(*MEMBER_ROLES, Role.ADMIN)
def document(org_id: int):
    org = load_or_404(Organization, org_id, can_view_document)
    response = uploads.private_file(
        services.document_file(org, Path(current_app.instance_path)), org.document_path
    )
    return response or abort(404)
