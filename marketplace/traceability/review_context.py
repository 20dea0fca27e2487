"""What the plot page's review section ("Revisión") shows the signed-in user: the farm's
disputes, which step they may take, the forms for it, and the assessment history."""

from __future__ import annotations

from flask_login import current_user

from marketplace.models import FieldEvidence
from marketplace.models.disputes import ACTIVE
from marketplace.models.producers import Farm
from marketplace.traceability import disputes
from marketplace.traceability.permissions import can_open_dispute, can_verify_plot
from marketplace.traceability.plot_forms import (
    ConfirmForm,
    DisputeForm,
    ProposalForm,
    ReturnForm,
)


def review_context(farm: Farm, evidence_items: list[FieldEvidence], **forms) -> dict:
    """The review section's data; `forms` (dispute_form, proposal_form, return_form) replace
    the blank ones when a submission is re-rendered with its errors."""
    found = disputes.disputes_of(farm)
    active = next((d for d in found if d.status in ACTIVE), None)
    reviewer = can_verify_plot(current_user, farm)
    dispute_form = forms.get("dispute_form") or DisputeForm(formdata=None)
    dispute_form.evidence.choices = [(item.id, str(item.id)) for item in evidence_items]
    return {
        "disputes": found,
        "active": active,
        "history": disputes.history_of(farm),
        "can_open": (
            active is None
            and farm.risk_status in disputes.DISPUTABLE
            and farm.risk_assessment_id is not None
            and can_open_dispute(current_user, farm)
        ),
        "reviewer": reviewer,
        "may_act": bool(active and reviewer and disputes.may_act(current_user, active)),
        "dispute_form": dispute_form,
        "proposal_form": forms.get("proposal_form") or ProposalForm(formdata=None),
        "return_form": forms.get("return_form") or ReturnForm(formdata=None),
        "confirm_form": ConfirmForm(formdata=None),
        "current_id": farm.risk_assessment_id,
    }
