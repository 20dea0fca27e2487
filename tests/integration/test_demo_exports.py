"""Every due-diligence export the demo world can produce passes the EU's geolocation rules."""

from __future__ import annotations

import json

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import PurchaseCommitment
from marketplace.models.traceability import Lot
from marketplace.traceability import eudr_geojson, export, tracing


def test_every_demo_lot_and_commitment_exports_a_valid_file(app, runner):
    result = runner.invoke(args=["demo-data", "--producers", "2000", "--seed", "2026"])
    assert result.exit_code == 0, result.output
    exports = []
    for commitment in db.session.scalars(select(PurchaseCommitment)):
        if commitment.value_chain not in export.HS_CODES:
            continue
        exports.append((commitment, None))
        lots = select(Lot).where(Lot.commitment_id == commitment.id)
        exports += [(commitment, lot) for lot in db.session.scalars(lots)]
    types, pending, checked = set(), 0, 0
    with app.test_request_context():
        for commitment, lot in exports:
            rows = tracing.commitment_deliveries(commitment, lot)
            if not rows:
                continue
            found = export.due_diligence(commitment, rows)
            text = export.checked_text(found)
            assert eudr_geojson.problems(json.loads(text), size_bytes=len(text.encode())) == []
            types |= {f["geometry"]["type"] for f in found.collection["features"]}
            pending += len(found.pending)
            checked += 1
            export.to_csv(found)
            export.pending_csv(found)
    assert checked >= 6, (checked, len(exports))
    assert {"Point", "Polygon"} <= types and pending > 0  # the demo has plots still to outline
