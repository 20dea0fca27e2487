"""Catalogue pages: producers browse, suppliers manage their organization's listings.
Thin wrappers around catalog.services.

The catalogue (/catalogo and a listing's page) is public: anyone may browse it, signed in or
not, as the public API does. It shows only what suppliers publish for producers to see
(offers, prices, stock, the supplier's name and regions), it lets a producer with no account
yet see what Minka offers before signing up, and anonymous pages stay cacheable. Producers
start in the region of their first farm and may sort by distance to it; ordering ("Pedir")
needs a producer's account: anonymous visitors are sent to sign in first.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from marketplace import currencies, gazetteer
from marketplace.catalog import cache, services, taxonomy
from marketplace.catalog.blueprint import bp
from marketplace.catalog.forms import FilterForm, ListingForm
from marketplace.catalog.permissions import can_edit, can_order
from marketplace.catalog.search import (
    LISTING_LOADS,
    MAX_PRICE_FILTER,
    SORTS,
    producer_place,
    suggest_categories,
)
from marketplace.errors import DomainError
from marketplace.i18n import money, ngettext
from marketplace.labels import label
from marketplace.models import DeliveryMode, Listing, ListingStatus, Organization, Role, ValueChain
from marketplace.money import AmountError, amount_text, parse_money
from marketplace.permissions import load_or_404, role_required
from marketplace.web import page_number, show_errors

# --- producers (and anyone) browse ----------------------------------------------------------


def _user():
    return current_user if current_user.is_authenticated else None


def _default_place(user, place) -> str:
    """A producer starts in the region of their first farm; other users in their country."""
    if place is not None:
        return f"{place.country}:{place.region}"
    return (user.country or "") if user is not None else ""


def _amount(form_field, country: str | None) -> int | None:
    """Minor units of a typed price filter (None when empty; an error message when unreadable)."""
    if not (form_field.data or "").strip():
        return None
    try:
        return min(parse_money(form_field.data, currencies.of_country(country)), MAX_PRICE_FILTER)
    except AmountError as error:
        form_field.errors = [error.message]
        return None


def _filters(form: FilterForm, place) -> services.CatalogFilters:
    chosen = "" if form.place.errors else (form.place.data or "")
    country, _sep, region = chosen.partition(":")
    return services.CatalogFilters(
        q=form.q.data or "",
        kind=form.kind.data if form.kind.data in taxonomy.KINDS else None,
        category=form.category.data if form.category.data in taxonomy.CATEGORIES else None,
        value_chain=form.value_chain.data if form.value_chain.data in ValueChain.codes() else None,
        country=country or None,
        region=region or None,
        price_min_minor=_amount(form.price_min, country),
        price_max_minor=_amount(form.price_max, country),
        in_stock=bool(form.in_stock.data),
        sort=form.sort.data if form.sort.data in SORTS else "newest",
        near=(place.lat, place.lon) if place is not None else None,
    )


def _badge(stock: int | None) -> tuple[str, str]:
    """The stock badge's class and text (as catalog/_macros.html's stock_badge shows it)."""
    if stock is None:
        return "badge", _("Servicio")
    if stock == 0:
        return "badge badge-bad", _("Agotado")
    if stock <= 5:
        return "badge badge-warn", ngettext("Queda %(num)s", "Quedan %(num)s", stock)
    return "badge badge-ok", _("En stock")


def _cards(rows: list) -> list[dict]:
    """What each result of the catalogue shows, as display strings; texts that repeat
    (labels, badges) are translated once per page."""
    units, deliveries, badges, served = {}, {}, {}, {}
    cards = []
    for row in rows:
        if row.unit not in units:
            units[row.unit] = label("unit", row.unit)
        if row.delivery_mode not in deliveries:
            deliveries[row.delivery_mode] = DeliveryMode(row.delivery_mode).label
        if row.stock not in badges:
            badges[row.stock] = _badge(row.stock)
        if row.region_count not in served:
            n = row.region_count
            served[n] = ngettext("atiende %(num)s región", "atiende %(num)s regiones", n)
        cards.append(
            {
                "id": row.id,
                "title": row.title,
                "organization": row.organization_name,
                "price": f"{money(row.price_minor, row.currency)} / {units[row.unit]}",
                "badge": badges[row.stock],
                "delivery": deliveries[row.delivery_mode],
                "served": served[row.region_count],
            }
        )
    return cards


@bp.get("/catalogo")
def browse():
    user = _user()
    place = producer_place(user) if user is not None and user.role == Role.PRODUCER else None
    args = request.args.to_dict()
    args.pop("page", None)
    if "place" not in args:
        args["place"] = _default_place(user, place)
    page = page_number()
    return render_template("catalog/browse.html", content=_results(args, page, place))


def _results(args: dict, page: int, place) -> Markup:
    """The page's content (filters, results, pager): a function of the query, the producer's
    place and the language only, so it is rendered once and reused (catalog.cache)."""
    near = (place.lat, place.lon) if place is not None and args.get("sort") == "nearest" else None
    key = ("results", str(get_locale()), tuple(sorted(args.items())), page, bool(place), near)
    return cache.remembered(key, lambda: _render_results(args, page, place))


def _render_results(args: dict, page: int, place) -> Markup:
    form = FilterForm(MultiDict(args), can_sort_by_distance=place is not None)
    form.validate()
    filters = _filters(form, place)
    found = services.browse_listings(filters, page)
    template = current_app.jinja_env.get_template("catalog/_results.html")
    return Markup(
        template.render(
            form=form,
            page=found,
            cards=_cards(found.items),
            args={k: v for k, v in args.items() if v},
            filters=filters,
            suggestions=suggest_categories(filters) if not found.items and page == 1 else [],
        )
    )


@bp.get("/catalogo/<int:listing_id>")
def detail(listing_id: int):
    listing = services.published_listing(listing_id)
    user = _user()
    if listing is None and user is not None and user.role == Role.SUPPLIER:
        listing = services.listing_for_members(user.organization_id or 0, listing_id)
    if listing is None:
        abort(404)
    return render_template(
        "catalog/detail.html",
        listing=listing,
        can_order=can_order(user) and listing.status == ListingStatus.PUBLISHED,
        sold_out=listing.sold_out,
        order_url=url_for("orders.new", listing_id=listing.id),
        dispatch=_dispatch_label(listing),
        owner=user is not None and can_edit(user, listing),
    )


def _dispatch_label(listing: Listing) -> str:
    region, code = services.dispatch_district(listing)
    district = gazetteer.get_district(listing.country, code)
    return f"{district.label}, {region}" if district else region


# --- suppliers manage their organization's listings -----------------------------------------


def _org_or_403() -> Organization:
    org = services.supplier_org(current_user)
    if org is None:
        abort(403)
    return org


def _form(org: Organization, listing: Listing | None) -> ListingForm:
    form = ListingForm(org.country, obj=listing)
    if form.is_submitted():
        return form
    if listing is None:
        form.kind.data = taxonomy.INPUT
        form.currency.data = currencies.of_country(org.country)
        form.delivery_mode.data = "pickup"
        return form
    form.price.data = amount_text(listing.price_minor, listing.currency)
    form.stock_seen.data = "" if listing.stock is None else str(listing.stock)
    form.regions.data = [r.region for r in listing.regions]
    form.value_chains.data = [v.value_chain for v in listing.value_chains]
    form.region.data, form.district_code.data = services.dispatch_district(listing)
    form.set_places(org.country)
    return form


def _data(form: ListingForm) -> services.ListingData:
    seen = form.stock_seen.data
    return services.ListingData(
        kind=form.kind.data,
        category=form.category.data,
        title=form.title.data or "",
        description=form.description.data or "",
        price_minor=form.price_minor or 0,
        currency=form.currency.data,
        unit=form.unit.data,
        stock=form.stock.data,
        stock_seen=int(seen) if seen and seen.isdigit() else None,
        regions=list(form.regions.data or []),
        value_chains=list(form.value_chains.data or []),
        delivery_mode=form.delivery_mode.data,
        lead_time_days=form.lead_time_days.data or 0,
        region=form.region.data or "",
        district_code=form.district_code.data or "",
    )


def _edit(org: Organization, listing: Listing | None):
    form = _form(org, listing)
    publish = request.form.get("action") == "publish" and org.can_publish
    # "refresh" (without JavaScript) only reloads the district list for the chosen region.
    if "refresh" in request.form or not form.is_submitted():
        return render_template("catalog/form.html", form=form, org=org, listing=listing)
    if not form.validate():
        # Show the service's rules too, so every mistake is explained in one round.
        for name, message in services.listing_problems(org, _data(form)).items():
            if not form[name].errors:
                form[name].errors = [message]
    else:
        try:
            if listing is None:
                saved = services.create_listing(current_user, org, _data(form), publish)
            else:
                saved = services.update_listing(current_user, listing, _data(form), publish)
        except DomainError as error:
            show_errors(form, error)
        else:
            if saved.status == ListingStatus.PUBLISHED:
                flash(_("«%(title)s» está publicado en el catálogo.", title=saved.title), "success")
            else:
                flash(_("«%(title)s» se guardó.", title=saved.title), "success")
            return redirect(url_for("catalog.mine"))
    return render_template("catalog/form.html", form=form, org=org, listing=listing)


@bp.get("/mis-productos")
@role_required(Role.SUPPLIER)
def mine():
    org = _org_or_403()
    page = services.org_listings(org.id, page_number())
    summary = services.supplier_summary(org.id)
    return render_template("catalog/mine.html", org=org, page=page, summary=summary)


@bp.route("/mis-productos/nuevo", methods=["GET", "POST"])
@role_required(Role.SUPPLIER)
def new():
    return _edit(_org_or_403(), None)


@bp.route("/mis-productos/<int:listing_id>/editar", methods=["GET", "POST"])
@role_required(Role.SUPPLIER)
def edit(listing_id: int):
    org = _org_or_403()
    return _edit(org, load_or_404(Listing, listing_id, can_edit, options=LISTING_LOADS))


def _change(listing_id: int, action, done: str):
    _org_or_403()
    listing = load_or_404(Listing, listing_id, can_edit, options=LISTING_LOADS)
    try:
        action(current_user, listing)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(done % {"title": listing.title}, "success")
    return redirect(url_for("catalog.mine", page=page_number()))


@bp.post("/mis-productos/<int:listing_id>/publicar")
@role_required(Role.SUPPLIER)
def publish(listing_id: int):
    return _change(listing_id, services.publish_listing, _("«%(title)s» está publicado."))


@bp.post("/mis-productos/<int:listing_id>/pausar")
@role_required(Role.SUPPLIER)
def pause(listing_id: int):
    return _change(listing_id, services.pause_listing, _("«%(title)s» está pausado: nadie lo ve."))


@bp.post("/mis-productos/<int:listing_id>/reanudar")
@role_required(Role.SUPPLIER)
def resume(listing_id: int):
    return _change(listing_id, services.publish_listing, _("«%(title)s» vuelve a estar publicado."))


@bp.route("/mis-productos/<int:listing_id>/eliminar", methods=["GET", "POST"])
@role_required(Role.SUPPLIER)
def delete(listing_id: int):
    _org_or_403()
    listing = load_or_404(Listing, listing_id, can_edit, options=LISTING_LOADS)
    if request.method == "GET":
        return render_template("catalog/delete.html", listing=listing)
    services.delete_listing(current_user, listing)
    flash(_("«%(title)s» fue eliminado del catálogo.", title=listing.title), "success")
    return redirect(url_for("catalog.mine"))
