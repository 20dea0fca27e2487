"""Collection centres (centros de acopio): cooperatives run them; producers pick up their
orders there and deliver their harvest."""

from flask import Blueprint

bp = Blueprint("centers", __name__)

from marketplace.centers import views  # noqa: E402,F401
