"""The one loader of a record a user may reach (permissions.load_or_404): found and allowed ->
the record; missing, out of range, elsewhere or not theirs -> the same 404."""

from __future__ import annotations

import pytest
from flask_login import login_user
from sqlalchemy import inspect
from werkzeug.exceptions import NotFound

from marketplace.catalog.permissions import can_edit
from marketplace.catalog.search import LISTING_LOADS
from marketplace.models import Farm, Listing, Producer, User
from marketplace.permissions import MAX_ID, load_or_404
from marketplace.producers.permissions import can_view
from tests.conftest import signed_in_client


@pytest.fixture
def signed_in(app):
    """A request context with `user` signed in, as a view sees it."""

    def sign_in(user):
        context = app.test_request_context()
        context.push()
        login_user(user)
        return context

    contexts = []
    yield lambda user: contexts.append(sign_in(user))
    for context in reversed(contexts):
        context.pop()


@pytest.fixture
def owned(make_user, make_producer, make_farm):
    owner = make_user("producer")
    producer = make_producer(user_id=owner.id)
    return {"owner": owner, "producer": producer, "farm": make_farm(producer)}


def test_the_owner_gets_the_record(db, signed_in, owned):
    signed_in(owned["owner"])
    assert load_or_404(Producer, owned["producer"].id, can_view) is owned["producer"]


@pytest.mark.parametrize("record_id", [0, -1, 999_999, MAX_ID, MAX_ID + 1, 2**70])
def test_a_missing_or_impossible_id_is_not_found(db, signed_in, owned, record_id):
    signed_in(owned["owner"])
    with pytest.raises(NotFound):
        load_or_404(Producer, record_id, can_view)


def test_a_record_the_rule_refuses_is_not_found(db, signed_in, owned, make_user):
    signed_in(make_user("producer"))
    with pytest.raises(NotFound):
        load_or_404(Producer, owned["producer"].id, can_view)


def test_a_record_under_another_address_is_not_found(db, signed_in, owned, make_producer):
    signed_in(owned["owner"])
    farm = owned["farm"]
    assert load_or_404(Farm, farm.id, producer_id=owned["producer"].id) is farm
    with pytest.raises(NotFound):
        load_or_404(Farm, farm.id, producer_id=make_producer().id)


def test_without_a_rule_any_existing_record_loads(db, signed_in, owned, make_user):
    signed_in(make_user("admin"))
    assert load_or_404(Producer, owned["producer"].id) is owned["producer"]


def test_loader_options_load_the_relations_with_the_row(db, signed_in, make_user, make_listing):
    supplier = make_user("supplier")
    supplier_id, listing_id = supplier.id, make_listing(supplier.organization).id
    db.session.expunge_all()  # nothing loaded yet: the loader's query does it all
    signed_in(db.session.get(User, supplier_id))
    listing = load_or_404(Listing, listing_id, can_edit, options=LISTING_LOADS)
    loaded = inspect(listing).dict
    assert {"organization", "regions", "value_chains"} <= loaded.keys()


def _main(response) -> str:
    """The page's content (the header links back to the address asked for)."""
    page = response.get_data(as_text=True)
    return page[page.index("<main") : page.index("</main>")]


def test_a_refused_record_answers_exactly_like_a_missing_one(app, make_user, make_center):
    center = make_center()
    outsider = signed_in_client(app, make_user("technician"))  # of another cooperative
    refused = outsider.get(f"/acopio/centros/{center.id}")
    missing = outsider.get("/acopio/centros/999999")
    assert refused.status_code == missing.status_code == 404
    assert _main(refused) == _main(missing)


def test_a_user_with_no_business_in_the_area_still_gets_403_first(app, make_org, make_user):
    """An unverified lender is refused the whole review area, whatever the id."""
    unverified = make_user("lender", organization=make_org("lender", verified=False))
    client = signed_in_client(app, unverified)
    assert client.get("/credito/grupos/999999").status_code == 403
    assert client.get("/credito/prestamos/999999").status_code == 403
