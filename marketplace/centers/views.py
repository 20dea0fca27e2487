"""Collection centre pages: producers see the ones near them; cooperatives and admins manage."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.centers import services
from marketplace.centers.blueprint import bp
from marketplace.centers.forms import CenterForm
from marketplace.centers.permissions import can_manage
from marketplace.errors import DomainError
from marketplace.fields import as_float
from marketplace.labels import choices
from marketplace.models import CollectionCenter, Role
from marketplace.permissions import load_or_404, role_required
from marketplace.producers.services import producer_of
from marketplace.web import page_number, show_errors

MANAGERS = (Role.TECHNICIAN, Role.ADMIN)


@bp.route("/centros")
@role_required(Role.PRODUCER)
def near():
    producer = producer_of(current_user)
    farm = producer.farms[0] if producer is not None and producer.farms else None
    centers = services.centers_for_producer(producer, current_user.country or "PE", limit=20)
    return render_template("centers/near.html", centers=centers, farm=farm, producer=producer)


@bp.route("/centros/gestion")
@role_required(*MANAGERS)
def manage():
    search = request.args.get("q", "")
    country = request.args.get("pais", "")
    page = services.managed_page(current_user, search, country, page_number())
    return render_template(
        "centers/manage.html",
        page=page,
        search=search,
        country=country,
        countries=choices("country"),
    )


def _form(center: CollectionCenter | None) -> CenterForm:
    form = CenterForm(obj=center)
    if not form.is_submitted():
        if center is None:
            org = current_user.organization
            form.country.data = (org.country if org else None) or current_user.country or "PE"
        else:
            form.organization_id.data = str(center.organization_id)
    form.set_places(form.country.data or "PE", form.region.data or "")
    if current_user.role == Role.ADMIN:
        form.set_cooperatives(services.cooperatives())
    else:
        del form.organization_id
    return form


def _data(form: CenterForm) -> services.CenterData:
    org = form.organization_id.data if "organization_id" in form else ""
    return services.CenterData(
        name=form.name.data or "",
        operator_name=form.operator_name.data or "",
        country=form.country.data,
        region=form.region.data or "",
        district_code=form.district_code.data or "",
        opening_hours=form.opening_hours.data or "",
        lat=as_float(form.lat.data),
        lon=as_float(form.lon.data),
        organization_id=int(org) if org and org.isdigit() else None,
    )


def _edit(center: CollectionCenter | None):
    form = _form(center)
    # "refresh" (without JavaScript) only reloads the district list for the chosen region.
    if "refresh" not in request.form and form.validate_on_submit():
        try:
            services.save_center(current_user, _data(form), center)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Centro de acopio guardado."), "success")
            return redirect(url_for("centers.manage"))
    return render_template("centers/form.html", form=form, center=center)


@bp.route("/centros/nuevo", methods=["GET", "POST"])
@role_required(*MANAGERS)
def new():
    return _edit(None)


@bp.route("/centros/<int:center_id>/editar", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit(center_id: int):
    return _edit(load_or_404(CollectionCenter, center_id, can_manage))


@bp.route("/centros/<int:center_id>/desactivar", methods=["POST"])
@role_required(*MANAGERS)
def deactivate(center_id: int):
    center = load_or_404(CollectionCenter, center_id, can_manage)
    services.set_active(current_user, center, False)
    flash(_("El centro %(name)s ya no se ofrece a los productores.", name=center.name), "success")
    return redirect(url_for("centers.manage"))


@bp.route("/centros/<int:center_id>/activar", methods=["POST"])
@role_required(*MANAGERS)
def activate(center_id: int):
    center = load_or_404(CollectionCenter, center_id, can_manage)
    services.set_active(current_user, center, True)
    flash(_("El centro %(name)s vuelve a ofrecerse.", name=center.name), "success")
    return redirect(url_for("centers.manage"))
