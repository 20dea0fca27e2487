"""The sms blueprint (Twilio's delivery reports), with its views attached; only the app
factory imports it."""

from flask import Blueprint

bp = Blueprint("sms", __name__)

from marketplace.sms import views  # noqa: E402,F401
