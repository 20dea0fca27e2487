"""Routes: the producer's "Incentivos" page, the admin's impact dashboard and its CSV, and
the public impact summary (aggregates only, no sign-in)."""

from __future__ import annotations

from flask import (
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import charts
from marketplace.labels import COUNTRIES, choices, label
from marketplace.models import Gender, Producer, Role, ValueChain
from marketplace.permissions import load_or_404, role_required
from marketplace.producers.permissions import can_view
from marketplace.producers.services import producer_of
from marketplace.traceability import impact, incentives
from marketplace.traceability.blueprint import bp

FIELD_ROLES = (Role.PRODUCER, Role.TECHNICIAN)


def _render_incentives(producer: Producer):
    return render_template(
        "traceability/incentives.html",
        producer=producer,
        own=current_user.role == Role.PRODUCER,
        incentives=incentives.incentives_for(producer),
    )


@bp.route("/incentivos")
@role_required(Role.PRODUCER)
def incentives_mine():
    producer = producer_of(current_user)
    if producer is None:
        flash(_("Primero complete sus datos y registre sus fincas."), "info")
        return redirect(url_for("producers.my_profile"))
    return _render_incentives(producer)


@bp.route("/productores/<int:producer_id>/incentivos")
@role_required(*FIELD_ROLES)
def incentives_for(producer_id: int):
    return _render_incentives(load_or_404(Producer, producer_id, can_view))


def _filters() -> impact.ImpactFilters:
    """The country and value-chain filters from the query string; unknown codes are ignored."""
    country = request.args.get("pais", "")
    chain = request.args.get("cadena", "")
    return impact.ImpactFilters(
        country=country if country in COUNTRIES else "",
        value_chain=chain if chain in ValueChain.codes() else "",
    )


def _render_impact(template: str, figures: impact.Impact, filters: impact.ImpactFilters):
    gender, gender_height = charts.horizontal(
        impact.labelled(figures.by_gender, lambda c: Gender(c).label)
    )
    country, country_height = charts.horizontal(
        impact.labelled(figures.by_country, lambda c: label("country", c))
    )
    volume, volume_height = charts.horizontal(
        [
            (_("Comprometido (kg)"), figures.committed_kg),
            (_("Entregado (kg)"), figures.delivered_kg),
        ]
    )
    return render_template(
        template,
        figures=figures,
        filters=filters,
        countries=choices("country"),
        chains=ValueChain.choices(),
        charts={
            "gender": (gender, gender_height),
            "country": (country, country_height),
            "volume": (volume, volume_height),
        },
    )


@bp.route("/admin/impacto")
@role_required(Role.ADMIN)
def impact_admin():
    filters = _filters()
    return _render_impact("traceability/impact_admin.html", impact.cached_impact(filters), filters)


@bp.route("/admin/impacto.csv")
@role_required(Role.ADMIN)
def impact_csv():
    filters = _filters()
    body = impact.to_csv(impact.cached_impact(filters), filters)
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": "attachment; filename=minka-impacto.csv",
            "Cache-Control": "no-store",
        },
    )


@bp.route("/impacto")
def impact_public():
    filters = _filters()
    # Only the figures are cached: the page itself carries the visitor's CSRF token.
    return _render_impact("traceability/impact_public.html", impact.cached_impact(filters), filters)
