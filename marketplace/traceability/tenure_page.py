"""What the plot page shows about tenure documents, for whoever is looking."""

from __future__ import annotations

from flask_login import current_user

from marketplace.models import Farm
from marketplace.traceability import tenure, tenure_rules
from marketplace.traceability.permissions import (
    can_review_tenure_document,
    can_see_tenure_documents,
    can_upload_tenure_document,
)
from marketplace.traceability.tenure_forms import TenureReviewForm, TenureUploadForm


def kinds_offered(farm: Farm) -> list:
    """The kinds of the farm's country that prove its declared tenure (none: nothing to
    upload until the farm declares a document)."""
    return [
        kind
        for kind in tenure_rules.kinds_for(farm.country)
        if tenure_rules.RULES[kind].tenure == farm.tenure
    ]


def upload_form(farm: Farm, *, submitted: bool) -> TenureUploadForm:
    """The upload form (read from the request when `submitted`) offering kinds_offered."""
    form = TenureUploadForm() if submitted else TenureUploadForm(formdata=None)
    form.kind.choices = [(kind.value, kind.lazy_label) for kind in kinds_offered(farm)]
    return form


def review_form(doc_id: int, *, submitted: bool) -> TenureReviewForm:
    """The decision form of one document (its fields prefixed by the document's id)."""
    if submitted:
        return TenureReviewForm(prefix=f"doc{doc_id}")
    return TenureReviewForm(formdata=None, prefix=f"doc{doc_id}")


def context(
    farm: Farm,
    upload: TenureUploadForm | None = None,
    review: tuple[int, TenureReviewForm] | None = None,
) -> dict:
    """The template's tenure variables: the legality state for everyone who sees the plot;
    documents, upload and review forms only for those who may use them."""
    documents = tenure.documents_of(farm)
    may_see = can_see_tenure_documents(current_user, farm)
    may_review = can_review_tenure_document(current_user)
    review_forms = {}
    if may_review:
        for doc in documents:
            if doc.id == (review[0] if review else None):
                review_forms[doc.id] = review[1]
            else:
                review_forms[doc.id] = review_form(doc.id, submitted=False)
    # a submitted form comes back with its errors even when nothing fits the farm
    may_upload = can_upload_tenure_document(current_user, farm) and (
        upload is not None or bool(kinds_offered(farm))
    )
    return {
        "tenure_legality": tenure.legality(farm.tenure, documents),
        "tenure_documents": documents if may_see else [],
        "tenure_holder_ok": {
            doc.id: tenure.holder_matches(doc, farm.producer) for doc in documents if may_see
        },
        "tenure_upload_form": (upload or upload_form(farm, submitted=False))
        if may_upload
        else None,
        "tenure_review_forms": review_forms,
    }
