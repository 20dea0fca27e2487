"""The API's endpoints: parse the query string, call the catalogue or commitments, serialise."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import inspect, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.api import openapi, params, schemas
from marketplace.api.blueprint import bp
from marketplace.catalog import cache
from marketplace.catalog.search import cache_key, published_listing, search_listings
from marketplace.commitments.queries import search_commitments
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import Listing, Organization, PurchaseCommitment
from marketplace.permissions import MAX_ID

LISTING_RELATIONS = ("organization", "regions", "value_chains")
COMMITMENT_RELATIONS = ("organization", "collection_center", "regions")


def error_response(status: int, message: str, field: str | None = None):
    """The API's error body: {"error": message, "status": status[, "field": name]}."""
    body = {"error": str(message), "status": status}
    if field:
        body["field"] = field
    return jsonify(body), status


@bp.errorhandler(DomainError)
def _bad_request(error: DomainError):
    return error_response(400, error.message, error.field)


@bp.before_request
def _check_query_string():
    if request.endpoint is not None:
        params.check_query_string(request.endpoint.removeprefix("api."), request.args)


def ensure_loaded(model, items: list, relations: tuple[str, ...]) -> None:
    """Load the `relations` still unloaded on any of `items`, one query for all of them.

    The catalogue and commitment searches eager-load most of what the API shows; this makes
    the rest cost a constant number of queries whatever the page size (no N+1).
    """
    missing = {name for item in items for name in inspect(item).unloaded} & set(relations)
    if not missing:
        return
    loaders = [
        (selectinload if getattr(model, name).property.uselist else joinedload)(
            getattr(model, name)
        )
        for name in sorted(missing)
    ]
    ids = [item.id for item in items]
    db.session.execute(select(model).where(model.id.in_(ids)).options(*loaders)).unique().all()


@bp.get("/listings")
def listings():
    """A page of the public catalogue with its filters and sorts. The written page is kept
    like the catalogue page's results (catalog.cache: any change to a listing, its stock or
    its publisher forgets it at once)."""
    filters, page, per_page = params.listing_query(request.args)
    key = ("api", *cache_key(filters, page, per_page))
    body = cache.remembered(key, lambda: _listings_body(filters, page, per_page))
    return current_app.response_class(body, mimetype="application/json")


def _listings_body(filters, page: int, per_page: int) -> str:
    result = search_listings(filters, page, per_page)
    items = list(result.items)
    ensure_loaded(Listing, items, LISTING_RELATIONS)
    return current_app.json.dumps(schemas.page(result, [schemas.listing(item) for item in items]))


@bp.get("/listings/<int:listing_id>")
def listing(listing_id: int):
    """One published listing, or 404."""
    item = published_listing(listing_id) if listing_id <= MAX_ID else None
    if item is None:
        return error_response(404, _("No encontramos ese producto o servicio publicado."))
    ensure_loaded(Listing, [item], LISTING_RELATIONS)
    return jsonify(schemas.listing(item))


@bp.get("/commitments")
def commitments():
    """A page of the open purchase commitments of active buyers."""
    filters, page, per_page = params.commitment_query(request.args)
    result = search_commitments(filters, page, per_page)
    items = list(result.items)
    ensure_loaded(PurchaseCommitment, items, COMMITMENT_RELATIONS)
    return jsonify(schemas.page(result, [schemas.commitment(item) for item in items]))


def public_commitment(commitment_id: int) -> PurchaseCommitment | None:
    """A commitment of a buyer that is not suspended (any status), with what the API shows."""
    return db.session.scalar(
        select(PurchaseCommitment)
        .join(Organization, Organization.id == PurchaseCommitment.organization_id)
        .where(PurchaseCommitment.id == commitment_id, Organization.suspended_at.is_(None))
        .options(
            joinedload(PurchaseCommitment.organization),
            joinedload(PurchaseCommitment.collection_center),
            selectinload(PurchaseCommitment.regions),
        )
    )


@bp.get("/commitments/<int:commitment_id>")
def commitment(commitment_id: int):
    """One purchase commitment, or 404."""
    item = public_commitment(commitment_id) if commitment_id <= MAX_ID else None
    if item is None:
        return error_response(404, _("No encontramos ese compromiso de compra."))
    return jsonify(schemas.commitment(item))


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi.document())
