"""Demo tenure documents: most farms that declare a document have uploaded it and Minka
accepted it; some wait in the admin's queue, a few were rejected (unreadable, another holder).
The demo producer's titled farm is documented and her certificate of possession is in review.

Rows are bulk-inserted (fast at 100,000 producers); every row points at one of a few small
generated sample files (a one-page PDF per kind of document), written once under
instance/uploads/tenure/ so the pages can open them. Erasing a producer removes only files no
other document uses (privacy.erasure).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from flask import current_app
from sqlalchemy import select

from marketplace import uploads
from marketplace.demo import bulk
from marketplace.demo.organizations import ADMIN_EMAIL
from marketplace.demo.population import DEMO_PRODUCER
from marketplace.extensions import db
from marketplace.models import Farm, Producer, TenureDocKind, TenureDocument, User
from marketplace.models.producers import Tenure
from marketplace.traceability.tenure import TENURE_DIR
from marketplace.traceability.tenure_rules import RULES, kinds_for

# share of farms declaring each tenure that uploaded a document (the rest have not yet)
UPLOADED = {
    Tenure.TITLE: 0.85,
    Tenure.PARCEL_CERTIFICATE: 0.85,
    Tenure.AGRARIAN_RIGHTS: 0.8,
    Tenure.POSSESSION: 0.75,
    Tenure.USE_GRANT: 0.7,
    Tenure.TENANT: 0.4,
}
# of the uploaded: accepted, waiting, rejected
OUTCOME_P = (0.86, 0.09, 0.05)
AUTHORITIES = {
    TenureDocKind.PE_TITLE: "SUNARP, Zona Registral III",
    TenureDocKind.PE_POSSESSION: "Municipalidad distrital",
    TenureDocKind.PE_USE_GRANT: "ARFFS San Martín (SERFOR)",
    TenureDocKind.CO_REGISTRY: "Oficina de Registro de Instrumentos Públicos",
    TenureDocKind.CO_ADJUDICATION: "Agencia Nacional de Tierras",
    TenureDocKind.MX_PARCEL: "Registro Agrario Nacional",
    TenureDocKind.MX_COMMON_USE: "Registro Agrario Nacional",
    TenureDocKind.MX_TITLE: "Registro Público de la Propiedad",
    TenureDocKind.LEASE: "Notaría",
}
CO_CIRCLES = ("370", "442", "062", "260", "540")  # círculos registrales where demo farms are


def sample_pdf(title: str) -> bytes:
    """A valid one-page PDF that says it is a demo sample (no real document)."""
    text = f"Minka demo - {title} - documento de ejemplo".encode("latin-1", "replace")
    stream = b"BT /F1 12 Tf 40 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 "
        b"4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _sample_files(instance_path: Path) -> dict[str, str]:
    """One sample PDF per kind, in the app's file store; kind -> its key."""
    store = uploads.file_store(instance_path)
    paths = {}
    for kind in TenureDocKind:
        relative = (TENURE_DIR / f"demo-{kind.value}.pdf").as_posix()
        store.put(relative, sample_pdf(str(kind.label)))
        paths[kind.value] = relative
    return paths


def _kind(rng: np.random.Generator, country: str, tenure: str) -> TenureDocKind | None:
    kinds = [k for k in kinds_for(country) if RULES[k].tenure == tenure]
    if not kinds:
        return None
    if kinds == [TenureDocKind.CO_REGISTRY, TenureDocKind.CO_ADJUDICATION]:
        return kinds[int(rng.random() < 0.15)]
    return kinds[0]


def _number(rng: np.random.Generator, kind: TenureDocKind) -> str:
    n = int(rng.integers(1, 9_999_999))
    if kind == TenureDocKind.PE_TITLE:
        return f"{11_000_000 + n % 1_000_000:08d}"
    if kind == TenureDocKind.CO_REGISTRY:
        return f"{CO_CIRCLES[n % len(CO_CIRCLES)]}-{n}"
    if kind in (TenureDocKind.MX_PARCEL, TenureDocKind.MX_COMMON_USE):
        return f"{n:012d}"
    return f"{n % 9000 + 100}-{2000 + n % 25}"


def _holder(first: str, last: str) -> str:
    """Registry style: surnames first, in capitals."""
    return f"{last} {first}".upper()


def build(rng: np.random.Generator, anchor: datetime, say: Callable[[str], None]) -> dict:
    """Documents for the demo farms that declare a tenure document."""
    admin_id = db.session.scalar(select(User.id).where(User.email == ADMIN_EMAIL))
    query = (
        select(
            Farm.id, Farm.country, Farm.tenure, Producer.first_name, Producer.last_name,
            Producer.national_id, Producer.registered_by_id, Producer.user_id,
        )
        .join(Producer, Producer.id == Farm.producer_id)
        .where(Farm.tenure != Tenure.NONE)
        .order_by(Farm.id)
    )  # fmt: skip
    files = _sample_files(Path(current_app.instance_path))
    columns: dict[str, list] = {key: [] for key in COLUMNS}
    outcomes = ("accepted", "pending", "rejected")
    for (
        farm_id,
        country,
        tenure,
        first,
        last,
        national_id,
        registrar,
        user_id,
    ) in db.session.execute(query):
        demo = national_id == DEMO_PRODUCER["national_id"] and country == DEMO_PRODUCER["country"]
        kind = _kind(rng, country, tenure)
        if kind is None or (not demo and rng.random() >= UPLOADED.get(tenure, 0.0)):
            continue
        if demo:  # her title accepted, her certificate of possession in review
            status = "accepted" if tenure == Tenure.TITLE else "pending"
        else:
            status = outcomes[int(rng.choice(3, p=OUTCOME_P))]
        reason = None
        holder = _holder(first, last)
        if status == "rejected":
            reason = "holder_mismatch" if rng.random() < 0.4 else "illegible"
            if reason == "holder_mismatch":  # the parent's title, not yet passed on
                holder = _holder("Juan", last)
        uploaded = anchor - timedelta(days=int(rng.integers(3, 400)))
        if status == "pending":
            uploaded = anchor - timedelta(days=int(rng.integers(0, 12)))
        decided = status != "pending"
        columns["farm_id"].append(farm_id)
        columns["kind"].append(kind.value)
        columns["tenure"].append(str(RULES[kind].tenure))
        columns["number"].append(_number(rng, kind))
        columns["authority"].append(AUTHORITIES[kind])
        columns["issued_on"].append(date(int(rng.integers(1995, 2025)), 1, 1) + timedelta(
            days=int(rng.integers(0, 365))
        ))  # fmt: skip
        columns["holder_name"].append(holder)
        columns["file_path"].append(files[kind.value])
        columns["status"].append(status)
        columns["uploaded_by_id"].append(registrar or user_id or admin_id)
        columns["created_at"].append(uploaded)
        columns["reviewed_by_id"].append(admin_id if decided else None)
        columns["reviewed_at"].append(uploaded + timedelta(days=2) if decided else None)
        columns["rejection_reason"].append(reason)
        columns["review_note"].append("")
    count = bulk.insert_columns(TenureDocument, columns) if columns["farm_id"] else 0
    pending = columns["status"].count("pending")
    say(f"  {count:,} tenure documents ({pending:,} waiting for review)")
    return {"tenure_documents": count}


COLUMNS = (
    "farm_id", "kind", "tenure", "number", "authority", "issued_on", "holder_name", "file_path",
    "status", "uploaded_by_id", "created_at", "reviewed_by_id", "reviewed_at",
    "rejection_reason", "review_note",
)  # fmt: skip
