from flask import Blueprint

bp = Blueprint("fieldwork", __name__)

from marketplace.fieldwork import views  # noqa: E402,F401
