"""English pages are English: archetype names, statuses and kinds come through the
catalogues in the viewer's language, and the Spanish pages keep their Spanish words."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from marketplace.credit.archetypes import ARCHETYPES, archetype_label
from marketplace.extensions import db
from tests.conftest import run_matching, signed_in_client

# what the Spanish archetype names are made of
SPANISH_ARCHETYPE_WORDS = [str(name) for name in ARCHETYPES.values()] + [
    "Diversificado",
    "Consolidado",
    "Emergente",
    "Subsistencia",
    "rendimiento",
    "asociado",
    "independiente",
    "(café)",
]


@pytest.fixture
def run(make_group, make_credit_product):
    """A run with several archetypes: cacao and coffee farms of one rule, and small farms."""
    make_group(6)
    make_group(6, value_chain="cafe")
    make_group(3, productive_ha=1.0, total_ha=1.5, forest_ha=0.2)
    make_credit_product()
    return run_matching()


def page(app, user, url: str) -> str:
    response = signed_in_client(app, user).get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def english(code: str) -> str:
    with force_locale("en"):
        return archetype_label(code)


def test_the_admin_run_page_names_archetypes_and_statuses_in_english(app, run, make_user):
    codes = set(run.metrics["match_rate_by_archetype"])
    assert len(codes) >= 2
    html = page(app, make_user("admin", locale="en"), f"/admin/emparejamiento/corridas/{run.id}")
    assert "No clear typology (cacao)" in html  # 12 alike farms: no types invented
    assert "Silhouette by number of types" in html and "There is no clear typology" in html
    for code in codes:
        assert english(code) in html, code
    assert 'class="badge badge-ok">Finished</span>' in html
    assert "Command line" in html
    for word in SPANISH_ARCHETYPE_WORDS + ["Terminada", "Línea de comandos", "Silueta"]:
        assert word not in html, word


def test_the_same_page_in_spanish_keeps_the_spanish_names(app, run, make_user):
    html = page(app, make_user("admin"), f"/admin/emparejamiento/corridas/{run.id}")
    for code in run.metrics["match_rate_by_archetype"]:
        spanish = archetype_label(code)  # outside a request: the Spanish msgids
        assert spanish in html and spanish != english(code)
    assert 'class="badge badge-ok">Terminada</span>' in html


def test_a_producer_reads_their_type_and_offer_in_english(app, run, make_user):
    from marketplace.models import Assessment, Producer

    assessment = db.session.scalars(
        db.select(Assessment).where(Assessment.run_id == run.id, Assessment.cluster_id.is_not(None))
    ).first()
    user = make_user("producer", locale="en")
    db.session.get(Producer, assessment.producer_id).user_id = user.id
    db.session.commit()
    html = page(app, user, "/mi-credito")
    assert english(assessment.archetype) in html
    assert 'class="badge badge-warn">Proposed to the lender</span>' in html
    for word in SPANISH_ARCHETYPE_WORDS + ["Propuesto a la entidad"]:
        assert word not in html, word


def test_a_lender_sees_the_archetype_mix_in_english(app, run, make_user):
    from marketplace.models import Match

    lender_id = db.session.scalars(db.select(Match.lender_id)).first()
    from marketplace.models import Organization

    user = make_user("lender", locale="en", organization=db.session.get(Organization, lender_id))
    html = page(app, user, "/credito/grupos")
    members = {english(code) for code in run.metrics["match_rate_by_archetype"]}
    assert any(name in html for name in members)
    for word in SPANISH_ARCHETYPE_WORDS:
        assert word not in html, word
