"""The producer accepts or declines an approved loan after reading its hoja resumen; nothing
is disbursed or spent before she accepts."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from marketplace.credit import acceptance, decisions, loans, spending
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import AuditLog, Loan, Notification, Producer
from tests.conftest import signed_in_client


@pytest.fixture
def offer(make_user, make_credit_product, make_match, make_org):
    """An approved, unanswered loan of S/ 5,000; its producer signs in as `borrower`, her
    cooperative's technician as `technician`, the caja's analyst as `lender`."""
    product = make_credit_product(insurance_monthly_ppm=700)
    lender = make_user("lender", organization=product.organization)
    match = make_match(n=1, product=product)
    producer = db.session.get(Producer, match.cluster.members[0].producer_id)
    coop = make_org("cooperative")
    borrower = make_user("producer")
    producer.user_id, producer.cooperative_id = borrower.id, coop.id
    db.session.commit()
    technician = make_user("technician", organization=coop)
    (loan,) = decisions.approve(lender, match, {producer.id: 500_000})
    return {"loan": loan, "producer": producer, "borrower": borrower,
            "technician": technician, "lender": lender}  # fmt: skip


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_before_she_accepts_nothing_is_disbursed_or_spent(offer):
    loan, producer = offer["loan"], offer["producer"]
    assert loan.awaiting_answer and loan.available_minor == 0
    with pytest.raises(DomainError, match="todavía no aceptó"):
        loans.disburse(offer["lender"], loan)
    assert spending.spendable_loans(producer) == []
    with pytest.raises(DomainError, match="Primero acepte"):
        spending.check_loan(producer, loan.id, 10_000, "PEN")
    assert not spending.take(loan.id, producer.id, "PEN", 10_000)


def test_she_accepts_and_the_loan_can_be_disbursed_and_spent(offer):
    loan = acceptance.accept(offer["borrower"], offer["loan"])
    assert loan.accepted_at is not None and loan.accepted_by_id == offer["borrower"].id
    assert not loan.accepted_in_person and loan.available_minor == 500_000
    assert spending.take(loan.id, offer["producer"].id, "PEN", 10_000)
    loans.disburse(offer["lender"], loan)
    assert loan.status == "disbursed"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "credit.loan_accepted"))
    assert entry.detail["in_person"] is False
    assert entry.detail["total_minor"] > 500_000  # interest and insurance on top
    note = db.session.scalar(select(Notification).where(Notification.kind == "loan.accepted"))
    assert note.organization_id == loan.lender_id and note.link == f"/credito/prestamos/{loan.id}"


def test_her_technician_records_it_in_person(offer):
    loan = acceptance.accept(offer["technician"], offer["loan"])
    assert loan.accepted_in_person and loan.accepted_by_id == offer["technician"].id


def test_she_declines_and_the_loan_closes(offer):
    loan = acceptance.decline(offer["borrower"], offer["loan"])
    assert loan.status == "declined" and loan.accepted_at is None and loan.closed_at
    with pytest.raises(DomainError):
        loans.disburse(offer["lender"], loan)
    with pytest.raises(DomainError, match="ya fue aceptado o rechazado"):
        acceptance.accept(offer["borrower"], loan)
    assert "credit.loan_declined" in _actions()


def test_only_she_or_her_technician_answers(offer, make_user):
    for outsider in (offer["lender"], make_user("technician"), make_user("producer")):
        with pytest.raises(DomainError, match="Solo el productor o su técnico"):
            acceptance.accept(outsider, offer["loan"])
    assert offer["loan"].accepted_at is None


def test_two_answers_at_once_record_one(app, offer, make_app):
    """The producer and her technician tap at the same moment: one answer wins."""
    loan_id = offer["loan"].id
    users = (offer["borrower"].id, offer["technician"].id)
    results: list[str] = []

    def answer(user_id: int, verb) -> None:
        with app.app_context():
            from marketplace.models import User

            try:
                verb(db.session.get(User, user_id), db.session.get(Loan, loan_id))
                results.append("ok")
            except DomainError:
                results.append("refused")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=answer, args=(users[0], acceptance.accept)),
        threading.Thread(target=answer, args=(users[1], acceptance.decline)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok", "refused"]
    db.session.expire_all()
    loan = db.session.get(Loan, loan_id)
    assert (loan.accepted_at is not None) != (loan.status == "declined")


# --- the page -------------------------------------------------------------------------------


def test_the_page_shows_the_hoja_resumen_and_takes_her_answer(app, offer):
    client = signed_in_client(app, offer["borrower"])
    page = client.get("/mi-credito").get_data(as_text=True)
    assert "Hoja resumen: lea antes de aceptar" in page and "Cronograma de pagos" in page
    assert "sin penalidad" in page and "interés moratorio" in page
    assert "Pedir insumos con este préstamo" not in page
    loan = offer["loan"]
    url = f"/productores/{offer['producer'].id}/credito/prestamos/{loan.id}"
    response = client.post(url, data={"answer": "accept"})
    assert response.status_code == 302 and response.location.endswith("/mi-credito")
    db.session.expire_all()
    assert db.session.get(Loan, loan.id).accepted_at is not None
    page = client.get("/mi-credito").get_data(as_text=True)
    assert "Hoja resumen" not in page and "Pedir insumos con este préstamo" in page


def test_the_technician_must_confirm_she_read_it_with_her(app, offer):
    client = signed_in_client(app, offer["technician"])
    url = f"/productores/{offer['producer'].id}/credito/prestamos/{offer['loan'].id}"
    page = client.post(url, data={"answer": "accept"}).get_data(as_text=True)
    assert "Confirme que leyó el cronograma con la persona." in page
    assert db.session.get(Loan, offer["loan"].id).accepted_at is None
    client.post(url, data={"answer": "accept", "in_person": "y"})
    db.session.expire_all()
    assert db.session.get(Loan, offer["loan"].id).accepted_in_person


def test_another_producers_loan_is_not_found(app, offer, make_user, make_producer):
    stranger = make_user("producer")
    mine = make_producer(user_id=stranger.id)
    client = signed_in_client(app, stranger)
    url = f"/productores/{mine.id}/credito/prestamos/{offer['loan'].id}"
    assert client.post(url, data={"answer": "accept"}).status_code == 404
    other = f"/productores/{offer['producer'].id}/credito/prestamos/{offer['loan'].id}"
    assert client.post(other, data={"answer": "accept"}).status_code == 404


def test_the_schedule_downloads_as_csv_for_her_and_for_the_caja(app, offer, make_user):
    loan, producer = offer["loan"], offer["producer"]
    mine = signed_in_client(app, offer["borrower"]).get(
        f"/productores/{producer.id}/credito/prestamos/{loan.id}/cronograma.csv"
    )
    lender_url = f"/credito/prestamos/{loan.id}/cronograma.csv"
    caja = signed_in_client(app, offer["lender"]).get(lender_url)
    for response in (mine, caja):
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert response.headers["Cache-Control"] == "no-store"
        rows = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
        assert rows[0].startswith("N.º,Fecha,Cuota,Capital")
        assert rows[1].startswith("1,") and rows[-1].endswith(",PEN")
    assert mine.get_data() == caja.get_data()
    other_caja = signed_in_client(app, make_user("lender"))
    assert other_caja.get(lender_url).status_code == 404


def test_the_lender_sees_the_loans_schedule(app, offer):
    page = signed_in_client(app, offer["lender"]).get(f"/credito/prestamos/{offer['loan'].id}")
    html = page.get_data(as_text=True)
    assert "Cronograma de pagos si se desembolsa hoy" in html
    assert "Descargar el cronograma (CSV)" in html


def test_her_home_page_asks_her_to_answer(app, offer):
    client = signed_in_client(app, offer["borrower"])
    assert "lea el cronograma y acéptelo o no" in client.get("/").get_data(as_text=True)
    acceptance.accept(offer["borrower"], offer["loan"])
    assert "Tiene un préstamo de" in client.get("/").get_data(as_text=True)


def test_loan_pages_honour_a_revoked_consent(app, offer):
    """The caja sees her name while she shares her details, as on the group pages."""
    from marketplace.producers.services import set_consent

    producer, loan = offer["producer"], offer["loan"]
    set_consent(offer["borrower"], producer, "lenders", True)
    client = signed_in_client(app, offer["lender"])
    assert producer.full_name in client.get(f"/credito/prestamos/{loan.id}").get_data(as_text=True)
    assert producer.full_name in client.get("/credito/prestamos").get_data(as_text=True)
    set_consent(offer["borrower"], producer, "lenders", False)
    for url in (f"/credito/prestamos/{loan.id}", "/credito/prestamos"):
        html = client.get(url).get_data(as_text=True)
        assert producer.full_name not in html and "Productor/a sin consentimiento" in html
