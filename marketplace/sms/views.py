"""Twilio's status callback: a delivery report posted by Twilio, not by a person (no session,
no CSRF, no rate limit: its signature is the proof, and Twilio sends one per status change)."""

from __future__ import annotations

from flask import abort, current_app, request

from marketplace.extensions import csrf
from marketplace.sms import provider, receipts
from marketplace.sms.blueprint import bp


@bp.route(provider.CALLBACK_PATH, methods=["POST"])
@csrf.exempt
def status_callback():
    if provider.status_callback_url() is None:
        abort(404)  # no report was asked for: SMS or MINKA_PUBLIC_URL unset
    if not provider.signed_by_twilio(request.form, request.headers.get("X-Twilio-Signature")):
        abort(403)
    try:
        receipts.record(request.form)
    except receipts.MalformedReport as error:
        current_app.logger.warning("Malformed delivery report: %s", error)
        return "", 400
    return "", 200
